"""The live socket: welcome, send/ack, fan-out, sync, and the contract's guarantees."""

import pytest
from channels.db import database_sync_to_async

from chat.actions import rooms
from chat.models import Room
from tests.chat.conftest import actor, connect, room_id

pytestmark = pytest.mark.django_db(transaction=True)
GARDEN = "翠湖苑小区群"


def in_thread(fn):
    return database_sync_to_async(fn)()


async def test_welcome_lists_the_rooms_of_the_person(tcast):
    alice = await connect(tcast.resident)
    assert {r["name"] for r in alice.welcome["rooms"]} == {GARDEN, "长江路居委社区群"}
    await alice.close()


async def test_send_is_acked_with_seq_and_reaches_the_room(tcast):
    alice, bob = await connect(tcast.resident), await connect(tcast.neighbour)
    room = room_id(alice, GARDEN)
    ack = await alice.request({"type": "send", "room": room, "body": "大家好", "client_id": "a1"})
    assert ack["type"] == "ack" and ack["room"] == room
    got = await bob.recv_until("message")
    assert (got["seq"], got["body"], got["author"]["id"]) == (
        ack["seq"],
        "大家好",
        tcast.resident.pk,
    )
    await alice.close(), await bob.close()


async def test_message_frame_carries_the_party_badge(tcast):
    member, bob = await connect(tcast.party_member), await connect(tcast.neighbour)
    await member.request(
        {"type": "send", "room": room_id(member, GARDEN), "body": "hi", "client_id": "p"}
    )
    got = await bob.recv_until("message")
    assert "party" in got["author"]["badges"]
    await member.close(), await bob.close()


async def test_msgpack_client_receives_a_json_senders_message(tcast):
    alice = await connect(tcast.resident)
    bob = await connect(tcast.neighbour, subprotocols=["linli.v1.msgpack"], encoding="msgpack")
    await alice.request(
        {"type": "send", "room": room_id(alice, GARDEN), "body": "混合", "client_id": "m"}
    )
    assert (await bob.recv_until("message"))["body"] == "混合"
    await alice.close(), await bob.close()


async def test_retried_send_is_acked_with_the_first_seq(tcast):
    alice = await connect(tcast.resident)
    frame = {"type": "send", "room": room_id(alice, GARDEN), "body": "一次", "client_id": "retry"}
    first = await alice.request(frame)
    second = await alice.request(frame)
    assert first["seq"] == second["seq"]
    await alice.close()


async def test_sync_replays_missed_messages_once_in_order(tcast):
    alice = await connect(tcast.resident)
    room = room_id(alice, GARDEN)
    for i in range(5):
        await alice.request({"type": "send", "room": room, "body": f"m{i}", "client_id": f"s{i}"})
    bob = await connect(tcast.neighbour)
    await bob.send({"type": "sync", "rooms": {str(room): 0}, "ref": "s"})
    seqs = []
    while (frame := await bob.recv())["type"] != "synced":
        seqs.append(frame["seq"])
    last = next(r["last_seq"] for r in bob.welcome["rooms"] if r["id"] == room)
    assert seqs == list(range(1, last + 1)) and frame["more"] == {}
    await alice.close(), await bob.close()


async def test_live_messages_after_sync_have_no_gap_and_no_duplicate(tcast):
    alice, bob = await connect(tcast.resident), await connect(tcast.neighbour)
    room = room_id(alice, GARDEN)
    for i in range(3):
        await alice.request({"type": "send", "room": room, "body": f"m{i}", "client_id": f"g{i}"})
    await bob.send({"type": "sync", "rooms": {str(room): 0}, "ref": "s"})
    seen = []
    while True:
        frame = await bob.recv()
        if frame["type"] == "message":
            seen.append(frame["seq"])
        if frame["type"] == "synced":
            break
    await alice.request({"type": "send", "room": room, "body": "after", "client_id": "g9"})
    while (frame := await bob.recv())["type"] != "message" or frame["body"] != "after":
        if frame["type"] == "message":
            seen.append(frame["seq"])
    seen.append(frame["seq"])
    assert sorted(seen) == list(range(1, seen[-1] + 1)) and len(seen) == len(set(seen))
    await alice.close(), await bob.close()


