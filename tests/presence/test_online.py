"""Presence through real sockets: welcome counts, live frames, devices, privacy, observers."""

import pytest
from channels.db import database_sync_to_async

from chat.actions import rooms
from presence import online
from tests.chat.conftest import actor, connect, room_id
from tests.presence.conftest import frames_within, next_presence, presence_frames

pytestmark = pytest.mark.django_db(transaction=True)
GARDEN = "翠湖苑小区群"
COMMUNITY = "长江路居委社区群"


def in_thread(fn):
    return database_sync_to_async(fn)()


def entry(client, name):
    return next(r for r in client.welcome["rooms"] if r["name"] == name)


def went(frame, person, is_online):
    return any(u["id"] == person and u["online"] is is_online for u in frame.get("users", ()))


async def test_welcome_counts_who_is_online_in_each_room(tcast):
    alice = await connect(tcast.resident)
    assert entry(alice, GARDEN)["online"] == 1  # herself
    bob = await connect(tcast.neighbour)
    assert entry(bob, GARDEN)["online"] == 2
    assert entry(bob, COMMUNITY)["online"] == 2
    court = await connect(tcast.resident_b)  # another 小区, the same community room
    assert entry(court, COMMUNITY)["online"] == 3
    assert entry(court, "江湾华庭小区群")["online"] == 1
    await alice.close(), await bob.close(), await court.close()


async def test_a_small_room_hears_who_came_online(tcast):
    alice = await connect(tcast.resident)
    room = room_id(alice, GARDEN)
    bob = await connect(tcast.neighbour)
    frame = await next_presence(alice, room, lambda f: went(f, tcast.neighbour.pk, True))
    assert frame["online"] == 2
    await alice.close(), await bob.close()


async def test_a_second_device_keeps_the_person_online(tcast):
    alice = await connect(tcast.resident)
    room = room_id(alice, GARDEN)
    phone, laptop = await connect(tcast.neighbour), await connect(tcast.neighbour)
    await next_presence(alice, room, lambda f: f["online"] == 2)
    await phone.close()
    assert [f for f in await presence_frames(alice, 1.5, room) if f["online"] < 2] == []
    await laptop.close()
    frame = await next_presence(alice, room, lambda f: went(f, tcast.neighbour.pk, False))
    assert frame["online"] == 1
    await alice.close()


async def test_the_last_close_records_last_seen(tcast):
    alice, bob = await connect(tcast.resident), await connect(tcast.neighbour)
    room = room_id(alice, GARDEN)
    await bob.close()
    frame = await next_presence(alice, room, lambda f: went(f, tcast.neighbour.pk, False))
    [gone] = [u for u in frame["users"] if u["id"] == tcast.neighbour.pk]
    assert gone["last_seen"].endswith("Z")
    seen = await online.runtime().store.last_seen([tcast.neighbour.pk])
    assert tcast.neighbour.pk in seen
    await alice.close()


async def test_a_big_room_gets_counts_only(tcast, settings):
    settings.LINLI_PRESENCE_USERS_MAX = 2  # the garden (5 members) is now "big"
    settings.LINLI_PRESENCE_BIG_INTERVAL = 1.0
    alice = await connect(tcast.resident)
    room = room_id(alice, GARDEN)
    bob = await connect(tcast.neighbour)
    frame = await next_presence(alice, room, lambda f: f["online"] == 2)
    assert "users" not in frame
    await alice.close(), await bob.close()


async def test_an_observer_sees_counts_not_people_and_is_not_counted(tcast):
    watcher = await connect(tcast.observer)
    room = room_id(watcher, GARDEN)
    assert entry(watcher, GARDEN)["online"] == 0  # the observer does not count
    alice = await connect(tcast.resident)
    assert entry(alice, GARDEN)["online"] == 1
    frame = await next_presence(watcher, room, lambda f: f["online"] == 1)
    assert "users" not in frame
    await alice.close()
    frame = await next_presence(watcher, room, lambda f: f["online"] == 0)
    assert "users" not in frame
    await watcher.close()


