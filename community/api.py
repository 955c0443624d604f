"""HTTP API of the community app: tokens, joining, the caller's profile, and join review.

Views translate HTTP to actions and back; the rules live in ``community.actions`` and
``core.policy``. Errors are ``ActionError``s, turned into ``{"error": {...}}`` by ``server.api``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status

from community import actions, activation, directory, links, qr, ratelimit
from community.http import AUTH, BearerAuth, error_response
from community.models import Person, Verification
from community.schemas import (
    ActivationOut,
    ApplicationOut,
    ApplicationStatusOut,
    EnrolIn,
    ErrorOut,
    InviteCodeText,
    InviteIn,
    InviteOut,
    JoinIn,
    JoinInfoOut,
    MeOut,
    PersonOut,
    RejectIn,
    SheetIn,
    TokenIn,
    TokenOut,
    application_out,
    me_out,
    ref,
    status_out,
    user_out,
)
from community.tokens import issue_token, revoke_token
from core.errors import ActionError, ErrorCode
from core.policy import Actor

router = Router(tags=["community"])

_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _limited(request: HttpRequest, err: ActionError) -> HttpResponse:
    """A 429 with the ``Retry-After`` header as well as the body's ``retry_after``."""
    response = error_response(err)
    response["Retry-After"] = str(err.extra.get("retry_after", 60))
    return response


def application_status_error(person: Person) -> ActionError:
    """``pending`` (HTTP 403) for a person whose application is not approved, with its status."""
    if person.verification == Verification.REJECTED:
        return ActionError(
            ErrorCode.PENDING,
            _("你的入驻申请未通过：%(reason)s") % {"reason": person.rejection_reason},
            status=Verification.REJECTED.value,
            reason=person.rejection_reason,
        )
    return ActionError(
        ErrorCode.PENDING,
        _("你的入驻申请正在等待居委审核，通过后即可登录。"),
        status=Verification.PENDING.value,
    )


# --- Tokens -----------------------------------------------------------------------------------


@router.post(
    "/auth/token",
    response={200: TokenOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut},
    auth=None,
    tags=["auth"],
    summary="Log in: exchange a username and password for a bearer token",
)
def create_token(request: HttpRequest, body: TokenIn):
    """401 for wrong credentials; 403 ``pending`` (with ``status`` and ``reason``) for an
    application not yet approved; 429 ``rate_limited`` after repeated failures."""
    address = ratelimit.client_address(request)
    try:
        ratelimit.check_login_allowed(body.username, address)
    except ActionError as err:
        return _limited(request, err)
    person = authenticate(request, username=body.username, password=body.password)
    if person is None:
        ratelimit.record_login_failure(body.username, address)
        raise ActionError(ErrorCode.UNAUTHORIZED, _("用户名或密码不正确。"))
    ratelimit.record_login_success(body.username, address)
    if not person.is_approved:
        raise application_status_error(person)
    return {"token": issue_token(person), "user": user_out(person)}


@router.delete(
    "/auth/token",
    response={204: None, 401: ErrorOut},
    auth=BearerAuth(),
    tags=["auth"],
    summary="Log out: revoke the bearer token of this request",
)
def delete_token(request: HttpRequest):
    """Sockets opened with the token are closed once the revocation commits."""
    key = request.headers.get("Authorization", "")[7:].strip()
    revoke_token(key)
    return Status(204, None)


# --- Joining ----------------------------------------------------------------------------------


@router.get(
    "/join/{code}",
    response={200: JoinInfoOut, 404: ErrorOut, 429: ErrorOut},
    auth=None,
    tags=["join"],
    summary="What a join form needs: the community and its 小区",
)
def join_info(request: HttpRequest, code: InviteCodeText):
    address = ratelimit.client_address(request)
    try:
        invite = ratelimit.check_invite(code, address)
    except ActionError as err:
        if err.code == ErrorCode.RATE_LIMITED:
            return _limited(request, err)
        raise
    community = invite.community
    return {
        "community": ref(community),
        "neighbourhoods": [ref(n) for n in community.neighbourhoods.order_by("name")],
    }


