"""Bad input over a live socket: a clear error, the socket stays open, nothing is stored.

The codec's own cases are in test_protocol_*.py; these prove the consumer survives each class and
that the contract's error reaches the client with its ``ref``.
"""

import json

import msgpack
import pytest
from channels.db import database_sync_to_async

from chat.models import Message
from tests.chat.conftest import connect, room_id

pytestmark = pytest.mark.django_db(transaction=True)
GARDEN = "翠湖苑小区群"


async def stored() -> int:
    return await database_sync_to_async(Message.objects.filter(kind="user").count)()


async def still_open(client) -> bool:
    return (await client.request({"type": "ping"}))["type"] == "pong"


RAW_TEXT = [
    ("", "bad_frame"),
    ("not json", "bad_frame"),
    ("[]", "bad_frame"),
    ('"x"', "bad_frame"),
    ("null", "bad_frame"),
    ('{"ref": "a"}', "bad_frame"),
    ('{"type": 5}', "bad_frame"),
    ('{"type": "websocket.disconnect"}', "unknown_type"),
    ('{"type": "linli.event", "json": "{}"}', "unknown_type"),
    ('{"type": "_x"}', "unknown_type"),
    ("[" * 30_000 + "]" * 30_000, "bad_frame"),  # deep, yet under the 64 KiB cap
    ('{"type": "history", "room": 1, "limit": NaN}', "invalid"),
    ('{"type": "history", "room": ' + "9" * 5000 + "}", "invalid"),
]


@pytest.mark.parametrize(("text", "code"), RAW_TEXT, ids=range(len(RAW_TEXT)))
async def test_bad_text_frame_gets_an_error_and_the_socket_stays_open(tcast, text, code):
    alice = await connect(tcast.resident)
    await alice.raw(text=text)
    answer = await alice.recv()
    assert (answer["type"], answer["code"]) == ("error", code)
    assert await still_open(alice)
    await alice.close()


async def test_binary_frame_on_a_json_socket_is_bad_frame(tcast):
    alice = await connect(tcast.resident)
    await alice.raw(data=b"\x81\xa4type\xa4ping")
    assert (await alice.recv())["code"] == "bad_frame"
    assert await still_open(alice)
    await alice.close()


async def test_text_frame_on_a_msgpack_socket_is_bad_frame(tcast):
    alice = await connect(tcast.resident, subprotocols=["linli.v1.msgpack"], encoding="msgpack")
    await alice.raw(text='{"type": "ping"}')
    assert (await alice.recv())["code"] == "bad_frame"
    assert await still_open(alice)
    await alice.close()


async def test_truncated_msgpack_is_bad_frame(tcast):
    alice = await connect(tcast.resident, subprotocols=["linli.v1.msgpack"], encoding="msgpack")
    await alice.raw(data=msgpack.packb({"type": "ping", "ref": "x"})[:-2])
    assert (await alice.recv())["code"] == "bad_frame"
    await alice.close()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"body": "\u0000"}, "invalid"),
        ({"body": "bad \ud800"}, "invalid"),
        ({"body": "   "}, "invalid"),
        ({"body": "长" * 4001}, "invalid"),
        ({"client_id": "x" * 10_000}, "invalid"),
        ({"client_id": "\ud800"}, "invalid"),
        ({"room": True}, "invalid"),
        ({"room": "1"}, "invalid"),
        ({"room": 1.5}, "invalid"),
        ({"reply_to": 0}, "invalid"),
        ({"room": 999_999}, "not_member"),
    ],
)
async def test_bad_send_is_refused_and_stores_nothing(tcast, fields, code):
    alice = await connect(tcast.resident)
    before = await stored()
    frame = {
        "type": "send",
        "room": room_id(alice, GARDEN),
        "body": "你好",
        "client_id": "c",
        **fields,
    }
    text = json.dumps(frame, ensure_ascii=False)  # keeps a lone surrogate as \ud800
    await alice.raw(text=text.replace('"type"', '"ref": "r1", "type"', 1))
    answer = await alice.recv()
    assert (answer["type"], answer["code"], answer.get("ref")) == ("error", code, "r1")
    assert await stored() == before
    assert await still_open(alice)
    await alice.close()


