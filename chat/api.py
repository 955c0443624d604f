"""HTTP side of the chat: rooms, history, topic rooms, the audit log (docs/protocol.md)."""

from __future__ import annotations

from typing import Annotated

from ninja import Query, Router, Schema, Status
from pydantic import AfterValidator, Field

from chat import protocol
from chat.actions import moderation, reading, rooms
from community.http import AUTH
from core import text
from core.policy import Actor

router = Router(tags=["rooms"], auth=AUTH)


def _actor(request) -> Actor:
    return Actor.of(request.auth)


class RoomOut(Schema):
    id: int
    kind: str
    name: str
    last_seq: int
    unread: int = 0
    description: str = ""
    category: str = ""


class Author(Schema):
    id: int
    display_name: str
    role: str
    badges: list[str]
    building: str | None = None  # only when the author chose to show it


class MessageOut(Schema):
    room: int
    seq: int
    id: int
    author: Author | None
    body: str | None = None
    ts: str
    client_id: str | None
    reply_to: int | None
    kind: str
    deleted: bool
    edited: bool
    mentions: list[int]


class PageIn(Schema):
    before: int | None = Field(None, ge=1, le=2**63 - 1)
    limit: int = Field(50, ge=1, le=protocol.HISTORY_LIMIT_MAX)


def _text(rule, field: str, limit: int) -> AfterValidator:
    """Linli's text rule for a field (``core.text``): a refusal is a 400 ``invalid``."""
    return AfterValidator(text.field_rule(rule, field=field, limit=limit, empty_ok=False))


class TopicIn(Schema):
    """A new topic room; its texts go through Linli's text rules."""

    name: Annotated[str, _text(text.name, "name", 60)] = Field(..., min_length=1, max_length=60)
    description: Annotated[str, _text(text.paragraph, "description", 500)] = Field(
        "", max_length=500
    )
    category: Annotated[str, _text(text.line, "category", 20)] = "其他"
    open_to_all: bool = True


class TopicOut(RoomOut):
    join_policy: str
    joined: bool


@router.get("/rooms", response=list[RoomOut])
def list_rooms(request):
    """The rooms the caller is in (observers: the public rooms they watch)."""
    return reading.room_entries(_actor(request))


@router.get("/rooms/{room_id}/messages", response=list[MessageOut], exclude_unset=True)
def room_messages(request, room_id: int, page: Query[PageIn]):
    """Up to ``limit`` messages with seq < ``before`` (the newest page without it), ascending."""
    return reading.history(_actor(request), room_id, page.before, page.limit)


class MemberOut(Schema):
    id: int
    display_name: str
    role: str
    badges: list[str]


@router.get("/rooms/{room_id}/members", response=list[MemberOut])
def room_members(request, room_id: int, q: str = Query("", max_length=50)):
    """Members of the room by display name (for @mentions), at most 50."""
    return reading.room_members(_actor(request), room_id, q)


@router.get("/topics", response=list[TopicOut])
def list_topics(request):
    """Every topic room (专题公共群) of the caller's community, joined or not."""
    return rooms.list_topic_rooms(_actor(request))


@router.post("/topics", response={201: TopicOut})
def create_topic(request, data: TopicIn):
    room = rooms.create_topic_room(_actor(request), **data.dict())
    entry = next(t for t in rooms.list_topic_rooms(_actor(request)) if t["id"] == room.pk)
    return Status(201, entry)


@router.post("/topics/{room_id}/join")
def join_topic(request, room_id: int):
    """Join an open topic room, or apply to one that needs the owner's approval."""
    return {"outcome": rooms.do_join_topic(_actor(request), room_id)}


class AuditPageIn(Schema):
    before: int | None = Field(None, ge=1, le=2**63 - 1)
    limit: int = Field(moderation.AUDIT_PAGE, ge=1, le=moderation.AUDIT_PAGE_MAX)


@router.get("/rooms/{room_id}/audit")
def room_audit(request, room_id: int, page: Query[AuditPageIn]):
    """The room's moderation record (全程可监督), newest first: entries with ids below ``before``,
    at most ``limit``; for its owners and moderators and the observers whose scope covers it."""
    return moderation.audit_log(_actor(request), room_id, page.before, page.limit)
