"""Typed request and response bodies of the community API (they make the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import AfterValidator

from community.models import Person
from core import text


def _text(rule, field: str, limit: int) -> AfterValidator:
    """Linli's text rule for a field (``core.text``): a refusal is a 400 ``invalid`` naming it;
    an empty value passes, so the action can name every missing field at once."""
    return AfterValidator(text.field_rule(rule, field=field, limit=limit))


#: Text fields as the HTTP API accepts them: each through the shared text rules.
Username = Annotated[str, _text(text.token, "username", 150)]
DisplayName = Annotated[str, _text(text.name, "display_name", 200)]
RealName = Annotated[str, _text(text.name, "real_name", 200)]
InviteCodeText = Annotated[str, _text(text.token, "code", 64)]


class ErrorDetail(Schema):
    code: str = Field(description="The error code (docs/protocol.md), e.g. invalid, pending")
    message: str = Field(description="Human-readable, in the caller's language (Accept-Language)")
    field: str | None = Field(None, description="The input field at fault, when there is one")
    fields: list[str] | None = Field(None, description="Missing fields")
    retry_after: int | None = Field(None, description="Seconds to wait (rate_limited)")
    status: str | None = Field(None, description="Application status (pending): pending/rejected")
    reason: str | None = Field(None, description="Why an application was rejected")


class ErrorOut(Schema):
    error: ErrorDetail


class Ref(Schema):
    id: int
    name: str


class TokenIn(Schema):
    username: Username = Field(max_length=150)
    password: str = Field(max_length=1024)


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    party_member: bool
    community_id: int | None
    neighbourhood_id: int | None


class TokenOut(Schema):
    token: str = Field(description="Bearer token; shown once, only its hash is stored")
    user: UserOut


class MeOut(Schema):
    """The caller's own profile; the masked ID and phone are shown to nobody else this way."""

    id: int
    username: str
    display_name: str
    show_building: bool
    role: str
    party_member: bool
    verification: str
    community: Ref | None
    neighbourhood: Ref | None
    building: str
    unit: str
    room_number: str
    real_name: str
    id_masked: str
    phone_masked: str


class PersonOut(Schema):
    """A person as rooms show them: never the real name, address, ID or phone."""

    id: int
    display_name: str
    role: str
    badges: list[str]


class JoinInfoOut(Schema):
    community: Ref
    neighbourhoods: list[Ref]


class JoinIn(Schema):
    """A join application. Empty strings are allowed here so that ``do_apply`` names every
    missing field at once, in the caller's language."""

    invite_code: Annotated[str, _text(text.token, "invite_code", 64)] = Field("", max_length=64)
    real_name: RealName = Field("", max_length=200)
    id_number: Annotated[str, _text(text.token, "id_number", 64)] = Field(
        "", max_length=64, description="18-character 居民身份证号码"
    )
    phone: Annotated[str, _text(text.token, "phone", 32)] = Field(
        "", max_length=32, description="Mainland mobile number"
    )
    neighbourhood: int | None = Field(None, description="Id of a 小区 from GET /join/{code}")
    building: Annotated[str, _text(text.line, "building", 100)] = Field("", max_length=100)
    unit: Annotated[str, _text(text.line, "unit", 100)] = Field("", max_length=100)
    room: Annotated[str, _text(text.line, "room", 100)] = Field("", max_length=100)
    username: Username = Field("", max_length=150)
    password: str = Field("", max_length=1024)  # only ever hashed: any character may be in it
    display_name: DisplayName = Field("", max_length=200, description="What neighbours see")


class ApplicationStatusOut(Schema):
    id: int
    status: str
    rejection_reason: str
    applied_at: datetime
    reviewed_at: datetime | None


class ApplicationOut(Schema):
    """An application as a reviewing cadre sees it: masked forms only."""

    id: int
    username: str
    display_name: str
    real_name: str
    id_masked: str
    phone_masked: str
    neighbourhood: Ref | None
    building: str
    unit: str
    room_number: str
    status: str
    rejection_reason: str
    applied_at: datetime
    reviewed_at: datetime | None


class RejectIn(Schema):
    reason: Annotated[str, _text(text.paragraph, "reason", 1000)] = Field("", max_length=1000)


class InviteIn(Schema):
    expires_days: int = Field(30, ge=1, le=365, description="Days until the code stops working")
    max_uses: int = Field(500, ge=1, le=100_000, description="Applications the code takes")


class InviteOut(Schema):
    code: str
    url: str
    community_id: int
    expires_at: datetime
    max_uses: int
    uses: int
    revoked: bool
    valid: bool = Field(description="Works now: not revoked, not expired, uses left")
    created_at: datetime


class ActivationOut(Schema):
    """A one-time activation code, shown once: hand it over or send it to the person."""

    person_id: int
    username: str
    code: str
    url: str
    expires_at: datetime


def ref(obj) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}


def user_out(person: Person) -> dict:
    return {
        "id": person.pk,
        "username": person.username,
        "display_name": person.display_name,
        "role": person.role,
        "party_member": person.party_member,
        "community_id": person.community_id,
        "neighbourhood_id": person.neighbourhood_id,
    }


def me_out(person: Person) -> dict:
    return {
        **user_out(person),
        "show_building": person.show_building,
        "verification": person.verification,
        "community": ref(person.community),
        "neighbourhood": ref(person.neighbourhood),
        "building": person.building,
        "unit": person.unit,
        "room_number": person.room_number,
        "real_name": person.real_name,
        "id_masked": person.id_masked,
        "phone_masked": person.phone_masked,
    }


def status_out(person: Person) -> dict:
    return {
        "id": person.pk,
        "status": person.verification,
        "rejection_reason": person.rejection_reason,
        "applied_at": person.applied_at,
        "reviewed_at": person.reviewed_at,
    }


def application_out(person: Person) -> dict:
    return {
        **status_out(person),
        "username": person.username,
        "display_name": person.display_name,
        "real_name": person.real_name,
        "id_masked": person.id_masked,
        "phone_masked": person.phone_masked,
        "neighbourhood": ref(person.neighbourhood),
        "building": person.building,
        "unit": person.unit,
        "room_number": person.room_number,
    }


class EnrolIn(Schema):
    """A person a cadre enrols: verified at once, given an activation code to hand over."""

    real_name: RealName = Field("", max_length=200)
    id_number: Annotated[str, _text(text.token, "id_number", 64)] = Field(
        "", max_length=64, description="18-character 居民身份证号码"
    )
    phone: Annotated[str, _text(text.token, "phone", 32)] = Field(
        "", max_length=32, description="Mainland mobile number"
    )
    neighbourhood: int | None = Field(None, description="The 小区 (residents and moderators)")
    building: Annotated[str, _text(text.line, "building", 100)] = Field("", max_length=100)
    unit: Annotated[str, _text(text.line, "unit", 100)] = Field("", max_length=100)
    room: Annotated[str, _text(text.line, "room", 100)] = Field("", max_length=100)
    username: Username = Field("", max_length=150)
    display_name: DisplayName = Field("", max_length=200, description="What neighbours see")
    role: str = Field(
        "resident", description="resident, moderator, owners_committee, property or police"
    )


class SheetIn(Schema):
    neighbourhood: int = Field(description="The 小区 (its id)")
    building: Annotated[str, _text(text.line, "building", 20)] = Field(
        max_length=20, description="The building (楼号)"
    )
