"""Read markers, unread counts and typing, and what bad input gets."""

import pytest

from presence.actions import TYPING_INTERVAL_S, TypingThrottle
from tests.chat.conftest import connect, room_id
from tests.presence.conftest import frames_within

pytestmark = pytest.mark.django_db(transaction=True)
GARDEN = "翠湖苑小区群"


def unread(client, room):
    return next(r["unread"] for r in client.welcome["rooms"] if r["id"] == room)


async def send(client, room, n, tag):
    acks = []
    for i in range(n):
        frame = {"type": "send", "room": room, "body": f"消息{i}", "client_id": f"{tag}{i}"}
        acks.append(await client.request(frame))
    return acks


# --- Read markers and unread counts --------------------------------------------------------------


async def test_unread_counts_come_in_welcome_and_clear_on_every_device(tcast):
    alice = await connect(tcast.resident)
    room = room_id(alice, GARDEN)
    acks = await send(alice, room, 3, "u")
    phone, laptop = await connect(tcast.neighbour), await connect(tcast.neighbour)
    assert unread(phone, room) == unread(laptop, room) >= 3  # the 3, after any system notes
    await phone.send({"type": "read", "room": room, "seq": acks[-1]["seq"]})
    marker = await laptop.recv_until("read")
    assert (marker["room"], marker["seq"], marker["unread"]) == (room, acks[-1]["seq"], 0)
    later = await connect(tcast.neighbour)
    assert unread(later, room) == 0
    await alice.close(), await phone.close(), await laptop.close(), await later.close()


async def test_the_read_marker_only_moves_forward(tcast):
    alice = await connect(tcast.resident)
    room = room_id(alice, GARDEN)
    acks = await send(alice, room, 3, "f")
    phone, laptop = await connect(tcast.neighbour), await connect(tcast.neighbour)
    await phone.send({"type": "read", "room": room, "seq": acks[2]["seq"]})
    assert (await laptop.recv_until("read"))["unread"] == 0
    await phone.send({"type": "read", "room": room, "seq": acks[0]["seq"]})  # older: ignored
    assert (await phone.request({"type": "ping"}))["type"] == "pong"
    assert [f for f in await frames_within(laptop, 0.5) if f["type"] == "read"] == []
    later = await connect(tcast.neighbour)
    assert unread(later, room) == 0
    await alice.close(), await phone.close(), await laptop.close(), await later.close()


async def test_read_beyond_the_rooms_last_seq_is_invalid(tcast):
    alice = await connect(tcast.resident)
    room = room_id(alice, GARDEN)
    last = next(r["last_seq"] for r in alice.welcome["rooms"] if r["id"] == room)
    answer = await alice.request({"type": "read", "room": room, "seq": last + 1})
    assert (answer["type"], answer["code"]) == ("error", "invalid")
    assert (await alice.request({"type": "ping"}))["type"] == "pong"
    await alice.close()


async def test_read_in_a_room_one_is_not_in_is_not_member(tcast):
    stranger = await connect(tcast.outsider)
    alice = await connect(tcast.resident)
    garden = room_id(alice, GARDEN)
    answer = await stranger.request({"type": "read", "room": garden, "seq": 1})
    assert (answer["type"], answer["code"]) == ("error", "not_member")
    answer = await stranger.request({"type": "read", "room": 987_654_321, "seq": 1})
    assert answer["code"] == "not_member"  # no such room: the same answer
    await stranger.close(), await alice.close()


@pytest.mark.parametrize("seq", [-1, 0, "7", 1.5, None, True])
async def test_read_with_a_bad_seq_is_invalid(tcast, seq):
    alice = await connect(tcast.resident)
    answer = await alice.request({"type": "read", "room": room_id(alice, GARDEN), "seq": seq})
    assert (answer["type"], answer["code"]) == ("error", "invalid")
    await alice.close()


# --- Typing --------------------------------------------------------------------------------------


async def test_typing_reaches_the_room_with_an_expiry(tcast):
    alice, bob = await connect(tcast.resident), await connect(tcast.neighbour)
    await alice.send({"type": "typing", "room": room_id(alice, GARDEN)})
    got = await bob.recv_until("typing")
    assert (got["user"], got["room"]) == (tcast.resident.pk, room_id(bob, GARDEN))
    assert got["ttl"] > 0  # the client hides it after ttl seconds: there is no "stopped typing"
    await alice.close(), await bob.close()


async def test_a_typing_flood_is_relayed_once_and_refused_past_the_budget(tcast, settings):
    settings.LINLI_FLOOD_STRIKES = 1000  # refused, not yet closed for flooding
    alice, bob = await connect(tcast.resident), await connect(tcast.neighbour)
    room = room_id(alice, GARDEN)
    for _ in range(200):
        await alice.send({"type": "typing", "room": room})
    typing = [f for f in await frames_within(bob, 1.0) if f["type"] == "typing"]
    assert len(typing) == 1
    answers = [f for f in await frames_within(alice, 0.3) if f["type"] in ("error", "__closed__")]
    assert answers and {f.get("code") for f in answers} == {"rate_limited"}  # still open
    await alice.close(), await bob.close()


async def test_typing_on_two_devices_at_once_is_relayed_once(tcast):
    phone, laptop = await connect(tcast.resident), await connect(tcast.resident)
    bob = await connect(tcast.neighbour)
    room = room_id(bob, GARDEN)
    await phone.send({"type": "typing", "room": room})
    await laptop.send({"type": "typing", "room": room})
    typing = [f for f in await frames_within(bob, 1.0) if f["type"] == "typing"]
    assert len(typing) == 1
    await phone.close(), await laptop.close(), await bob.close()


async def test_typing_in_a_room_one_is_not_in_is_not_member(tcast):
    stranger, alice = await connect(tcast.outsider), await connect(tcast.resident)
    answer = await stranger.request({"type": "typing", "room": room_id(alice, GARDEN)})
    assert answer["code"] == "not_member"
    await stranger.close(), await alice.close()


async def test_an_observer_cannot_type(tcast):
    watcher = await connect(tcast.observer)
    answer = await watcher.request({"type": "typing", "room": room_id(watcher, GARDEN)})
    assert answer["code"] == "forbidden"
    await watcher.close()


def test_typing_throttle_relays_once_per_interval_per_room():
    now = [100.0]
    throttle = TypingThrottle(clock=lambda: now[0])
    assert throttle.due(1) and throttle.due(2)
    assert not throttle.due(1)
    now[0] += TYPING_INTERVAL_S - 0.01
    assert not throttle.due(1)
    now[0] += 0.02
    assert throttle.due(1)
