"""Who may do what to whom — the rulebook: every rule in one place.

Functions take plain values and run no queries (like Synapse's ``event_auth``): the acting person
(``Actor``), the room as the rules see it (``RoomFacts``), a person's seat in it (``Seat``, or None
where they are not a member) and the person acted on (``Party``). Actions load these, ask here, and
act. ``may_*`` answers yes or no; ``require_*`` raises ``ActionError`` with the contract's code.

tests/test_policy.py is the specification: one table of role × act × room kind, every row a call
of a function below. A new rule gets its rows there. This module imports no app (core/ sits below
them all): roles, ranks and room kinds are the plain values of ``core.roles`` and ``core.rooms``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from core import text
from core.clock import iso
from core.errors import ActionError, ErrorCode
from core.roles import COORDINATION_ROLES, MODERATOR_RANKS, OFFICIAL_ROLES, Rank, Role
from core.rooms import PUBLIC_ROOM_KINDS, JoinPolicy, RoomKind, WorkGroup

#: Residents may correct a message for this long after sending it; after that it stands as sent.
EDIT_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Actor:
    """The person acting, with what the rules need (Synapse's ``Requester``).

    Actions take an Actor, never a request or a socket scope, so tests call them directly.
    """

    person_id: int
    role: str
    community_id: int | None
    party_member: bool
    observer_street_id: int | None
    observer_district_id: int | None
    approved: bool
    is_staff: bool = False
    display_name: str = ""
    language: str = "zh-hans"
    #: The building shown beside the display name, when the person chose to show it ("" if not).
    building: str = ""

    @classmethod
    def of(cls, person: Any) -> Actor:
        """From a ``community.models.Person`` (read by attribute: core imports no app)."""
        return cls(
            person_id=person.pk,
            role=person.role,
            community_id=person.community_id,
            party_member=person.party_member,
            observer_street_id=person.observer_street_id,
            observer_district_id=person.observer_district_id,
            approved=person.is_approved,
            is_staff=person.is_staff,
            display_name=person.display_name,
            language=person.language,
            building=person.building if person.show_building else "",
        )

    @property
    def is_observer(self) -> bool:
        return self.role == Role.OBSERVER

    @property
    def is_official(self) -> bool:
        return self.role in OFFICIAL_ROLES

    @property
    def is_cadre(self) -> bool:
        return self.role == Role.CADRE


@dataclass(frozen=True, slots=True)
class Place:
    """Where a community lies: what an observer's scope is checked against."""

    street_id: int
    district_id: int

    @classmethod
    def of(cls, community: Any) -> Place:
        return cls(community.street_id, community.street.district_id)


@dataclass(frozen=True, slots=True)
class Seat:
    """One person's membership of one room, as the rules read it (None where not a member)."""

    rank: str = Rank.MEMBER
    muted_until: datetime | None = None
    muted_forever: bool = False

    @classmethod
    def of(cls, membership: Any) -> Seat | None:
        """From a ``chat.models.Membership`` (or None)."""
        if membership is None:
            return None
        return cls(membership.rank, membership.muted_until, membership.muted_forever)

    def muted(self, now: datetime) -> bool:
        return self.muted_forever or (self.muted_until is not None and self.muted_until > now)


@dataclass(frozen=True, slots=True)
class RoomFacts:
    """A room as the rules read it.

    ``neighbourhood_id`` is None for the community-wide room; ``blocked`` says whether a block
    stands between the two people of a direct room.
    """

    kind: str
    community_id: int
    place: Place | None = None
    join_policy: str = JoinPolicy.AUTOMATIC
    work_group: str = WorkGroup.NONE
    neighbourhood_id: int | None = None
    muted_until: datetime | None = None
    muted_forever: bool = False
    blocked: bool = False

    @classmethod
    def of(cls, room: Any, place: Place | None = None, *, blocked: bool = False) -> RoomFacts:
        """From a ``chat.models.Room``."""
        return cls(
            kind=room.kind,
            community_id=room.community_id,
            place=place,
            join_policy=room.join_policy,
            work_group=room.work_group,
            neighbourhood_id=room.neighbourhood_id,
            muted_until=room.muted_until,
            muted_forever=room.muted_forever,
            blocked=blocked,
        )

    def muted(self, now: datetime) -> bool:
        """全员禁言 holds."""
        return self.muted_forever or (self.muted_until is not None and self.muted_until > now)


@dataclass(frozen=True, slots=True)
class Party:
    """The person an act is done to (or whose rooms are decided): what the rules read of them."""

    person_id: int
    role: str
    community_id: int | None = None
    approved: bool = True
    party_member: bool = False
    neighbourhood_id: int | None = None
    seat: Seat | None = None

    @classmethod
    def of(cls, person: Any, seat: Seat | None = None) -> Party:
        """From a ``community.models.Person``, with their seat in the room at hand."""
        return cls(
            person_id=person.pk,
            role=person.role,
            community_id=person.community_id,
            approved=person.is_approved,
            party_member=person.party_member,
            neighbourhood_id=person.neighbourhood_id,
            seat=seat,
        )

    @property
    def rank(self) -> str | None:
        return self.seat.rank if self.seat else None


def forbidden(message: Any = None) -> ActionError:
    return ActionError(ErrorCode.FORBIDDEN, message or _("你没有权限这样做。"))


def not_member(**extra: Any) -> ActionError:
    """The one answer for "no such room" and "not yours", so direct rooms do not leak."""
    return ActionError(ErrorCode.NOT_MEMBER, _("你不在这个群里。"), **extra)


# --- Communities and joining -----------------------------------------------------------------


def is_reviewer(actor: Actor) -> bool:
    """Staff, or an approved cadre: the only people who review join applications anywhere."""
    return actor.is_staff or (actor.approved and actor.is_cadre)


def may_review_joins(actor: Actor, community_id: int | None) -> bool:
    """A cadre of the community approves or rejects join applications (staff may too)."""
    return actor.is_staff or (is_reviewer(actor) and actor.community_id == community_id)


def require_review_joins(actor: Actor, community_id: int | None) -> None:
    if not may_review_joins(actor, community_id):
        raise forbidden(_("只有本社区的居委干部可以审核入群申请。"))


#: Roles a cadre may enrol directly; cadres and observers are appointed by staff.
CADRE_ENROLLED_ROLES = frozenset(
    {Role.RESIDENT, Role.MODERATOR, Role.OWNERS_COMMITTEE, Role.PROPERTY, Role.POLICE}
)


def require_enrol(actor: Actor, community_id: int, role: str) -> None:
    """A cadre enrols someone they vouch for (and hands over their activation code)."""
    require_review_joins(actor, community_id)
    if role not in CADRE_ENROLLED_ROLES:
        raise ActionError(ErrorCode.INVALID, _("不能这样设置这个角色。"), field="role")


def require_review_application(actor: Actor, applicant_community_id: int | None) -> None:
    """Approve or reject one application: ``applicant_community_id`` is None when no such id.

    Someone who reviews nowhere is ``forbidden`` whatever the id; a cadre naming a person of
    another community hears ``not_found``, the answer for an id that does not exist, so ids
    cannot be probed across communities.
    """
    if not is_reviewer(actor):
        raise forbidden(_("只有本社区的居委干部可以审核入群申请。"))
    if applicant_community_id is None or not may_review_joins(actor, applicant_community_id):
        raise ActionError(ErrorCode.NOT_FOUND, _("找不到这份申请。"))


def may_manage_invites(actor: Actor, community_id: int) -> bool:
    return may_review_joins(actor, community_id)


def require_manage_invites(actor: Actor, community_id: int) -> None:
    if not may_manage_invites(actor, community_id):
        raise forbidden(_("只有本社区的居委干部可以管理邀请码。"))


def may_find_people(actor: Actor) -> bool:
    """The community's directory (找邻居, the committee list), for knocking: approved people of a
    community. Observers never knock, so they have no directory."""
    return actor.approved and not actor.is_observer and actor.community_id is not None


def require_find_people(actor: Actor) -> None:
    if not may_find_people(actor):
        raise forbidden()


def may_manage_person(actor: Actor, community_id: int | None) -> bool:
    """A cadre of the person's community changes their role, 小区 or account (staff anywhere)."""
    return actor.is_staff or (community_id is not None and may_review_joins(actor, community_id))


def require_manage_person(actor: Actor, community_id: int | None) -> None:
    if not may_manage_person(actor, community_id):
        raise forbidden(_("只有本社区的居委干部可以调整居民的身份、小区或账号。"))


def may_observe(actor: Actor, place: Place | None) -> bool:
    """An observer sees the public rooms of communities in their street or district (观察权限)."""
    if place is None or not (actor.approved and actor.is_observer):
        return False
    if actor.observer_street_id is not None:
        return place.street_id == actor.observer_street_id
    if actor.observer_district_id is not None:
        return place.district_id == actor.observer_district_id
    return False


# --- Rooms that follow address and role ------------------------------------------------------


def in_coordination_room(role: str) -> bool:
    """五位一体: party branch/committee, owners' committee, property and police, never residents."""
    return role in COORDINATION_ROLES


def seated_automatically(person: Party) -> bool:
    """Approved people of a community have automatic rooms; observers and applicants none."""
    return person.approved and person.community_id is not None and person.role != Role.OBSERVER


def automatic_rank(person: Party, room: RoomFacts) -> str | None:
    """A person's rank in one of their community's automatic rooms, or None where not seated.

    Cadres own every room of the community (群主); residents and resident moderators sit in
    their own 小区群 and the community-wide room (moderators as 版主); the coordination room
    seats the 五位一体 roles; the party members' room (党员群) seats party members; the staff
    work room (居委工作群) is the cadres' alone.
    """
    if not seated_automatically(person) or room.community_id != person.community_id:
        return None
    if room.kind not in (RoomKind.NEIGHBOURHOOD, RoomKind.COORDINATION, RoomKind.WORK):
        return None
    if person.role == Role.CADRE:
        return Rank.OWNER
    if room.kind == RoomKind.COORDINATION:
        return Rank.MEMBER if in_coordination_room(person.role) else None
    if room.kind == RoomKind.WORK:
        party_room = room.work_group == WorkGroup.PARTY
        return Rank.MEMBER if party_room and person.party_member else None
    if person.role not in (Role.RESIDENT, Role.MODERATOR):
        return None
    if room.neighbourhood_id not in (None, person.neighbourhood_id):
        return None
    return Rank.MODERATOR if person.role == Role.MODERATOR else Rank.MEMBER


# --- Reading ---------------------------------------------------------------------------------


def member_may_read(actor: Actor) -> bool:
    """A member reads their rooms while approved (a suspended resident reads nothing)."""
    return actor.approved


def may_read_room(actor: Actor, room: RoomFacts, seat: Seat | None) -> bool:
    """Members read their rooms; observers read the public rooms of communities in their scope."""
    if seat is not None:
        return member_may_read(actor)
    return room.kind in PUBLIC_ROOM_KINDS and may_observe(actor, room.place)


def require_read_room(actor: Actor, room: RoomFacts, seat: Seat | None) -> None:
    if not may_read_room(actor, room, seat):
        raise not_member()


def reads_by_scope(actor: Actor) -> bool:
    """Observers read the public rooms their scope covers, never by membership (they have none)."""
    return actor.is_observer


def may_see_who(actor: Actor) -> bool:
    """Who came and went, who reads: members see it; observers see counts, never who."""
    return not actor.is_observer


def seen_online(actor: Actor) -> bool:
    """Observers watch unseen: they never count as online in the rooms they read."""
    return not actor.is_observer


def may_see_officials_online(actor: Actor) -> bool:
    """Officials see which officials sharing a room with them are online (who is on duty)."""
    return actor.approved and actor.is_official


# --- Sending ---------------------------------------------------------------------------------


def require_send(actor: Actor, room: RoomFacts, seat: Seat | None, now: datetime) -> None:
    """A member may post unless muted, alone or with the whole room (全员禁言, moderators excepted),
    and never across a block in a direct room.

    Observers only ever read (观察权限): their send is ``forbidden``, not ``not_member``.
    """
    if seat is None:
        if may_read_room(actor, room, seat):
            raise forbidden(_("观察员只能查看，不能发言。"))
        raise not_member()
    if not member_may_read(actor):
        raise not_member()
    if seat.muted(now):
        until = None if seat.muted_forever else iso(seat.muted_until)
        raise ActionError(ErrorCode.MUTED, _("你已被禁言。"), until=until)
    if seat.rank not in MODERATOR_RANKS and room.muted(now):
        until = None if room.muted_forever else iso(room.muted_until)
        raise ActionError(ErrorCode.MUTED, _("本群正在全员禁言。"), until=until)
    if room.kind == RoomKind.DIRECT and room.blocked:
        raise forbidden(_("对方已不接收你的消息。"))


def require_typing(actor: Actor, *, reads_room: bool) -> None:
    """Typing is for those who read the room (``reads_room``: it is one of their socket's rooms)
    and may speak in it: observers only read."""
    if not reads_room:
        raise not_member()
    if actor.is_observer:
        raise forbidden(_("观察员只能查看，不能发言。"))


def require_edit(
    actor: Actor,
    room: RoomFacts,
    seat: Seat | None,
    *,
    author_id: int | None,
    sent_at: datetime,
    now: datetime,
) -> None:
    """One's own message, within ``EDIT_WINDOW``, while one may still send in the room."""
    if author_id != actor.person_id:
        raise forbidden(_("只能修改自己的消息。"))
    require_send(actor, room, seat, now)
    if now - sent_at > EDIT_WINDOW:
        raise forbidden(_("消息发出超过15分钟，不能再修改。"))


def mention_reaches(*, recipient_is_member: bool, recipient_blocks_author: bool) -> bool:
    """An @mention notifies members of the room, never someone who blocked its author."""
    return recipient_is_member and not recipient_blocks_author


# --- Moderating ------------------------------------------------------------------------------


def may_moderate(actor: Actor, rank: str | None) -> bool:
    """群主 and 版主 moderate their room: pin, mute, delete others' messages, decide joins."""
    return actor.approved and not actor.is_observer and rank in MODERATOR_RANKS


def require_moderate(actor: Actor, rank: str | None) -> None:
    if not may_moderate(actor, rank):
        raise forbidden(_("只有群主或版主可以这样做。"))


def may_act_on(actor: Actor, rank: str | None, target: Party) -> bool:
    """Whom a moderator may act on (delete their message, mute, unmute, remove).

    Never oneself, a room's owner (群主), a cadre or an observer. A cadre acts on anyone else in
    their rooms; a resident moderator acts on residents only — never on an official (居委, 业委会,
    物业, 民警) or another moderator, by role or by rank in the room.
    """
    if not may_moderate(actor, rank) or target.person_id == actor.person_id:
        return False
    if target.rank == Rank.OWNER or target.role in (Role.CADRE, Role.OBSERVER):
        return False
    if actor.is_cadre:
        return True
    return (
        target.role not in OFFICIAL_ROLES
        and target.role != Role.MODERATOR
        and target.rank not in MODERATOR_RANKS
    )


def require_act_on(actor: Actor, rank: str | None, target: Party) -> None:
    """``forbidden`` unless ``may_act_on`` (the moderator's own right is checked first)."""
    require_moderate(actor, rank)
    if target.person_id == actor.person_id:
        raise forbidden(_("不能对自己这样做。"))
    if not may_act_on(actor, rank, target):
        raise forbidden(_("不能对居委干部、官方人员、其他版主、观察员或群主这样做。"))


def require_mute(actor: Actor, rank: str | None, target: Party) -> None:
    """Muting oneself is ``invalid`` (a slip, not a right); the rest as ``require_act_on``."""
    require_moderate(actor, rank)
    if target.person_id == actor.person_id:
        raise ActionError(ErrorCode.INVALID, _("不能对自己禁言。"))
    require_act_on(actor, rank, target)


def require_delete(actor: Actor, seat: Seat | None, author: Party | None) -> bool:
    """Delete a message: one's own as a member, or another's as a moderator who may act on its
    author (``author`` None: a system message, any moderator's). Returns True when it is a
    moderation act (audited)."""
    rank = seat.rank if seat else None
    if author is None:
        require_moderate(actor, rank)
        return True
    if author.person_id == actor.person_id and seat is not None:
        return False
    require_act_on(actor, rank, author)
    return True


def may_read_audit(actor: Actor, room: RoomFacts, seat: Seat | None) -> bool:
    """The moderation log: the room's owners and moderators, and observers whose scope covers
    the room (全程可监督、可追溯)."""
    if seat is not None:
        return may_moderate(actor, seat.rank)
    return may_read_room(actor, room, seat) and may_observe(actor, room.place)


def require_read_audit(actor: Actor, room: RoomFacts, seat: Seat | None) -> None:
    require_read_room(actor, room, seat)
    if not may_read_audit(actor, room, seat):
        raise forbidden(_("只有群主、版主或观察员可以查看管理记录。"))


# --- Topic rooms (专题公共群) ------------------------------------------------------------------


def may_create_topic(actor: Actor) -> bool:
    """Cadres and resident moderators open topic rooms (专题公共群)."""
    return actor.approved and actor.role in (Role.CADRE, Role.MODERATOR)


def may_see_topic(actor: Actor, room: RoomFacts) -> bool:
    """Every approved member of a community sees its topic rooms; nobody else knows of them."""
    return (
        room.kind == RoomKind.TOPIC
        and actor.approved
        and not actor.is_observer
        and room.community_id == actor.community_id
    )


def require_see_topic(actor: Actor, room: RoomFacts | None) -> None:
    if room is None or not may_see_topic(actor, room):
        raise ActionError(ErrorCode.NOT_FOUND, _("找不到这个专题群。"))


def join_outcome(actor: Actor, room: RoomFacts, seat: Seat | None, *, removed: bool) -> str:
    """``already``, ``joined`` (an open room) or ``applied`` (the owners decide).

    Someone removed from an open room cannot walk back in: until an owner or moderator approves
    their application, their ``join`` is an application, as in an approval-only room.
    """
    require_see_topic(actor, room)
    if seat is not None:
        return "already"
    if room.join_policy == JoinPolicy.OPEN and not removed:
        return "joined"
    return "applied"


def require_leave(actor: Actor, room: RoomFacts, seat: Seat | None, *, other_owners: int) -> None:
    """Anyone leaves a topic room but its last owner: a room nobody answers for could not be
    moderated, nor (approval-only) joined. Other rooms follow address and role."""
    require_see_topic(actor, room)
    if seat is None:
        raise not_member()
    if seat.rank == Rank.OWNER and other_owners == 0:
        raise forbidden(_("你是本群唯一的群主，不能退出。"))


def require_remove(actor: Actor, rank: str | None, target: Party) -> None:
    """A moderator removes a member they may act on (never the owner, never oneself)."""
    require_moderate(actor, rank)
    if target.seat is None:
        raise ActionError(ErrorCode.NOT_FOUND, _("对方不在这个群里。"))
    require_act_on(actor, rank, target)


# --- 敲门 and blocking -------------------------------------------------------------------------


def require_knock(actor: Actor, recipient: Party | None, *, blocked: bool) -> None:
    """敲门: within one's own community, never on oneself, never across a block.

    ``recipient`` is None when the id does not exist: the same ``not_found`` as someone of
    another community.
    """
    if not actor.approved or actor.is_observer:
        raise forbidden(_("观察员不能敲门。"))
    if recipient is not None and recipient.person_id == actor.person_id:
        raise ActionError(ErrorCode.INVALID, _("不能敲自己的门。"))
    if (
        recipient is None
        or not recipient.approved
        or recipient.community_id is None
        or recipient.community_id != actor.community_id
        or recipient.role == Role.OBSERVER
    ):
        raise ActionError(ErrorCode.NOT_FOUND, _("找不到这位邻居。"))
    if blocked:
        raise forbidden(_("对方暂时不接受敲门。"))


def may_decline_knock(recipient_role: str) -> bool:
    """A knock to a cadre cannot be declined, only answered."""
    return recipient_role != Role.CADRE


def require_block(actor: Actor, target: Party | None) -> None:
    """Block someone of one's own community. Oneself, an unknown id and a person of another
    community get the same ``invalid``, so ids cannot be probed across communities."""
    if (
        target is None
        or target.person_id == actor.person_id
        or target.community_id is None
        or target.community_id != actor.community_id
    ):
        raise ActionError(ErrorCode.INVALID, _("无法屏蔽这个人。"))


#: Words that name an office or its holder: party secretary, director, the residents' committee,
#: village committee, owners' committee, police, the property company, grid worker, street office,
#: administrator, "official" — in simplified and traditional forms. Compared after ``text.fold``
#: (spaces, punctuation, invisible characters and full-width forms do not hide them).
OFFICIAL_TITLES = (
    "书记", "書記", "支书", "支書", "主任", "居委", "村委", "业委", "業委", "民警", "警官", "警察",
    "派出所", "公安", "物业", "物業", "网格员", "網格員", "街道办", "街道辦", "管理员", "管理員",
    "官方",
)  # fmt: skip
#: Roles whose display name may not look like an official's: residents, moderators included.
_NO_OFFICIAL_TITLE_ROLES = frozenset({Role.RESIDENT, Role.MODERATOR})


def may_take_display_name(role: str, display_name: str) -> bool:
    """A resident may not call themself 李书记 and look like the cadre (冒充干部); officials,
    whose role is shown beside their name anyway, may name their office."""
    if role not in _NO_OFFICIAL_TITLE_ROLES:
        return True
    folded = text.fold(display_name)
    return not any(title in folded for title in OFFICIAL_TITLES)


def require_display_name(role: str, display_name: str) -> None:
    if not may_take_display_name(role, display_name):
        raise ActionError(
            ErrorCode.INVALID,
            _("昵称不能使用书记、主任、居委、民警、物业等职务称呼。"),
            field="display_name",
        )