async def test_a_dropped_layer_event_is_filled_from_the_database(tcast, settings):
    from channels.layers import get_channel_layer  # noqa: TID251

    layer = get_channel_layer()
    if not hasattr(layer, "drop_filter"):
        pytest.skip("drops are injected in the in-memory test layer")
    alice, bob = await connect(tcast.resident), await connect(tcast.neighbour)
    room = room_id(alice, GARDEN)
    layer.drop_filter = lambda m: m.get("type") == "linli.event" and b"lost" in m["json"].encode()
    try:
        await alice.request({"type": "send", "room": room, "body": "lost", "client_id": "d1"})
    finally:
        layer.drop_filter = None
    await alice.request({"type": "send", "room": room, "body": "found", "client_id": "d2"})
    bodies = [(await bob.recv_until("message"))["body"] for _ in range(2)]
    assert bodies == ["lost", "found"]
    await alice.close(), await bob.close()


async def test_a_message_overtaken_by_a_later_one_arrives_in_order_without_the_database(
    tcast, monkeypatch
):
    from channels.layers import get_channel_layer  # noqa: TID251

    from chat import broadcast
    from chat.actions import reading

    layer = get_channel_layer()
    if not hasattr(layer, "drop_filter"):
        pytest.skip("reordering is injected in the in-memory test layer")
    alice, bob = await connect(tcast.resident), await connect(tcast.neighbour)
    room = room_id(alice, GARDEN)
    held, gap_reads = [], []
    monkeypatch.setattr(reading, "gap", lambda *args: gap_reads.append(args) or [])

    def hold_back(message):
        late = message.get("type") == "linli.event" and "late" in message["json"]
        if late:
            held.append(message)
        return late

    layer.drop_filter = hold_back
    try:
        await alice.request({"type": "send", "room": room, "body": "late", "client_id": "o1"})
    finally:
        layer.drop_filter = None
    await alice.request({"type": "send", "room": room, "body": "overtaking", "client_id": "o2"})
    await layer.group_send(broadcast.room_group(room), held[0])  # another worker's, just later
    bodies = [(await bob.recv_until("message"))["body"] for _ in range(2)]
    assert bodies == ["late", "overtaking"] and gap_reads == []
    await alice.close(), await bob.close()


async def test_removed_member_stops_receiving_at_once(tcast):
    topic = await in_thread(
        lambda: rooms.create_topic_room(actor(tcast.moderator), name="花友会", category="兴趣")
    )
    await in_thread(lambda: rooms.do_join_topic(actor(tcast.resident), topic.pk))
    alice, mod = await connect(tcast.resident), await connect(tcast.moderator)
    await mod.request({"type": "remove", "room": topic.pk, "user": tcast.resident.pk})
    left = await alice.recv_until("room_left")
    assert left["room"] == topic.pk
    await mod.request({"type": "send", "room": topic.pk, "body": "secret", "client_id": "x"})
    assert await alice.nothing()
    answer = await alice.request({"type": "sync", "rooms": {str(topic.pk): 0}})
    assert answer["code"] == "not_member"
    await alice.close(), await mod.close()


async def test_joining_a_topic_room_opens_it_on_open_sockets(tcast):
    topic = await in_thread(
        lambda: rooms.create_topic_room(actor(tcast.moderator), name="跑步", category="兴趣")
    )
    alice = await connect(tcast.resident)
    answer = await alice.request({"type": "join", "room": topic.pk})
    joined = await alice.recv_until("room_joined")
    assert answer["outcome"] == "joined" and joined["room"]["id"] == topic.pk
    await alice.close()


async def test_knock_reaches_the_recipient_and_acceptance_opens_the_door(tcast):
    alice, carol = await connect(tcast.resident), await connect(tcast.resident_b)
    knocked = await alice.request(
        {"type": "knock", "user": tcast.resident_b.pk, "body": "借梯子", "client_id": "k"}
    )
    event = await carol.recv_until("knock")
    assert event["knock"]["id"] == knocked["knock"]["id"] and event["knock"]["body"] == "借梯子"
    await carol.request({"type": "knock_answer", "knock": event["knock"]["id"], "accept": True})
    joined = await alice.recv_until("room_joined")
    answered = await alice.recv_until("knock_answered")
    assert answered["accepted"] and joined["room"]["id"] == answered["room"]
    await alice.close(), await carol.close()


