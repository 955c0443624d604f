"""Who is at the other end of a WebSocket handshake.

Browsers authenticate with the Django session cookie, and then the ``Origin`` must be the
page's own scheme, host and port (a cookie rides along on cross-site requests; a bearer token
does not). Other clients send ``Authorization: Bearer <token>`` or ``?token=<token>`` and may
send no Origin. Anyone else is nobody, and the consumer refuses the handshake.

``identify`` answers once, at the handshake, and leaves the scope as it found it: nothing here
keeps the person's row alive for the hours a socket stays open (the consumer keeps an
``Actor``), where Channels' auth middleware copies the scope with the user at every layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs, urlparse

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.core.exceptions import ValidationError
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils.crypto import constant_time_compare

from community.models import Person
from community.tokens import resolve_token
from core.dbthreads import db


@dataclass(frozen=True, slots=True)
class Visitor:
    """An approved person at the other end of a handshake, and how they proved it."""

    person: Person
    #: The bearer token's id (its sockets close when it is revoked); None for a browser session.
    token_id: int | None = None


async def identify(scope: dict[str, Any]) -> Visitor | None:
    """The approved person behind a WebSocket handshake's credentials, or None."""
    token = bearer_token(scope)
    if token is not None:  # a token decides alone: a bad one never falls back to the cookie
        found = await db(resolve_token)(token)
        return None if found is None else Visitor(*found)
    if not origin_allowed(scope):
        return None
    person = await db(session_person)(session_key(scope))
    return None if person is None else Visitor(person)


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def bearer_token(scope: dict[str, Any]) -> str | None:
    """The token from ``Authorization: Bearer`` or the ``token`` query parameter, if any."""
    auth = _header(scope, b"authorization")
    if auth and auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    values = query.get("token")
    return values[0] if values else None


def origin_allowed(scope: dict[str, Any]) -> bool:
    """True when the Origin is the handshake's own origin, as Django's CSRF check decides it.

    Scheme, host and port must all match the ``Host`` the browser connected to (which must be in
    ALLOWED_HOSTS), or the Origin must be one of CSRF_TRUSTED_ORIGINS: ``http://localhost:1`` is
    another site than ``http://localhost:8000``. Never a missing or ``null`` Origin.
    """
    origin = _header(scope, b"origin")
    host = _header(scope, b"host")
    if not origin or origin == "null" or not host or not _host_allowed(host):
        return False
    own = _site(f"{'https' if _secure(scope) else 'http'}://{host}")
    seen = _site(origin)
    if seen is not None and seen == own:
        return True
    return any(_site(trusted) == seen for trusted in settings.CSRF_TRUSTED_ORIGINS)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _site(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) origin, the default port filled in; None if malformed."""
    parsed = urlparse(url)
    if parsed.scheme not in _DEFAULT_PORTS or not parsed.hostname or "@" in parsed.netloc:
        return None
    try:
        port = parsed.port or _DEFAULT_PORTS[parsed.scheme]
    except ValueError:
        return None
    return parsed.scheme, parsed.hostname, port


def _host_allowed(host: str) -> bool:
    domain, _port = split_domain_port(host)
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]  # as Django's HttpRequest.get_host
    return bool(domain) and validate_host(domain, allowed)


def _secure(scope: dict[str, Any]) -> bool:
    """Whether the browser reached us over TLS: directly, or through SECURE_PROXY_SSL_HEADER."""
    if scope.get("scheme") in ("wss", "https"):
        return True
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not proxy:
        return False
    name, value = proxy
    header = name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
    got = _header(scope, header)
    return got is not None and got.split(",", 1)[0].strip() == value


def session_key(scope: dict[str, Any]) -> str | None:
    """The session cookie's value, if the handshake carries one."""
    return parse_cookie(_header(scope, b"cookie") or "").get(settings.SESSION_COOKIE_NAME)


def session_person(key: str | None) -> Person | None:
    """The approved person logged in under this session key; None if nobody is.

    The same checks as Django's ``auth.get_user``, read-only: a handshake cannot set a cookie,
    so it never rotates or flushes the session (a session whose password hash no longer matches
    is refused here and flushed by the next page the browser loads).
    """
    if not key:
        return None
    session = import_module(settings.SESSION_ENGINE).SessionStore(key)
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except (KeyError, ValidationError):
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = load_backend(backend_path).get_user(user_id)
    if user is None or not getattr(user, "is_approved", False):
        return None
    given = session.get(HASH_SESSION_KEY)
    valid = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    if not given or not any(constant_time_compare(given, h) for h in valid):
        return None
    return user
