"""Parsing guards, as a specification: BAD-INPUTS A2, A5, A6, B1–B9, and every frame type.

Pure unit tests: no database, no sockets. Where a row applies to both encodings, the test runs once
per encoding (``wire``): the same frame must get the same answer as JSON text and as msgpack bytes.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat import protocol
from chat.protocol import (
    CLOSE_TOO_LARGE,
    FRAME_NAMES,
    FRAME_TYPES,
    HISTORY_LIMIT_MAX,
    MAX_FRAME_BYTES,
    MAX_MUTE_MINUTES,
    MAX_NESTING,
    SYNC_MAX_ROOMS,
    Encoding,
    ErrorCode,
    Frame,
    ProtocolError,
    Read,
    Send,
    Sync,
    decode,
    encode_both,
    error_from,
)
from tests.chat.wire import (
    FUZZ,
    FUZZ_FRAMES,
    JSON,
    MSGPACK,
    accepted,
    as_wire,
    msgpack_map,
    pack,
    read,
    refused,
    refused_obj,
    send,
)

# --- A2: the hard size cap -----------------------------------------------------------------------


def test_frame_over_the_hard_cap_is_too_large_and_closes_the_socket(wire):
    err = refused_obj(send(body="x" * (MAX_FRAME_BYTES + 1024)), wire)
    assert (err.code, err.close_code) == (ErrorCode.TOO_LARGE, CLOSE_TOO_LARGE)


def test_text_frame_size_counts_utf8_bytes_not_characters():
    body = "汉" * 22_000  # 22,000 characters, 66,000 bytes
    err = refused(json.dumps(send(body=body), ensure_ascii=False), JSON)
    assert err.code == ErrorCode.TOO_LARGE


def test_frame_at_the_hard_cap_is_judged_on_its_content_not_its_size():
    frame = json.dumps(send(body="x"))
    padded = frame[:-1] + "," + '"pad":"' + "p" * (MAX_FRAME_BYTES - len(frame) - 9) + '"}'
    assert len(padded.encode()) == MAX_FRAME_BYTES
    assert isinstance(decode(padded, JSON), Send)


def test_only_the_hard_cap_sets_a_close_code(wire):
    assert refused_obj(send(body=""), wire).close_code is None


# --- A5, A6: wrong frame kind, empty frame -------------------------------------------------------


def test_binary_frame_on_a_json_socket_is_bad_frame():
    assert refused(pack(read()), JSON).code == ErrorCode.BAD_FRAME


def test_text_frame_on_a_msgpack_socket_is_bad_frame():
    assert refused(json.dumps(read()), MSGPACK).code == ErrorCode.BAD_FRAME


@pytest.mark.parametrize(
    ("data", "encoding"), [("", JSON), (b"", MSGPACK)], ids=["json", "msgpack"]
)
def test_empty_frame_is_bad_frame(data, encoding):
    assert refused(data, encoding).code == ErrorCode.BAD_FRAME


def test_frame_of_no_known_kind_is_bad_frame(wire):
    assert refused(None, wire).code == ErrorCode.BAD_FRAME


# --- B1: unparseable frames ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "{",
        "not json",
        "{'type': 'ping'}",
        '{"type": "ping"} {"type": "ping"}',
        '{"type": "ping",}',
        '{"type": "ping"}\x00',
        '{"type": "ping", "ref": "a\nb"}',  # a raw control character inside a string
        "\ufeff{}",
    ],
)
def test_unparseable_json_is_bad_frame(text):
    assert refused(text, JSON).code == ErrorCode.BAD_FRAME


@pytest.mark.parametrize(
    "data",
    [
        pack(read())[:-1],  # truncated
        pack(read()) + b"\x00",  # trailing bytes: ExtraData
        pack(read()) + pack(read()),  # two frames in one
        b"\xc1",  # the one byte msgpack never uses: FormatError
        b"\x81\xa4type\xa4p\xffng",  # invalid UTF-8 in a str
        b"\xdd\xff\xff\xff\xff",  # an array claiming 4 billion items
        b"\xdb\xff\xff\xff\xff",  # a str claiming 4 GiB
    ],
    ids=["truncated", "trailing", "two-frames", "c1", "bad-utf8", "huge-array", "huge-str"],
)
def test_unparseable_msgpack_is_bad_frame(data):
    assert refused(data, MSGPACK).code == ErrorCode.BAD_FRAME


def _decode_or_refuse(data: Any, encoding: Encoding) -> None:
    """decode either answers a frame or raises ProtocolError, whose error frame is sendable."""
    try:
        frame = decode(data, encoding)
    except ProtocolError as err:
        encode_both(error_from(err))
    else:
        assert isinstance(frame, Frame)


@FUZZ
@given(st.binary(max_size=512))
def test_arbitrary_bytes_on_a_msgpack_socket_raise_only_protocol_error(data):
    _decode_or_refuse(data, MSGPACK)


@FUZZ
@given(st.text(max_size=512))
def test_arbitrary_text_on_a_json_socket_raises_only_protocol_error(text):
    _decode_or_refuse(text, JSON)


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["", " ", "\x00", "\u202e", "5", "01", "汉字", "😀"])
)
_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["1", "01", "-1"]), children, max_size=4
        )
    ),
    max_leaves=12,
)
_field_names = st.sampled_from(
    ["ref", "room", "seq", "user", "knock", "body", "client_id", "reply_to", "before", "limit",
     "minutes", "accept", "title", "category", "rooms", "mentions", "extra"]
)  # fmt: skip
_frames = st.builds(
    lambda kind, fields: {**fields, "type": kind},
    st.sampled_from([*FRAME_TYPES, "chat_message", "", 5]),
    st.dictionaries(_field_names, _values, max_size=6),
)


@FUZZ_FRAMES
@given(_frames, st.sampled_from([JSON, MSGPACK]))
def test_frames_with_arbitrary_field_values_raise_only_protocol_error(obj, encoding):
    try:
        data = as_wire(obj, encoding)
    except (UnicodeEncodeError, OverflowError):
        return  # not representable in this encoding; the other one covers it
    _decode_or_refuse(data, encoding)


@FUZZ_FRAMES
@given(_frames)
def test_both_encodings_give_the_same_answer(obj):
    try:
        packed = pack(obj)
    except UnicodeEncodeError:
        return
    answers = []
    for data, encoding in ((json.dumps(obj), JSON), (packed, MSGPACK)):
        try:
            answers.append(decode(data, encoding))
        except ProtocolError as err:
            answers.append((err.code, err.field))
    assert answers[0] == answers[1]


# --- B2: not an object, no type ------------------------------------------------------------------


@pytest.mark.parametrize("obj", [[], ["ping"], "x", None, 1, 1.5, True])
def test_frame_that_is_not_an_object_is_bad_frame(obj, wire):
    assert refused_obj(obj, wire).code == ErrorCode.BAD_FRAME


@pytest.mark.parametrize("obj", [{}, {"ref": "r1"}, {"type": None}, {"Type": "ping"}])
def test_frame_without_type_is_bad_frame(obj, wire):
    assert refused_obj(obj, wire).code == ErrorCode.BAD_FRAME


@pytest.mark.parametrize("kind", [1, True, ["ping"], {"ping": 1}, 1.5])
def test_frame_with_non_string_type_is_bad_frame(kind, wire):
    assert refused_obj({"type": kind}, wire).code == ErrorCode.BAD_FRAME


def test_msgpack_type_sent_as_bytes_is_bad_frame():
    assert refused(pack({"type": b"ping"}), MSGPACK).code == ErrorCode.BAD_FRAME


def test_bad_frame_without_type_still_echoes_ref(wire):
    assert refused_obj({"ref": "r1"}, wire).ref == "r1"


# --- B3: type names that belong to the server ----------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [
        "websocket.disconnect",
        "websocket.receive",
        "chat_message",
        "chat.message",
        "linli.event",
        "linli.control",
        "linli_event",
        "_x",
        "__init__",
        "__class__",
        "on_send",
        "receive",
        "Send",
        "SEND",
        "send ",
        "",
        "error",
        "message",
        "welcome",
    ],
)
def test_type_naming_no_client_frame_is_unknown_type(kind, wire):
    assert refused_obj({"type": kind}, wire).code == ErrorCode.UNKNOWN_TYPE


def test_unknown_type_echoes_ref(wire):
    assert refused_obj({"type": "chat_message", "ref": "r9"}, wire).ref == "r9"


def test_frame_table_maps_every_wire_name_to_its_class():
    for name, cls in FRAME_TYPES.items():
        assert cls.type == name
        assert FRAME_NAMES[cls] == name


# --- B4: nesting ---------------------------------------------------------------------------------


def nested(depth: int) -> Any:
    """``depth`` levels of containers, alternating arrays and objects."""
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@pytest.mark.parametrize(
    "text",
    [
        "[" * 60_000,
        "[" * 30_000 + "]" * 30_000,
        '{"a":' * 10_000 + "1" + "}" * 10_000,
        '{"type":"ping","x":' + "[" * 50_000 + "]" * 10_000,
    ],
    ids=["open-arrays", "balanced-arrays", "objects", "inside-a-frame"],
)
def test_json_nested_far_past_the_recursion_limit_is_bad_frame(text):
    assert len(text.encode()) <= MAX_FRAME_BYTES
    assert refused(text, JSON).code == ErrorCode.BAD_FRAME


def test_deep_json_is_refused_before_the_json_parser_runs(monkeypatch):
    def parser_must_not_run(*args, **kwargs):
        raise AssertionError("json.loads saw a too-deep frame")

    monkeypatch.setattr(json, "loads", parser_must_not_run)
    assert refused("[" * 60_000, JSON).code == ErrorCode.BAD_FRAME


@pytest.mark.parametrize(
    "data",
    [b"\x91" * 60_000 + b"\xc0", b"\x81\xa1k" * 20_000 + b"\xc0"],
    ids=["arrays", "maps"],
)
def test_msgpack_nested_past_its_stack_is_bad_frame(data):
    assert refused(data, MSGPACK).code == ErrorCode.BAD_FRAME


def test_nesting_at_the_limit_is_accepted(wire):
    # The frame object itself is level 1.
    assert accepted({"type": "ping", "x": nested(MAX_NESTING - 1)}, wire) == protocol.Ping()


def test_nesting_one_past_the_limit_is_bad_frame(wire):
    err = refused_obj({"type": "ping", "x": nested(MAX_NESTING)}, wire)
    assert err.code == ErrorCode.BAD_FRAME


def test_brackets_inside_strings_are_not_nesting():
    body = '[[[[{{{{ \\" ' * 40 + "]]]]"
    frame = json.dumps(send(body=body, note="[" * 100 + '\\"[['))
    assert decode(frame, JSON).body == body


# --- B5: numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "9" * 5000,
        "-" + "9" * 5000,
        "1" + "0" * 25,
        "1e999",
        "-1e999",
        "NaN",
        "Infinity",
        "-Infinity",
    ],
    ids=["5000-digits", "-5000-digits", "26-digits", "1e999", "-1e999", "NaN", "Infinity", "-Inf"],
)
def test_json_number_out_of_range_in_a_field_is_invalid(number):
    err = refused('{"type":"read","ref":"r","room":1,"seq":' + number + "}", JSON)
    assert (err.code, err.field, err.ref) == (ErrorCode.INVALID, "seq", "r")


@pytest.mark.parametrize("number", ["9" * 5000, "1e999", "NaN", "-Infinity"])
def test_json_number_out_of_range_in_an_ignored_field_is_invalid(number):
    err = refused('{"type":"ping","ref":"r","extra":[' + number + "]}", JSON)
    assert (err.code, err.ref) == (ErrorCode.INVALID, "r")


def test_json_nan_among_many_brackets_is_still_a_number_error():
    text = '{"type":"ping","ref":"r","x":[' + "[]," * (MAX_NESTING + 8) + "NaN]}"
    assert refused(text, JSON).code == ErrorCode.INVALID


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_msgpack_non_finite_float_in_a_field_is_invalid(number):
    err = refused(pack(read(seq=number)), MSGPACK)
    assert (err.code, err.field) == (ErrorCode.INVALID, "seq")


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_msgpack_non_finite_float_in_an_ignored_field_is_invalid(number):
    err = refused(pack({"type": "ping", "ref": "r", "extra": {"x": [number]}}), MSGPACK)
    assert (err.code, err.ref) == (ErrorCode.INVALID, "r")


def test_finite_floats_in_ignored_fields_are_fine(wire):
    assert accepted({"type": "ping", "extra": 1.5e300}, wire) == protocol.Ping()


# --- B6: field types and ranges ------------------------------------------------------------------

ID_FIELD_CASES = [True, False, 1.5, 1.0, "5", "", 0, -1, 2**63, [], {}, [1]]


@pytest.mark.parametrize("value", ID_FIELD_CASES, ids=repr)
def test_seq_that_is_not_a_positive_int_is_invalid(value, wire):
    err = refused_obj(read(seq=value), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "seq")


@pytest.mark.parametrize("value", ID_FIELD_CASES, ids=repr)
def test_room_that_is_not_a_positive_int_is_invalid(value, wire):
    err = refused_obj(read(room=value), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "room")


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        ({"type": "mute", "room": 1, "user": True, "minutes": 5}, "user"),
        ({"type": "knock_answer", "knock": "3", "accept": True}, "knock"),
        ({"type": "history", "room": 1, "before": 0}, "before"),
        (send(reply_to=-4), "reply_to"),
        (send(reply_to=2.0), "reply_to"),
    ],
)
def test_other_id_fields_are_checked_the_same_way(obj, field, wire):
    err = refused_obj(obj, wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, field)


@pytest.mark.parametrize("limit", [0, -1, HISTORY_LIMIT_MAX + 1, 10**9, True, 50.0, "50"], ids=repr)
def test_history_limit_out_of_range_is_invalid(limit, wire):
    err = refused_obj({"type": "history", "room": 1, "limit": limit}, wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "limit")


@pytest.mark.parametrize("limit", [1, HISTORY_LIMIT_MAX])
def test_history_limit_at_its_bounds_is_accepted(limit, wire):
    assert accepted({"type": "history", "room": 1, "limit": limit}, wire).limit == limit


def test_history_without_before_and_limit_takes_the_defaults(wire):
    frame = accepted({"type": "history", "room": 3}, wire)
    assert frame == protocol.History(room=3, before=None, limit=50)


@pytest.mark.parametrize("minutes", [-1, MAX_MUTE_MINUTES + 1, True, 1.5], ids=repr)
def test_mute_minutes_out_of_range_is_invalid(minutes, wire):
    err = refused_obj({"type": "mute", "room": 1, "user": 2, "minutes": minutes}, wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "minutes")


@pytest.mark.parametrize("minutes", [0, 1, MAX_MUTE_MINUTES])
def test_mute_minutes_within_range_is_accepted(minutes, wire):
    frame = accepted({"type": "mute", "room": 1, "user": 2, "minutes": minutes}, wire)
    assert frame.minutes == minutes


@pytest.mark.parametrize("accept", [1, 0, "true", "yes", [], {}], ids=repr)
def test_accept_that_is_not_a_bool_is_invalid(accept, wire):
    err = refused_obj({"type": "knock_answer", "knock": 1, "accept": accept}, wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "accept")


def test_largest_id_is_accepted(wire):
    assert accepted(read(seq=2**63 - 1), wire).seq == 2**63 - 1


@pytest.mark.parametrize("field", ["room", "seq"])
def test_missing_required_field_is_invalid(field, wire):
    obj = read()
    del obj[field]
    err = refused_obj(obj, wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, field)


def test_null_required_field_counts_as_missing(wire):
    err = refused_obj(read(seq=None), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "seq")


def test_null_optional_field_counts_as_absent(wire):
    assert accepted(send(reply_to=None), wire).reply_to is None


def test_field_error_echoes_ref(wire):
    assert refused_obj(read(seq=0, ref="r-7"), wire).ref == "r-7"


# --- B7: msgpack specifics -----------------------------------------------------------------------

TYPE_PING = (pack("type"), pack("ping"))
REF_R = (pack("ref"), pack("r"))


@pytest.mark.parametrize(
    "key",
    [pack(b"x"), pack(1.5), pack(True), pack(None), pack([1]), pack({"a": 1})],
    ids=["bytes", "float", "bool", "nil", "array", "map"],
)
def test_msgpack_map_key_that_is_not_a_string_is_invalid(key):
    err = refused(msgpack_map(TYPE_PING, REF_R, (key, pack(1))), MSGPACK)
    assert (err.code, err.ref) == (ErrorCode.INVALID, "r")


def test_msgpack_non_string_key_in_a_nested_map_is_invalid():
    inner = msgpack_map((pack(b"k"), pack(1)))
    err = refused(msgpack_map(TYPE_PING, (pack("extra"), inner)), MSGPACK)
    assert err.code == ErrorCode.INVALID


@pytest.mark.parametrize(
    "value",
    [pack(msgpack.ExtType(1, b"x")), b"\xd4\xfb\x00", pack(msgpack.Timestamp(0, 0))],
    ids=["ext", "negative-ext", "timestamp"],
)
def test_msgpack_ext_type_in_a_field_is_invalid(value):
    data = msgpack_map((pack("type"), pack("read")), (pack("room"), pack(1)), (pack("seq"), value))
    err = refused(data, MSGPACK)
    assert (err.code, err.field) == (ErrorCode.INVALID, "seq")


@pytest.mark.parametrize(
    "value",
    [msgpack.ExtType(1, b"x"), msgpack.Timestamp(1_700_000_000, 5)],
    ids=["ext", "timestamp"],
)
def test_msgpack_ext_type_in_an_ignored_field_is_invalid(value):
    err = refused(pack({"type": "ping", "ref": "r", "when": [value]}), MSGPACK)
    assert (err.code, err.ref) == (ErrorCode.INVALID, "r")


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        (send(body="你好".encode()), "body"),
        (send(client_id=b"c-1"), "client_id"),
        ({"type": "pin", "room": 1, "seq": 1, "title": b"t"}, "title"),
        ({"type": "ping", "ref": b"r"}, "ref"),
    ],
)
def test_msgpack_bytes_where_text_is_expected_is_invalid(obj, field):
    err = refused(pack(obj), MSGPACK)
    assert (err.code, err.field) == (ErrorCode.INVALID, field)


def test_msgpack_bytes_in_an_ignored_field_are_fine():
    assert decode(pack({"type": "ping", "blob": b"\x00\xff"}), MSGPACK) == protocol.Ping()


def test_msgpack_str_holding_an_encoded_surrogate_is_bad_frame():
    data = msgpack_map(TYPE_PING, (pack("x"), b"\xa3\xed\xa0\x80"))
    assert refused(data, MSGPACK).code == ErrorCode.BAD_FRAME


# --- B8: duplicate keys --------------------------------------------------------------------------


def test_duplicate_keys_last_one_wins_in_both_encodings():
    text = '{"type":"read","room":1,"room":2,"seq":1}'
    data = msgpack_map(
        (pack("type"), pack("read")),
        (pack("room"), pack(1)),
        (pack("room"), pack(2)),
        (pack("seq"), pack(1)),
    )
    assert decode(text, JSON) == decode(data, MSGPACK) == Read(room=2, seq=1)


def test_duplicate_type_key_last_one_wins_in_both_encodings():
    text = '{"type":"send","type":"ping"}'
    data = msgpack_map((pack("type"), pack("send")), (pack("type"), pack("ping")))
    assert decode(text, JSON) == decode(data, MSGPACK) == protocol.Ping()


def test_duplicate_sync_room_key_last_one_wins_in_both_encodings():
    text = '{"type":"sync","rooms":{"1":5,"1":9}}'
    rooms = msgpack_map((pack("1"), pack(5)), (pack("1"), pack(9)))
    data = msgpack_map((pack("type"), pack("sync")), (pack("rooms"), rooms))
    assert decode(text, JSON) == decode(data, MSGPACK) == Sync(rooms={1: 9})


# --- B9: extra fields ----------------------------------------------------------------------------


def test_unknown_extra_fields_are_ignored(wire):
    frame = accepted(read(colour="blue", nested={"a": [1, 2]}, room_name="花园"), wire)
    assert frame == Read(room=1, seq=1)


# --- sync ----------------------------------------------------------------------------------------


def test_sync_accepts_digit_string_room_ids(wire):
    assert accepted({"type": "sync", "rooms": {"1": 0, "22": 7}}, wire) == Sync(rooms={1: 0, 22: 7})


def test_sync_accepts_an_empty_room_map(wire):
    assert accepted({"type": "sync", "rooms": {}}, wire) == Sync(rooms={})


def test_sync_accepts_int_room_ids_in_msgpack():
    assert decode(pack({"type": "sync", "rooms": {3: 4}}), MSGPACK) == Sync(rooms={3: 4})


def test_sync_room_ids_spelled_differently_merge_to_the_lowest_seq(wire):
    frame = accepted({"type": "sync", "rooms": {"1": 9, "01": 4, "001": 6}}, wire)
    assert frame == Sync(rooms={1: 4})


def test_sync_msgpack_int_and_string_room_ids_merge_to_the_lowest_seq():
    assert decode(pack({"type": "sync", "rooms": {"5": 2, 5: 8}}), MSGPACK) == Sync(rooms={5: 2})


@pytest.mark.parametrize(
    "key", ["-1", "+1", " 1", "1 ", "1.0", "1e3", "a", "", "0", "１", "9" * 25]
)
def test_sync_room_id_that_is_not_a_positive_decimal_is_invalid(key, wire):
    err = refused_obj({"type": "sync", "rooms": {key: 0}}, wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "rooms")


@pytest.mark.parametrize("seen", [-1, True, 1.5, "3", None, 2**63], ids=repr)
def test_sync_last_seen_that_is_not_a_non_negative_int_is_invalid(seen, wire):
    err = refused_obj({"type": "sync", "rooms": {"1": seen}}, wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "rooms")


@pytest.mark.parametrize("rooms", [[], [1, 2], "1", 1])
def test_sync_rooms_that_is_not_an_object_is_invalid(rooms, wire):
    err = refused_obj({"type": "sync", "rooms": rooms}, wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "rooms")


def test_sync_with_the_most_rooms_allowed_is_accepted(wire):
    rooms = {str(i): 0 for i in range(1, SYNC_MAX_ROOMS + 1)}
    assert len(accepted({"type": "sync", "rooms": rooms}, wire).rooms) == SYNC_MAX_ROOMS


@pytest.mark.parametrize("count", [SYNC_MAX_ROOMS + 1, 5000])
def test_sync_with_too_many_rooms_is_invalid(count, wire):
    rooms = {str(i): 0 for i in range(1, count + 1)}
    err = refused_obj({"type": "sync", "rooms": rooms}, wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "rooms")


# --- Every frame type ----------------------------------------------------------------------------

VALID_FRAMES = [
    ({"type": "sync", "rooms": {"7": 3}}, protocol.Sync(rooms={7: 3})),
    (
        {"type": "send", "room": 7, "body": "楼下有人挪车吗？", "client_id": "c1", "reply_to": 3},
        protocol.Send(room=7, body="楼下有人挪车吗？", client_id="c1", reply_to=3),
    ),
    (
        {"type": "history", "room": 7, "before": 90, "limit": 20},
        protocol.History(room=7, before=90, limit=20),
    ),
    ({"type": "read", "room": 7, "seq": 12}, protocol.Read(room=7, seq=12)),
    ({"type": "typing", "room": 7}, protocol.Typing(room=7)),
    ({"type": "ping"}, protocol.Ping()),
    (
        {"type": "edit", "room": 7, "seq": 12, "body": "改一下"},
        protocol.Edit(room=7, seq=12, body="改一下"),
    ),
    ({"type": "delete", "room": 7, "seq": 12}, protocol.Delete(room=7, seq=12)),
    (
        {"type": "pin", "room": 7, "seq": 12, "title": "电梯维修"},
        protocol.Pin(room=7, seq=12, title="电梯维修"),
    ),
    ({"type": "unpin", "room": 7, "seq": 12}, protocol.Unpin(room=7, seq=12)),
    (
        {"type": "mute", "room": 7, "user": 4, "minutes": 60},
        protocol.Mute(room=7, user=4, minutes=60),
    ),
    ({"type": "unmute", "room": 7, "user": 4}, protocol.Unmute(room=7, user=4)),
    (
        {"type": "knock", "user": 4, "body": "您好，我是3栋的", "client_id": "k1"},
        protocol.Knock(user=4, body="您好，我是3栋的", client_id="k1"),
    ),
    (
        {"type": "knock_answer", "knock": 9, "accept": True},
        protocol.KnockAnswer(knock=9, accept=True),
    ),
    ({"type": "block", "user": 4}, protocol.Block(user=4)),
    ({"type": "unblock", "user": 4}, protocol.Unblock(user=4)),
    ({"type": "join", "room": 8}, protocol.Join(room=8)),
    ({"type": "leave", "room": 8}, protocol.Leave(room=8)),
    (
        {"type": "join_answer", "room": 8, "user": 4, "accept": False},
        protocol.JoinAnswer(room=8, user=4, accept=False),
    ),
    ({"type": "remove", "room": 8, "user": 4}, protocol.Remove(room=8, user=4)),
    (
        {"type": "promote", "room": 7, "seq": 12, "title": "电梯故障", "category": "设施"},
        protocol.Promote(room=7, seq=12, title="电梯故障", category="设施"),
    ),
]


def test_every_frame_type_has_a_valid_example():
    assert {obj["type"] for obj, _frame in VALID_FRAMES} == set(FRAME_TYPES)


@pytest.mark.parametrize(
    ("obj", "expected"), VALID_FRAMES, ids=[o["type"] for o, _f in VALID_FRAMES]
)
def test_valid_frame_decodes_to_its_dataclass(obj, expected, wire):
    assert accepted({**obj, "ref": "r1"}, wire) == dataclasses.replace(expected, ref="r1")


def test_decoded_frames_are_immutable(wire):
    frame = accepted(read(), wire)
    with pytest.raises(AttributeError):
        frame.seq = 2  # type: ignore[misc]
