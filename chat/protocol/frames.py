"""The client frames: one frozen dataclass per frame type, and the registry of wire names.

A decoded frame is a value: ``chat.protocol.parsing.decode`` builds it from untrusted bytes, the
consumer dispatches on its class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from chat.protocol.limits import HISTORY_LIMIT_DEFAULT

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
