"""Actions on communities and people: the one place each change is made.

Consumers, HTTP views, the admin and management commands all call these. ``check_*`` validates
and raises ``ActionError`` with nothing written; ``do_*`` and ``create_*`` make the change in one
transaction and fire the hooks in ``community.signals`` inside it, so the rooms a new
member is seated in commit together with the approval.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.identity import check_id_number, check_phone, identity_fields
from community.models import (
    Community,
    District,
    InviteCode,
    Neighbourhood,
    Person,
    PersonalDataAccess,
    Role,
    Street,
    Verification,
    invite_expiry,
)
from community.signals import (
    community_created,
    neighbourhood_created,
    person_approved,
    person_signed_out,
)
from core import text
from core.errors import ActionError, ErrorCode
from core.policy import (
    Actor,
    require_display_name,
    require_manage_invites,
    require_manage_person,
    require_review_application,
    require_review_joins,
)


def create_district(name: str) -> District:
    district, _created = District.objects.get_or_create(name=name)
    return district


def create_street(district: District, name: str) -> Street:
    street, _created = Street.objects.get_or_create(district=district, name=name)
    return street


@transaction.atomic
def create_community(
    street: Street, name: str, kind: str = Community.Kind.RESIDENTS_COMMITTEE
) -> Community:
    """Create a community (居委/村) with its community-wide, coordination and work rooms."""
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


#: As long as a display name may be (``Person.display_name``).
DISPLAY_NAME_LIMIT = 40


def checked_display_name(role: str, value: str) -> str:
    """A display name as every way of setting one takes it: the text rules of every name
    (``core.text.name``: one visible line, no controls or bidi overrides) and the rule on
    official titles (``core.policy.require_display_name``).

    Raises:
        ActionError: ``invalid`` naming ``display_name``; ``forbidden`` for a resident taking an
            official's title.
    """
    try:
        name = text.name(value, field="display_name", limit=DISPLAY_NAME_LIMIT)
    except text.TextError as err:
        raise ActionError(ErrorCode.INVALID, str(err), field="display_name") from err
    require_display_name(role, name)
    return name


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
    """Create an already-verified person (staff onboarding, roster import, the demo); seat them."""
    display_name = checked_display_name(role, display_name)
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


def _locked_application(actor: Actor, person_id: int) -> Person:
    """The application, locked, if the actor reviews its community.

    An id of another community is ``not_found``, as one that does not exist
    (``core.policy.require_review_application``).
    """
    person = Person.objects.select_for_update().filter(pk=person_id).first()
    require_review_application(actor, person.community_id if person else None)
    assert person is not None  # refused above
    return person


@transaction.atomic
def do_approve(actor: Actor, person_id: int) -> Person:
    """Approve a pending application: the moment the person joins their 小区群."""
    person = _locked_application(actor, person_id)
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
    person = _locked_application(actor, person_id)
    if person.verification != Verification.PENDING:
        raise ActionError(ErrorCode.CONFLICT, _("这份申请已经审核过了。"))
    person.verification = Verification.REJECTED
    person.reviewed_by_id = actor.person_id
    person.reviewed_at = timezone.now()
    person.rejection_reason = reason
    person.save(update_fields=["verification", "reviewed_by", "reviewed_at", "rejection_reason"])
    return person


# --- Changing a person (the admin, commands and HTTP alike) ------------------------------------
# Each saves the person, and ``Person.save`` announces the change (community.signals): the chat
# app moves their open sockets between rooms, or closes them, on every worker.


def _person_to_manage(actor: Actor | None, person_id: int) -> Person:
    """The person, locked for the change; ``actor`` None is the operator's console."""
    person = Person.objects.select_for_update().filter(pk=person_id).first()
    if person is None:
        raise ActionError(ErrorCode.NOT_FOUND, _("找不到这个人。"))
    if actor is not None:
        require_manage_person(actor, person.community_id)
    return person


