"""The wire: every frame Linli reads or writes, in JSON text or msgpack binary.

This is the one module that knows the wire format (docs/protocol.md is its prose twin). It turns
untrusted client bytes into one frozen dataclass per frame type, and server frames (plain dicts,
built by ``chat.events`` and the actions) into text or bytes.

Validation is total: whatever arrives, ``decode`` returns a frame or raises ``ProtocolError``,
never ``KeyError``, ``TypeError``, ``RecursionError`` or a parser's own exception. Client data is
only ever looked up in explicit tables, never used as an attribute name.

Decisions (each documented in docs/protocol.md):

* Duplicate keys: the last one wins, in both encodings (what ``json.loads`` and a msgpack map
  do). Room ids spelled differently in ``sync`` (``"1"``, ``"01"``, msgpack ``1``) are merged
  by taking the smallest last-seen seq, so nothing is skipped.
* Unknown extra fields are ignored (forward compatible), but the whole frame must still be
  well-formed: no non-finite numbers, no over-long integers, no msgpack ext types anywhere.
* Text is normalised (bodies, titles): bidi embedding/override/isolate controls removed, NFC,
  runs of combining marks capped, surrounding whitespace stripped. Ids (``client_id``, ``ref``)
  are opaque and compared exactly.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar

import msgpack
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.errors import ActionError, ErrorCode

__all__ = [
    "CLOSE_FLOOD",
    "CLOSE_REASONS",
    "CLOSE_REMOVED",
    "CLOSE_SERVER_RESTART",
    "CLOSE_SLOW_CONSUMER",
    "CLOSE_TOKEN_REVOKED",
    "CLOSE_TOO_LARGE",
    "CLOSE_TOO_MANY_SOCKETS",
    "FRAME_NAMES",
    "FRAME_TYPES",
    "HISTORY_LIMIT_DEFAULT",
    "HISTORY_LIMIT_MAX",
    "MAX_BODY_CHARS",
    "MAX_CATEGORY_CHARS",
    "MAX_COMBINING_MARKS",
    "MAX_FRAME_BYTES",
    "MAX_ID",
    "MAX_ID_CHARS",
    "MAX_MENTIONS",
    "MAX_MUTE_MINUTES",
    "MAX_NESTING",
    "MAX_TITLE_CHARS",
    "SUBPROTOCOLS",
    "SYNC_BATCH",
    "SYNC_MAX_ROOMS",
    "SYNC_TOTAL",
    "Block",
    "Delete",
    "Edit",
    "Encoding",
    "ErrorCode",
    "Frame",
    "History",
    "Join",
    "JoinAnswer",
    "Knock",
    "KnockAnswer",
    "Leave",
    "Mute",
    "Pin",
    "Ping",
    "Promote",
    "ProtocolError",
    "Read",
    "Remove",
    "Send",
    "Sync",
    "Typing",
    "Unblock",
    "Unmute",
    "Unpin",
    "choose_subprotocol",
    "decode",
    "encode",
    "encode_both",
    "error_frame",
    "error_from",
    "normalize_text",
]


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


# --- Limits --------------------------------------------------------------------------------------

#: The hard cap on one frame. Well under Daphne's 1 MiB, so Linli (not the transport) decides: a
#: bigger frame can only be abuse (a 4,000-character body is at most 16 KB of UTF-8) and closes
#: the socket with CLOSE_TOO_LARGE.
MAX_FRAME_BYTES = 64 * 1024
#: A message body, counted in characters (Unicode code points) after normalisation, so Chinese
#: (3 UTF-8 bytes each) and English get the same allowance. About two screens on a phone.
MAX_BODY_CHARS = 4000
#: ``client_id`` and ``ref``: room for a UUID or a ULID with a prefix, never a payload.
#: Matches Message.client_id's column.
MAX_ID_CHARS = 64
#: A pin's or an issue's title: one line in the pinned bar. Matches Pin.title's column.
MAX_TITLE_CHARS = 100
#: An issue category label (``promote``). Matches Room.category's column.
MAX_CATEGORY_CHARS = 20
#: ``history`` pages: the contract's ``limit (≤ 100)``.
HISTORY_LIMIT_MAX = 100
#: ``history`` without ``limit``.
HISTORY_LIMIT_DEFAULT = 50
#: One ``sync`` names at most this many rooms: far more than anyone belongs to, and it bounds
#: the work (and the query) one frame can ask for.
SYNC_MAX_ROOMS = 500
#: Messages per room per ``sync`` answer; rooms with more are named in ``synced.more`` and the
#: client syncs again from there. A resident back from a day away catches up on a busy 小区群 in
#: one answer, one range query (Centrifugo's history limit is 300; Matrix marks a timeline
#: ``limited``).
SYNC_BATCH = 1000
#: Messages in one ``sync`` answer in all, over all its rooms: bounds the memory and the time one
#: frame holds the socket (rooms cut short are named in ``synced.more``).
SYNC_TOTAL = 2000
#: How deeply objects and arrays may nest in a client frame. Linli's own frames nest 2 deep;
#: the bound keeps every parser far from Python's recursion limit.
MAX_NESTING = 32
#: The longest timed mute, 30 days; longer means "until lifted" (``minutes: 0``).
MAX_MUTE_MINUTES = 60 * 24 * 30
#: A message names at most this many people to notify (chat.actions.messages enforces the same).
MAX_MENTIONS = 20
#: Ids and seqs are positive and fit PostgreSQL's bigint: 0 < x < 2**63.
MAX_ID = 2**63 - 1
#: More consecutive combining marks than this on one base character are dropped ("Zalgo" text
#: that paints over neighbouring lines). Real scripts stack far fewer; Unicode's stream-safe
#: format allows 30 non-starters, which is already a tower.
MAX_COMBINING_MARKS = 8
#: An integer in a JSON frame longer than this (sign included) is refused before ``int()`` sees
#: it: every valid number fits in 19 digits, and Python's 4,300-digit guard would raise a
#: plain ValueError.
_MAX_INT_CHARS = 20
#: How deeply a server frame may nest before ``encode`` calls it a bug.
_MAX_SERVER_NESTING = 64


# --- Close codes (4000–4999, application-defined) ------------------------------------------------

#: The session's token was revoked (logout elsewhere, or by an administrator).
CLOSE_TOKEN_REVOKED = 4001
#: The person was removed from the community or deactivated: their socket must not stay open.
CLOSE_REMOVED = 4003
#: Sustained flooding past the rate limit (Discord's 4008 "rate limited" is the precedent).
CLOSE_FLOOD = 4008
#: A frame over MAX_FRAME_BYTES.
CLOSE_TOO_LARGE = 4009
#: The socket's outbound queue overflowed: the client reads too slowly. It reconnects and syncs.
CLOSE_SLOW_CONSUMER = 4010
#: The server is restarting; reconnect with jitter and sync.
CLOSE_SERVER_RESTART = 4012
#: The person already has as many sockets open on this server as one person may.
CLOSE_TOO_MANY_SOCKETS = 4029

#: Close reasons, short ASCII (a close reason must fit 123 bytes of UTF-8).
CLOSE_REASONS: dict[int, str] = {
    CLOSE_TOKEN_REVOKED: "token_revoked",
    CLOSE_REMOVED: "removed",
    CLOSE_FLOOD: "rate_limited",
    CLOSE_TOO_LARGE: "too_large",
    CLOSE_SLOW_CONSUMER: "slow_consumer",
    CLOSE_SERVER_RESTART: "server_restart",
    CLOSE_TOO_MANY_SOCKETS: "too_many_sockets",
}


# --- Errors --------------------------------------------------------------------------------------


class ProtocolError(Exception):
    """A client frame Linli cannot accept; the consumer answers with an ``error`` frame.

    ``ref`` is the frame's ``ref`` when it could be read (so the error echoes it), ``field`` the
    offending field when there is one, and ``close_code`` is set only when the frame is abuse
    and the socket must close after the error (a frame over the hard cap).
    """

    def __init__(
        self,
        code: ErrorCode,
        message: Any,
        *,
        ref: str | None = None,
        field: str | None = None,
        close_code: int | None = None,
    ) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.ref = ref
        self.field = field
        self.close_code = close_code

    def __str__(self) -> str:
        where = f" ({self.field})" if self.field else ""
        return f"{self.code}{where}: {self.message}"


class _Bad(Exception):
    """A field rule's refusal; ``decode`` turns it into an ``invalid`` ProtocolError."""

    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message


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


