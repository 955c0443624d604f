"""Every client frame costs from one budget, per socket and per person (BAD-INPUTS: unmetered work).

Over the budget a frame is answered ``rate_limited`` with ``retry_after`` and does nothing;
refusals in a row past ``LINLI_FLOOD_STRIKES`` close the socket with 4008.
"""

import pytest

from chat import protocol
from chat.ratelimit import CHEAP
from tests.chat.conftest import connect, room_id

pytestmark = pytest.mark.django_db(transaction=True)
GARDEN = "翠湖苑小区群"


@pytest.fixture
def tight_budget(settings):
    """One token per socket and per person, and practically no refill."""
    settings.LINLI_SEND_BURST = settings.LINLI_PERSON_BURST = 1
    settings.LINLI_SEND_RATE = settings.LINLI_PERSON_RATE = 0.001
    return settings


async def test_a_flood_of_read_frames_is_refused_after_the_budget(tcast, tight_budget):
    alice = await connect(tcast.resident)
    room = room_id(alice, GARDEN)
    for _ in range(int(1 / CHEAP)):
        await alice.send({"type": "read", "room": room, "seq": 1})
    answer = await alice.request({"type": "read", "room": room, "seq": 1})
    assert answer["code"] == "rate_limited" and answer["retry_after"] > 0
    await alice.close()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "join", "room": 1},
        {"type": "leave", "room": 1},
        {"type": "block", "user": 1},
        {"type": "unblock", "user": 1},
        {"type": "mute", "room": 1, "user": 1, "minutes": 5},
        {"type": "unmute", "room": 1, "user": 1},
        {"type": "remove", "room": 1, "user": 1},
        {"type": "join_answer", "room": 1, "user": 1, "accept": True},
        {"type": "knock_answer", "knock": 1, "accept": False},
        {"type": "unpin", "room": 1, "seq": 1},
    ],
    ids=lambda frame: frame["type"],
)
async def test_a_flood_of_membership_and_moderation_frames_is_refused(tcast, tight_budget, frame):
    alice = await connect(tcast.resident)
    await alice.request(frame)  # whatever the answer, it cost the budget
    answer = await alice.request(frame)
    assert answer["code"] == "rate_limited"
    await alice.close()


async def test_a_flood_of_pings_is_refused_after_the_budget(tcast, tight_budget):
    alice = await connect(tcast.resident)
    answers = [(await alice.request({"type": "ping"}))["type"] for _ in range(int(1 / CHEAP) + 1)]
    assert answers == ["pong"] * int(1 / CHEAP) + ["error"]
    await alice.close()


async def test_a_flood_of_unreadable_frames_is_refused_after_the_budget(tcast, tight_budget):
    alice = await connect(tcast.resident)
    for _ in range(int(1 / CHEAP)):
        await alice.raw(text="{not json")
        assert (await alice.recv_until("error"))["code"] == "bad_frame"
    await alice.raw(text="{not json")
    assert (await alice.recv_until("error"))["code"] == "rate_limited"
    await alice.close()


async def test_a_persons_sockets_share_one_budget(tcast, settings):
    settings.LINLI_SEND_BURST, settings.LINLI_SEND_RATE = 100, 0.001  # each socket: plenty
    settings.LINLI_PERSON_BURST, settings.LINLI_PERSON_RATE = 2, 0.001  # the person: two sends
    phone, laptop = await connect(tcast.resident), await connect(tcast.resident)
    room = room_id(phone, GARDEN)

    def send(n: int) -> dict:
        return {"type": "send", "room": room, "body": "你好", "client_id": f"p{n}"}

    assert (await phone.request(send(1)))["type"] == "ack"
    assert (await laptop.request(send(2)))["type"] == "ack"
    answer = await laptop.request(send(3))
    assert answer["code"] == "rate_limited"
    await phone.close(), await laptop.close()


async def test_a_persons_budget_is_not_shared_with_other_people(tcast, settings):
    settings.LINLI_PERSON_BURST, settings.LINLI_PERSON_RATE = 1, 0.001
    alice, bob = await connect(tcast.resident), await connect(tcast.neighbour)
    room = room_id(alice, GARDEN)
    await alice.request({"type": "send", "room": room, "body": "一", "client_id": "a1"})
    answer = await bob.request({"type": "send", "room": room, "body": "二", "client_id": "b1"})
    assert answer["type"] == "ack"
    await alice.close(), await bob.close()


async def test_sustained_flooding_with_cheap_frames_closes_the_socket(tcast, tight_budget):
    tight_budget.LINLI_FLOOD_STRIKES = 3
    alice = await connect(tcast.resident)
    for _ in range(int(1 / CHEAP) + 3):
        await alice.send({"type": "ping"})
    assert (await alice.recv_until("__closed__"))["code"] == protocol.CLOSE_FLOOD