async def test_observer_receives_public_rooms_but_cannot_send(tcast):
    watcher, alice = await connect(tcast.observer), await connect(tcast.resident)
    room = room_id(alice, GARDEN)
    await alice.request({"type": "send", "room": room, "body": "公开", "client_id": "o"})
    assert (await watcher.recv_until("message"))["body"] == "公开"
    answer = await watcher.request({"type": "send", "room": room, "body": "x", "client_id": "w"})
    assert answer["code"] == "forbidden"
    await watcher.close(), await alice.close()


async def test_mentioned_person_is_told(tcast):
    alice, bob = await connect(tcast.resident), await connect(tcast.neighbour)
    await alice.request(
        {
            "type": "send",
            "room": room_id(alice, GARDEN),
            "body": "@邻居 在吗",
            "client_id": "men",
            "mentions": [tcast.neighbour.pk],
        }
    )
    assert (await bob.recv_until("mention"))["by"]["id"] == tcast.resident.pk
    await alice.close(), await bob.close()


async def test_read_on_one_device_updates_the_other(tcast):
    alice, bob_phone = await connect(tcast.resident), await connect(tcast.neighbour)
    bob_laptop = await connect(tcast.neighbour)
    room = room_id(alice, GARDEN)
    ack = await alice.request({"type": "send", "room": room, "body": "未读", "client_id": "u"})
    await bob_phone.send({"type": "read", "room": room, "seq": ack["seq"]})
    marker = await bob_laptop.recv_until("read")
    assert (marker["room"], marker["seq"], marker["unread"]) == (room, ack["seq"], 0)
    await alice.close(), await bob_phone.close(), await bob_laptop.close()


async def test_ping_is_answered_with_pong(tcast):
    alice = await connect(tcast.resident)
    assert (await alice.request({"type": "ping"}))["type"] == "pong"
    await alice.close()


async def test_flooding_is_rate_limited_with_retry_after(tcast, settings):
    settings.LINLI_SEND_BURST = 2
    settings.LINLI_SEND_RATE = 0.1
    alice = await connect(tcast.resident)
    room = room_id(alice, GARDEN)
    answers = [
        await alice.request({"type": "send", "room": room, "body": "刷屏", "client_id": f"f{i}"})
        for i in range(3)
    ]
    assert [a["type"] for a in answers] == ["ack", "ack", "error"]
    assert answers[2]["code"] == "rate_limited" and answers[2]["retry_after"] > 0
    await alice.close()


async def test_sustained_flooding_closes_the_socket(tcast, settings):
    settings.LINLI_SEND_BURST = 1
    settings.LINLI_SEND_RATE = 0.01
    settings.LINLI_FLOOD_STRIKES = 5
    alice = await connect(tcast.resident)
    room = room_id(alice, GARDEN)
    for i in range(6):
        await alice.send({"type": "send", "room": room, "body": "刷", "client_id": f"z{i}"})
    closed = await alice.recv_until("__closed__")
    assert (closed["code"], closed["reason"]) == (4008, "rate_limited")


async def test_a_gap_the_server_cannot_fill_is_filled_by_the_clients_sync(tcast, monkeypatch):
    from channels.layers import get_channel_layer  # noqa: TID251
    from django.db import OperationalError

    from chat.actions import reading

    layer = get_channel_layer()
    if not hasattr(layer, "drop_filter"):
        pytest.skip("drops are injected in the in-memory test layer")
    alice, bob = await connect(tcast.resident), await connect(tcast.neighbour)
    room = room_id(alice, GARDEN)

    def database_down(*args):
        raise OperationalError("down")

    monkeypatch.setattr(reading, "gap", database_down)
    layer.drop_filter = lambda m: m.get("type") == "linli.event" and "lost" in m["json"]
    try:
        lost = await alice.request(
            {"type": "send", "room": room, "body": "lost", "client_id": "l1"}
        )
    finally:
        layer.drop_filter = None
    await alice.request({"type": "send", "room": room, "body": "found", "client_id": "l2"})
    assert (await bob.recv_until("message"))["body"] == "found"
    answer = []
    await bob.send({"type": "sync", "rooms": {str(room): lost["seq"] - 1}, "ref": "gap"})
    while (frame := await bob.recv())["type"] != "synced":
        answer.append(frame["body"])
    assert answer == ["lost"]
    await alice.close(), await bob.close()


