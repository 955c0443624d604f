"""Rooms and who is in them.

Automatic rooms follow from a person's address and role: the 小区群 of their neighbourhood and the
community-wide room for residents; every neighbourhood room, the coordination room (五位一体) and
the work rooms for cadres; the coordination room for the owners' committee, property and police;
the party members' room (党员群) for party members. Topic rooms are joined by choice. Every change
of membership tells the person's open sockets at once (``linli.control`` join/leave), so they start
or stop receiving the room's events without reconnecting.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat import broadcast, events
from chat.actions.system import post_system_message
from chat.models import AuditEntry, JoinRequest, Membership, Room, RoomKind
from community.models import Community, Neighbourhood, Person, Role
from core import policy
from core.errors import ActionError, ErrorCode
from core.policy import Actor
from core.roles import MODERATOR_RANKS
from core.rooms import AUTOMATIC_ROOM_KINDS

Rank = Membership.Rank
TOPIC_CATEGORIES = ("互助", "闲置物品", "兴趣", "志愿", "议事", "其他")


# --- Rooms that come with a community -------------------------------------------------------


def create_community_rooms(community: Community) -> None:
    """The community-wide room, the coordination room and the two work rooms (1+2+N's "2")."""
    Room.objects.get_or_create(
        community=community,
        kind=RoomKind.NEIGHBOURHOOD,
        neighbourhood=None,
        defaults={"name": f"{community.name}社区群"},
    )
    Room.objects.get_or_create(
        community=community, kind=RoomKind.COORDINATION, defaults={"name": "五位一体协调群"}
    )
    for group, name in ((Room.WorkGroup.PARTY, "党员群"), (Room.WorkGroup.STAFF, "居委工作群")):
        Room.objects.get_or_create(
            community=community, kind=RoomKind.WORK, work_group=group, defaults={"name": name}
        )


def create_neighbourhood_room(neighbourhood: Neighbourhood) -> Room:
    """A 小区群; the community's cadres are seated in it as owners."""
    room, _created = Room.objects.get_or_create(
        community_id=neighbourhood.community_id,
        kind=RoomKind.NEIGHBOURHOOD,
        neighbourhood=neighbourhood,
        defaults={"name": f"{neighbourhood.name}小区群"},
    )
    cadres = Person.objects.filter(
        community_id=neighbourhood.community_id, role=Role.CADRE, verification="approved"
    )
    facts = policy.RoomFacts.of(room)
    for cadre in cadres:
        rank = policy.automatic_rank(policy.Party.of(cadre), facts)
        if rank is not None:
            add_member(room, cadre, rank)
    return room


# --- Automatic membership ---------------------------------------------------------------------


def automatic_rooms(person: Person) -> dict[int, str]:
    """The rooms a person belongs in by address and role, with their rank in each
    (``core.policy.automatic_rank``)."""
    party = policy.Party.of(person)
    if not policy.seated_automatically(party):
        return {}
    rooms = Room.objects.filter(community_id=person.community_id, kind__in=AUTOMATIC_ROOM_KINDS)
    wanted: dict[int, str] = {}
    for room in rooms:
        rank = policy.automatic_rank(party, policy.RoomFacts.of(room))
        if rank is not None:
            wanted[room.pk] = rank
    return wanted


def add_member(room: Room, person: Person, rank: str = Rank.MEMBER) -> Membership:
    """Seat a person (or change their rank) and open the room on their sockets after commit."""
    membership, created = Membership.objects.get_or_create(
        room=room, person=person, defaults={"rank": rank}
    )
    if not created and membership.rank != rank:
        membership.rank = rank
        membership.save(update_fields=["rank"])
    if created:
        broadcast.publish_user_control(person.pk, "join", room=room.pk)
    return membership


def drop_member(room: Room, person_id: int) -> bool:
    """Unseat a person; their sockets leave the room's group at once, on every worker."""
    deleted, _rows = Membership.objects.filter(room=room, person_id=person_id).delete()
    if deleted:
        broadcast.publish_user_control(person_id, "leave", room=room.pk)
    return bool(deleted)


@transaction.atomic
def seat_person(person: Person) -> None:
    """Bring a person's automatic memberships in line with their address and role.

    Called on approval (the moment a resident joins their 小区群) and on any change of role or
    address. Topic rooms of the person's community and direct rooms are left alone; topic rooms
    of a community they moved out of are left with the rest.
    """
    wanted = automatic_rooms(person)
    held = Membership.objects.filter(person=person).select_related("room")
    current = {
        m.room_id: m
        for m in held
        if m.room.kind != RoomKind.DIRECT
        and (m.room.kind != RoomKind.TOPIC or m.room.community_id != person.community_id)
    }
    rooms = Room.objects.in_bulk(list(wanted))
    for room_id, rank in wanted.items():
        add_member(rooms[room_id], person, rank)
        if room_id not in current and rooms[room_id].kind == RoomKind.NEIGHBOURHOOD:
            post_system_message(
                rooms[room_id], _("%(name)s 加入了本群。") % {"name": person.display_name}
            )
    for room_id, membership in current.items():
        if room_id not in wanted:
            drop_member(membership.room, person.pk)


# --- Topic rooms (专题公共群) ------------------------------------------------------------------


@transaction.atomic
def create_topic_room(
    actor: Actor,
    *,
    name: str,
    description: str = "",
    category: str = "其他",
    open_to_all: bool = True,
) -> Room:
    """A cadre or a resident moderator opens a topic room; the creator owns it."""
    if not policy.may_create_topic(actor):
        raise policy.forbidden(_("只有居委干部或居民版主可以创建专题群。"))
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ActionError(ErrorCode.INVALID, _("群名称不能为空，且不超过60字。"))
    if category not in TOPIC_CATEGORIES:
        raise ActionError(ErrorCode.INVALID, _("未知的专题类别。"))
    if len(description or "") > 500:
        raise ActionError(ErrorCode.INVALID, _("群简介不超过500字。"))
    room = Room.objects.create(
        community_id=actor.community_id,
        kind=RoomKind.TOPIC,
        name=name,
        description=description or "",
        category=category,
        join_policy=Room.JoinPolicy.OPEN if open_to_all else Room.JoinPolicy.APPROVAL,
        created_by_id=actor.person_id,
    )
    add_member(room, Person.objects.get(pk=actor.person_id), Rank.OWNER)
    return room


def list_topic_rooms(actor: Actor) -> list[dict]:
    """Every topic room of the actor's community (visible to all its members), with ``joined``."""
    rooms = Room.objects.filter(community_id=actor.community_id, kind=RoomKind.TOPIC).order_by("pk")
    mine = set(
        Membership.objects.filter(person_id=actor.person_id, room__in=rooms).values_list(
            "room_id", flat=True
        )
    )
    return [{**events.room_summary(r), "joined": r.pk in mine} for r in rooms]


def _topic_for(actor: Actor, room_id: int) -> Room:
    """A topic room the actor may see (``not_found`` for any other id, so none leaks)."""
    room = Room.objects.filter(pk=room_id).first()
    policy.require_see_topic(actor, room and policy.RoomFacts.of(room))
    assert room is not None  # require_see_topic refused a missing room
    return room


def _seat(room: Room, person_id: int) -> Membership | None:
    return Membership.objects.filter(room=room, person_id=person_id).first()


def _removed_since_approved(room: Room, person_id: int) -> bool:
    """Removed from the room, and not let back in by an owner or moderator since.

    The audit log is the record of removals (nothing edits or deletes it); an approved
    application after the last removal lets the person walk in again.
    """
    removed = (
        AuditEntry.objects.filter(room=room, action="remove", target_person_id=person_id)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    if removed is None:
        return False
    return not JoinRequest.objects.filter(
        room=room,
        person_id=person_id,
        status=JoinRequest.Status.APPROVED,
        decided_at__gte=removed,
    ).exists()


@transaction.atomic
def do_join_topic(actor: Actor, room_id: int) -> str:
    """Join an open topic room at once, or apply to one that needs approval.

    Returns ``"joined"``, ``"applied"`` or ``"already"``.
    """
    room = _topic_for(actor, room_id)
    person = Person.objects.get(pk=actor.person_id)
    outcome = policy.join_outcome(
        actor,
        policy.RoomFacts.of(room),
        policy.Seat.of(_seat(room, actor.person_id)),
        removed=_removed_since_approved(room, actor.person_id),
    )
    if outcome == "already":
        return outcome
    if outcome == "joined":
        add_member(room, person)
        return outcome
    request, created = JoinRequest.objects.get_or_create(
        room=room, person=person, status=JoinRequest.Status.PENDING
    )
    if created:
        frame = {
            "type": "join_request",
            "room": room.pk,
            "user": events.author(person),
            "ts": events.iso(request.created_at),
        }
        owners = Membership.objects.filter(room=room, rank__in=MODERATOR_RANKS)
        for owner_id in owners.values_list("person_id", flat=True):
            broadcast.publish_user_event(owner_id, frame)
    return "applied"


@transaction.atomic
def do_answer_join(actor: Actor, room_id: int, person_id: int, accept: bool) -> str:
    """The room's owner or a moderator approves or refuses an application."""
    room = _topic_for(actor, room_id)
    rank = (
        Membership.objects.filter(room=room, person_id=actor.person_id)
        .values_list("rank", flat=True)
        .first()
    )
    policy.require_moderate(actor, rank)
    request = (
        JoinRequest.objects.select_for_update()
        .filter(room=room, person_id=person_id, status=JoinRequest.Status.PENDING)
        .first()
    )
    if request is None:
        raise ActionError(ErrorCode.NOT_FOUND, _("没有待审核的申请。"))
    request.status = JoinRequest.Status.APPROVED if accept else JoinRequest.Status.REFUSED
    request.decided_by_id = actor.person_id
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    if accept:
        add_member(room, request.person)
    broadcast.publish_user_event(
        person_id, {"type": "join_answered", "room": room.pk, "accepted": accept}
    )
    return request.status


@transaction.atomic
def do_leave_topic(actor: Actor, room_id: int) -> None:
    """Leave a topic room (neighbourhood, coordination and work rooms follow address and role);
    its last owner stays (``core.policy.require_leave``)."""
    room = _topic_for(actor, room_id)
    seat = _seat(room, actor.person_id)
    other_owners = (
        Membership.objects.filter(room=room, rank=Rank.OWNER)
        .exclude(person_id=actor.person_id)
        .count()
    )
    policy.require_leave(
        actor, policy.RoomFacts.of(room), policy.Seat.of(seat), other_owners=other_owners
    )
    drop_member(room, actor.person_id)


@transaction.atomic
def do_remove_member(actor: Actor, room_id: int, person_id: int) -> None:
    """A moderator removes a member from a topic room; the removal takes effect at once.

    Whom (``core.policy.require_remove``): never the owner or oneself; a resident moderator
    residents only. The removed person's next ``join`` is an application.
    """
    room = _topic_for(actor, room_id)
    seats = {
        m.person_id: m
        for m in Membership.objects.select_related("person").filter(
            room=room, person_id__in=[actor.person_id, person_id]
        )
    }
    mine, theirs = seats.get(actor.person_id), seats.get(person_id)
    target = (
        policy.Party.of(theirs.person, policy.Seat.of(theirs))
        if theirs is not None
        else policy.Party(person_id=person_id, role="")
    )
    policy.require_remove(actor, mine.rank if mine else None, target)
    drop_member(room, person_id)
    from chat.actions.moderation import audit

    audit(room, actor, "remove", target_person_id=person_id)
