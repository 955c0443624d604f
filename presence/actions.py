"""Soft state that is never stored: typing."""

from __future__ import annotations

import time

from django.utils.translation import gettext_lazy as _

from chat import broadcast
from server import policy
from server.errors import ActionError, ErrorCode
from server.policy import Actor

#: One typing event per person per room this often at most; clients expire the indicator
#: themselves after TYPING_TTL_S, so a lost "stopped typing" can never stick.
TYPING_INTERVAL_S = 3.0
TYPING_TTL_S = 6.0


class TypingThrottle:
    """Remembers when each room last relayed this connection's typing."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.last: dict[int, float] = {}

    def due(self, room_id: int) -> bool:
        now = self.clock()
        if now - self.last.get(room_id, float("-inf")) < TYPING_INTERVAL_S:
            return False
        self.last[room_id] = now
        return True


async def relay_typing(actor: Actor, room_id: int, rooms: dict[int, int], throttle: TypingThrottle) -> None:
    """Tell a room that the actor is typing; silently dropped when throttled.

    ``rooms`` are the rooms of the actor's socket (a room outside them is ``not_member``).
    Observers read only, so their typing is ``forbidden``.
    """
    if room_id not in rooms:
        raise ActionError(ErrorCode.NOT_MEMBER, _("你不在这个群里。"))
    if actor.is_observer:
        raise policy.forbidden(_("观察员只能查看，不能发言。"))
    if not throttle.due(room_id):
        return
    frame = {"type": "typing", "room": room_id, "user": actor.person_id,
             "display_name": actor.display_name, "ttl": TYPING_TTL_S}
    await broadcast.apublish_room_event_now(room_id, frame)
