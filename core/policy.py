"""Who may do what to whom — every rule in one place.

Functions take already-loaded state and run no queries (like Synapse's ``event_auth``), so each
rule is a line in a table of test cases. ``may_*`` answers yes or no; ``require_*`` raises
``ActionError`` with the contract's code. Every later feature adds its rules here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from community.models import (
    COORDINATION_ROLES,
    OFFICIAL_ROLES,
    Community,
    Person,
    Role,
    Verification,
)
from core.clock import iso
from core.errors import ActionError, ErrorCode


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
    def of(cls, person: Person) -> Actor:
        return cls(
            person_id=person.pk,
            role=person.role,
            community_id=person.community_id,
            party_member=person.party_member,
            observer_street_id=person.observer_street_id,
            observer_district_id=person.observer_district_id,
            approved=person.verification == Verification.APPROVED and person.is_active,
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


def forbidden(message=None) -> ActionError:
    return ActionError(ErrorCode.FORBIDDEN, message or _("你没有权限这样做。"))


# --- Communities and joining -----------------------------------------------------------------


def may_review_joins(actor: Actor, community_id: int) -> bool:
    """A cadre of the community approves or rejects join applications (staff may too)."""
    return actor.is_staff or (
        actor.approved and actor.is_cadre and actor.community_id == community_id
    )


def require_review_joins(actor: Actor, community_id: int) -> None:
    if not may_review_joins(actor, community_id):
        raise forbidden(_("只有本社区的居委干部可以审核入群申请。"))


def may_manage_invites(actor: Actor, community_id: int) -> bool:
    return may_review_joins(actor, community_id)


def require_manage_invites(actor: Actor, community_id: int) -> None:
    if not may_manage_invites(actor, community_id):
        raise forbidden(_("只有本社区的居委干部可以管理邀请码。"))


@dataclass(frozen=True, slots=True)
class Place:
    """Where a community lies: what an observer's scope is checked against."""

    street_id: int
    district_id: int

    @classmethod
    def of(cls, community: Community) -> Place:
        return cls(community.street_id, community.street.district_id)


def may_observe(actor: Actor, place: Place) -> bool:
    """An observer sees the public rooms of communities in their street or district (观察权限)."""
    if not (actor.approved and actor.is_observer):
        return False
    if actor.observer_street_id is not None:
        return place.street_id == actor.observer_street_id
    if actor.observer_district_id is not None:
        return place.district_id == actor.observer_district_id
    return False


# --- Rooms -------------------------------------------------------------------------------------


def in_coordination_room(role: str) -> bool:
    """五位一体: party branch/committee, owners' committee, property and police, never residents."""
    return role in COORDINATION_ROLES


# --- Chat: reading, sending, moderating ------------------------------------------------------
# Room and membership values come in already loaded; ``kind`` and ``rank`` are the string values
# of chat.models.RoomKind and Membership.Rank (this module does not import the chat app).

PUBLIC_ROOM_KINDS = frozenset({"neighbourhood", "topic"})
MODERATOR_RANKS = frozenset({"owner", "moderator"})


def not_member(**extra) -> ActionError:
    """The one answer for "no such room" and "not yours", so direct rooms do not leak."""
    return ActionError(ErrorCode.NOT_MEMBER, _("你不在这个群里。"), **extra)


def member_may_read(actor: Actor) -> bool:
    """A member reads their rooms while approved (a suspended resident reads nothing)."""
    return actor.approved


def may_read_room(actor: Actor, room_kind: str, place: Place, is_member: bool) -> bool:
    """Members read their rooms; observers read the public rooms of communities in their scope."""
    if is_member:
        return member_may_read(actor)
    return room_kind in PUBLIC_ROOM_KINDS and may_observe(actor, place)


def require_read_room(actor: Actor, room_kind: str, place: Place, is_member: bool) -> None:
    if not may_read_room(actor, room_kind, place, is_member):
        raise not_member()


def require_send(
    actor: Actor,
    *,
    is_member: bool,
    observer_can_read: bool,
    mute_until,
    muted_forever: bool,
    room_mute_until,
    room_muted_forever: bool,
    rank: str | None,
    now,
) -> None:
    """A member may post unless muted, alone or with the whole room (全员禁言, moderators excepted).

    Observers only ever read (观察权限): their send is ``forbidden``, not ``not_member``.
    """
    if not is_member:
        if observer_can_read:
            raise forbidden(_("观察员只能查看，不能发言。"))
        raise not_member()
    if muted_forever or (mute_until is not None and mute_until > now):
        raise ActionError(
            ErrorCode.MUTED,
            _("你已被禁言。"),
            until=None if muted_forever else iso(mute_until),
        )
    if rank not in MODERATOR_RANKS and (
        room_muted_forever or (room_mute_until is not None and room_mute_until > now)
    ):
        raise ActionError(
            ErrorCode.MUTED,
            _("本群正在全员禁言。"),
            until=None if room_muted_forever else iso(room_mute_until),
        )


def may_moderate(actor: Actor, rank: str | None) -> bool:
    """群主 and 版主 moderate their room: pin, mute, delete others' messages, decide joins."""
    return actor.approved and not actor.is_observer and rank in MODERATOR_RANKS


def require_moderate(actor: Actor, rank: str | None) -> None:
    if not may_moderate(actor, rank):
        raise forbidden(_("只有群主或版主可以这样做。"))


def require_mute_target(actor: Actor, target_role: str, target_rank: str | None) -> None:
    """Nobody mutes a cadre, an observer or a room's owner (muting oneself is ``invalid``)."""
    if target_role in (Role.CADRE, Role.OBSERVER) or target_rank == "owner":
        raise forbidden(_("不能对居委干部、观察员或群主禁言。"))


def may_create_topic(actor: Actor) -> bool:
    """Cadres and resident moderators open topic rooms (专题公共群)."""
    return actor.approved and actor.role in (Role.CADRE, Role.MODERATOR)


def require_knock(actor: Actor, recipient: Person, blocked: bool) -> None:
    """敲门: within one's own community, never on oneself, never across a block."""
    if not actor.approved or actor.is_observer:
        raise forbidden(_("观察员不能敲门。"))
    if recipient.pk == actor.person_id:
        raise ActionError(ErrorCode.INVALID, _("不能敲自己的门。"))
    if (
        not recipient.is_approved
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
