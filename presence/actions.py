"""Soft state that is never stored: typing; and what presence reads from the database."""

from __future__ import annotations

import time

from django.db.models import Count

from chat import broadcast
from chat.models import Membership
from community.models import Person
from core import policy
from core.policy import Actor
from core.roles import OFFICIAL_ROLES

#: One typing event per person per room this often at most (per socket, then per person across
#: their devices and the workers); clients expire the indicator themselves after TYPING_TTL_S,
#: so a lost "stopped typing" can never stick.
TYPING_INTERVAL_S = 3.0
TYPING_TTL_S = 6.0


class TypingThrottle:
    """Remembers when each room last relayed this connection's typing."""

    __slots__ = ("clock", "last")  # one per socket: no instance dict

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.last: dict[int, float] = {}

    def due(self, room_id: int) -> bool:
        now = self.clock()
        if now - self.last.get(room_id, float("-inf")) < TYPING_INTERVAL_S:
            return False
        self.last[room_id] = now
        return True


async def relay_typing(
    actor: Actor, room_id: int, rooms: dict[int, int], throttle: TypingThrottle
) -> None:
    """Tell a room that the actor is typing; silently dropped when throttled.

    ``rooms`` are the rooms of the actor's socket (a room outside them is ``not_member``).
    Observers read only, so their typing is ``forbidden``.
    """
    policy.require_typing(actor, reads_room=room_id in rooms)
    if not throttle.due(room_id) or not await _first_device(actor.person_id, room_id):
        return
    frame = {
        "type": "typing",
        "room": room_id,
        "user": actor.person_id,
        "display_name": actor.display_name,
        "ttl": TYPING_TTL_S,
    }
    await broadcast.apublish_room_event_now(room_id, frame)


async def _first_device(person_id: int, room_id: int) -> bool:
    """Per person, not per socket: the phone and the laptop typing at once relay once.

    The socket's own throttle already stopped a flood before it costs a store round trip; if
    the store is down, that throttle alone applies.
    """
    from presence.online import runtime

    try:
        return await runtime().store.claim(f"typing:{person_id}:{room_id}", TYPING_INTERVAL_S)
    except Exception:
        return True


# --- What presence reads from the database (never written: presence is soft state) -----------


def member_counts(room_ids: list[int]) -> dict[int, int]:
    """Members per room (one query): decides which rooms name individuals in ``presence``."""
    rows = (
        Membership.objects.filter(room_id__in=room_ids)
        .values("room_id")
        .annotate(n=Count("id"))
        .values_list("room_id", "n")
    )
    return dict(rows)


def officials_in_shared_rooms(actor: Actor) -> list[dict]:
    """The officials (居委, 物业, 民警, 业委会) who share at least one room with the actor.

    Only people who share a room with the viewer may be seen online; officials share the
    coordination room (五位一体) with a cadre, so this is the cadre's "who is on duty" list.
    """
    mine = Membership.objects.filter(person_id=actor.person_id).values("room_id")
    return list(
        Person.objects.filter(role__in=OFFICIAL_ROLES, memberships__room_id__in=mine)
        .exclude(pk=actor.person_id)
        .distinct()
        .order_by("pk")
        .values("id", "display_name", "role")
    )
