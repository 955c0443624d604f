"""Parsing guards: untrusted client bytes to one frame, or ``ProtocolError``.

Validation is total: whatever arrives, ``decode`` returns a frame or raises ``ProtocolError``,
never ``KeyError``, ``TypeError``, ``RecursionError`` or a parser's own exception. Client data is
only ever looked up in explicit tables, never used as an attribute name. JSON and msgpack are
parsed under the same guards: the hard size cap, nesting depth (checked without recursion), finite
numbers of at most 20 digits, no msgpack ext types.

Duplicate keys: the last one wins, in both encodings (what ``json.loads`` and a msgpack map do).
Room ids spelled differently in ``sync`` (``"1"``, ``"01"``, msgpack ``1``) are merged by taking the
smallest last-seen seq, so nothing is skipped. Unknown extra fields are ignored (forward
compatible), but the whole frame must still be well-formed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from typing import Any

import msgpack
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat.protocol.codecs import Encoding
from chat.protocol.errors import FieldError, ProtocolError
from chat.protocol.frames import FRAME_TYPES, Frame
from chat.protocol.limits import (
    CLOSE_TOO_LARGE,
    HISTORY_LIMIT_MAX,
    MAX_CATEGORY_CHARS,
    MAX_FRAME_BYTES,
    MAX_ID,
    MAX_ID_CHARS,
    MAX_INT_CHARS,
    MAX_MENTIONS,
    MAX_MUTE_MINUTES,
    MAX_NESTING,
    MAX_TITLE_CHARS,
    SYNC_MAX_ROOMS,
)
from chat.protocol.text import body_rule, client_id_rule, line_rule, utf8_ok
from core.errors import ErrorCode

_M_BAD_FRAME = _("消息格式不正确，无法解析。")
_M_EMPTY = _("收到空消息。")
_M_NOT_OBJECT = _("消息必须是一个对象。")
_M_NO_TYPE = _("消息缺少 type 字段。")
_M_TYPE_NOT_STR = _("type 字段必须是字符串。")
_M_TEXT_ON_MSGPACK = _("这个连接使用 msgpack，请发送二进制帧。")
_M_BINARY_ON_JSON = _("这个连接使用 JSON，请发送文本帧。")
_M_TOO_DEEP = _("消息嵌套层数过多。")
_M_UNKNOWN_TYPE = _("不支持这种消息类型。")
_M_TOO_LARGE = _("消息太大，连接将关闭。")
_M_BAD_NUMBER = _("消息中有无效的数字：必须是有限数，整数不超过 20 位。")
_M_BAD_EXT = _("不支持 msgpack 扩展类型。")
_M_BAD_KEY = _("对象的键必须是字符串。")
_M_REF = format_lazy(_("ref 必须是 1 到 {limit} 个可打印字符。"), limit=MAX_ID_CHARS)


# --- Field rules ---------------------------------------------------------------------------------
# Each rule takes the raw value (never None: absence is handled by the builder) and returns the
# value to store or raises FieldError. Types are checked exactly: ``type(x) is int`` refuses True.


def _id_rule(name: str) -> Callable[[object], int]:
    message = format_lazy(_("{field} 必须是正整数。"), field=name)

    def rule(value: object) -> int:
        if type(value) is not int or not 0 < value <= MAX_ID:
            raise FieldError(message)
        return value

    return rule


def _int_range(name: str, low: int, high: int) -> Callable[[object], int]:
    message = format_lazy(
        _("{field} 必须是 {low} 到 {high} 之间的整数。"), field=name, low=low, high=high
    )

    def rule(value: object) -> int:
        if type(value) is not int or not low <= value <= high:
            raise FieldError(message)
        return value

    return rule


def _bool_rule(name: str) -> Callable[[object], bool]:
    message = format_lazy(_("{field} 必须是 true 或 false。"), field=name)

    def rule(value: object) -> bool:
        if type(value) is not bool:
            raise FieldError(message)
        return value

    return rule


_M_ROOMS = _("rooms 必须是对象：群 id → 已看到的最后一个 seq（不小于 0 的整数）。")
_M_ROOMS_MANY = format_lazy(_("一次最多同步 {limit} 个群。"), limit=SYNC_MAX_ROOMS)


def _room_key(key: object) -> int:
    """A sync room id: a string of ASCII digits (JSON object keys), or an int (msgpack)."""
    if type(key) is str and 0 < len(key) <= MAX_INT_CHARS and key.isascii() and key.isdigit():
        room = int(key)
    elif type(key) is int:
        room = key
    else:
        raise FieldError(_M_ROOMS)
    if not 0 < room <= MAX_ID:
        raise FieldError(_M_ROOMS)
    return room


def _rooms(value: object) -> dict[int, int]:
    if type(value) is not dict:
        raise FieldError(_M_ROOMS)
    if len(value) > SYNC_MAX_ROOMS:
        raise FieldError(_M_ROOMS_MANY)
    rooms: dict[int, int] = {}
    for key, seen in value.items():
        room = _room_key(key)
        if type(seen) is not int or not 0 <= seen <= MAX_ID:
            raise FieldError(_M_ROOMS)
        # "1", "01" and 1 name one room: keep the lowest last-seen, so nothing is skipped.
        rooms[room] = min(seen, rooms.get(room, seen))
    return rooms


_M_MENTIONS = format_lazy(_("mentions 必须是用户 id 的列表，最多 {limit} 个。"), limit=MAX_MENTIONS)


def _mentions(value: object) -> tuple[int, ...]:
    if type(value) is not list or len(value) > MAX_MENTIONS:
        raise FieldError(_M_MENTIONS)
    for item in value:
        if type(item) is not int or not 0 < item <= MAX_ID:
            raise FieldError(_M_MENTIONS)
    return tuple(dict.fromkeys(value))


#: Field name → rule. A field means the same thing in every frame that has it.
_RULES: dict[str, Callable[[object], Any]] = {
    "room": _id_rule("room"),
    "user": _id_rule("user"),
    "seq": _id_rule("seq"),
    "knock": _id_rule("knock"),
    "reply_to": _id_rule("reply_to"),
    "before": _id_rule("before"),
    "limit": _int_range("limit", 1, HISTORY_LIMIT_MAX),
    "minutes": _int_range("minutes", 0, MAX_MUTE_MINUTES),
    "accept": _bool_rule("accept"),
    "body": body_rule,
    "client_id": client_id_rule,
    "title": line_rule("title", MAX_TITLE_CHARS),
    "category": line_rule("category", MAX_CATEGORY_CHARS),
    "rooms": _rooms,
    "mentions": _mentions,
}


@dataclass(frozen=True, slots=True)
class _FieldSpec:
    name: str
    rule: Callable[[object], Any]
    required: bool
    default: Any


def _specs(cls: type[Frame]) -> tuple[_FieldSpec, ...]:
    out = []
    for f in fields(cls):
        if f.name == "ref":
            continue
        required = f.default is MISSING and f.default_factory is MISSING
        out.append(_FieldSpec(f.name, _RULES[f.name], required, None if required else f.default))
    return tuple(out)


_SPECS: dict[type[Frame], tuple[_FieldSpec, ...]] = {
    cls: _specs(cls) for cls in FRAME_TYPES.values()
}


# --- Parsing -------------------------------------------------------------------------------------


class _Rejected:
    """Stands in for a value the parser refused (a NaN, a 5,000-digit integer, an ext type), so
    the frame is still read far enough to echo its ``ref`` and name the field."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<rejected>"


