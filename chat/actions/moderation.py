"""群主 tools: pin 议题, mute, and the audit log (全程可监督、可追溯).

Deleting others' messages is ``chat.actions.messages.do_delete``; removing a member is
``chat.actions.rooms.do_remove_member``. Every act that changes something is written to
``AuditEntry`` in the same transaction, so a refused act leaves no record of being done; an act
that changes nothing (lifting a mute that is not there) is answered and not recorded, so no flood
of no-ops can bury a real act in the log.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat import broadcast, events
from chat.actions.access import RoomAccess, access_room
from chat.models import AuditEntry, Membership, Message, Pin, Room
from community.models import Person
from core import policy
from core.errors import ActionError, ErrorCode
from core.policy import Actor

#: How many 议题 a room may have pinned at once: a pinned set is read at a glance, not scrolled.
MAX_PINS = 10


def audit(room: Room, actor: Actor, action: str, **target) -> AuditEntry:
    return AuditEntry.objects.create(
        room=room,
        actor_id=actor.person_id,
        action=action,
        target_person_id=target.get("target_person_id"),
        target_seq=target.get("target_seq"),
        detail=target.get("detail", {}),
    )


def _moderated(actor: Actor, room_id: int) -> RoomAccess:
    access = access_room(actor, room_id, lock=True)
    policy.require_moderate(actor, access.rank)
    return access


def _publish_pins(room: Room) -> None:
    pins = list(Pin.objects.filter(room=room).order_by("at"))
    broadcast.publish_room_event(room.pk, events.pins(room.pk, pins))


@transaction.atomic
def do_pin(actor: Actor, room_id: int, seq: int, title: str | None = None) -> None:
    """Pin a message as a 议题 or announcement; every member receives the new pinned set."""
    access = _moderated(actor, room_id)
    room = access.room
    msg = Message.objects.filter(room=room, seq=seq, deleted_at__isnull=True).first()
    if msg is None:
        raise ActionError(ErrorCode.NOT_FOUND, _("消息不存在或已删除。"))
    if Pin.objects.filter(room=room).count() >= MAX_PINS:
        raise ActionError(ErrorCode.INVALID, _("最多置顶10条。"))
    _pin, created = Pin.objects.get_or_create(
        room=room, seq=seq, defaults={"title": title or "", "by_id": actor.person_id}
    )
    if created:
        audit(room, actor, "pin", target_seq=seq, detail={"title": title or ""})
        _publish_pins(room)


@transaction.atomic
def do_unpin(actor: Actor, room_id: int, seq: int) -> None:
    access = _moderated(actor, room_id)
    deleted, _rows = Pin.objects.filter(room=access.room, seq=seq).delete()
    if not deleted:
        raise ActionError(ErrorCode.NOT_FOUND, _("这条消息没有置顶。"))
    audit(access.room, actor, "unpin", target_seq=seq)
    _publish_pins(access.room)


def _member(access: RoomAccess, person_id: int) -> tuple[Membership, policy.Party]:
    """The member acted on, locked, and as the rules read them; ``not_found`` if not a member."""
    target = (
        Membership.objects.select_for_update()
        .select_related("person")
        .filter(room=access.room, person_id=person_id)
        .first()
    )
    if target is None:
        raise ActionError(ErrorCode.NOT_FOUND, _("对方不在这个群里。"))
    return target, policy.Party.of(target.person, policy.Seat.of(target))


@transaction.atomic
def do_mute(actor: Actor, room_id: int, person_id: int, minutes: int) -> str | None:
    """Mute a member for ``minutes`` (0 = until lifted). Returns ``until`` (ISO) or None.

    Whom (``core.policy.require_mute``): not oneself, not the owner, a cadre or an observer; a
    resident moderator residents only.
    """
    access = _moderated(actor, room_id)
    target, party = _member(access, person_id)
    policy.require_mute(actor, access.rank, party)
    if minutes == 0 and target.muted_forever:
        return None  # muted until lifted already: nothing changes, nothing is recorded
    until = None if minutes == 0 else timezone.now() + timedelta(minutes=minutes)
    target.muted_until, target.muted_forever = until, minutes == 0
    target.save(update_fields=["muted_until", "muted_forever"])
    until_iso = events.iso(until)
    audit(access.room, actor, "mute", target_person_id=person_id, detail={"minutes": minutes})
    broadcast.publish_room_event(
        room_id, {"type": "muted", "room": room_id, "user": person_id, "until": until_iso}
    )
    return until_iso


@transaction.atomic
def do_unmute(actor: Actor, room_id: int, person_id: int) -> None:
    """Lift a member's mute: whom one may mute, one may unmute — never oneself (a muted moderator
    does not lift their own mute)."""
    access = _moderated(actor, room_id)
    target, party = _member(access, person_id)
    policy.require_act_on(actor, access.rank, party)
    if not (party.seat and party.seat.muted(timezone.now())):
        return  # not muted: nothing changes, nothing is recorded
    target.muted_until, target.muted_forever = None, False
    target.save(update_fields=["muted_until", "muted_forever"])
    audit(access.room, actor, "unmute", target_person_id=person_id)
    broadcast.publish_room_event(room_id, {"type": "unmuted", "room": room_id, "user": person_id})


#: Entries per page of the audit log, unless the reader asks for fewer (at most ``AUDIT_PAGE_MAX``).
AUDIT_PAGE = 50
AUDIT_PAGE_MAX = 100


def audit_log(
    actor: Actor, room_id: int, before: int | None = None, limit: int = AUDIT_PAGE
) -> list[dict]:
    """A page of the room's moderation record, newest first: the entries with ids below
    ``before`` (the newest without it). Its owners and moderators read it, and the observers
    whose scope covers the room (``core.policy.require_read_audit``).

    Each entry: ``{id, ts, actor: {id, display_name}, action, target, reason}``; ``target`` is
    ``{user, display_name, seq}`` (the person acted on, or the author of a deleted message, and
    the message; nulls where none) plus what the act said (a mute's ``minutes``, a pin's
    ``title``).
    """
    access = access_room(actor, room_id)
    policy.require_read_audit(actor, access.facts(), access.seat)
    entries = AuditEntry.objects.filter(room=access.room)
    if before is not None:
        entries = entries.filter(pk__lt=before)
    page = list(entries.order_by("-pk")[: max(1, min(limit, AUDIT_PAGE_MAX))])
    people = {e.actor_id for e in page} | {e.target_person_id for e in page} - {None}
    names = dict(Person.objects.filter(pk__in=people).values_list("pk", "display_name"))
    return [_entry_view(e, names) for e in page]


def _entry_view(entry: AuditEntry, names: dict[int, str]) -> dict:
    detail = dict(entry.detail)
    reason = detail.pop("reason", None)
    user = entry.target_person_id
    return {
        "id": entry.pk,
        "ts": events.iso(entry.at),
        "actor": {"id": entry.actor_id, "display_name": names.get(entry.actor_id, "")},
        "action": entry.action,
        "target": {
            "user": user,
            "display_name": None if user is None else names.get(user, ""),
            "seq": entry.target_seq,
            **detail,
        },
        "reason": reason or None,
    }


def check_promote(actor: Actor, room_id: int, seq: int) -> None:
    """Who may promote a thread into a tracked issue (工单): the room's 群主 and 版主.

    Tracked issues themselves are not part of this server yet, so a permitted promote is answered
    ``unknown_type``; a resident's is ``forbidden`` either way, and nothing is written or audited.
    """
    access = access_room(actor, room_id)
    policy.require_moderate(actor, access.rank)
    if not Message.objects.filter(room=access.room, seq=seq, deleted_at__isnull=True).exists():
        raise ActionError(ErrorCode.NOT_FOUND, _("消息不存在或已删除。"))
    raise ActionError(ErrorCode.UNKNOWN_TYPE, _("工单功能尚未开放。"))
