"""Bearer tokens for non-browser clients (PROTOCOL.md: ``POST/DELETE /api/v1/auth/token``).

Only the SHA-256 of a token is stored; the token itself is shown once, when issued.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from server.community.models import ApiToken, Person
from server.community.signals import token_revoked

#: ``last_used_at`` is rewritten at most this often: a reconnect storm must not be a write storm.
LAST_USED_PRECISION = timedelta(hours=1)


def issue_token(person: Person) -> str:
    """Create a token for an approved person and return it (the only time it is visible)."""
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(person=person, key_hash=ApiToken.hash_key(key))
    return key


def resolve_token(key: str) -> tuple[Person, int] | None:
    """The approved person behind a token and the token's id; None if unknown, revoked, inactive."""
    if not key or len(key) > 200:
        return None
    token = (
        ApiToken.objects.select_related("person").filter(key_hash=ApiToken.hash_key(key)).first()
    )
    if token is None or not token.person.is_approved:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.person, token.pk


def revoke_token(key: str) -> bool:
    """Delete a token; sockets it opened are told to close once the deletion commits."""
    token = ApiToken.objects.filter(key_hash=ApiToken.hash_key(key)).first()
    if token is None:
        return False
    person_id, token_id = token.person_id, token.pk
    token.delete()
    transaction.on_commit(
        lambda: token_revoked.send(sender=ApiToken, person_id=person_id, token_id=token_id)
    )
    return True
