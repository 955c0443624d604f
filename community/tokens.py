"""Bearer tokens for non-browser clients (docs/protocol.md: ``POST/DELETE /api/v1/auth/token``).

Only the SHA-256 of a token is stored; the token itself is shown once, when issued. A token lives
``LINLI_TOKEN_TTL_DAYS`` from its issue (OWASP: bound every session's lifetime); after that it
is refused at the handshake and over HTTP alike, and the client logs in again.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from community import storage
from community.models import ApiToken, Person
from community.signals import token_revoked

#: ``last_used_at`` is rewritten at most this often: a reconnect storm must not be a write storm.
LAST_USED_PRECISION = timedelta(hours=1)


def token_lifetime() -> timedelta:
    return timedelta(days=settings.LINLI_TOKEN_TTL_DAYS)


def issue_token(person: Person) -> str:
    """Create a token for an approved person and return it (the only time it is visible)."""
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(person=person, key_hash=ApiToken.hash_key(key))
    return key


def resolve_token(key: str) -> tuple[Person, int] | None:
    """The approved person behind a token and the token's id; None if unknown, revoked, expired
    or the person inactive."""
    if not key or len(key) > 200:
        return None
    # Every WebSocket connect starts here, so it is one hand-written statement.
    found = storage.token_with_person(ApiToken.hash_key(key))
    if found is None:
        return None
    token_id, created_at, last_used_at, person = found
    now = timezone.now()
    if not person.is_approved or created_at + token_lifetime() <= now:
        return None
    if last_used_at is None or now - last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    return person, token_id


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