@transaction.atomic
def change_role(
    actor: Actor | None,
    person_id: int,
    *,
    role: str | None = None,
    party_member: bool | None = None,
) -> Person:
    """Change what a person is (role, 党员 badge); their sockets move between role-based rooms."""
    person = _person_to_manage(actor, person_id)
    if role is not None:
        if role not in Role.values:
            raise ActionError(ErrorCode.INVALID, _("没有这种身份。"), field="role")
        person.role = role
    if party_member is not None:
        person.party_member = party_member
    person.save(update_fields=["role", "party_member"])
    return person


@transaction.atomic
def move_person(
    actor: Actor | None,
    person_id: int,
    community: Community,
    neighbourhood: Neighbourhood | None = None,
) -> Person:
    """Move a person to another 小区 or community (a cadre moving someone out of their community
    must manage the new one too: in practice staff). Their sockets leave the rooms they lost and
    join the new ones.
    """
    if neighbourhood is not None and neighbourhood.community_id != community.pk:
        raise ActionError(ErrorCode.INVALID, _("该小区不属于这个社区。"), field="neighbourhood")
    person = _person_to_manage(actor, person_id)
    if actor is not None:
        require_manage_person(actor, community.pk)
    person.community = community
    person.neighbourhood = neighbourhood
    person.save(update_fields=["community", "neighbourhood"])
    return person


@transaction.atomic
def deactivate_person(actor: Actor | None, person_id: int) -> Person:
    """Deactivate an account: every open socket closes (``removed``), every session and token
    stops working. Memberships are kept for a reactivation."""
    person = _person_to_manage(actor, person_id)
    if actor is not None and actor.person_id == person.pk:
        raise ActionError(ErrorCode.INVALID, _("不能停用自己的账号。"))
    person.is_active = False
    person.save(update_fields=["is_active"])
    return person


@transaction.atomic
def reactivate_person(actor: Actor | None, person_id: int) -> Person:
    """Let a deactivated person in again (their tokens work again; they log in anew)."""
    person = _person_to_manage(actor, person_id)
    person.is_active = True
    person.save(update_fields=["is_active"])
    return person


@transaction.atomic
def end_sessions(person_id: int) -> None:
    """Logging out ends every browser session of the person and closes their cookie sockets.

    Raising the session generation changes the session hash every session was stamped with
    (``Person.get_session_auth_hash``), so Django drops each at its next request and the
    handshake refuses it. Bearer tokens live on: they end with ``DELETE /api/v1/auth/token``.
    """
    Person.objects.filter(pk=person_id).update(session_generation=F("session_generation") + 1)
    person_signed_out.send(sender=Person, person_id=person_id, tokens=False)


# --- Invite codes (邀请码) ----------------------------------------------------------------------

#: No 0/O, 1/I/L: the code is also printed under the QR code and may be typed by hand.
INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
#: 16 characters of 31 ≈ 79 bits: not guessable, even without the join rate limit.
INVITE_LENGTH = 16
#: Applications one code takes: a community's households, not the whole city's.
INVITE_MAX_USES = 500


def create_invite_code(
    actor: Actor | None,
    community: Community,
    expires_at: datetime | None = None,
    max_uses: int = INVITE_MAX_USES,
) -> InviteCode:
    """Issue a new random invite code for a community.

    Args:
        actor: the cadre (or staff) issuing it; ``None`` only for the operator's console
            (management commands), as Zulip's ``acting_user=None``.
        expires_at: when it stops working (default: in ``INVITE_DAYS`` days).
        max_uses: how many applications it takes before it stops working.

    Raises:
        ActionError: ``forbidden`` unless the actor may manage the community's invites;
            ``invalid`` for a use limit below 1.
    """
    if actor is not None:
        require_manage_invites(actor, community.pk)
    if max_uses < 1:
        raise ActionError(ErrorCode.INVALID, _("使用次数上限至少为1。"), field="max_uses")
    code = "".join(secrets.choice(INVITE_ALPHABET) for _i in range(INVITE_LENGTH))
    return InviteCode.objects.create(
        community=community,
        code=code,
        expires_at=expires_at or invite_expiry(),
        max_uses=max_uses,
        created_by_id=actor.person_id if actor is not None else None,
    )