@router.post(
    "/join",
    response={201: ApplicationStatusOut, **_ERRORS, 429: ErrorOut},
    auth=None,
    tags=["join"],
    summary="Apply to join a community (入驻申请); the application waits for a cadre",
)
def join(request: HttpRequest, body: JoinIn):
    """Creates a pending application. Log in with ``POST /auth/token`` to see its status."""
    address = ratelimit.client_address(request)
    try:
        ratelimit.check_join_allowed(address)
        ratelimit.spend_application(address)
    except ActionError as err:
        return _limited(request, err)
    try:
        person = actions.do_apply(
            invite_code=body.invite_code,
            real_name=body.real_name,
            id_number=body.id_number,
            phone=body.phone,
            neighbourhood_id=body.neighbourhood,
            building=body.building,
            unit=body.unit,
            room_number=body.room,
            username=body.username,
            password=body.password,
            display_name=body.display_name,
        )
    except ActionError:
        ratelimit.record_join_failure(address)
        raise
    return Status(201, status_out(person))


# --- The caller -------------------------------------------------------------------------------


@router.get("/me", response={200: MeOut, 401: ErrorOut}, auth=AUTH, tags=["auth"])
def me(request: HttpRequest):
    """The caller's profile, including their own masked ID number and phone."""
    person = Person.objects.select_related("community", "neighbourhood").get(pk=request.auth.pk)
    return me_out(person)


# --- Join review (cadres) ---------------------------------------------------------------------


@router.get(
    "/communities/{community_id}/applications",
    response={200: list[ApplicationOut], **_ERRORS},
    auth=AUTH,
    tags=["join review"],
    summary="Join applications of a community (masked forms; each view is logged)",
)
def applications(
    request: HttpRequest,
    community_id: int,
    status: Query[Literal["pending", "approved", "rejected"]] = "pending",
    neighbourhood: int | None = Query(None, description="Only this 小区 (its id)"),
    building: str | None = Query(None, max_length=20, description="Only this building (楼号)"),
    limit: int = Query(100, ge=1, le=500),
):
    """Oldest first. Filters: ``status`` (default pending), ``neighbourhood``, ``building``."""
    people = actions.list_applications(
        Actor.of(request.auth),
        community_id,
        status,
        limit,
        neighbourhood_id=neighbourhood,
        building=building,
    )
    return [application_out(p) for p in people]


@router.post(
    "/applications/{person_id}/approve",
    response={200: ApplicationStatusOut, **_ERRORS},
    auth=AUTH,
    tags=["join review"],
)
def approve(request: HttpRequest, person_id: int):
    return status_out(actions.do_approve(Actor.of(request.auth), person_id))


@router.post(
    "/applications/{person_id}/reject",
    response={200: ApplicationStatusOut, **_ERRORS},
    auth=AUTH,
    tags=["join review"],
)
def reject(request: HttpRequest, person_id: int, body: RejectIn):
    """The reason is shown to the applicant."""
    return status_out(actions.do_reject(Actor.of(request.auth), person_id, body.reason))


# --- Invite codes (cadres) --------------------------------------------------------------------


def _invite_out(request: HttpRequest, invite) -> dict:
    return {
        "code": invite.code,
        "url": links.join_url(invite.code, request),
        "community_id": invite.community_id,
        "expires_at": invite.expires_at,
        "max_uses": invite.max_uses,
        "uses": invite.uses,
        "revoked": invite.revoked,
        "valid": invite.is_valid(),
        "created_at": invite.created_at,
    }


@router.post(
    "/communities/{community_id}/invites",
    response={201: InviteOut, **_ERRORS},
    auth=AUTH,
    tags=["invites"],
    summary="Issue a new invite code for the community",
)
def create_invite(request: HttpRequest, community_id: int, body: InviteIn):
    community = actions.get_community(community_id)
    expires_at = timezone.now() + timedelta(days=body.expires_days)
    invite = actions.create_invite_code(
        Actor.of(request.auth), community, expires_at, max_uses=body.max_uses
    )
    return Status(201, _invite_out(request, invite))


@router.get(
    "/communities/{community_id}/invites",
    response={200: list[InviteOut], **_ERRORS},
    auth=AUTH,
    tags=["invites"],
    summary="Every invite code of the community, newest first, live or not",
)
def list_invites(request: HttpRequest, community_id: int):
    actions.get_community(community_id)
    invites = actions.list_invite_codes(Actor.of(request.auth), community_id)
    return [_invite_out(request, invite) for invite in invites]


@router.delete(
    "/communities/{community_id}/invites/{code}",
    response={200: InviteOut, **_ERRORS},
    auth=AUTH,
    tags=["invites"],
    summary="Revoke an invite code: it stops working at once",
)
def revoke_invite(request: HttpRequest, community_id: int, code: str):
    invite = actions.do_revoke_invite(Actor.of(request.auth), community_id, code)
    return _invite_out(request, invite)


