"""The presence store, both backends: the same specification, run on memory and on Redis.

Each Redis store made by ``make_store`` plays a worker process of its own on one Redis.
"""

import asyncio

import pytest

from presence.store import Due, Local
from tests.presence.conftest import TTL

ROOM, OTHER = 7, 8
ALICE, BOB = 101, 102


def due(*rooms, users=True, interval=0.2):
    return [Due(r, users, interval) for r in rooms]


async def test_a_connection_counts_its_person_online_in_each_room(store):
    assert await store.connect("a1", ALICE, [ROOM, OTHER]) == {ROOM: 1, OTHER: 1}
    assert await store.connect("b1", BOB, [ROOM]) == {ROOM: 2}
    assert await store.counts([ROOM, OTHER, 99]) == {ROOM: 2, OTHER: 1, 99: 0}
    assert await store.online([ALICE, BOB, 999]) == {ALICE, BOB}


async def test_a_second_device_keeps_the_person_online(store):
    await store.connect("phone", ALICE, [ROOM])
    await store.connect("laptop", ALICE, [ROOM])
    assert await store.counts([ROOM]) == {ROOM: 1}  # a person, not a socket
    assert await store.disconnect("phone", ALICE) is False
    assert await store.online([ALICE]) == {ALICE}
    assert await store.last_seen([ALICE]) == {}


async def test_the_last_close_takes_the_person_offline_and_records_last_seen(store, clock):
    await store.connect("phone", ALICE, [ROOM])
    clock.advance(5)
    before = clock()
    assert await store.disconnect("phone", ALICE) is True
    assert await store.counts([ROOM]) == {ROOM: 0}
    seen = (await store.last_seen([ALICE]))[ALICE]
    assert before <= seen <= clock()


async def test_coming_back_clears_last_seen(store):
    await store.connect("phone", ALICE, [ROOM])
    await store.disconnect("phone", ALICE)
    await store.connect("phone2", ALICE, [ROOM])
    assert await store.last_seen([ALICE]) == {}


async def test_closing_an_unknown_connection_changes_nothing(store):
    assert await store.disconnect("ghost", ALICE) is False
    await store.connect("a1", ALICE, [ROOM])
    assert await store.disconnect("ghost", BOB) is False
    assert await store.counts([ROOM]) == {ROOM: 1}


async def test_changes_are_drained_once_per_room_with_who_came_and_went(store):
    await store.connect("a1", ALICE, [ROOM])
    await store.connect("b1", BOB, [ROOM])
    assert await store.dirty() == [ROOM]
    [change] = await store.drain(due(ROOM))
    assert (change.room, change.online, change.users) == (ROOM, 2, {ALICE: None, BOB: None})
    assert await store.dirty() == []
    assert await store.drain(due(ROOM)) == []


async def test_a_room_published_within_its_interval_stays_dirty_until_the_lock_frees(store):
    await store.connect("a1", ALICE, [ROOM])
    assert len(await store.drain(due(ROOM, interval=0.3))) == 1
    await store.disconnect("a1", ALICE)
    assert await store.drain(due(ROOM, interval=0.3)) == []  # published less than 0.3 s ago
    assert await store.dirty() == [ROOM]
    await asyncio.sleep(0.35)
    [change] = await store.drain(due(ROOM, interval=0.3))
    assert change.online == 0 and change.users[ALICE] is not None  # offline, with last seen


async def test_big_rooms_are_drained_with_counts_only(store):
    await store.connect("a1", ALICE, [ROOM])
    [change] = await store.drain(due(ROOM, users=False))
    assert (change.online, change.users) == (1, None)


async def test_a_reconnect_within_the_interval_publishes_nothing_in_a_big_room(store):
    await store.connect("a1", ALICE, [ROOM])
    await store.drain(due(ROOM, users=False, interval=0.01))
    await asyncio.sleep(0.02)
    await store.disconnect("a1", ALICE)
    await store.connect("a2", ALICE, [ROOM])
    assert await store.drain(due(ROOM, users=False, interval=0.01)) == []  # still 1 online
    assert await store.dirty() == []


async def test_a_second_device_announces_nothing(store):
    await store.connect("phone", ALICE, [ROOM])
    await store.drain(due(ROOM))
    await store.connect("laptop", ALICE, [ROOM])
    assert await store.dirty() == []


async def test_a_connection_not_refreshed_expires_after_the_ttl(store, clock):
    await store.connect("a1", ALICE, [ROOM])
    clock.advance(TTL - 1)
    assert await store.counts([ROOM]) == {ROOM: 1}
    clock.advance(2)
    assert await store.counts([ROOM]) == {ROOM: 0}  # before any sweep
    assert await store.online([ALICE]) == set()


async def test_the_heartbeat_keeps_connections_alive_past_the_ttl(store, clock):
    await store.connect("a1", ALICE, [ROOM])
    for _ in range(5):
        clock.advance(TTL / 3)
        await store.heartbeat({"a1": Local(ALICE, frozenset([ROOM]))})
    assert await store.counts([ROOM]) == {ROOM: 1}
    assert await store.sweep() == []


