"""The wire module, as a specification: every row of BAD-INPUTS A5–A7, B1–B9, C1–C3, C5, C6.

Pure unit tests: no database, no sockets. Each test is one behaviour. Where a row applies to
both encodings, the test runs once per encoding (``wire``): the same frame must get the same
answer as JSON text and as msgpack bytes.
"""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, datetime
from typing import Any

import msgpack
import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat import protocol
from chat.protocol import (
    CLOSE_REASONS,
    CLOSE_TOO_LARGE,
    FRAME_NAMES,
    FRAME_TYPES,
    HISTORY_LIMIT_MAX,
    MAX_BODY_CHARS,
    MAX_COMBINING_MARKS,
    MAX_FRAME_BYTES,
    MAX_ID_CHARS,
    MAX_MUTE_MINUTES,
    MAX_NESTING,
    MAX_TITLE_CHARS,
    SYNC_MAX_ROOMS,
    Encoding,
    ErrorCode,
    Frame,
    ProtocolError,
    Read,
    Send,
    Sync,
    choose_subprotocol,
    decode,
    encode,
    encode_both,
    error_frame,
    error_from,
)
from core.errors import ActionError

JSON, MSGPACK = Encoding.JSON, Encoding.MSGPACK

#: Hypothesis runs without an example database: tests write nothing into the tree.
FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
#: Structured frames cost more to generate than to decode; fewer of them cover the fields.
FUZZ_FRAMES = settings(FUZZ, max_examples=120)


def pack(obj: Any) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


def as_wire(obj: Any, encoding: Encoding) -> str | bytes:
    """``obj`` as a client would send it on a socket of ``encoding``."""
    if encoding is JSON:
        return json.dumps(obj, ensure_ascii=False)
    return pack(obj)


def refused(data: Any, encoding: Encoding) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        decode(data, encoding)
    return info.value


def refused_obj(obj: Any, encoding: Encoding) -> ProtocolError:
    return refused(as_wire(obj, encoding), encoding)


def accepted(obj: Any, encoding: Encoding) -> Frame:
    return decode(as_wire(obj, encoding), encoding)


def send(**fields: Any) -> dict[str, Any]:
    return {"type": "send", "room": 1, "body": "你好", "client_id": "c-1", **fields}


def read(**fields: Any) -> dict[str, Any]:
    return {"type": "read", "room": 1, "seq": 1, **fields}


def msgpack_map(*pairs: tuple[bytes, bytes]) -> bytes:
    """A msgpack map built by hand from packed keys and values (duplicates, odd key types)."""
    assert len(pairs) < 16
    return bytes([0x80 | len(pairs)]) + b"".join(key + value for key, value in pairs)


@pytest.fixture(params=[JSON, MSGPACK], ids=["json", "msgpack"])
def wire(request) -> Encoding:
    return request.param


# --- A7: subprotocols ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offered", "expected"),
    [
        (["linli.v1.json"], ("linli.v1.json", JSON)),
        (["linli.v1.msgpack"], ("linli.v1.msgpack", MSGPACK)),
        (["linli.v1.msgpack", "linli.v1.json"], ("linli.v1.msgpack", MSGPACK)),
        (["linli.v1.json", "linli.v1.msgpack"], ("linli.v1.json", JSON)),
        (["graphql-ws", "linli.v2.cbor", "linli.v1.msgpack"], ("linli.v1.msgpack", MSGPACK)),
    ],
)
def test_subprotocol_is_the_first_known_one_offered(offered, expected):
    assert choose_subprotocol(offered) == expected


@pytest.mark.parametrize("offered", [[], ["graphql-ws"], ["LINLI.V1.JSON"], ["linli.v1"]])
def test_subprotocol_falls_back_to_json_when_none_is_known(offered):
    assert choose_subprotocol(offered) == (None, JSON)


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

    monkeypatch.setattr(protocol.json, "loads", parser_must_not_run)
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


# --- C1: body emptiness and length ---------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["", " ", "\n\t ", "\u3000\u3000", "\u200b", " \u200d\ufeff ", "\u202e", "\u2060\n"],
    ids=["empty", "space", "whitespace", "ideographic-space", "zwsp", "zero-width", "rlo", "wj"],
)
def test_blank_body_is_invalid(body, wire):
    err = refused_obj(send(body=body), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "body")


@pytest.mark.parametrize("char", ["汉", "😀", "a"], ids=["hanzi", "emoji", "ascii"])
def test_body_of_exactly_the_limit_in_characters_is_accepted(char, wire):
    body = char * MAX_BODY_CHARS
    assert accepted(send(body=body), wire).body == body


@pytest.mark.parametrize("char", ["汉", "😀", "a"], ids=["hanzi", "emoji", "ascii"])
def test_body_one_character_over_the_limit_is_invalid(char, wire):
    err = refused_obj(send(body=char * (MAX_BODY_CHARS + 1)), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "body")