@router.get(
    "/communities/{community_id}/invite",
    response={200: InviteOut, **_ERRORS},
    auth=AUTH,
    tags=["invites"],
    summary="The community's current invite code and join URL",
)
def current_invite(request: HttpRequest, community_id: int):
    invite = actions.get_current_invite(Actor.of(request.auth), community_id)
    return _invite_out(request, invite)


def _binary_doc(content_type: str) -> dict:
    return {"responses": {200: {"description": "OK", "content": {content_type: {}}}}}


@router.get(
    "/communities/{community_id}/invite.svg",
    response={**_ERRORS},
    auth=AUTH,
    tags=["invites"],
    summary="The invite poster (SVG, printable)",
    openapi_extra=_binary_doc("image/svg+xml"),
)
def invite_svg(request: HttpRequest, community_id: int):
    invite = actions.get_current_invite(Actor.of(request.auth), community_id)
    return HttpResponse(qr.poster_svg(invite, request), content_type="image/svg+xml")


@router.get(
    "/communities/{community_id}/invite.png",
    response={**_ERRORS},
    auth=AUTH,
    tags=["invites"],
    summary="The invite QR code (PNG)",
    openapi_extra=_binary_doc("image/png"),
)
def invite_png(request: HttpRequest, community_id: int):
    invite = actions.get_current_invite(Actor.of(request.auth), community_id)
    return HttpResponse(qr.qr_png(invite, request), content_type="image/png")


# --- Activation codes (cadres) ----------------------------------------------------------------


@router.post(
    "/people/{person_id}/activation",
    response={201: ActivationOut, **_ERRORS},
    auth=AUTH,
    tags=["activation"],
    summary="Issue a new one-time activation code to a person of the community",
)
def issue_activation(request: HttpRequest, person_id: int):
    """For someone who lost theirs (or forgot their password): the earlier code stops working.
    The code is shown once; the issue is written to the personal-data access log."""
    person = actions.get_person(person_id)
    issued = activation.issue_activation(Actor.of(request.auth), person)
    return Status(201, _activation_out(request, issued))


@router.post(
    "/communities/{community_id}/people",
    response={201: ActivationOut, **_ERRORS},
    auth=AUTH,
    tags=["activation"],
    summary="Enrol a person (a cadre vouches for them) and issue their activation code",
)
def enrol(request: HttpRequest, community_id: int, body: EnrolIn):
    """Verified at once and seated in their rooms; they choose password and display name with
    the activation code, which is shown once."""
    issued = activation.do_enrol_by_cadre(
        Actor.of(request.auth),
        community_id,
        real_name=body.real_name,
        id_number=body.id_number,
        phone=body.phone,
        neighbourhood_id=body.neighbourhood,
        building=body.building,
        unit=body.unit,
        room_number=body.room,
        username=body.username,
        display_name=body.display_name,
        role=body.role,
    )
    return Status(201, _activation_out(request, issued))


@router.post(
    "/communities/{community_id}/activation-sheet.svg",
    response={**_ERRORS},
    auth=AUTH,
    tags=["activation"],
    summary="New activation codes for one building's people not yet activated, as a sheet",
    openapi_extra=_binary_doc("image/svg+xml"),
)
def activation_sheet(request: HttpRequest, community_id: int, body: SheetIn):
    """A printable card per person of the building who has not chosen a password yet; their
    earlier codes stop working. 404 when nobody there is waiting."""
    issued = activation.issue_building_sheet(
        Actor.of(request.auth), community_id, body.neighbourhood, body.building
    )
    (svg,) = qr.activation_sheets(issued, request).values()
    return HttpResponse(svg, content_type="image/svg+xml")


def _activation_out(request: HttpRequest, issued: activation.Issued) -> dict:
    return {
        "person_id": issued.person.pk,
        "username": issued.person.username,
        "code": issued.code,
        "url": links.activation_url(issued.code, request),
        "expires_at": issued.expires_at,
    }


# --- The directory (敲门) ----------------------------------------------------------------------


@router.get(
    "/people",
    response={200: list[PersonOut], **_ERRORS},
    auth=AUTH,
    tags=["directory"],
    summary="Find a neighbour by display name, or the committee list, to knock on their door",
)
def people(request: HttpRequest, q: str = Query("", max_length=50), officials: bool = False):
    """Approved people of the caller's community: display name, role and badges only."""
    return directory.find_people(Actor.of(request.auth), q, officials)
