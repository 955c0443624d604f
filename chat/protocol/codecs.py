"""Codecs: the encodings and subprotocols, and server frames (plain dicts) as text or bytes.

Server frames are built by ``chat.events`` and the actions; here they become JSON text or msgpack
bytes, once per encoding for fan-out. ``error_frame``/``error_from`` build the ``error`` frame.
"""

from __future__ import annotations

import json
import math
from enum import StrEnum
from typing import Any

import msgpack

from chat.protocol.errors import ProtocolError
from chat.protocol.limits import MAX_SERVER_NESTING
from chat.protocol.text import utf8_ok
from core.errors import ActionError, ErrorCode

# --- Encodings and subprotocols ------------------------------------------------------------------


class Encoding(StrEnum):
    JSON = "json"
    MSGPACK = "msgpack"


#: The WebSocket subprotocols Linli speaks. Text frames carry JSON, binary frames msgpack.
SUBPROTOCOLS: dict[str, Encoding] = {
    "linli.v1.json": Encoding.JSON,
    "linli.v1.msgpack": Encoding.MSGPACK,
}


def choose_subprotocol(offered: list[str]) -> tuple[str | None, Encoding]:
    """The first subprotocol the client offered that Linli knows, and its encoding.

    The client lists its preferences in order (RFC 6455 §4.1), so the first known one wins. With
    none known (or none offered) the socket opens without a subprotocol and speaks JSON.
    """
    for name in offered:
        if isinstance(name, str) and name in SUBPROTOCOLS:
            return name, SUBPROTOCOLS[name]
    return None, Encoding.JSON


# --- Server frames -------------------------------------------------------------------------------


def _wire_value(value: Any, depth: int) -> Any:
    """``value`` as both encodings will carry it identically, or ValueError.

    Object keys become strings (JSON would turn an int key into a string and msgpack would not:
    ``synced.more`` must look the same in both). Strings must be valid Unicode, floats finite,
    integers within 64 bits; anything else (datetime, bytes, lazy translations) is a bug in the
    frame's builder. Returns ``value`` itself when nothing needs converting.
    """
    if value is None or value is True or value is False:
        return value
    if isinstance(value, str):
        if not utf8_ok(value):
            raise ValueError("string with a lone surrogate")
        return value
    if isinstance(value, int):
        if not -(2**63) <= value < 2**64:
            raise ValueError(f"integer out of the 64-bit range: {value}")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"non-finite float: {value}")
        return value
    if depth >= MAX_SERVER_NESTING:
        raise ValueError("frame nested too deeply")
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        changed = False
        for key, item in value.items():
            if isinstance(key, str):
                wire_key = key
            elif isinstance(key, int) and not isinstance(key, bool):
                wire_key, changed = str(int(key)), True
            else:
                raise ValueError(f"object key of type {type(key).__name__}")
            if not utf8_ok(wire_key):
                raise ValueError("object key with a lone surrogate")
            wire_item = _wire_value(item, depth + 1)
            changed = changed or wire_item is not item
            out[wire_key] = wire_item
        return out if changed else value
    if isinstance(value, list | tuple):
        items = [_wire_value(item, depth + 1) for item in value]
        if isinstance(value, list) and all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return items
    raise ValueError(f"value of type {type(value).__name__} has no wire form")


def _prepare(frame: dict[str, Any]) -> Any:
    if not isinstance(frame, dict):
        raise ValueError(f"a frame is a dict, not {type(frame).__name__}")
    try:
        return _wire_value(frame, 0)
    except ValueError as exc:
        raise ValueError(f"cannot encode {frame.get('type')!r} frame: {exc}") from None


def _dumps(frame: Any) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _packb(frame: Any) -> bytes:
    return msgpack.packb(frame, use_bin_type=True)


def encode(frame: dict[str, Any], encoding: Encoding) -> str | bytes:
    """One server frame as JSON text (``str``) or msgpack (``bytes``).

    Raises:
        ValueError: the frame holds something with no wire form (see ``_wire_value``).
    """
    wire = _prepare(frame)
    try:
        return _packb(wire) if Encoding(encoding) == Encoding.MSGPACK else _dumps(wire)
    except (TypeError, ValueError, OverflowError) as exc:  # not expected after _prepare
        raise ValueError(f"cannot encode {frame.get('type')!r} frame: {exc}") from exc


def encode_both(frame: dict[str, Any]) -> tuple[str, bytes]:
    """One server frame in both encodings, for fan-out: each socket sends the one it speaks.

    Raises:
        ValueError: the frame holds something with no wire form (see ``_wire_value``).
    """
    wire = _prepare(frame)
    try:
        return _dumps(wire), _packb(wire)
    except (TypeError, ValueError, OverflowError) as exc:  # not expected after _prepare
        raise ValueError(f"cannot encode {frame.get('type')!r} frame: {exc}") from exc


def error_frame(
    code: ErrorCode | str, message: Any, ref: str | None = None, **extra: Any
) -> dict[str, Any]:
    """``{"type": "error", "code", "message", "ref"?, …extra}``; ``ref`` is left out when None.

    ``message`` may be a lazy translation: it is rendered here, in the active language.
    """
    if "type" in extra:
        raise ValueError("an error frame's type is 'error'")
    frame: dict[str, Any] = {"type": "error", "code": str(code), "message": str(message)}
    if ref is not None:
        frame["ref"] = ref
    frame.update(extra)
    return frame


def error_from(exc: ProtocolError | ActionError, ref: str | None = None) -> dict[str, Any]:
    """The ``error`` frame answering a refused frame. ``ref`` defaults to the one the
    ProtocolError read from the frame; an ActionError's ``extra`` (``retry_after``, ``until``)
    becomes fields of the frame."""
    if isinstance(exc, ProtocolError):
        extra: dict[str, Any] = {"field": exc.field} if exc.field else {}
        return error_frame(exc.code, exc.message, ref if ref is not None else exc.ref, **extra)
    return error_frame(exc.code, exc.message, ref, **exc.extra)
