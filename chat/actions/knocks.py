"""敲门: knocking on a neighbour's or a cadre's door, and blocking.

A knock carries the first message. The other side accepts (the direct room opens for both and
the first message becomes its seq 1) or declines (the knocker is told, politely). A knock to a
cadre cannot be declined. Either side may block the other: no further knocks, no messages.
Messages wait in the direct room for an offline recipient, so a knock doubles as a letter (信件).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat import broadcast, events, storage
from chat.actions.messages import do_send
from chat.actions.rooms import add_member
from chat.models import Block, DirectPair, Knock, Message, Room, RoomKind
from community.models import Person
from core import policy
from core.errors import ActionError, ErrorCode
from core.policy import Actor

#: Knocks one person may send in 24 hours: enough for a busy day, too few to spam a community.
KNOCKS_PER_DAY = 20
KNOCK_WINDOW = timedelta(days=1)


def _blocked_between(a: int, b: int) -> bool:
    return Block.objects.filter(
        Q(blocker_id=a, blocked_id=b) | Q(blocker_id=b, blocked_id=a)
    ).exists()


def _pair(a: int, b: int) -> DirectPair | None:
    low, high = sorted((a, b))
    return DirectPair.objects.filter(low_id=low, high_id=high).select_related("room").first()


def knock_view(knock: Knock, sender: Person) -> dict:
    return {
        "id": knock.pk,
        "from": events.author(sender),
        "to": knock.recipient_id,
        "body": knock.body,
        "status": knock.status,
        "ts": events.iso(knock.created_at),
    }


def do_knock(actor: Actor, recipient_id: int, body: str, client_id: str) -> dict:
    """Knock on someone's door. Returns ``{"knock": …}``, or ``{"room", "seq"}`` when the door
    between the two is already open (the body is then simply sent into the direct room).

    Raises:
        ActionError: ``not_found`` (no such neighbour), ``forbidden`` (blocked, observer),
            ``rate_limited`` (over ``KNOCKS_PER_DAY``), ``invalid`` (a pending knock exists).
    """
    existing = Knock.objects.filter(sender_id=actor.person_id, client_id=client_id).first()
    if existing is not None:
        return {"knock": knock_view(existing, Person.objects.get(pk=actor.person_id))}
    recipient = Person.objects.filter(pk=recipient_id).first()
    blocked = recipient is not None and _blocked_between(actor.person_id, recipient.pk)
    policy.require_knock(actor, recipient and policy.Party.of(recipient), blocked=blocked)
    assert recipient is not None  # require_knock refused an unknown id
    pair = _pair(actor.person_id, recipient.pk)
    if pair is not None:
        sent = do_send(actor, pair.room_id, body, client_id)
        return {"room": sent.message.room_id, "seq": sent.message.seq, "id": sent.message.pk}
    return {"knock": _store_knock(actor, recipient, body, client_id)}


@transaction.atomic
def _store_knock(actor: Actor, recipient: Person, body: str, client_id: str) -> dict:
    since = timezone.now() - KNOCK_WINDOW
    sent_today = Knock.objects.filter(sender_id=actor.person_id, created_at__gte=since).count()
    if sent_today >= KNOCKS_PER_DAY:
        raise ActionError(
            ErrorCode.RATE_LIMITED, _("今天敲门次数已达上限，请明天再试。"), retry_after=3600
        )
    try:
        with transaction.atomic():
            knock = Knock.objects.create(
                sender_id=actor.person_id, recipient=recipient, body=body, client_id=client_id
            )
    except IntegrityError:
        # Two at once: the same knock retried (``knock_client_id``: the original is the answer)
        # or a second knock on the same door (``one_pending_knock``).
        original = Knock.objects.filter(sender_id=actor.person_id, client_id=client_id).first()
        if original is not None:
            return knock_view(original, Person.objects.get(pk=actor.person_id))
        raise ActionError(ErrorCode.INVALID, _("你已经敲过门了，请等待对方回应。")) from None
    sender = Person.objects.get(pk=actor.person_id)
    view = knock_view(knock, sender)
    broadcast.publish_user_event(recipient.pk, {"type": "knock", "knock": view})
    return view


@transaction.atomic
def do_answer_knock(actor: Actor, knock_id: int, accept: bool) -> dict:
    """Open the door (accept) or decline politely. Returns ``{"knock", "accepted", "room"}``."""
    knock = (
        Knock.objects.select_for_update().filter(pk=knock_id, recipient_id=actor.person_id).first()
    )
    if knock is None or knock.status != Knock.Status.PENDING:
        raise ActionError(ErrorCode.NOT_FOUND, _("没有待回应的敲门。"))
    if not accept and not policy.may_decline_knock(actor.role):
        raise policy.forbidden(_("居委干部不能拒绝居民敲门，请直接回复。"))
    knock.status = Knock.Status.ACCEPTED if accept else Knock.Status.DECLINED
    knock.answered_at = timezone.now()
    room = _open_door(knock) if accept else None
    knock.room = room
    knock.save(update_fields=["status", "answered_at", "room"])
    answer = {
        "type": "knock_answered",
        "knock": knock.pk,
        "accepted": accept,
        "room": room.pk if room else None,
    }
    if not accept:
        answer["message"] = str(_("对方暂时不方便，谢谢你的来访。"))
    broadcast.publish_user_event(knock.sender_id, answer)
    return {"knock": knock.pk, "accepted": accept, "room": room.pk if room else None}


def _open_door(knock: Knock) -> Room:
    """The direct room of the two, the knock's text in it.

    New, with the text as seq 1; or, when the other side's knock opened it first (crossed
    knocks, answered one after the other or at the same moment), the existing room with the text
    as its next message. Either way the answer is the one room.
    """
    sender = Person.objects.get(pk=knock.sender_id)
    pair = _pair(knock.sender_id, knock.recipient_id)
    if pair is None:
        room = _new_direct_room(knock, sender)
        if room is not None:
            return room
        pair = _pair(knock.sender_id, knock.recipient_id)  # the other answer won the race
        assert pair is not None  # the unique (low, high) refused ours because it exists
    _deliver(knock, sender, pair.room_id)
    return pair.room


def _new_direct_room(knock: Knock, sender: Person) -> Room | None:
    """A new direct room, or None when the pair's room was made meanwhile (``one_direct_room``)."""
    low, high = sorted((knock.sender_id, knock.recipient_id))
    try:
        with transaction.atomic():  # a savepoint: a lost race leaves the answer usable
            room = Room.objects.create(
                community_id=sender.community_id,
                kind=RoomKind.DIRECT,
                name="敲门",
                join_policy=Room.JoinPolicy.INVITE,
                last_seq=1,
            )
            DirectPair.objects.create(low_id=low, high_id=high, room=room)
    except IntegrityError:
        return None
    Message.objects.create(
        room=room, seq=1, author=sender, body=knock.body, client_id=f"knock:{knock.pk}"
    )
    add_member(room, sender)
    add_member(room, Person.objects.get(pk=knock.recipient_id))
    return room


