"""Helpers for the wire module's tests: frames as a client sends them, and what decode answers."""

from __future__ import annotations

import json
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, settings

from chat.protocol import (
    Encoding,
    Frame,
    ProtocolError,
    decode,
)

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
