"""Soft state that is never stored: typing (read from the database: ``presence.reads``)."""

from __future__ import annotations

import time

from chat import broadcast
from core import policy
from core.policy import Actor
from presence.online import runtime

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
    try:
        return await runtime().store.claim(f"typing:{person_id}:{room_id}", TYPING_INTERVAL_S)
    except Exception:
        return True
