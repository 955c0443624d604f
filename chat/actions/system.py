"""System messages (joins, approvals, later: issue updates) numbered like any other message."""

from __future__ import annotations

from chat import broadcast, events
from chat.models import Message, Room


def next_seq(room_id: int) -> tuple[Room, int]:
    """Lock the room row and take its next seq, in the caller's transaction.

    The row lock serialises writers to one room, so seq runs 1, 2, 3 … with no gap and no repeat
    (a database sequence would leave gaps on rollback and commit out of order). On SQLite the
    IMMEDIATE transaction mode gives the same serialisation.
    """
    room = Room.objects.select_for_update(no_key=True).get(pk=room_id)
    room.last_seq += 1
    Room.objects.filter(pk=room_id).update(last_seq=room.last_seq)
    return room, room.last_seq


def post_system_message(room: Room, text: str) -> Message:
    """Append a system message to a room; published after commit."""
    locked, seq = next_seq(room.pk)
    msg = Message.objects.create(room=locked, seq=seq, kind=Message.Kind.SYSTEM, body=str(text))
    broadcast.publish_room_event(room.pk, events.message(msg), seq=seq, revision=locked.revision)
    return msg
