"""Where people live and who they are.

district (区) → street (街镇) → community (居委 or 村) → neighbourhood (小区) → household.
A person belongs to one community. Real-name data is kept only as an HMAC plus a masked form
(后台实名、前台自愿): rooms show the display name, cadres reviewing a join see the masked forms.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin, UserManager
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from core import roles


class District(models.Model):
    """区."""

    name = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return self.name


class Street(models.Model):
    """街道 or 镇."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="streets")
    name = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="street_name")]

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    """The governance unit: a residents' committee (居委) or a village (村)."""

    class Kind(models.TextChoices):
        RESIDENTS_COMMITTEE = "committee", _("居委")
        VILLAGE = "village", _("村")

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="communities")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.RESIDENTS_COMMITTEE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "communities"
        constraints = [models.UniqueConstraint(fields=["street", "name"], name="community_name")]

    def __str__(self) -> str:
        return self.name


class Neighbourhood(models.Model):
    """小区: a residential estate inside a community."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="neighbourhoods"
    )
    name = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="neighbourhood_name")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """What a person is in their community: ``core.roles.Role``'s values with their names."""

    RESIDENT = roles.Role.RESIDENT.value, _("居民")
    CADRE = roles.Role.CADRE.value, _("居委干部")
    MODERATOR = roles.Role.MODERATOR.value, _("居民版主")
    OWNERS_COMMITTEE = roles.Role.OWNERS_COMMITTEE.value, _("业委会")
    PROPERTY = roles.Role.PROPERTY.value, _("物业")
    POLICE = roles.Role.POLICE.value, _("社区民警")
    OBSERVER = roles.Role.OBSERVER.value, _("观察员")


class Verification(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")


class PersonManager(UserManager):
    use_in_migrations = True

    def create_superuser(self, username, email=None, password=None, **extra):  # type: ignore[override]
        extra.setdefault("verification", Verification.APPROVED)
        extra.setdefault("display_name", username)
        return super().create_superuser(username, email, password, **extra)


class Person(AbstractBaseUser, PermissionsMixin):
    """A verified (or applying) member of a community; also Django's user model."""

    username = models.CharField(max_length=64, unique=True)
    email = models.EmailField(blank=True)
    display_name = models.CharField(max_length=40)
    show_building = models.BooleanField(default=False)
    language = models.CharField(max_length=10, default="zh-hans")

    # Real-name data, never stored in clear (see community.identity).
    real_name = models.CharField(max_length=60, blank=True)
    id_hash = models.CharField(max_length=64, blank=True, db_index=True)
    id_masked = models.CharField(max_length=24, blank=True)
    phone_masked = models.CharField(max_length=20, blank=True)

    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    neighbourhood = models.ForeignKey(
        Neighbourhood, null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    building = models.CharField(max_length=20, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    room_number = models.CharField(max_length=20, blank=True)

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.RESIDENT)
    party_member = models.BooleanField(default=False)

    verification = models.CharField(
        max_length=10, choices=Verification.choices, default=Verification.PENDING
    )
    rejection_reason = models.CharField(max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(default=timezone.now)

    # An observer (街镇/区 观察员) watches a street or a whole district.
    observer_street = models.ForeignKey(
        Street, null=True, blank=True, on_delete=models.PROTECT, related_name="observers"
    )
    observer_district = models.ForeignKey(
        District, null=True, blank=True, on_delete=models.PROTECT, related_name="observers"
    )

    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    #: Raised by a logout: every session of the person ends with it (see get_session_auth_hash).
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = PersonManager()

    #: What the person's open sockets follow: a change to any of these reaches them (``save``).
    PLACE_FIELDS = (
        "role",
        "party_member",
        "community_id",
        "neighbourhood_id",
        "observer_street_id",
        "observer_district_id",
    )

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "person"
        verbose_name_plural = "people"
        constraints = [
            # One live application (pending or approved) per ID number per community.
            models.UniqueConstraint(
                fields=["community", "id_hash"],
                condition=Q(verification__in=["pending", "approved"]) & ~Q(id_hash=""),
                name="one_live_application_per_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.username})"

    @property
    def is_approved(self) -> bool:
        return self.verification == Verification.APPROVED and self.is_active

    @classmethod
    def from_db(cls, db, field_names, values):
        person = super().from_db(db, field_names, values)
        person._as_saved = person._watched()
        return person

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        """What is stored now is what a later save compares to (for the fields read again: a
        deferred field loaded on first use must not hide an unsaved change to another)."""
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        current = self._watched()
        if fields is None:
            self._as_saved = current
            return
        read = {self._meta.get_field(name).attname for name in fields}
        saved = getattr(self, "_as_saved", None) or {}
        self._as_saved = {**saved, **{k: v for k, v in current.items() if k in read}}

    def _watched(self) -> dict[str, Any]:
        loaded = self.__dict__
        names = (*self.PLACE_FIELDS, "is_active", "verification")
        return {name: loaded[name] for name in names if name in loaded}

    def save(self, *args, **kwargs) -> None:
        """Save; what changed is announced by the post-save hook (``community.receivers``),
        whoever saves. In one transaction with the save (the caller's, or its own), so the chat
        app's answer (rooms left and joined, sockets told after commit) commits or rolls back
        with it."""
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)

    def get_session_auth_hash(self) -> str:
        return self._session_hash(None)

    def get_session_auth_fallback_hash(self):
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret)

    def _session_hash(self, secret: str | None) -> str:
        """Django's HMAC of the password, and of the session generation once a logout raised it
        (so every session of the person ends; generation 0 keeps Django's own value)."""
        value = self.password
        if self.session_generation:
            value = f"{value}:{self.session_generation}"
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    @property
    def location(self) -> str:
        """Building and room as shown to neighbours when the person chooses to show them."""
        parts = [p for p in (self.building, self.unit, self.room_number) if p]
        return "-".join(parts)


#: A poster stays up for weeks, not forever: a code found years later lets no one in.
INVITE_DAYS = 30


def invite_expiry() -> datetime.datetime:
    """When a code issued now stops working, unless told otherwise."""
    return timezone.now() + datetime.timedelta(days=INVITE_DAYS)


class InviteCode(models.Model):
    """A community's join code, printable as a QR poster: it expires, and takes at most
    ``max_uses`` applications."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="invite_codes")
    code = models.CharField(max_length=32, unique=True)
    expires_at = models.DateTimeField(default=invite_expiry)
    max_uses = models.PositiveIntegerField(default=500)
    uses = models.PositiveIntegerField(default=0)
    revoked = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.code

    def is_valid(self, now=None) -> bool:
        now = now or timezone.now()
        return not self.revoked and self.expires_at > now and self.uses < self.max_uses


class ActivationCode(models.Model):
    """A one-time code (激活码) with which a person others enrolled — from a roster, or by a
    cadre — chooses their password and display name. Only its SHA-256 is stored."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="activation_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    #: Replaced by a newer code (one lost and issued again) before it was used.
    revoked = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"activation #{self.pk} of {self.person_id}"

    @staticmethod
    def hash_code(code: str) -> str:
        return hashlib.sha256(code.encode()).hexdigest()

    def is_valid(self, now=None) -> bool:
        now = now or timezone.now()
        return self.used_at is None and not self.revoked and self.expires_at > now


class ApiToken(models.Model):
    """A bearer token for non-browser clients; only its SHA-256 is stored."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token #{self.pk} of {self.person_id}"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class PersonalDataAccess(models.Model):
    """Who looked at whose personal data, and why (kept at least six months)."""

    #: None: the operator's console (a management command).
    viewer = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=60)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.viewer_id} saw {self.subject_id} ({self.purpose})"