def test_body_length_is_counted_after_stripping(wire):
    body = "  \n" + "汉" * MAX_BODY_CHARS + "\u3000 "
    assert accepted(send(body=body), wire).body == "汉" * MAX_BODY_CHARS


def test_body_length_is_counted_after_nfc(wire):
    decomposed = "e\u0301" * MAX_BODY_CHARS  # 8,000 code points, 4,000 after NFC
    assert accepted(send(body=decomposed), wire).body == "\u00e9" * MAX_BODY_CHARS


def test_body_is_stripped_of_surrounding_whitespace(wire):
    assert accepted(send(body="\n  早上好，邻居们！ \u3000"), wire).body == "早上好，邻居们！"


def test_body_keeps_inner_whitespace_and_newlines(wire):
    assert accepted(send(body="第一行\n\n第二行  结束"), wire).body == "第一行\n\n第二行  结束"


def test_body_must_be_a_string(wire):
    err = refused_obj(send(body=["hi"]), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "body")


# --- C2: NUL -------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["\x00", "a\x00b", "你好\x00"])
def test_body_with_nul_is_invalid(body, wire):
    err = refused_obj(send(body=body), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "body")


def test_title_with_nul_is_invalid(wire):
    err = refused_obj({"type": "pin", "room": 1, "seq": 1, "title": "a\x00"}, wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "title")


# --- C3: lone surrogates (JSON can carry them as escapes; msgpack cannot) ------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"type":"send","room":1,"client_id":"c","body":"\\ud800"}', "body"),
        ('{"type":"send","room":1,"client_id":"c","body":"hi \\udfff there"}', "body"),
        ('{"type":"send","room":1,"client_id":"\\ud83d","body":"hi"}', "client_id"),
        ('{"type":"edit","room":1,"seq":1,"body":"\\ud800"}', "body"),
        ('{"type":"knock","user":1,"client_id":"k","body":"\\ud800"}', "body"),
        ('{"type":"pin","room":1,"seq":1,"title":"\\ud800"}', "title"),
        ('{"type":"promote","room":1,"seq":1,"title":"t","category":"\\udc00"}', "category"),
        ('{"type":"ping","ref":"\\ud800"}', "ref"),
    ],
)
def test_lone_surrogate_in_a_text_field_is_invalid(text, field):
    err = refused(text, JSON)
    assert (err.code, err.field) == (ErrorCode.INVALID, field)


def test_error_for_a_surrogate_ref_does_not_echo_it_and_can_be_sent_as_msgpack():
    err = refused('{"type":"ping","ref":"\\ud800"}', JSON)
    assert err.ref is None
    encode_both(error_from(err))


def test_surrogate_pair_escape_is_a_real_character():
    frame = decode('{"type":"send","room":1,"client_id":"c","body":"\\ud83d\\ude00"}', JSON)
    assert frame.body == "😀"


# --- C5: bidi controls, zero-width characters, combining marks -----------------------------------


BIDI_CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]


@pytest.mark.parametrize("control", BIDI_CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_bidi_controls_are_removed_from_bodies(control, wire):
    assert accepted(send(body=f"invoice{control}fdp.exe"), wire).body == "invoicefdp.exe"


def test_bidi_marks_stay_in_bodies(wire):
    body = "שלום\u200f abc \u200e"
    assert accepted(send(body=body), wire).body == body.strip()


def test_bidi_controls_are_removed_from_titles(wire):
    frame = accepted({"type": "pin", "room": 1, "seq": 1, "title": "停车\u202e议题"}, wire)
    assert frame.title == "停车议题"


def test_zero_width_joiner_sequences_are_kept(wire):
    family = "👨\u200d👩\u200d👧\u200d👦"
    assert accepted(send(body=f"全家福 {family}"), wire).body == f"全家福 {family}"


def test_long_runs_of_combining_marks_are_cut_to_the_limit(wire):
    body = "Z" + "\u0336" * 500 + "algo"
    expected = "Z" + "\u0336" * MAX_COMBINING_MARKS + "algo"
    assert accepted(send(body=body), wire).body == expected


def test_short_runs_of_combining_marks_are_untouched(wire):
    body = "Tiếng Việt · नमस्ते · x" + "\u0301\u0302\u0303"
    assert accepted(send(body=body), wire).body == body


def test_body_is_nfc_normalised(wire):
    assert accepted(send(body="Cafe\u0301"), wire).body == "Caf\u00e9"


def test_a_long_zwj_emoji_string_is_judged_by_its_length(wire):
    err = refused_obj(send(body="👨\u200d" * 5000), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "body")


def test_markup_in_a_body_is_kept_as_text(wire):
    body = "<script>alert(1)</script><img src=x onerror=alert(1)> [x](javascript:alert(1))"
    assert accepted(send(body=body), wire).body == body


# --- C6: client_id and ref -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "client_id",
    [
        "",
        "x" * (MAX_ID_CHARS + 1),
        "x" * 10_000,
        "a\x00b",
        "a\nb",
        "\x1b[31m",
        "a\u200bb",
        "\u202eabc",
        "a\u3000b",
        5,
        True,
        None,
    ],
    ids=repr,
)
def test_bad_client_id_is_invalid(client_id, wire):
    err = refused_obj(send(client_id=client_id), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "client_id")