async def test_json_sender_with_msgpack_receiver_in_one_room(tcast):
    """C3: what one encoding accepts, the other can always carry."""
    alice = await connect(tcast.resident)
    bob = await connect(tcast.neighbour, subprotocols=["linli.v1.msgpack"], encoding="msgpack")
    room = room_id(alice, GARDEN)
    lone = '"body": "\\ud800", "client_id": "s", "ref": "1"'
    await alice.raw(text=f'{{"type": "send", "room": {room}, {lone}}}')
    assert (await alice.recv())["code"] == "invalid"
    await alice.request(
        {"type": "send", "room": room_id(alice, GARDEN), "body": "好 😀", "client_id": "t"}
    )
    assert (await bob.recv_until("message"))["body"] == "好 😀"
    await alice.close(), await bob.close()


ROLE_ROOM_MATRIX = [
    ("resident", "五位一体协调群", "not_member"),
    ("resident", "居委工作群", "not_member"),
    ("resident", "江湾华庭小区群", "not_member"),
    ("observer", "翠湖苑小区群", "forbidden"),
    ("observer", "五位一体协调群", "not_member"),
    ("observer", "党员群", "not_member"),
    ("outsider", "翠湖苑小区群", "not_member"),
]


@pytest.mark.parametrize(("who", "room_name", "code"), ROLE_ROOM_MATRIX)
async def test_send_history_and_sync_outside_ones_rooms_are_refused(tcast, who, room_name, code):
    cadre = await connect(tcast.cadre)
    target = room_id(cadre, room_name)
    person = await connect(getattr(tcast, who))
    send = await person.request({"type": "send", "room": target, "body": "x", "client_id": "m"})
    history = await person.request({"type": "history", "room": target})
    sync = await person.request({"type": "sync", "rooms": {str(target): 0}})
    assert send["code"] == code
    expected_read = "not_member" if code == "not_member" else "history"
    assert history.get("code", history["type"]) == expected_read
    assert sync.get("code", sync["type"]) == ("not_member" if code == "not_member" else "synced")
    await cadre.close(), await person.close()


async def test_sync_with_too_many_rooms_is_invalid(tcast):
    alice = await connect(tcast.resident)
    answer = await alice.request({"type": "sync", "rooms": {str(i): 0 for i in range(1, 600)}})
    assert answer["code"] == "invalid"
    await alice.close()


async def test_history_limit_out_of_range_is_invalid(tcast):
    alice = await connect(tcast.resident)
    answer = await alice.request(
        {"type": "history", "room": room_id(alice, GARDEN), "limit": 10**9}
    )
    assert answer["code"] == "invalid"
    await alice.close()


async def test_a_direct_room_of_two_others_looks_like_no_room(tcast):
    from chat.actions import knocks
    from tests.chat.conftest import actor

    def open_door():
        k = knocks.do_knock(actor(tcast.resident), tcast.resident_b.pk, "hi", "k")
        return knocks.do_answer_knock(actor(tcast.resident_b), k["knock"]["id"], True)["room"]

    direct = await database_sync_to_async(open_door)()
    nosy = await connect(tcast.neighbour)
    real = await nosy.request({"type": "history", "room": direct})
    missing = await nosy.request({"type": "history", "room": 987_654})
    assert (real["code"], real["message"]) == (missing["code"], missing["message"])
    await nosy.close()


async def test_errors_speak_the_persons_language(tcast):
    def prefer_english():
        tcast.resident.language = "en"
        tcast.resident.save(update_fields=["language"])

    await database_sync_to_async(prefer_english)()
    alice = await connect(tcast.resident)
    answer = await alice.request({"type": "send", "room": 999_999, "body": "hi", "client_id": "e"})
    assert answer["message"] == "You are not in this room."
    await alice.close()
