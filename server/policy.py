"""Who may do what to whom — every rule in one place.

Functions take already-loaded state and run no queries (like Synapse's ``event_auth``), so each
rule is a line in a table of test cases. ``may_*`` answers yes or no; ``require_*`` raises
``ActionError`` with the contract's code. Every later feature adds its rules here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from server.community.models import (
    COORDINATION_ROLES,
    OFFICIAL_ROLES,
    Community,
    Person,
    Role,
    Verification,
)
from server.errors import ActionError, ErrorCode


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


def may_observe(actor: Actor, community: Community) -> bool:
    """An observer sees the public rooms of communities in their street or district (观察权限)."""
    if not (actor.approved and actor.is_observer):
        return False
    if actor.observer_street_id is not None:
        return community.street_id == actor.observer_street_id
    if actor.observer_district_id is not None:
        return community.street.district_id == actor.observer_district_id
    return False


def may_import_residents(actor: Actor, community_id: int) -> bool:
    return may_review_joins(actor, community_id)


# --- Rooms -------------------------------------------------------------------------------------


def in_coordination_room(role: str) -> bool:
    """五位一体: party branch/committee, owners' committee, property and police, never residents."""
    return role in COORDINATION_ROLES


def may_knock_anyone(actor: Actor) -> bool:
    """Officials may knock on anyone in their community; residents knock on neighbours too."""
    return actor.is_official
