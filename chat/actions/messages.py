"""Sending, editing, deleting and reading messages.

One database transaction per send: check the sender's right, take the room's next seq (the
``UPDATE`` holds the room row lock until commit, so seqs are gapless and ordered), insert,
commit — then ring the doorbell. ``ack`` is returned only after the commit, so an ack means
stored. The per-message statements are in ``chat.storage``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat import broadcast, events, storage
from chat.actions.access import RoomAccess, access_room
from chat.models import Block, DirectPair, Membership, Message, Room, RoomKind
from community.models import Person
from core import policy
from core.errors import ActionError, ErrorCode
from core.policy import Actor

#: Residents may correct a message for this long after sending it (the rule is ``core.policy``'s).
EDIT_WINDOW = policy.EDIT_WINDOW
#: A message may name at most this many people to notify.
MAX_MENTIONS = 20


@dataclass(frozen=True, slots=True)
class Sent:
    """The outcome of a send: the stored message (new, or the original of a retried client_id)."""

    message: Message
    duplicate: bool


def _existing(actor: Actor, client_id: str, room_id: int) -> Message | None:
    original = Message.objects.filter(author_id=actor.person_id, client_id=client_id).first()
    if original is not None and original.room_id != room_id:
        raise ActionError(ErrorCode.INVALID, _("这个 client_id 已在别的群用过，请换一个。"))
    return original


def _check_reply(room: Room, reply_to: int | None) -> None:
    if reply_to is None:
        return
    if reply_to > room.last_seq:
        raise ActionError(ErrorCode.INVALID, _("回复的消息不存在。"))
    target = Message.objects.filter(room=room, seq=reply_to).values_list("deleted_at", flat=True)
    if not target.exists() or target.first() is not None:
        raise ActionError(ErrorCode.NOT_FOUND, _("回复的消息已被删除。"))


def _direct_blocked(room: Room, actor: Actor) -> bool:
    pair = DirectPair.objects.filter(room=room).first()
    if pair is None:
        return False
    other = pair.high_id if pair.low_id == actor.person_id else pair.low_id
    return Block.objects.filter(
        blocker_id__in=(actor.person_id, other), blocked_id__in=(actor.person_id, other)
    ).exists()


def _room_facts(actor: Actor, access: RoomAccess) -> policy.RoomFacts:
    blocked = access.room.kind == RoomKind.DIRECT and _direct_blocked(access.room, actor)
    return access.facts(blocked=blocked)


def _check_send(actor: Actor, access: RoomAccess) -> None:
    policy.require_send(actor, _room_facts(actor, access), access.seat, timezone.now())


def _valid_mentions(actor: Actor, room: Room, mentions: list[int]) -> list[int]:
    """The mentioned people a notification reaches: members who have not blocked the author."""
    if not mentions:
        return []
    if len(mentions) > MAX_MENTIONS:
        raise ActionError(ErrorCode.INVALID, _("一条消息最多提醒20人。"))
    wanted = list(dict.fromkeys(mentions))
    members = set(
        Membership.objects.filter(room=room, person_id__in=wanted).values_list(
            "person_id", flat=True
        )
    )
    blockers = set(
        Block.objects.filter(blocked_id=actor.person_id, blocker_id__in=members).values_list(
            "blocker_id", flat=True
        )
    )
    return [
        pid
        for pid in wanted
        if policy.mention_reaches(
            recipient_is_member=pid in members, recipient_blocks_author=pid in blockers
        )
    ]


def do_send(
    actor: Actor,
    room_id: int,
    body: str,
    client_id: str,
    reply_to: int | None = None,
    mentions: list[int] | None = None,
) -> Sent:
    """Store a message and publish it to the room after commit.

    The checks read what is committed; the message is stored by one data-modifying statement
    that takes the room's next seq and inserts (its own transaction on PostgreSQL; one
    transaction on SQLite): nothing is stored without its seq, and no seq without its message.
    A retry with the same ``client_id`` stores nothing and returns the original message.

    Raises:
        ActionError: ``not_member``, ``forbidden`` (observer, blocked), ``muted`` (with ``until``),
            ``invalid`` / ``not_found`` (a bad ``reply_to``, a client_id from another room).
    """
    try:
        return Sent(_store(actor, room_id, body, client_id, reply_to, mentions or []), False)
    except (IntegrityError, ActionError):
        # Retries are rare, so they are recognised only when storing fails: the unique
        # (author, client_id) refused the insert, or the sender may no longer send (muted since)
        # but the message was stored before. Either way the original is acked, once.
        original = _existing(actor, client_id, room_id)
        if original is None:
            raise
        return Sent(original, duplicate=True)


def _store(
    actor: Actor, room_id: int, body: str, client_id: str, reply_to: int | None, mentions: list[int]
) -> Message:
    # No transaction around the checks: like a transaction at READ COMMITTED, they see what was
    # committed when each ran, and the append is atomic by itself (``storage.append_message``).
    access = access_room(actor, room_id)
    _check_send(actor, access)
    room = access.room
    _check_reply(room, reply_to)
    notified = _valid_mentions(actor, room, mentions)
    msg = storage.append_message(
        room_id=room.pk,
        author_id=actor.person_id,
        body=body,
        client_id=client_id,
        reply_to=reply_to,
        mentions=notified,
    )
    author_view = _author_view(actor)
    broadcast.publish_room_event(
        room.pk, events.message(msg, author_view), seq=msg.seq, revision=room.revision
    )
    for person_id in notified:
        broadcast.publish_user_event(
            person_id, {"type": "mention", "room": room.pk, "seq": msg.seq, "by": author_view}
        )
    return msg


def _author_view(actor: Actor) -> dict:
    person = Person(
        pk=actor.person_id,
        display_name=actor.display_name,
        role=actor.role,
        party_member=actor.party_member,
        show_building=bool(actor.building),
        building=actor.building,
    )
    return events.author(person)


def _own_message(actor: Actor, room_id: int, seq: int) -> tuple[RoomAccess, Message]:
    access = access_room(actor, room_id, lock=True)
    msg = Message.objects.select_for_update().filter(room=access.room, seq=seq).first()
    if msg is None or msg.deleted_at is not None:
        raise ActionError(ErrorCode.NOT_FOUND, _("消息不存在或已删除。"))
    return access, msg


@transaction.atomic
def do_edit(actor: Actor, room_id: int, seq: int, body: str) -> Message:
    """Edit one's own message within ``EDIT_WINDOW``; the room receives ``edited``."""
    access, msg = _own_message(actor, room_id, seq)
    policy.require_edit(
        actor,
        _room_facts(actor, access),
        access.seat,
        author_id=msg.author_id,
        sent_at=msg.created_at,
        now=timezone.now(),
    )
    msg.body = body
    msg.edited_at = timezone.now()
    msg.save(update_fields=["body", "edited_at"])
    _revise(room_id)
    broadcast.publish_room_event(room_id, events.edited(msg))
    return msg