async def test_everyone_receives_the_tombstone_with_the_same_seq(tcast):
    alice, bob = await connect(tcast.resident), await connect(tcast.neighbour)
    room = room_id(alice, GARDEN)
    ack = await alice.request({"type": "send", "room": room, "body": "说错了", "client_id": "t1"})
    await bob.recv_until("message")
    await alice.request({"type": "delete", "room": room, "seq": ack["seq"]})
    tombstone = await bob.recv_until("message")
    assert (tombstone["seq"], tombstone["deleted"], "body" in tombstone) == (
        ack["seq"],
        True,
        False,
    )
    await alice.close(), await bob.close()


async def test_an_edit_reaches_the_room_as_edited(tcast):
    alice, bob = await connect(tcast.resident), await connect(tcast.neighbour)
    room = room_id(alice, GARDEN)
    ack = await alice.request({"type": "send", "room": room, "body": "周六开会", "client_id": "e1"})
    await alice.request({"type": "edit", "room": room, "seq": ack["seq"], "body": "周日开会"})
    edited = await bob.recv_until("edited")
    assert (edited["seq"], edited["body"]) == (ack["seq"], "周日开会")
    await alice.close(), await bob.close()


async def test_pins_reach_every_member_live(tcast):
    cadre, bob = await connect(tcast.cadre), await connect(tcast.neighbour)
    room = room_id(cadre, GARDEN)
    ack = await cadre.request(
        {"type": "send", "room": room, "body": "议题：加装电梯", "client_id": "p"}
    )
    await cadre.request({"type": "pin", "room": room, "seq": ack["seq"], "title": "加装电梯"})
    pins = await bob.recv_until("pins")
    assert [p["title"] for p in pins["pins"]] == ["加装电梯"]
    await cadre.close(), await bob.close()


async def test_muted_member_is_told_until_when(tcast):
    cadre, alice = await connect(tcast.cadre), await connect(tcast.resident)
    room = room_id(alice, GARDEN)
    await cadre.request({"type": "mute", "room": room, "user": tcast.resident.pk, "minutes": 10})
    answer = await alice.request({"type": "send", "room": room, "body": "x", "client_id": "mu"})
    assert answer["code"] == "muted" and answer["until"].endswith("Z")
    await cadre.close(), await alice.close()


@pytest.fixture
def while_welcome_is_read(monkeypatch):
    """Run ``work`` on the database thread just after a connecting socket's welcome is read,
    before it is sent: the room goes on while the socket connects."""
    from chat.actions import reading

    def install(work):
        real = reading.welcome

        def welcome(actor_, person):
            answer = real(actor_, person)
            work(answer)
            return answer

        monkeypatch.setattr(reading, "welcome", welcome)

    return install


async def test_a_message_stored_while_the_welcome_is_read_follows_the_welcome(
    tcast, while_welcome_is_read
):
    from chat.actions import messages
    from core.policy import Actor

    bob = Actor.of(tcast.neighbour)
    garden = await in_thread(lambda: Room.objects.get(neighbourhood=tcast.garden).pk)
    while_welcome_is_read(lambda _: messages.do_send(bob, garden, "刚刚好", "during-welcome"))
    alice = await connect(tcast.resident)  # asserts that the first frame is the welcome
    got = await alice.recv_until("message")
    last_seq = next(r["last_seq"] for r in alice.welcome["rooms"] if r["id"] == garden)
    assert (got["body"], got["seq"]) == ("刚刚好", last_seq + 1)
    await alice.close()