def list_invite_codes(actor: Actor | None, community_id: int) -> list[InviteCode]:
    """Every invite code of a community, newest first, live or not (``is_valid`` says which).

    Raises:
        ActionError: ``forbidden`` unless the actor may manage the community's invites.
    """
    if actor is not None:
        require_manage_invites(actor, community_id)
    return list(InviteCode.objects.filter(community_id=community_id).order_by("-created_at", "-pk"))


def do_revoke_invite(actor: Actor | None, community_id: int, code: str) -> InviteCode:
    """Stop a code working at once (a poster taken down, a code that leaked).

    Raises:
        ActionError: ``forbidden`` unless the actor may manage the community's invites;
            ``not_found`` for a code that is not this community's.
    """
    if actor is not None:
        require_manage_invites(actor, community_id)
    normalized = (code or "").strip().upper()
    invite = InviteCode.objects.filter(community_id=community_id, code=normalized).first()
    if invite is None:
        raise ActionError(ErrorCode.NOT_FOUND, _("本社区没有这个邀请码。"))
    if not invite.revoked:
        invite.revoked = True
        invite.save(update_fields=["revoked"])
    return invite


def _take_a_use(invite: InviteCode) -> None:
    """Count one application against the code's limit, atomically (two applicants at once
    cannot both take its last use)."""
    taken = InviteCode.objects.filter(
        pk=invite.pk, revoked=False, uses__lt=F("max_uses"), expires_at__gt=timezone.now()
    ).update(uses=F("uses") + 1)
    if not taken:
        raise _invalid_invite()


def current_invite_code(community: Community) -> InviteCode | None:
    """The community's newest invite code that still works, if any."""
    now = timezone.now()
    for invite in community.invite_codes.filter(revoked=False).order_by("-created_at", "-pk"):
        if invite.is_valid(now):
            return invite
    return None


def check_invite_code(code: str) -> InviteCode:
    """The live invite code behind what a person typed or scanned.

    Raises:
        ActionError: ``not_found`` (field ``invite_code``) for an unknown, expired, revoked or
            used-up code; they read alike so a code's history does not leak.
    """
    normalized = (code or "").strip().upper()
    invite = None
    if 0 < len(normalized) <= 32:
        invite = InviteCode.objects.select_related("community").filter(code=normalized).first()
    if invite is None or not invite.is_valid():
        raise _invalid_invite()
    return invite


def _invalid_invite() -> ActionError:
    return ActionError(
        ErrorCode.NOT_FOUND,
        _("邀请码无效或已过期，请向居委会索取新的邀请码。"),
        field="invite_code",
    )


# --- Joining (入驻申请) -------------------------------------------------------------------------

USERNAME_RE = re.compile(r"[\w.@+-]{3,32}")

#: Required join fields and how the form names them. ``unit`` (单元) is optional: many
#: buildings have none.
JOIN_FIELD_LABELS = {
    "invite_code": _("邀请码"),
    "real_name": _("真实姓名"),
    "id_number": _("身份证号码"),
    "phone": _("手机号码"),
    "neighbourhood_id": _("小区"),
    "building": _("楼号"),
    "room_number": _("室号"),
    "username": _("用户名"),
    "password": _("密码"),
    "display_name": _("昵称"),
}

_FIELD_LIMITS = {"real_name": 60, "display_name": 40, "building": 20, "unit": 20, "room_number": 20}


