"""Server → client frames built from stored rows (plain dicts; ``chat.protocol`` encodes them)."""

from __future__ import annotations

from typing import Any

from chat.models import Message, Pin, Room
from community.models import Person
from core import roles
from core.clock import iso

__all__ = ["iso"]


def badges(person: Person) -> list[str]:
    return roles.badges(person.role, person.party_member)


def author(person: Person) -> dict[str, Any]:
    """How a person appears in rooms: the chosen display name, never the real name.

    后台实名、前台自愿: verified under the real name, seen under the name one chooses.
    """
    view: dict[str, Any] = {
        "id": person.pk,
        "display_name": person.display_name,
        "role": person.role,
        "badges": badges(person),
    }
    if person.show_building and person.building:
        view["building"] = person.building
    return view


def message(msg: Message, author_view: dict[str, Any] | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {
        "type": "message",
        "room": msg.room_id,
        "seq": msg.seq,
        "id": msg.pk,
        "author": author_view or (author(msg.author) if msg.author_id else None),
        "ts": iso(msg.created_at),
        "client_id": msg.client_id,
        "reply_to": msg.reply_to,
        "kind": msg.kind,
        "deleted": msg.deleted_at is not None,
        "edited": msg.edited_at is not None,
        "mentions": list(msg.mentions or ()),
    }
    if msg.deleted_at is None:
        frame["body"] = msg.body
    return frame


def ack(msg: Message, ref: str | None) -> dict[str, Any]:
    frame = {"type": "ack", "room": msg.room_id, "seq": msg.seq, "id": msg.pk}
    if ref is not None:
        frame["ref"] = ref
    return frame


def edited(msg: Message) -> dict[str, Any]:
    return {
        "type": "edited",
        "room": msg.room_id,
        "seq": msg.seq,
        "id": msg.pk,
        "body": msg.body,
        "edited_at": iso(msg.edited_at),
    }


def pin(p: Pin) -> dict[str, Any]:
    return {"seq": p.seq, "title": p.title, "by": p.by_id, "ts": iso(p.at)}


def pins(room_id: int, items: list[Pin]) -> dict[str, Any]:
    return {"type": "pins", "room": room_id, "pins": [pin(p) for p in items]}


def room_summary(room: Room, *, name: str | None = None) -> dict[str, Any]:
    return {
        "id": room.pk,
        "kind": room.kind,
        "name": name if name is not None else room.name,
        "description": room.description,
        "category": room.category,
        "join_policy": room.join_policy,
        "last_seq": room.last_seq,
    }
