"""Who is calling the HTTP API, and how an action's refusal is answered there.

Shared by every app's router (``community.api``, ``chat.api``, …); the project's API root
(``server.api``) mounts the routers and answers errors the same way.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.security import HttpBearer, SessionAuth

from community.models import Person
from community.tokens import resolve_token
from core.errors import ActionError


class BearerAuth(HttpBearer):
    """``Authorization: Bearer <token>`` for an approved person."""

    def authenticate(self, request: HttpRequest, token: str) -> Person | None:
        found = resolve_token(token)
        if found is None:
            return None
        request.user = found[0]
        return found[0]


class ApprovedSessionAuth(SessionAuth):
    """The browser's session, for an approved person only."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Person | None:
        user = super().authenticate(request, key)
        return user if user is not None and getattr(user, "is_approved", False) else None


#: Either credential; HTTP views receive the person as ``request.auth``.
AUTH = [BearerAuth(), ApprovedSessionAuth()]


def error_response(err: ActionError) -> HttpResponse:
    """The error body every API answer uses: ``{"error": {"code", "message", …}}``."""
    return JsonResponse({"error": err.as_dict()}, status=err.http_status)