async def test_the_sweep_takes_a_dead_workers_people_offline_as_of_its_last_heartbeat(
    make_store, clock
):
    dead, alive = make_store(), make_store()
    await dead.connect("a1", ALICE, [ROOM])
    await alive.connect("b1", BOB, [ROOM])
    await alive.drain(due(ROOM, interval=0.01))
    last_heartbeat = clock()
    for _ in range(3):
        clock.advance(TTL / 3 + 0.5)
        await alive.heartbeat({"b1": Local(BOB, frozenset([ROOM]))})  # the dead one is silent
    await asyncio.sleep(0.02)
    assert await alive.sweep() == [ALICE]
    [change] = await alive.drain(due(ROOM))
    assert (change.online, set(change.users)) == (1, {ALICE})
    assert change.users[ALICE] == pytest.approx(last_heartbeat, abs=1)
    assert (await alive.last_seen([ALICE]))[ALICE] == pytest.approx(last_heartbeat, abs=1)
    assert await alive.sweep() == []


async def test_a_person_with_a_device_on_a_dead_worker_and_one_alive_stays_online(
    make_store, clock
):
    dead, alive = make_store(), make_store()
    await dead.connect("phone", ALICE, [ROOM])
    await alive.connect("laptop", ALICE, [ROOM])
    for _ in range(4):
        clock.advance(TTL / 3)
        await alive.heartbeat({"laptop": Local(ALICE, frozenset([ROOM]))})
    assert await alive.sweep() == []
    assert await alive.counts([ROOM]) == {ROOM: 1}
    assert await alive.disconnect("laptop", ALICE) is True  # the phone expired long ago
    assert await alive.counts([ROOM]) == {ROOM: 0}


async def test_closing_the_live_device_leaves_the_dead_one_to_expire_on_its_own_clock(
    make_store, clock
):
    dead, alive = make_store(), make_store()
    await dead.connect("phone", ALICE, [ROOM])
    clock.advance(TTL / 2)
    await alive.connect("laptop", ALICE, [ROOM])
    assert await alive.disconnect("laptop", ALICE) is False  # the phone may still be alive
    clock.advance(TTL / 2 + 1)  # the phone's TTL is over, the laptop's would not be
    assert await alive.counts([ROOM]) == {ROOM: 0}
    assert await alive.sweep() == [ALICE]


async def test_a_heartbeat_after_a_sweep_brings_the_person_back(store, clock):
    await store.connect("a1", ALICE, [ROOM])
    await store.drain(due(ROOM, interval=0.01))
    clock.advance(TTL + 1)  # the worker stalled past the TTL
    await store.sweep()
    await asyncio.sleep(0.02)
    await store.drain(due(ROOM, interval=0.01))
    await store.heartbeat({"a1": Local(ALICE, frozenset([ROOM]))})
    assert await store.counts([ROOM]) == {ROOM: 1}
    await asyncio.sleep(0.02)
    [change] = await store.drain(due(ROOM, interval=0.01))
    assert change.users == {ALICE: None}


async def test_leaving_a_room_stops_counting_there_only(store):
    await store.connect("a1", ALICE, [ROOM, OTHER])
    await store.drain(due(ROOM, OTHER, interval=0.01))
    await store.leave(ALICE, ROOM)
    assert await store.counts([ROOM, OTHER]) == {ROOM: 0, OTHER: 1}
    await asyncio.sleep(0.02)
    [change] = await store.drain(due(ROOM, OTHER))
    assert (change.room, change.online, change.users) == (ROOM, 0, {})  # left, not offline


async def test_a_room_joined_later_counts_the_person(store):
    await store.connect("a1", ALICE, [ROOM])
    assert await store.connect("a1", ALICE, [OTHER]) == {OTHER: 1}
    assert await store.disconnect("a1", ALICE) is True
    assert await store.counts([ROOM, OTHER]) == {ROOM: 0, OTHER: 0}


async def test_a_lock_is_claimed_once_per_interval_across_workers(make_store):
    a, b = make_store(), make_store()
    assert await a.claim("sweep", 0.2) is True
    assert await b.claim("sweep", 0.2) is False
    await asyncio.sleep(0.25)
    assert await b.claim("sweep", 0.2) is True


async def test_two_workers_drain_a_room_once(make_store):
    a, b = make_store(), make_store()
    await a.connect("a1", ALICE, [ROOM])
    await b.connect("b1", BOB, [ROOM])
    first, second = await asyncio.gather(a.drain(due(ROOM)), b.drain(due(ROOM)))
    changes = first + second
    assert len(changes) == 1
    assert (changes[0].online, set(changes[0].users)) == (2, {ALICE, BOB})


async def test_a_thousand_people_are_one_change(store):
    for i in range(1000):
        await store.connect(f"c{i}", 1000 + i, [ROOM])
    [change] = await store.drain(due(ROOM, users=False))
    assert change.online == 1000