def check_required(values: dict[str, object], names: list[str] | None = None) -> None:
    """Raises ``invalid`` naming every required field left empty (field list in ``fields``):
    ``names``, or every field of the join form."""
    wanted = JOIN_FIELD_LABELS if names is None else names
    missing = [name for name in wanted if values.get(name) in (None, "")]
    if missing:
        # The list separator is translated too: "、" in Chinese, ", " in English.
        labels = str(_("、")).join(str(JOIN_FIELD_LABELS[name]) for name in missing)
        raise ActionError(
            ErrorCode.INVALID, _("请填写：%(fields)s。") % {"fields": labels}, fields=missing
        )


def check_lengths(values: dict[str, str]) -> None:
    for name, limit in _FIELD_LIMITS.items():
        if len(values.get(name) or "") > limit:
            raise ActionError(
                ErrorCode.INVALID,
                _("%(field)s不能超过%(limit)d个字。")
                % {"field": JOIN_FIELD_LABELS.get(name, _("单元")), "limit": limit},
                field=name,
            )


def check_new_username(username: str) -> str:
    """A free, well-formed username (compared without case, so 'Wang' cannot shadow 'wang').

    Raises:
        ActionError: ``invalid`` for a bad shape, ``conflict`` when taken (field ``username``).
    """
    username = (username or "").strip()
    if not USERNAME_RE.fullmatch(username):
        raise ActionError(
            ErrorCode.INVALID,
            _("用户名为3到32个字符，可用字母、数字和 . _ - @ +。"),
            field="username",
        )
    if Person.objects.filter(username__iexact=username).exists():
        raise ActionError(ErrorCode.CONFLICT, _("这个用户名已被使用，请换一个。"), field="username")
    return username


def check_password_strength(password: str, person: Person) -> None:
    """Django's password validators (length, common passwords), in the person's language."""
    try:
        validate_password(password, user=person)
    except ValidationError as exc:
        raise ActionError(ErrorCode.INVALID, " ".join(exc.messages), field="password") from exc


def live_application_exists(community: Community, id_hash: str) -> bool:
    return Person.objects.filter(
        community=community,
        id_hash=id_hash,
        verification__in=[Verification.PENDING, Verification.APPROVED],
    ).exists()


def duplicate_application() -> ActionError:
    return ActionError(
        ErrorCode.CONFLICT,
        _("这个身份证号码在本社区已有待审核或已通过的申请。"),
        field="id_number",
    )


@transaction.atomic
def do_apply(
    *,
    invite_code: str,
    real_name: str,
    id_number: str,
    phone: str,
    neighbourhood_id: int | None,
    building: str,
    unit: str = "",
    room_number: str,
    username: str,
    password: str,
    display_name: str,
) -> Person:
    """Apply to join a community by its invite code (入驻申请): a PENDING person, for review.

    The real name is for the reviewing cadre; neighbours see only ``display_name``
    (后台实名、前台自愿). The ID number and phone are kept as an HMAC and masked forms.

    Raises:
        ActionError: with nothing written, ``invalid`` for a missing or malformed field (``field``
            names it), ``not_found`` for a bad invite code, ``conflict`` for a taken username or a
            second live application for the same ID number in the community.
    """
    values = {
        "invite_code": (invite_code or "").strip(),
        "real_name": (real_name or "").strip(),
        "id_number": (id_number or "").strip(),
        "phone": (phone or "").strip(),
        "neighbourhood_id": neighbourhood_id,
        "building": (building or "").strip(),
        "unit": (unit or "").strip(),
        "room_number": (room_number or "").strip(),
        "username": (username or "").strip(),
        "password": password or "",
        "display_name": (display_name or "").strip(),
    }
    check_required(values)
    check_lengths(values)
    require_display_name(Role.RESIDENT, values["display_name"])
    invite = check_invite_code(values["invite_code"])
    community = invite.community
    try:
        wanted = int(neighbourhood_id)  # type: ignore[arg-type]  (a form may send a string)
    except (TypeError, ValueError):
        wanted = None
    neighbourhood = Neighbourhood.objects.filter(pk=wanted, community=community).first()
    if neighbourhood is None:
        raise ActionError(ErrorCode.INVALID, _("请选择本社区的小区。"), field="neighbourhood_id")
    clear_id = check_id_number(values["id_number"])
    clear_phone = check_phone(values["phone"])
    person = Person(
        username=check_new_username(values["username"]),
        display_name=values["display_name"],
        real_name=values["real_name"],
        community=community,
        neighbourhood=neighbourhood,
        building=values["building"],
        unit=values["unit"],
        room_number=values["room_number"],
        role=Role.RESIDENT,
        verification=Verification.PENDING,
        applied_at=timezone.now(),
        **identity_fields(clear_id, clear_phone),
    )
    check_password_strength(values["password"], person)
    if live_application_exists(community, person.id_hash):
        raise duplicate_application()
    person.set_password(values["password"])
    try:
        # A savepoint, so a lost race leaves the outer transaction usable for the re-check.
        with transaction.atomic():
            _take_a_use(invite)
            person.save()
    except IntegrityError as exc:
        # Two submissions at once: the partial unique constraint (one live application per ID
        # per community) or the username's unique index caught the second.
        if Person.objects.filter(username__iexact=person.username).exists():
            raise ActionError(
                ErrorCode.CONFLICT, _("这个用户名已被使用，请换一个。"), field="username"
            ) from exc
        raise duplicate_application() from exc
    return person