_REJECTED = _Rejected()

#: Characters a JSON text may hold outside strings, other than brackets: numbers, separators,
#: whitespace, true/false/null, and NaN/Infinity (so those are refused as numbers, not as depth).
_JSON_PLAIN_BYTES = b"0123456789+-.eE,: \t\n\rtruefalsnNaIiy"
_JSON_BRACKETS = bytes.maketrans(b"{}", b"[]")


def _json_too_deep(text: str) -> bool:
    """Whether ``text`` nests deeper than MAX_NESTING (or is unbalanced), without recursing.

    Only a frame with more opening brackets than MAX_NESTING is looked at. String contents are
    dropped (escaped backslashes and quotes first, then every other quote-delimited span), the
    rest is reduced to brackets, and innermost ``[]`` pairs are removed MAX_NESTING times: what is
    left is deeper than allowed, or not JSON. All of it runs in C, linear in the frame.
    """
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return False
    plain = text.replace("\\\\", "").replace('\\"', "")
    outside = "".join(plain.split('"')[::2])
    brackets = outside.encode("utf-8", "surrogatepass").translate(
        _JSON_BRACKETS, delete=_JSON_PLAIN_BYTES
    )
    for _round in range(MAX_NESTING):
        if not brackets:
            return False
        inner = brackets.replace(b"[]", b"")
        if len(inner) == len(brackets):
            return True  # stray characters or unbalanced: not JSON; refuse before json recurses
        brackets = inner
    return bool(brackets)