@pytest.mark.parametrize(
    "client_id",
    ["0b9f4c1e-6f2a-4f5e-9d3b-2a7c8e1f0a11", "x" * MAX_ID_CHARS, "手机-1", "web 1"],
)
def test_good_client_id_is_kept_exactly(client_id, wire):
    assert accepted(send(client_id=client_id), wire).client_id == client_id


def test_ref_of_ten_kilobytes_is_invalid_and_not_echoed(wire):
    err = refused_obj(read(ref="r" * 10_000), wire)
    assert (err.code, err.field, err.ref) == (ErrorCode.INVALID, "ref", None)


def test_ref_one_over_the_limit_is_invalid(wire):
    err = refused_obj(read(ref="r" * (MAX_ID_CHARS + 1)), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "ref")


@pytest.mark.parametrize("ref", ["", "a\tb", "a\x00b", "\u200b"], ids=repr)
def test_short_bad_string_ref_is_invalid_but_echoed(ref, wire):
    err = refused_obj(read(ref=ref), wire)
    assert (err.code, err.field, err.ref) == (ErrorCode.INVALID, "ref", ref)


@pytest.mark.parametrize("ref", [5, True, [], {"a": 1}], ids=repr)
def test_non_string_ref_is_invalid_and_not_echoed(ref, wire):
    err = refused_obj(read(ref=ref), wire)
    assert (err.code, err.field, err.ref) == (ErrorCode.INVALID, "ref", None)


def test_ref_is_carried_into_the_frame(wire):
    assert accepted(read(ref="x" * MAX_ID_CHARS), wire).ref == "x" * MAX_ID_CHARS


# --- Titles, categories, mentions ----------------------------------------------------------------


def test_pin_without_title_has_none(wire):
    assert accepted({"type": "pin", "room": 1, "seq": 2}, wire).title is None


def test_pin_with_blank_title_has_none(wire):
    assert accepted({"type": "pin", "room": 1, "seq": 2, "title": " \u3000"}, wire).title is None


def test_title_over_the_limit_is_invalid(wire):
    err = refused_obj(
        {"type": "pin", "room": 1, "seq": 2, "title": "题" * (MAX_TITLE_CHARS + 1)}, wire
    )
    assert (err.code, err.field) == (ErrorCode.INVALID, "title")


def test_title_with_a_newline_is_invalid(wire):
    err = refused_obj({"type": "pin", "room": 1, "seq": 2, "title": "一\n二"}, wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "title")


def test_promote_without_title_is_invalid(wire):
    err = refused_obj({"type": "promote", "room": 1, "seq": 2, "title": "  "}, wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "title")


def test_promote_category_over_its_limit_is_invalid(wire):
    obj = {"type": "promote", "room": 1, "seq": 2, "title": "电梯故障", "category": "类" * 21}
    err = refused_obj(obj, wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "category")


def test_send_mentions_become_a_tuple_without_duplicates(wire):
    assert accepted(send(mentions=[3, 5, 3]), wire).mentions == (3, 5)


@pytest.mark.parametrize("mentions", [[0], ["3"], [True], 3, list(range(1, 22))], ids=repr)
def test_bad_send_mentions_are_invalid(mentions, wire):
    err = refused_obj(send(mentions=mentions), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "mentions")


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


# --- Encoding server frames ----------------------------------------------------------------------

CHINESE_FRAME = {
    "type": "message",
    "room": 7,
    "seq": 12,
    "id": 1234,
    "author": {"id": 4, "display_name": "王阿姨", "role": "resident", "badges": ["party"]},
    "body": "今晚7点在花园开会，讨论电梯维修 🛗",
    "ts": "2025-05-01T11:00:00Z",
    "client_id": "c1",
    "reply_to": None,
    "kind": "user",
    "deleted": False,
    "edited": False,
    "mentions": [5, 6],
}


def test_encode_both_round_trips_chinese_text():
    text, binary = encode_both(CHINESE_FRAME)
    assert json.loads(text) == msgpack.unpackb(binary, raw=False) == CHINESE_FRAME


def test_json_is_compact_and_keeps_chinese_unescaped():
    text, _binary = encode_both(CHINESE_FRAME)
    assert "王阿姨" in text
    assert "\\u" not in text
    assert ", " not in text and '": ' not in text