def list_applications(
    actor: Actor,
    community_id: int,
    status: str = Verification.PENDING,
    limit: int = 100,
    *,
    neighbourhood_id: int | None = None,
    building: str | None = None,
) -> list[Person]:
    """Join applications of a community for review, oldest first; logs the personal-data access.

    Every applicant returned is recorded in ``PersonalDataAccess`` (who looked at whose real
    name and masked ID/phone, and when), kept for supervision.

    Raises:
        ActionError: ``forbidden`` unless the actor reviews this community's joins; ``not_found``
            for an unknown community.
    """
    require_review_joins(actor, community_id)
    if not Community.objects.filter(pk=community_id).exists():
        raise ActionError(ErrorCode.NOT_FOUND, _("找不到这个社区。"))
    found = Person.objects.filter(community_id=community_id, verification=status)
    if neighbourhood_id is not None:
        found = found.filter(neighbourhood_id=neighbourhood_id)
    if building:
        found = found.filter(building=building.strip())
    people = list(
        found.exclude(role=Role.OBSERVER)
        .select_related("neighbourhood")
        .order_by("applied_at", "pk")[: max(1, min(limit, 500))]
    )
    record_personal_data_access(actor, people, purpose="join_review")
    return people


def record_personal_data_access(actor: Actor | None, people: list[Person], purpose: str) -> None:
    """Log that ``actor`` (None: the operator's console) saw these people's real-name data
    (Cybersecurity Law: ≥ 6 months)."""
    now = timezone.now()
    viewer_id = actor.person_id if actor is not None else None
    PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(viewer_id=viewer_id, subject=p, purpose=purpose, at=now) for p in people
    )


def get_person(person_id: int) -> Person:
    """Raises ``not_found`` for an unknown person."""
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise ActionError(ErrorCode.NOT_FOUND, _("找不到这个人。"))
    return person


def get_community(community_id: int) -> Community:
    """Raises ``not_found`` for an unknown community."""
    community = Community.objects.select_related("street").filter(pk=community_id).first()
    if community is None:
        raise ActionError(ErrorCode.NOT_FOUND, _("找不到这个社区。"))
    return community


def get_current_invite(actor: Actor, community_id: int) -> InviteCode:
    """The live invite code a cadre prints for their community.

    Raises:
        ActionError: ``forbidden`` for anyone but the community's cadres (and staff);
            ``not_found`` when the community has no live code yet.
    """
    require_manage_invites(actor, community_id)
    invite = current_invite_code(get_community(community_id))
    if invite is None:
        raise ActionError(ErrorCode.NOT_FOUND, _("本社区还没有有效的邀请码，请先生成一个。"))
    return invite