def _parse_json(text: str, problems: list[Any]) -> object:
    def refuse(_token: str) -> _Rejected:
        problems.append(_M_BAD_NUMBER)
        return _REJECTED

    def parse_int(token: str) -> int | _Rejected:
        if len(token) > MAX_INT_CHARS:
            return refuse(token)
        return int(token)

    def parse_float(token: str) -> float | _Rejected:
        value = float(token)
        return value if math.isfinite(value) else refuse(token)

    if _json_too_deep(text):
        raise ProtocolError(ErrorCode.BAD_FRAME, _M_TOO_DEEP)
    try:
        return json.loads(text, parse_int=parse_int, parse_float=parse_float, parse_constant=refuse)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(ErrorCode.BAD_FRAME, _M_BAD_FRAME) from exc


def _parse_msgpack(data: bytes, problems: list[Any]) -> object:
    def ext_hook(_code: int, _data: bytes) -> _Rejected:
        problems.append(_M_BAD_EXT)
        return _REJECTED

    def pairs_hook(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
        # strict_map_key=False so that sync's room ids may be msgpack ints; every other key type
        # is dropped here, before anything is hashed, and makes the frame invalid (the rest is
        # kept so the error can still echo ref). dict() keeps the last duplicate, as JSON does.
        kept = [(k, v) for k, v in pairs if type(k) is str or type(k) is int]
        if len(kept) != len(pairs):
            problems.append(_M_BAD_KEY)
        return dict(kept)

    try:
        # The max_*_len limits default to len(data), so no header can claim more than was sent.
        return msgpack.unpackb(
            data,
            raw=False,
            strict_map_key=False,
            object_pairs_hook=pairs_hook,
            ext_hook=ext_hook,
        )
    except (ValueError, TypeError, OverflowError, msgpack.UnpackException) as exc:
        # ExtraData, FormatError, StackError and UnicodeDecodeError are ValueErrors.
        raise ProtocolError(ErrorCode.BAD_FRAME, _M_BAD_FRAME) from exc


def _inspect_msgpack(root: dict[Any, Any], problems: list[Any], ref: str | None) -> None:
    """Depth, non-finite floats and Timestamps anywhere in a msgpack frame (JSON's parser hooks
    catch the same things while parsing). Iterative: no recursion on client data."""
    stack: list[tuple[dict[Any, Any] | list[Any], int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            raise ProtocolError(ErrorCode.BAD_FRAME, _M_TOO_DEEP, ref=ref)
        for child in node.values() if type(node) is dict else node:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is float:
                if not math.isfinite(child):
                    problems.append(_M_BAD_NUMBER)
            elif kind not in (str, int, bool, bytes, type(None), _Rejected):
                problems.append(_M_BAD_EXT)  # msgpack.Timestamp: ext type -1 skips ext_hook


def _frame_size_over_cap(data: str | bytes) -> bool:
    if isinstance(data, bytes):
        return len(data) > MAX_FRAME_BYTES
    if len(data) > MAX_FRAME_BYTES:
        return True  # at least one byte per character
    if len(data) * 4 <= MAX_FRAME_BYTES or data.isascii():
        return False
    return len(data.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES


def _echoable(ref: object) -> str | None:
    """The ``ref`` to echo in an error: any short string that can be encoded, even if invalid."""
    if type(ref) is str and len(ref) <= MAX_ID_CHARS and utf8_ok(ref):
        return ref
    return None


def decode(data: str | bytes, encoding: Encoding) -> Frame:
    """Validate one client frame completely and return it as a frame dataclass.

    Args:
        data: the frame as received: ``str`` from a text frame, ``bytes`` from a binary one.
        encoding: the socket's encoding (from ``choose_subprotocol``).

    Returns:
        An instance of one of FRAME_TYPES' classes, with normalised text.

    Raises:
        ProtocolError: for anything else. ``too_large`` (with ``close_code``) over the hard cap;
            ``bad_frame`` for the wrong frame kind, empty, unparseable, too deep, not an object,
            no string ``type``; ``unknown_type``; ``invalid`` for a bad field or value.
    """
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if not isinstance(data, str | bytes):
        raise ProtocolError(ErrorCode.BAD_FRAME, _M_BAD_FRAME)
    if _frame_size_over_cap(data):
        raise ProtocolError(ErrorCode.TOO_LARGE, _M_TOO_LARGE, close_code=CLOSE_TOO_LARGE)
    if not data:
        raise ProtocolError(ErrorCode.BAD_FRAME, _M_EMPTY)

    problems: list[Any] = []
    if encoding == Encoding.MSGPACK:
        if not isinstance(data, bytes):
            raise ProtocolError(ErrorCode.BAD_FRAME, _M_TEXT_ON_MSGPACK)
        obj = _parse_msgpack(data, problems)
    else:
        if not isinstance(data, str):
            raise ProtocolError(ErrorCode.BAD_FRAME, _M_BINARY_ON_JSON)
        obj = _parse_json(data, problems)

    if type(obj) is not dict:
        raise ProtocolError(ErrorCode.BAD_FRAME, _M_NOT_OBJECT)
    raw_ref = obj.get("ref")
    echo = _echoable(raw_ref)
    if encoding == Encoding.MSGPACK:
        _inspect_msgpack(obj, problems, echo)

    name = obj.get("type")
    if name is None:
        raise ProtocolError(ErrorCode.BAD_FRAME, _M_NO_TYPE, ref=echo)
    if type(name) is not str:
        raise ProtocolError(ErrorCode.BAD_FRAME, _M_TYPE_NOT_STR, ref=echo)
    cls = FRAME_TYPES.get(name)
    if cls is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, _M_UNKNOWN_TYPE, ref=echo, field="type")

    if raw_ref is None:
        ref = None
    elif type(raw_ref) is str and 1 <= len(raw_ref) <= MAX_ID_CHARS and raw_ref.isprintable():
        ref = raw_ref
    else:
        raise ProtocolError(ErrorCode.INVALID, _M_REF, ref=echo, field="ref")

    values: dict[str, Any] = {}
    for spec in _SPECS[cls]:
        raw = obj.get(spec.name)  # null is the same as absent
        try:
            value = None if raw is None else spec.rule(raw)
        except FieldError as bad:
            raise ProtocolError(ErrorCode.INVALID, bad.message, ref=ref, field=spec.name) from None
        if value is None:
            if spec.required:
                if raw is None:
                    message = format_lazy(_("缺少字段 {field}。"), field=spec.name)
                else:
                    message = format_lazy(_("{field} 不能为空。"), field=spec.name)
                raise ProtocolError(ErrorCode.INVALID, message, ref=ref, field=spec.name)
            value = spec.default
        values[spec.name] = value
    if problems:
        # Something refused sits in a field Linli ignores: the frame is still not well-formed.
        raise ProtocolError(ErrorCode.INVALID, problems[0], ref=ref)
    return cls(ref=ref, **values)