@transaction.atomic
def do_delete(actor: Actor, room_id: int, seq: int) -> Message:
    """Delete a message: one's own, or as a room moderator one whose author they may act on
    (audited; ``core.policy.require_delete``).

    The message becomes a tombstone for everyone; its seq stays.
    """
    access, msg = _own_message(actor, room_id, seq)
    moderated = policy.require_delete(actor, access.seat, _author_party(access.room, msg))
    msg.deleted_at = timezone.now()
    msg.deleted_by_id = actor.person_id
    msg.body = ""  # the text is gone for good, not hidden
    msg.save(update_fields=["deleted_at", "deleted_by", "body"])
    _revise(room_id)
    if moderated:
        from chat.actions.moderation import audit

        audit(access.room, actor, "delete", target_person_id=msg.author_id, target_seq=seq)
    broadcast.publish_room_event(room_id, events.message(msg))
    return msg


def _author_party(room: Room, msg: Message) -> policy.Party | None:
    """The author of a message as the rules read them, with their seat in the room now."""
    if msg.author_id is None:
        return None
    author = Person.objects.get(pk=msg.author_id)
    seat = Membership.objects.filter(room=room, person_id=msg.author_id).first()
    return policy.Party.of(author, policy.Seat.of(seat))


def _revise(room_id: int) -> None:
    """A stored message changed: frames of the room kept from before are stale (``chat.recent``)."""
    Room.objects.filter(pk=room_id).update(revision=F("revision") + 1)


def do_read(actor: Actor, room_id: int, seq: int) -> int:
    """Move the read marker forward (never back); all the person's devices learn the new unread.

    Returns the unread count. A seq past the room's last is ``invalid``. A member's marker moving
    forward, the usual case, is one statement (its own transaction); anything else is looked
    into with two, the second again a single update that moves the marker only forward.
    """
    if policy.member_may_read(actor):
        last_seq = storage.advance_member_read(room_id, actor.person_id, seq)
        if last_seq is not None:
            unread = last_seq - seq
            broadcast.publish_user_event(
                actor.person_id, {"type": "read", "room": room_id, "seq": seq, "unread": unread}
            )
            return unread
    access = access_room(actor, room_id)
    if access.membership is None:
        return 0  # observers keep no markers
    if seq > access.room.last_seq:
        raise ActionError(ErrorCode.INVALID, _("已读位置超出了最新消息。"))
    moved = storage.advance_read(access.membership.pk, seq)
    read_seq = max(seq, access.membership.read_seq)
    unread = access.room.last_seq - read_seq
    if moved:
        broadcast.publish_user_event(
            actor.person_id, {"type": "read", "room": room_id, "seq": read_seq, "unread": unread}
        )
    return unread