def _deliver(knock: Knock, sender: Person, room_id: int) -> None:
    """The knock's text as the next message of an open door; the room hears it after commit."""
    msg = storage.append_message(
        room_id=room_id,
        author_id=sender.pk,
        body=knock.body,
        client_id=f"knock:{knock.pk}",
        reply_to=None,
        mentions=[],
    )
    room = Room.objects.get(pk=room_id)
    broadcast.publish_room_event(
        room_id, events.message(msg, events.author(sender)), seq=msg.seq, revision=room.revision
    )


@transaction.atomic
def do_block(actor: Actor, person_id: int) -> None:
    """Block someone: their pending knocks are declined and the direct room goes quiet both ways."""
    target = Person.objects.filter(pk=person_id).first()
    policy.require_block(actor, target and policy.Party.of(target))
    Block.objects.get_or_create(blocker_id=actor.person_id, blocked_id=person_id)
    Knock.objects.filter(
        sender_id=person_id, recipient_id=actor.person_id, status=Knock.Status.PENDING
    ).update(status=Knock.Status.DECLINED, answered_at=timezone.now())


@transaction.atomic
def do_unblock(actor: Actor, person_id: int) -> None:
    Block.objects.filter(blocker_id=actor.person_id, blocked_id=person_id).delete()


def pending_knocks(actor: Actor) -> list[dict]:
    """Knocks waiting for the actor's answer (also shown after a reconnect).

    Read in two steps: almost always there are none (one hand-written statement says so on every
    connect), and then the knocks and their senders are never read.
    """
    if not storage.has_pending_knocks(actor.person_id):
        return []
    knocks = list(
        Knock.objects.filter(recipient_id=actor.person_id, status=Knock.Status.PENDING).order_by(
            "created_at"
        )
    )
    if not knocks:
        return []
    senders = Person.objects.in_bulk({k.sender_id for k in knocks})
    return [knock_view(k, senders[k.sender_id]) for k in knocks]
