"""Actions on communities and people: the one place each change is made.

Consumers, HTTP views, the admin and management commands all call these. ``check_*`` validates
and raises ``ActionError`` with nothing written; ``do_*`` and ``create_*`` make the change in one
transaction and fire the hooks in ``server.community.signals`` inside it, so the rooms a new
member is seated in commit together with the approval.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from server.community.models import (
    Community,
    District,
    Neighbourhood,
    Person,
    Role,
    Street,
    Verification,
)
from server.community.signals import (
    community_created,
    neighbourhood_created,
    person_approved,
    person_changed,
)
from server.errors import ActionError, ErrorCode
from server.policy import Actor, require_review_joins


def create_district(name: str) -> District:
    district, _created = District.objects.get_or_create(name=name)
    return district


def create_street(district: District, name: str) -> Street:
    street, _created = Street.objects.get_or_create(district=district, name=name)
    return street


@transaction.atomic
def create_community(street: Street, name: str, kind: str = Community.Kind.RESIDENTS_COMMITTEE) -> Community:
    """Create a community (居委/村); its community-wide, coordination and work rooms come with it."""
    community, created = Community.objects.get_or_create(
        street=street, name=name, defaults={"kind": kind}
    )
    if created:
        community_created.send(sender=Community, community=community)
    return community


@transaction.atomic
def create_neighbourhood(community: Community, name: str) -> Neighbourhood:
    """Create a 小区 in a community; its 小区群 comes with it."""
    neighbourhood, created = Neighbourhood.objects.get_or_create(community=community, name=name)
    if created:
        neighbourhood_created.send(sender=Neighbourhood, neighbourhood=neighbourhood)
    return neighbourhood


@transaction.atomic
def do_enrol(
    *,
    username: str,
    password: str | None,
    display_name: str,
    community: Community | None,
    role: str = Role.RESIDENT,
    neighbourhood: Neighbourhood | None = None,
    party_member: bool = False,
    **fields,
) -> Person:
    """Create an already-verified person (staff onboarding, roster import, the demo) and seat them."""
    if neighbourhood is not None and neighbourhood.community_id != getattr(community, "pk", None):
        raise ActionError(ErrorCode.INVALID, _("该小区不属于这个社区。"))
    person = Person(
        username=username,
        display_name=display_name,
        community=community,
        neighbourhood=neighbourhood,
        role=role,
        party_member=party_member,
        verification=Verification.APPROVED,
        reviewed_at=timezone.now(),
        **fields,
    )
    if password:
        person.set_password(password)
    else:
        person.set_unusable_password()
    person.save()
    person_approved.send(sender=Person, person=person)
    return person


def _locked_application(person_id: int) -> Person:
    person = Person.objects.select_for_update().filter(pk=person_id).first()
    if person is None:
        raise ActionError(ErrorCode.NOT_FOUND, _("找不到这份申请。"))
    return person


@transaction.atomic
def do_approve(actor: Actor, person_id: int) -> Person:
    """Approve a pending application: the moment the person joins their 小区群."""
    person = _locked_application(person_id)
    require_review_joins(actor, person.community_id)
    if person.verification != Verification.PENDING:
        raise ActionError(ErrorCode.CONFLICT, _("这份申请已经审核过了。"))
    person.verification = Verification.APPROVED
    person.reviewed_by_id = actor.person_id
    person.reviewed_at = timezone.now()
    person.rejection_reason = ""
    person.save(update_fields=["verification", "reviewed_by", "reviewed_at", "rejection_reason"])
    person_approved.send(sender=Person, person=person)
    return person


@transaction.atomic
def do_reject(actor: Actor, person_id: int, reason: str) -> Person:
    """Reject a pending application with a reason the applicant will see."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise ActionError(ErrorCode.INVALID, _("请填写拒绝理由（不超过200字）。"))
    person = _locked_application(person_id)
    require_review_joins(actor, person.community_id)
    if person.verification != Verification.PENDING:
        raise ActionError(ErrorCode.CONFLICT, _("这份申请已经审核过了。"))
    person.verification = Verification.REJECTED
    person.reviewed_by_id = actor.person_id
    person.reviewed_at = timezone.now()
    person.rejection_reason = reason
    person.save(update_fields=["verification", "reviewed_by", "reviewed_at", "rejection_reason"])
    return person


@transaction.atomic
def do_change_role(person: Person, *, role: str | None = None, party_member: bool | None = None) -> Person:
    """Change what a person is; the chat app moves them between role-based rooms."""
    if role is not None:
        person.role = role
    if party_member is not None:
        person.party_member = party_member
    person.save(update_fields=["role", "party_member"])
    person_changed.send(sender=Person, person=person)
    return person