async def test_residents_never_hear_of_an_observer(tcast):
    alice = await connect(tcast.resident)
    watcher = await connect(tcast.observer)
    for frame in await presence_frames(alice, 1.5):
        assert all(u["id"] != tcast.observer.pk for u in frame.get("users", ()))
    await watcher.close(), await alice.close()


async def test_presence_is_not_visible_to_someone_sharing_no_room(tcast):
    stranger = await connect(tcast.outsider)
    theirs = {r["id"] for r in stranger.welcome["rooms"]}
    alice = await connect(tcast.resident)
    for frame in await presence_frames(stranger, 1.5):
        assert frame["room"] in theirs
        assert all(u["id"] != tcast.resident.pk for u in frame.get("users", ()))
    await alice.close(), await stranger.close()


async def test_a_cadre_sees_which_officials_are_on_duty(tcast):
    police = await connect(tcast.police)
    cadre = await connect(tcast.cadre)
    on_duty = cadre.welcome["officials_online"]
    assert [(o["id"], o["role"]) for o in on_duty] == [(tcast.police.pk, "police")]
    resident = await connect(tcast.resident)
    assert "officials_online" not in resident.welcome  # residents: counts and small rooms
    await resident.close()
    coordination = room_id(cadre, "五位一体协调群")
    await police.close()
    await next_presence(cadre, coordination, lambda f: went(f, tcast.police.pk, False))
    await cadre.close()


async def test_a_removed_member_stops_counting_in_the_room(tcast):
    topic = await in_thread(
        lambda: rooms.create_topic_room(actor(tcast.moderator), name="花友会", category="兴趣")
    )
    await in_thread(lambda: rooms.do_join_topic(actor(tcast.resident), topic.pk))
    mod, alice = await connect(tcast.moderator), await connect(tcast.resident)
    assert entry(alice, "花友会")["online"] == 2
    await mod.request({"type": "remove", "room": topic.pk, "user": tcast.resident.pk})
    await next_presence(mod, topic.pk, lambda f: f["online"] == 1)
    await alice.close(), await mod.close()


async def test_a_room_joined_later_reports_its_count(tcast):
    topic = await in_thread(
        lambda: rooms.create_topic_room(actor(tcast.moderator), name="读书会", category="兴趣")
    )
    mod, alice = await connect(tcast.moderator), await connect(tcast.resident)
    await alice.request({"type": "join", "room": topic.pk})
    joined = next(f for f in await frames_within(alice, 1.0) if f["type"] == "room_joined")
    assert joined["room"]["online"] == 2
    await next_presence(mod, topic.pk, lambda f: went(f, tcast.resident.pk, True))
    await alice.close(), await mod.close()


async def test_a_presence_store_failure_never_breaks_the_socket(tcast, monkeypatch):
    async def down(*args, **kwargs):
        raise ConnectionError("presence store down")

    alice = await connect(tcast.resident)  # the runtime exists
    store = online.runtime().store
    for name in ("connect", "disconnect", "counts", "drain", "dirty", "heartbeat"):
        monkeypatch.setattr(store, name, down)
    bob = await connect(tcast.neighbour)
    assert entry(bob, GARDEN)["online"] == 0  # unknown, not an error
    assert (await bob.request({"type": "ping"}))["type"] == "pong"
    await frames_within(bob, 1.2)  # a tick runs and fails quietly
    await bob.close(), await alice.close()


def test_connection_ids_are_unique_and_differ_between_processes(monkeypatch):
    ids = {online.new_connection_id() for _ in range(1000)}
    monkeypatch.setattr(online.os, "getpid", lambda: -1)  # as in another (forked) process
    other = online.new_connection_id()
    assert len(ids) == 1000 and other not in ids and other[:16] != next(iter(ids))[:16]
