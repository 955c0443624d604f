"""Reading: the welcome, history pages, sync batches and gap fills. Nothing here writes."""

from __future__ import annotations

from typing import Any

from chat import events, protocol, storage
from chat.actions.access import access_room, observed_rooms
from chat.actions.knocks import pending_knocks
from chat.models import DirectPair, Membership, RoomKind
from chat.recent import Ready, ready_pair
from community.directory import public_view
from community.models import Person
from core import policy
from core.policy import Actor


def _page(room_id: int, low: int, high: int) -> list[dict[str, Any]]:
    """Messages with low < seq ≤ high, ascending: one range query on the (room, seq) index."""
    return [
        events.message(msg, events.author(person) if person is not None else None)
        for msg, person in storage.message_page(room_id, low, high)
    ]


def history(actor: Actor, room_id: int, before: int | None, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` messages with seq < ``before`` (the newest without it), ascending."""
    room = access_room(actor, room_id).room
    high = room.last_seq if before is None else min(before - 1, room.last_seq)
    return _page(room.pk, max(0, high - limit), high)


def sync_ranges(
    requested: dict[int, int], ceilings: dict[int, int]
) -> tuple[dict[int, tuple[int, int]], dict[int, int]]:
    """What a ``sync`` answers: per room, the seqs ``low < seq ≤ high`` to replay, and ``more``.

    ``ceilings`` are, per room of the socket, the last seq before live delivery began: everything
    after it reaches the socket live, so replaying only up to there means the seam between
    replayed and live messages has no gap and no duplicate. At most ``protocol.SYNC_BATCH`` per
    room and ``protocol.SYNC_TOTAL`` in all; the rooms cut short are named in ``more`` with the
    last seq sent, and the client syncs again from there. No database: the socket's own state.
    """
    unknown = [room_id for room_id in requested if room_id not in ceilings]
    if unknown:
        raise policy.not_member(rooms=unknown)
    ranges, more, budget = {}, {}, protocol.SYNC_TOTAL
    for room_id, last_seen in requested.items():
        high = min(ceilings[room_id], last_seen + min(protocol.SYNC_BATCH, budget))
        if high > last_seen:
            ranges[room_id] = (last_seen, high)
            budget -= high - last_seen
        if ceilings[room_id] > max(high, last_seen):
            more[room_id] = max(high, last_seen)
    return ranges, more


def sync_pages(
    actor: Actor, ranges: dict[int, tuple[int, int]], kept: dict[int, int]
) -> dict[int, tuple[int, list[dict[str, Any]] | None]]:
    """The messages of ``sync_ranges``, per room, with the room's revision: one range query each.

    ``kept`` names rooms whose range the worker already holds as frames, with the revision they
    are current at (``chat.recent``): where the room is still at that revision, no messages are
    read (None), since nothing stored has changed. Access is checked for every room either way.
    """
    out: dict[int, tuple[int, list[dict[str, Any]] | None]] = {}
    for room_id, (low, high) in ranges.items():
        room = access_room(actor, room_id).room  # membership may have changed since connecting
        current = kept.get(room_id) == room.revision
        out[room_id] = (room.revision, None if current else _page(room_id, low, high))
    return out


def gap(actor: Actor, room_id: int, after: int, upto: int) -> list[dict[str, Any]]:
    """Messages a socket missed live (the layer dropped an event): after < seq ≤ upto."""
    access_room(actor, room_id)
    return _page(room_id, after, upto)


#: Members one ``room_members`` call returns at most (the @ picker shows a few).
MEMBERS_LIMIT = 50


def room_members(actor: Actor, room_id: int, query: str = "") -> list[dict[str, Any]]:
    """Members of a room the actor may read, by display name (the @mention picker): what the
    room shows of them anyway, no more."""
    access_room(actor, room_id)
    people = Person.objects.filter(
        pk__in=Membership.objects.filter(room_id=room_id).values("person_id")
    )
    if query.strip():
        people = people.filter(display_name__icontains=query.strip())
    return [public_view(p) for p in people.order_by("display_name", "pk")[:MEMBERS_LIMIT]]


def _room_names(actor: Actor, direct: list[int]) -> dict[int, str]:
    """A direct room is named after the other party, as each side sees it."""
    if not direct:
        return {}
    pairs = DirectPair.objects.filter(room_id__in=direct).values_list(
        "room_id", "low_id", "low__display_name", "high__display_name"
    )
    me = actor.person_id
    return {room: high if low == me else low_name for room, low, low_name, high in pairs}


def room_entries(actor: Actor, room_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """The room list of ``welcome`` (or the entries of rooms joined later).

    Runs on every connect, so its statements are hand-written (``chat.storage``).
    """
    if policy.reads_by_scope(actor):
        rooms = list(observed_rooms(actor).values(*storage.ROOM_ENTRY_FIELDS))
        mine: dict[int, tuple[str | None, int | None]] = {}
    else:
        rooms, mine = [], {}
        for rank, read_seq, room in storage.member_rooms(actor.person_id):
            rooms.append(room)
            mine[room["id"]] = (rank, read_seq)
    if room_ids is not None:
        rooms = [r for r in rooms if r["id"] in room_ids]
    names = _room_names(actor, [r["id"] for r in rooms if r["kind"] == RoomKind.DIRECT])
    pins = storage.pins_by_room([r["id"] for r in rooms])
    entries = []
    for room in sorted(rooms, key=lambda r: r["id"]):
        rank, read_seq = mine.get(room["id"], (None, room["last_seq"]))
        entries.append(
            {
                **room,
                "name": names.get(room["id"], room["name"]),
                "read_seq": read_seq,
                "unread": room["last_seq"] - read_seq,
                "online": 0,
                "pins": pins.get(room["id"], []),
                "rank": rank,
            }
        )
    return entries


def welcome(actor: Actor, person: Person | None = None) -> dict[str, Any]:
    """The first frame on every socket: who you are (no personal data) and your rooms.

    ``person`` is the connecting person as the handshake loaded them (read again if not given).
    """
    if person is None:
        person = Person.objects.only(*WELCOME_PERSON_FIELDS).get(pk=actor.person_id)
    community_id = person.community_id
    user = {
        **events.author(person),
        "community": community_id,
        "community_name": storage.community_name(community_id) if community_id else None,
        "neighbourhood": person.neighbourhood_id,
        "language": person.language,
    }
    return {
        "type": "welcome",
        "user": user,
        "rooms": room_entries(actor),
        "knocks": pending_knocks(actor),
    }


WELCOME_PERSON_FIELDS = (
    "display_name",
    "role",
    "party_member",
    "show_building",
    "building",
    "community_id",
    "neighbourhood_id",
    "language",
)


def sync_ready(
    actor: Actor, ranges: dict[int, tuple[int, int]], kept: dict[int, int]
) -> dict[int, tuple[int, list[Ready] | None]]:
    """``sync_pages``, with each page made ready to write (``chat.recent.ready_pair``)."""
    return {
        room_id: (revision, None if page is None else [ready_pair(m) for m in page])
        for room_id, (revision, page) in sync_pages(actor, ranges, kept).items()
    }