# --- Client frames -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Frame:
    """A decoded client frame. ``type`` is the wire name; ``ref`` is echoed in the answer."""

    type: ClassVar[str]
    ref: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Sync(Frame):
    """Replay what was missed: ``rooms`` maps room id → last seq seen (0: from the start)."""

    type: ClassVar[str] = "sync"
    rooms: dict[int, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class Send(Frame):
    """Post ``body`` to ``room``; ``client_id`` makes a retry idempotent."""

    type: ClassVar[str] = "send"
    room: int
    body: str
    client_id: str
    reply_to: int | None = None
    #: People to notify (an addition): user ids, at most MAX_MENTIONS, duplicates dropped.
    mentions: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class History(Frame):
    """A page of up to ``limit`` messages with seq < ``before`` (the newest page without it)."""

    type: ClassVar[str] = "history"
    room: int
    before: int | None = None
    limit: int = HISTORY_LIMIT_DEFAULT


@dataclass(frozen=True, slots=True, kw_only=True)
class Read(Frame):
    """Move the read marker forward to ``seq``."""

    type: ClassVar[str] = "read"
    room: int
    seq: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Typing(Frame):
    type: ClassVar[str] = "typing"
    room: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Ping(Frame):
    type: ClassVar[str] = "ping"


@dataclass(frozen=True, slots=True, kw_only=True)
class Edit(Frame):
    type: ClassVar[str] = "edit"
    room: int
    seq: int
    body: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Delete(Frame):
    type: ClassVar[str] = "delete"
    room: int
    seq: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Pin(Frame):
    """Pin the message that states a 议题; a blank ``title`` counts as none."""

    type: ClassVar[str] = "pin"
    room: int
    seq: int
    title: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Unpin(Frame):
    type: ClassVar[str] = "unpin"
    room: int
    seq: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Mute(Frame):
    """Mute ``user`` in ``room`` for ``minutes`` (0: until lifted)."""

    type: ClassVar[str] = "mute"
    room: int
    user: int
    minutes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Unmute(Frame):
    type: ClassVar[str] = "unmute"
    room: int
    user: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Knock(Frame):
    """敲门: ask ``user`` to open a direct room, carrying the first message."""

    type: ClassVar[str] = "knock"
    user: int
    body: str
    client_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class KnockAnswer(Frame):
    type: ClassVar[str] = "knock_answer"
    knock: int
    accept: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Block(Frame):
    type: ClassVar[str] = "block"
    user: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Unblock(Frame):
    type: ClassVar[str] = "unblock"
    user: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Join(Frame):
    """Join an open topic room, or apply to one that needs approval."""

    type: ClassVar[str] = "join"
    room: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Leave(Frame):
    type: ClassVar[str] = "leave"
    room: int


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinAnswer(Frame):
    """The room owner decides ``user``'s application to ``room``."""

    type: ClassVar[str] = "join_answer"
    room: int
    user: int
    accept: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Remove(Frame):
    """A room moderator removes ``user`` from a topic room (an addition)."""

    type: ClassVar[str] = "remove"
    room: int
    user: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Promote(Frame):
    """Turn the thread rooted at ``seq`` into a tracked issue."""

    type: ClassVar[str] = "promote"
    room: int
    seq: int
    title: str
    category: str | None = None


#: Wire name → frame class: the only way a client's ``type`` reaches code.
FRAME_TYPES: dict[str, type[Frame]] = {
    cls.type: cls
    for cls in (
        Sync, Send, History, Read, Typing, Ping, Edit, Delete, Pin, Unpin, Mute, Unmute,
        Knock, KnockAnswer, Block, Unblock, Join, Leave, JoinAnswer, Remove, Promote,
    )
}  # fmt: skip
#: Frame class → wire name.
FRAME_NAMES: dict[type[Frame], str] = {cls: name for name, cls in FRAME_TYPES.items()}


# --- Text normalisation --------------------------------------------------------------------------

#: Bidi embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069). A stray
#: U+202E reverses the rest of the line, so "txt.exe" can show as "exe.txt"; they are removed
#: from bodies and titles. Marks U+200E/U+200F stay: right-to-left text needs them.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: Every character ``str.strip()`` removes: Python's Unicode whitespace (including U+3000, the
#: ideographic space), all in the BMP.
_WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
#: Zero-width characters: kept inside text (emoji ZWJ sequences need U+200D), but a body made
#: only of them and whitespace counts as empty.
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_BLANK = _WHITESPACE + _ZERO_WIDTH
#: C0 and C1 control characters, refused in one-line text (titles, categories).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class _MarkPatterns:
    """Patterns for runs of more than MAX_COMBINING_MARKS combining marks (Mn, Mc, Me).

    ``re`` tests a character against a BMP class through a bitmap, but against astral ranges one
    by one, for every character that is not in the bitmap. The exact class holds about 110 astral
    ranges, which would make every Chinese character cost 110 comparisons; so cheap patterns
    decide first whether the exact ones are needed at all.
    """

    #: Nine or more characters in a row, each a BMP mark or in the astral span that holds marks
    #: (U+10100–U+1E9FF, U+E0100–U+E01FF: not emoji, not CJK). Most texts stop here.
    maybe: re.Pattern[str]
    #: Any character of the astral span.
    astral: re.Pattern[str]
    #: The exact rule, BMP marks only (fast), and with every mark.
    bmp_runs: re.Pattern[str]
    all_runs: re.Pattern[str]


@functools.cache
def _mark_patterns() -> _MarkPatterns:
    """Built once from the running Python's Unicode database, on first use (about 30 ms); marks
    live in planes 0, 1 and 14 only."""
    ranges: list[tuple[int, int]] = []
    for cp in itertools.chain(range(0x20000), range(0xE0000, 0xE1000)):
        if unicodedata.category(chr(cp))[0] == "M":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    bmp = [(lo, hi) for lo, hi in ranges if hi <= 0xFFFF]
    astral = [(0x10100, 0x1E9FF), (0xE0100, 0xE01FF)]
    assert all(any(a <= lo and hi <= b for a, b in astral) for lo, hi in ranges if hi > 0xFFFF)

    def char_class(spans: list[tuple[int, int]]) -> str:
        return "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in spans) + "]"

    def runs(spans: list[tuple[int, int]]) -> re.Pattern[str]:
        marks = char_class(spans)
        return re.compile(f"({marks}{{{MAX_COMBINING_MARKS}}}){marks}++")

    return _MarkPatterns(
        maybe=re.compile(f"{char_class(bmp + astral)}{{{MAX_COMBINING_MARKS + 1}}}"),
        astral=re.compile(char_class(astral)),
        bmp_runs=runs(bmp),
        all_runs=runs(ranges),
    )