def test_encode_gives_text_for_json_and_bytes_for_msgpack():
    assert encode(CHINESE_FRAME, JSON) == encode_both(CHINESE_FRAME)[0]
    assert encode(CHINESE_FRAME, MSGPACK) == encode_both(CHINESE_FRAME)[1]


def test_msgpack_encodes_text_as_str_and_bytes_never_appear():
    _text, binary = encode_both(CHINESE_FRAME)
    assert msgpack.unpackb(binary, raw=True)[b"body"] == CHINESE_FRAME["body"].encode()


def test_encode_turns_int_keys_into_strings_in_both_encodings():
    text, binary = encode_both({"type": "synced", "more": {7: 200, 8: 400}})
    expected = {"type": "synced", "more": {"7": 200, "8": 400}}
    assert json.loads(text) == msgpack.unpackb(binary) == expected


def test_encode_leaves_the_callers_frame_unchanged():
    frame = {"type": "synced", "more": {7: 200}}
    encode_both(frame)
    assert frame == {"type": "synced", "more": {7: 200}}


def test_a_decoded_frame_survives_encoding_for_every_subscriber():
    frame = decode(json.dumps(send(body="邻居好 👋\u0301")), JSON)
    text, binary = encode_both(
        {"type": "message", "body": frame.body, "client_id": frame.client_id}
    )
    assert msgpack.unpackb(binary)["body"] == json.loads(text)["body"] == frame.body


@pytest.mark.parametrize(
    "value",
    [
        "\ud800",
        {"\udc00": 1},
        math.nan,
        math.inf,
        2**64,
        -(2**63) - 1,
        b"bytes",
        datetime(2025, 1, 1, tzinfo=UTC),
        {1.5: "float key"},
        {True: "bool key"},
        {"a"},
        object(),
    ],
    ids=["surrogate", "surrogate-key", "nan", "inf", "2**64", "-2**63-1", "bytes", "datetime",
         "float-key", "bool-key", "set", "object"],
)  # fmt: skip
def test_encode_refuses_what_has_no_wire_form_with_value_error(value):
    with pytest.raises(ValueError, match="cannot encode 'x' frame"):
        encode_both({"type": "x", "value": value})


def test_encode_refuses_a_frame_that_is_not_a_dict():
    with pytest.raises(ValueError):
        encode_both(["type", "x"])  # type: ignore[arg-type]


def test_encode_accepts_str_and_int_enum_values():
    text, binary = encode_both({"type": "error", "code": ErrorCode.INVALID})
    assert json.loads(text) == msgpack.unpackb(binary) == {"type": "error", "code": "invalid"}


# --- Error frames --------------------------------------------------------------------------------


def test_error_frame_omits_ref_when_there_is_none():
    assert error_frame(ErrorCode.INVALID, "bad") == {
        "type": "error",
        "code": "invalid",
        "message": "bad",
    }


def test_error_frame_carries_ref_and_extra_fields():
    frame = error_frame(ErrorCode.RATE_LIMITED, "slow down", "r1", retry_after=1.5)
    assert frame == {
        "type": "error",
        "code": "rate_limited",
        "message": "slow down",
        "ref": "r1",
        "retry_after": 1.5,
    }


def test_error_from_protocol_error_carries_its_ref_and_field(wire):
    err = refused_obj(read(seq=0, ref="r3"), wire)
    frame = error_from(err)
    assert (frame["code"], frame["ref"], frame["field"]) == ("invalid", "r3", "seq")
    assert isinstance(frame["message"], str)


def test_error_from_action_error_carries_its_extra_fields():
    exc = ActionError(ErrorCode.MUTED, "禁言中", until="2025-05-01T12:00:00Z")
    assert error_from(exc, "r4") == {
        "type": "error",
        "code": "muted",
        "message": "禁言中",
        "ref": "r4",
        "until": "2025-05-01T12:00:00Z",
    }


def test_error_messages_are_chinese_by_default(wire):
    err = refused_obj(send(body=" "), wire)
    with translation.override("zh-hans"):
        assert error_from(err)["message"] == "消息内容不能为空。"


def test_too_large_error_frame_has_no_ref():
    err = refused("x" * (MAX_FRAME_BYTES + 1), JSON)
    assert "ref" not in error_from(err)


# --- Close codes ---------------------------------------------------------------------------------


def test_close_codes_are_in_the_application_range_with_short_ascii_reasons():
    codes = [
        getattr(protocol, name)
        for name in protocol.__all__
        if name.startswith("CLOSE_") and name != "CLOSE_REASONS"
    ]
    assert sorted(codes) == sorted(CLOSE_REASONS)
    for code, reason in CLOSE_REASONS.items():
        assert 4000 <= code <= 4999
        assert reason.isascii() and 0 < len(reason) <= 123