async def test_typing_heard_before_the_welcome_is_not_passed_on_after_it(
    tcast, while_welcome_is_read
):
    from asgiref.sync import async_to_sync

    from chat import broadcast, fanout

    garden = await in_thread(lambda: Room.objects.get(neighbourhood=tcast.garden).pk)
    typing = {"type": "typing", "room": garden, "user": tcast.neighbour.pk, "ttl": 5}
    event = broadcast.event_message(typing, garden, soft=True)

    async def hear():  # straight to this process's hub: heard now, whichever layer is in use
        await fanout.hub().dispatch(event)

    while_welcome_is_read(lambda _: async_to_sync(hear)())
    alice = await connect(tcast.resident)  # asserts that the first frame is the welcome
    assert await alice.nothing()
    await alice.close()


@pytest.fixture
def pages_read(monkeypatch):
    """How many message pages sync and gap fills read from the database."""
    from chat.actions import reading

    calls = []
    real = reading._page

    def counted(room_id, low, high):
        calls.append((room_id, low, high))
        return real(room_id, low, high)

    monkeypatch.setattr(reading, "_page", counted)
    return calls


async def sync_bodies(client, room: int, after: int) -> list[str]:
    await client.send({"type": "sync", "rooms": {str(room): after}, "ref": "catch-up"})
    bodies = []
    while (frame := await client.recv())["type"] != "synced":
        bodies.append(frame.get("body"))
    return bodies


async def test_messages_the_worker_delivered_are_synced_again_without_the_database(
    tcast, pages_read
):
    alice, bob = await connect(tcast.resident), await connect(tcast.neighbour)
    room = room_id(alice, GARDEN)
    before = next(r["last_seq"] for r in alice.welcome["rooms"] if r["id"] == room)
    for i in range(3):
        await alice.request({"type": "send", "room": room, "body": f"k{i}", "client_id": f"k{i}"})
    for _ in range(3):  # bob has them live: this worker's hub has heard them
        await bob.recv_until("message")
    late = await connect(tcast.party_member)
    assert await sync_bodies(late, room, before) == ["k0", "k1", "k2"]
    assert pages_read == []
    await alice.close(), await bob.close(), await late.close()


async def test_a_sync_after_an_edit_whose_event_was_lost_shows_the_edited_text(tcast):
    from channels.layers import get_channel_layer  # noqa: TID251

    layer = get_channel_layer()
    if not hasattr(layer, "drop_filter"):
        pytest.skip("drops are injected in the in-memory test layer")
    alice, bob = await connect(tcast.resident), await connect(tcast.neighbour)
    room = room_id(alice, GARDEN)
    before = next(r["last_seq"] for r in alice.welcome["rooms"] if r["id"] == room)
    ack = await alice.request({"type": "send", "room": room, "body": "原文", "client_id": "e"})
    layer.drop_filter = lambda m: m.get("type") == "linli.event" and '"edited"' in m["json"]
    try:
        await alice.request({"type": "edit", "room": room, "seq": ack["seq"], "body": "改文"})
    finally:
        layer.drop_filter = None
    late = await connect(tcast.party_member)
    assert await sync_bodies(late, room, before) == ["改文"]
    await alice.close(), await bob.close(), await late.close()


async def test_a_second_sync_of_messages_read_from_the_database_reads_none(tcast, pages_read):
    from chat.actions import messages

    alice = await actor_in_thread(tcast.resident)
    garden = await in_thread(lambda: Room.objects.get(neighbourhood=tcast.garden).pk)
    before = await in_thread(lambda: Room.objects.get(pk=garden).last_seq)
    for i in range(2):  # no socket of the room is open: this worker hears none of them
        await in_thread(lambda i=i: messages.do_send(alice, garden, f"d{i}", f"d{i}"))
    first, second = await connect(tcast.neighbour), await connect(tcast.party_member)
    assert await sync_bodies(first, garden, before) == ["d0", "d1"]
    assert await sync_bodies(second, garden, before) == ["d0", "d1"]
    assert len(pages_read) == 1
    await first.close(), await second.close()


async def actor_in_thread(person):
    return await in_thread(lambda: actor(person))
