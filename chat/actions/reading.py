"""Reading: the welcome, history pages, sync batches and gap fills. Nothing here writes."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from chat import events, protocol
from chat.actions.access import access_room, observed_rooms
from chat.actions.knocks import pending_knocks
from chat.models import DirectPair, Membership, Message, Pin, Room, RoomKind
from server.community.models import Person
from server.errors import ActionError, ErrorCode
from server.policy import Actor


def _page(room_id: int, low: int, high: int) -> list[dict[str, Any]]:
    """Messages with low < seq ≤ high, ascending: one range query on the (room, seq) index."""
    rows = (
        Message.objects.filter(room_id=room_id, seq__gt=low, seq__lte=high)
        .select_related("author")
        .order_by("seq")
    )
    return [events.message(m) for m in rows]


def history(actor: Actor, room_id: int, before: int | None, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` messages with seq < ``before`` (the newest without it), ascending."""
    room = access_room(actor, room_id).room
    high = room.last_seq if before is None else min(before - 1, room.last_seq)
    return _page(room.pk, max(0, high - limit), high)


def replay(
    actor: Actor, requested: dict[int, int], ceilings: dict[int, int]
) -> tuple[list[list[dict[str, Any]]], dict[int, int]]:
    """Messages for ``sync``: per room, those after the client's last seen, up to the ceiling.

    ``ceilings`` are, per room of the socket, the last seq before live delivery began: everything
    after it reaches the socket live, so replaying only up to there means the seam between
    replayed and live messages has no gap and no duplicate. At most ``protocol.SYNC_BATCH``
    per room; rooms with more are named in the returned ``more`` with the last seq sent.
    """
    unknown = [room_id for room_id in requested if room_id not in ceilings]
    if unknown:
        raise ActionError(ErrorCode.NOT_MEMBER, _("你不在这个群里。"), rooms=unknown)
    batches, more = [], {}
    for room_id, last_seen in requested.items():
        access_room(actor, room_id)  # membership may have changed since the socket opened
        high = min(ceilings[room_id], last_seen + protocol.SYNC_BATCH)
        if high > last_seen:
            batches.append(_page(room_id, last_seen, high))
        if ceilings[room_id] > high:
            more[room_id] = high
    return batches, more


def gap(actor: Actor, room_id: int, after: int, upto: int) -> list[dict[str, Any]]:
    """Messages a socket missed live (the layer dropped an event): after < seq ≤ upto."""
    access_room(actor, room_id)
    return _page(room_id, after, upto)


def _room_names(actor: Actor, rooms: list[Room]) -> dict[int, str]:
    """A direct room is named after the other party, as each side sees it."""
    direct = [r.pk for r in rooms if r.kind == RoomKind.DIRECT]
    names: dict[int, str] = {}
    for pair in DirectPair.objects.filter(room_id__in=direct).select_related("low", "high"):
        other = pair.high if pair.low_id == actor.person_id else pair.low
        names[pair.room_id] = other.display_name
    return names


def room_entries(actor: Actor, room_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """The room list of ``welcome`` (or one entry for a room joined later)."""
    pins = Prefetch("pins", queryset=Pin.objects.order_by("at"))
    if actor.is_observer:
        rooms = list(observed_rooms(actor).prefetch_related(pins))
        reads: dict[int, int] = {}
        ranks: dict[int, str] = {}
    else:
        memberships = Membership.objects.filter(person_id=actor.person_id).select_related("room")
        if room_ids is not None:
            memberships = memberships.filter(room_id__in=room_ids)
        memberships = list(
            memberships.prefetch_related(Prefetch("room__pins", queryset=pins.queryset))
        )
        rooms = [m.room for m in memberships]
        reads = {m.room_id: m.read_seq for m in memberships}
        ranks = {m.room_id: m.rank for m in memberships}
    if room_ids is not None:
        rooms = [r for r in rooms if r.pk in room_ids]
    names = _room_names(actor, rooms)
    entries = []
    for room in sorted(rooms, key=lambda r: r.pk):
        read_seq = reads.get(room.pk, room.last_seq)
        entries.append(
            {
                **events.room_summary(room, name=names.get(room.pk)),
                "read_seq": read_seq,
                "unread": room.last_seq - read_seq,
                "online": 0,
                "pins": [events.pin(p) for p in room.pins.all()],
                "rank": ranks.get(room.pk),
            }
        )
    return entries


def welcome(actor: Actor) -> dict[str, Any]:
    """The first frame on every socket: who you are (no personal data) and your rooms."""
    person = Person.objects.select_related("community", "neighbourhood").get(pk=actor.person_id)
    user = {
        **events.author(person),
        "community": person.community_id,
        "community_name": person.community.name if person.community else None,
        "neighbourhood": person.neighbourhood_id,
        "language": person.language,
    }
    return {
        "type": "welcome",
        "user": user,
        "rooms": room_entries(actor),
        "knocks": pending_knocks(actor),
    }
