"""Codecs, as a specification: subprotocol choice (A7), server frames, error frames, close codes.

Pure unit tests: no database, no sockets.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import msgpack
import pytest
from django.utils import translation

from chat import protocol
from chat.protocol import (
    CLOSE_REASONS,
    MAX_FRAME_BYTES,
    ErrorCode,
    choose_subprotocol,
    decode,
    encode,
    encode_both,
    error_frame,
    error_from,
)
from core.errors import ActionError
from tests.chat.wire import (
    JSON,
    MSGPACK,
    read,
    refused,
    refused_obj,
    send,
)

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


def test_every_close_code_and_reason_is_the_one_docs_protocol_md_documents():
    import re
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
    section = docs.split("## Close codes", 1)[1].split("\n## ", 1)[0]
    documented = {
        int(code): reason
        for code, reason in re.findall(r"^\| `(4\d{3})` \| `(\w+)` \|", section, re.M)
    }
    assert documented == CLOSE_REASONS
