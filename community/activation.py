"""Activation codes (激活码): how people others enrolled get in.

A roster import or a cadre enrols a person without a password. Each such person gets a one-time
code, printed on their building's activation sheet or sent by the cadre; with it they choose
their password and display name at ``/activate/<code>``. A code expires after
``ACTIVATION_DAYS``, works once, and is replaced (the old one stops working) when a cadre issues
a new one to someone who lost theirs. Only the code's SHA-256 is stored. Every issue is written
to the personal-data access log: whoever hands out a code can read the household's address.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import actions
from community.actions import (
    INVITE_ALPHABET,
    check_password_strength,
    checked_display_name,
    record_personal_data_access,
)
from community.identity import check_id_number, check_phone, identity_fields
from community.models import ActivationCode, Neighbourhood, Person, Role
from community.signals import person_changed
from core.errors import ActionError, ErrorCode
from core.policy import Actor, require_enrol, require_review_joins

#: Long enough to reach everyone in a building, short enough that a lost sheet soon goes stale.
ACTIVATION_DAYS = 14
#: 12 characters of 31 ≈ 59 bits, and a code works once: not guessable.
ACTIVATION_LENGTH = 12
#: What the access log says an issue was for.
PURPOSE = "activation_code"


@dataclass(frozen=True, slots=True)
class Issued:
    """A code just issued: the clear code exists only here, to print or send."""

    person: Person
    code: str
    expires_at: datetime


def issue_activation(actor: Actor | None, person: Person) -> Issued:
    """A new one-time code for ``person``; any earlier unused code stops working.

    Args:
        actor: the cadre (or staff) issuing it; ``None`` for the operator's console.

    Raises:
        ActionError: ``forbidden`` unless the actor reviews the person's community.
    """
    return issue_activations(actor, [person])[0]


@transaction.atomic
def issue_activations(actor: Actor | None, people: list[Person]) -> list[Issued]:
    """``issue_activation`` for many people at once (a building's sheet), in one transaction."""
    if actor is not None:
        for community_id in {p.community_id for p in people}:
            require_review_joins(actor, community_id)
    now = timezone.now()
    expires_at = now + timedelta(days=ACTIVATION_DAYS)
    ActivationCode.objects.filter(person__in=people, used_at__isnull=True, revoked=False).update(
        revoked=True
    )
    issued, rows = [], []
    for person in people:
        code = "".join(secrets.choice(INVITE_ALPHABET) for _i in range(ACTIVATION_LENGTH))
        rows.append(
            ActivationCode(
                person=person,
                code_hash=ActivationCode.hash_code(code),
                expires_at=expires_at,
                created_by_id=actor.person_id if actor is not None else None,
                created_at=now,
            )
        )
        issued.append(Issued(person, code, expires_at))
    ActivationCode.objects.bulk_create(rows)
    record_personal_data_access(actor, people, purpose=PURPOSE)
    return issued


def waiting_for_activation(community_id: int) -> list[Person]:
    """The community's enrolled people who have not chosen a password yet, by address."""
    people = Person.objects.filter(community_id=community_id, is_active=True).select_related(
        "neighbourhood"
    )
    return sorted(
        (p for p in people if not p.has_usable_password()),
        key=lambda p: (p.neighbourhood_id or 0, p.building, p.unit, p.room_number, p.pk),
    )


def issue_building_sheet(
    actor: Actor, community_id: int, neighbourhood_id: int, building: str
) -> list[Issued]:
    """New codes for everyone of one building who has not activated yet (a cadre's sheet).

    Raises:
        ActionError: ``forbidden`` unless the actor reviews the community's joins;
            ``not_found`` when nobody in that building is waiting.
    """
    require_review_joins(actor, community_id)
    building = (building or "").strip()
    waiting = [
        p
        for p in waiting_for_activation(community_id)
        if p.neighbourhood_id == neighbourhood_id and p.building == building
    ]
    if not waiting:
        raise ActionError(ErrorCode.NOT_FOUND, _("这栋楼没有等待激活的人。"))
    return issue_activations(actor, waiting)


def _invalid() -> ActionError:
    return ActionError(
        ErrorCode.NOT_FOUND, _("激活码无效、已用过或已过期，请向居委会索取新的激活码。")
    )


def check_activation(code: str) -> ActivationCode:
    """The live code behind what a person typed or scanned.

    Raises:
        ActionError: ``not_found`` for an unknown, used, replaced or expired code (alike).
    """
    normalized = (code or "").strip().upper()
    found = None
    if 0 < len(normalized) <= 32:
        found = (
            ActivationCode.objects.select_related("person")
            .filter(code_hash=ActivationCode.hash_code(normalized))
            .first()
        )
    if found is None or not found.is_valid():
        raise _invalid()
    return found


@transaction.atomic
def do_activate(code: str, password: str, display_name: str) -> Person:
    """Use a code: the person's password and display name are set, and the code is spent.

    Raises:
        ActionError: ``not_found`` for a code that does not work (see ``check_activation``);
            ``invalid`` (with ``field``) for a weak password or a display name the text rules
            refuse (``checked_display_name``); ``forbidden`` for an official's title. Nothing is
            written then, and the code still works.
    """
    activation = check_activation(code)
    locked = ActivationCode.objects.select_for_update().get(pk=activation.pk)
    if not locked.is_valid():  # used by a simultaneous request
        raise _invalid()
    person = activation.person
    display_name = checked_display_name(person.role, display_name or "")
    check_password_strength(password or "", person)
    person.set_password(password)
    person.display_name = display_name
    person.save(update_fields=["password", "display_name"])
    locked.used_at = timezone.now()
    locked.save(update_fields=["used_at"])
    person_changed.send(sender=Person, person=person)
    return person


@transaction.atomic
def do_enrol_by_cadre(
    actor: Actor,
    community_id: int,
    *,
    real_name: str,
    id_number: str,
    phone: str,
    neighbourhood_id: int | None,
    building: str = "",
    unit: str = "",
    room_number: str = "",
    username: str,
    display_name: str,
    role: str = Role.RESIDENT,
) -> Issued:
    """A cadre enrols someone they know (an elderly resident, the property manager): verified at
    once, seated in their rooms, with an activation code to hand over (no password yet).

    Raises:
        ActionError: ``forbidden`` unless the actor reviews the community's joins; ``invalid``
            (with ``field``) or ``conflict`` as for an application; nothing written then.
    """
    require_enrol(actor, community_id, role)
    community = actions.get_community(community_id)
    values = {
        "real_name": (real_name or "").strip(),
        "building": (building or "").strip(),
        "unit": (unit or "").strip(),
        "room_number": (room_number or "").strip(),
        "display_name": (display_name or "").strip(),
    }
    required = ["real_name", "display_name"]
    neighbourhood = None
    if role in (Role.RESIDENT, Role.MODERATOR):
        required += ["building", "room_number"]
        neighbourhood = Neighbourhood.objects.filter(
            pk=neighbourhood_id, community=community
        ).first()
        if neighbourhood is None:
            raise ActionError(
                ErrorCode.INVALID, _("请选择本社区的小区。"), field="neighbourhood_id"
            )
    actions.check_required(values, required)
    actions.check_lengths(values)
    fields = identity_fields(check_id_number(id_number or ""), check_phone(phone or ""))
    if actions.live_application_exists(community, fields["id_hash"]):
        raise actions.duplicate_application()
    person = actions.do_enrol(
        username=actions.check_new_username((username or "").strip()),
        password=None,
        community=community,
        neighbourhood=neighbourhood,
        role=role,
        reviewed_by_id=actor.person_id,
        **values,
        **fields,
    )
    return issue_activation(actor, person)
