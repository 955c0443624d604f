"""Who is at the other end of a WebSocket handshake.

Browsers authenticate with the Django session cookie, and then the ``Origin`` must be one of
``ALLOWED_HOSTS`` (a cookie rides along on cross-site requests; a bearer token does not). Other
clients send ``Authorization: Bearer <token>`` or ``?token=<token>`` and may send no Origin. Anyone
else is left anonymous and the consumer refuses the handshake.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from channels.auth import AuthMiddleware
from channels.middleware import BaseMiddleware
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host

from server import admission, transport
from server.community.tokens import resolve_token
from server.dbthreads import db


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
    """True when the Origin header names a host in ALLOWED_HOSTS (never a missing or null one)."""
    origin = _header(scope, b"origin")
    if not origin or origin == "null":
        return False
    parsed = urlparse(origin)
    if parsed.scheme not in ("http", "https", "ws", "wss") or not parsed.hostname:
        return False
    host = parsed.netloc.rsplit("@", 1)[-1]
    domain, _port = split_domain_port(host)
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = ["127.0.0.1", "localhost", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


class _ApprovedOriginCheck(BaseMiddleware):
    """After session auth: keep the user only if approved and the Origin is ours."""

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if not (origin_allowed(scope) and getattr(user, "is_approved", False)):
            scope["user"] = AnonymousUser()
        else:
            scope["auth"] = {"method": "session", "token_id": None}
        return await super().__call__(scope, receive, send)


class LinliAuthMiddleware:
    """Token auth first, then cookie auth with the Origin check."""

    def __init__(self, inner):
        self.inner = inner
        self.cookie_stack = CookieMiddleware(
            SessionMiddleware(AuthMiddleware(_ApprovedOriginCheck(inner)))
        )

    async def __call__(self, scope, receive, send):
        # The server's own send, before any middleware wraps it: the consumer's slow-client
        # guard reads the transport's buffer through it (chat.outbox).
        scope = {**scope, "linli.server_send": send}
        token = bearer_token(scope)
        if token is None:
            return await self.cookie_stack(scope, receive, send)
        async with admission.turn():
            gone = transport.closed(transport.find_transport(send))
            found = None if gone else await db(resolve_token)(token)
        if found is None:
            scope["user"] = AnonymousUser()
        else:
            scope["user"], token_id = found
            scope["auth"] = {"method": "token", "token_id": token_id}
        return await self.inner(scope, receive, send)
