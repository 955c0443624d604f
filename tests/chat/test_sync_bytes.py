"""One ``sync`` answer is bounded in bytes as well as in messages (BAD-INPUTS: unmetered work).

A room of big messages must not be written to a socket in one go: the answer stops at
``SYNC_MAX_BYTES`` (or half of ``LINLI_OUTBOX_LIMIT``, if less), names the room in
``synced.more`` with the last seq written, and the next ``sync`` goes on from there.
"""

import pytest

from chat import protocol
from tests.chat.conftest import connect, room_id

pytestmark = pytest.mark.django_db(transaction=True)
GARDEN = "翠湖苑小区群"
BIG = "长" * protocol.MAX_BODY_CHARS  # 12 KB of UTF-8


async def fill_with_big_messages(client, room: int, count: int) -> None:
    for i in range(count):
        await client.request({"type": "send", "room": room, "body": BIG, "client_id": f"big{i}"})


async def synced_seqs(client, room: int, last_seen: int) -> tuple[list[int], dict]:
    """One ``sync`` of ``room``: the seqs it replayed and its ``synced`` frame."""
    await client.send({"type": "sync", "rooms": {str(room): last_seen}, "ref": "s"})
    seqs = []
    while (frame := await client.recv())["type"] != "synced":
        if frame["type"] == "message":
            seqs.append(frame["seq"])
    return seqs, frame


@pytest.fixture
def big_room_settings(settings):
    settings.LINLI_SEND_RATE = settings.LINLI_SEND_BURST = 1000
    settings.LINLI_PERSON_RATE = settings.LINLI_PERSON_BURST = 1000
    settings.LINLI_OUTBOX_LIMIT = 64 * 1024  # an answer holds at most 32 KiB: two big messages
    return settings


async def test_a_sync_answer_stops_at_its_byte_bound_and_says_where_in_more(
    tcast, big_room_settings
):
    alice = await connect(tcast.resident)
    room = room_id(alice, GARDEN)
    first = next(r["last_seq"] for r in alice.welcome["rooms"] if r["id"] == room)
    await fill_with_big_messages(alice, room, 6)
    reader = await connect(tcast.neighbour)
    seqs, synced = await synced_seqs(reader, room, first)
    assert seqs == [first + 1, first + 2]
    assert synced["more"] == {str(room): first + 2}
    await alice.close(), await reader.close()


async def test_syncing_again_from_more_replays_the_rest_once_in_order(tcast, big_room_settings):
    alice = await connect(tcast.resident)
    room = room_id(alice, GARDEN)
    first = next(r["last_seq"] for r in alice.welcome["rooms"] if r["id"] == room)
    await fill_with_big_messages(alice, room, 5)
    reader = await connect(tcast.neighbour)
    replayed, last_seen = [], first
    while True:
        seqs, synced = await synced_seqs(reader, room, last_seen)
        replayed += seqs
        if not synced["more"]:
            break
        last_seen = synced["more"][str(room)]
    assert replayed == list(range(first + 1, first + 6))
    await alice.close(), await reader.close()


async def test_a_message_bigger_than_the_bound_is_still_sent_alone(tcast, big_room_settings):
    big_room_settings.LINLI_OUTBOX_LIMIT = 4 * 1024  # the bound is smaller than one message
    alice = await connect(tcast.resident)
    room = room_id(alice, GARDEN)
    first = next(r["last_seq"] for r in alice.welcome["rooms"] if r["id"] == room)
    await fill_with_big_messages(alice, room, 2)
    reader = await connect(tcast.neighbour)
    seqs, synced = await synced_seqs(reader, room, first)
    assert seqs == [first + 1] and synced["more"] == {str(room): first + 1}
    await alice.close(), await reader.close()