def _cap_combining_marks(text: str) -> str:
    """Keep at most MAX_COMBINING_MARKS consecutive combining marks."""
    patterns = _mark_patterns()
    if not patterns.maybe.search(text):
        return text
    runs = patterns.all_runs if patterns.astral.search(text) else patterns.bmp_runs
    return runs.sub(r"\1", text)


def _utf8_ok(text: str) -> bool:
    """False for a string with a lone surrogate: it cannot be stored, sent or packed."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def normalize_text(text: str) -> str:
    """Linli's text rule, for bodies and titles. The caller has refused NUL and lone surrogates.

    In order: remove bidi embedding/override/isolate controls; Unicode NFC (so "é" typed either
    way is one character and one length); keep at most MAX_COMBINING_MARKS consecutive combining
    marks; strip leading and trailing whitespace. Zero-width joiners stay.
    """
    text = _BIDI_CONTROLS.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        text = _cap_combining_marks(text)
    return text.strip()


# --- Field rules ---------------------------------------------------------------------------------
# Each rule takes the raw value (never None: absence is handled by the builder) and returns the
# value to store or raises _Bad. Types are checked exactly: ``type(x) is int`` refuses True.


def _id_rule(name: str) -> Callable[[object], int]:
    message = format_lazy(_("{field} 必须是正整数。"), field=name)

    def rule(value: object) -> int:
        if type(value) is not int or not 0 < value <= MAX_ID:
            raise _Bad(message)
        return value

    return rule


def _int_range(name: str, low: int, high: int) -> Callable[[object], int]:
    message = format_lazy(
        _("{field} 必须是 {low} 到 {high} 之间的整数。"), field=name, low=low, high=high
    )

    def rule(value: object) -> int:
        if type(value) is not int or not low <= value <= high:
            raise _Bad(message)
        return value

    return rule


def _bool_rule(name: str) -> Callable[[object], bool]:
    message = format_lazy(_("{field} 必须是 true 或 false。"), field=name)

    def rule(value: object) -> bool:
        if type(value) is not bool:
            raise _Bad(message)
        return value

    return rule


_M_BODY_TYPE = _("消息内容必须是文本。")
_M_BODY_NUL = _("消息内容不能含有 NUL 字符。")
_M_BAD_UNICODE = _("文本含有无效的 Unicode 字符（孤立的代理项）。")
_M_BODY_EMPTY = _("消息内容不能为空。")
_M_BODY_LONG = format_lazy(_("消息内容太长：最多 {limit} 个字符。"), limit=MAX_BODY_CHARS)


def _body(value: object) -> str:
    if type(value) is not str:
        raise _Bad(_M_BODY_TYPE)
    if not _utf8_ok(value):
        raise _Bad(_M_BAD_UNICODE)
    if "\x00" in value:
        raise _Bad(_M_BODY_NUL)  # PostgreSQL text cannot hold NUL; SQLite could: refuse on both
    body = normalize_text(value)
    if not body.strip(_BLANK):
        raise _Bad(_M_BODY_EMPTY)
    if len(body) > MAX_BODY_CHARS:
        raise _Bad(_M_BODY_LONG)
    return body


_M_CLIENT_ID = format_lazy(_("client_id 必须是 1 到 {limit} 个可打印字符。"), limit=MAX_ID_CHARS)


def _client_id(value: object) -> str:
    # isprintable() refuses control and format characters, NUL, lone surrogates and every space
    # but U+0020: an id that looks like what it is.
    if type(value) is not str or not 1 <= len(value) <= MAX_ID_CHARS or not value.isprintable():
        raise _Bad(_M_CLIENT_ID)
    return value


def _line_rule(name: str, limit: int) -> Callable[[object], str | None]:
    """One line of text (a title, a category); blank gives None, which required fields refuse."""
    bad_type = format_lazy(_("{field} 必须是文本。"), field=name)
    bad_char = format_lazy(_("{field} 不能含有控制字符。"), field=name)
    too_long = format_lazy(_("{field} 太长：最多 {limit} 个字符。"), field=name, limit=limit)

    def rule(value: object) -> str | None:
        if type(value) is not str:
            raise _Bad(bad_type)
        if not _utf8_ok(value):
            raise _Bad(_M_BAD_UNICODE)
        if _CONTROL.search(value):
            raise _Bad(bad_char)
        text = normalize_text(value)
        if not text.strip(_BLANK):
            return None
        if len(text) > limit:
            raise _Bad(too_long)
        return text

    return rule


_M_ROOMS = _("rooms 必须是对象：群 id → 已看到的最后一个 seq（不小于 0 的整数）。")
_M_ROOMS_MANY = format_lazy(_("一次最多同步 {limit} 个群。"), limit=SYNC_MAX_ROOMS)


def _room_key(key: object) -> int:
    """A sync room id: a string of ASCII digits (JSON object keys), or an int (msgpack)."""
    if type(key) is str and 0 < len(key) <= _MAX_INT_CHARS and key.isascii() and key.isdigit():
        room = int(key)
    elif type(key) is int:
        room = key
    else:
        raise _Bad(_M_ROOMS)
    if not 0 < room <= MAX_ID:
        raise _Bad(_M_ROOMS)
    return room


def _rooms(value: object) -> dict[int, int]:
    if type(value) is not dict:
        raise _Bad(_M_ROOMS)
    if len(value) > SYNC_MAX_ROOMS:
        raise _Bad(_M_ROOMS_MANY)
    rooms: dict[int, int] = {}
    for key, seen in value.items():
        room = _room_key(key)
        if type(seen) is not int or not 0 <= seen <= MAX_ID:
            raise _Bad(_M_ROOMS)
        # "1", "01" and 1 name one room: keep the lowest last-seen, so nothing is skipped.
        rooms[room] = min(seen, rooms.get(room, seen))
    return rooms


_M_MENTIONS = format_lazy(_("mentions 必须是用户 id 的列表，最多 {limit} 个。"), limit=MAX_MENTIONS)


def _mentions(value: object) -> tuple[int, ...]:
    if type(value) is not list or len(value) > MAX_MENTIONS:
        raise _Bad(_M_MENTIONS)
    for item in value:
        if type(item) is not int or not 0 < item <= MAX_ID:
            raise _Bad(_M_MENTIONS)
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
    "body": _body,
    "client_id": _client_id,
    "title": _line_rule("title", MAX_TITLE_CHARS),
    "category": _line_rule("category", MAX_CATEGORY_CHARS),
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
        if len(token) > _MAX_INT_CHARS:
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
    if type(ref) is str and len(ref) <= MAX_ID_CHARS and _utf8_ok(ref):
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
        except _Bad as bad:
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
        if not _utf8_ok(value):
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
    if depth >= _MAX_SERVER_NESTING:
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
            if not _utf8_ok(wire_key):
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
