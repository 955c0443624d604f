"""The HTTP API (``/api/v1``), with its OpenAPI schema at ``/api/v1/openapi.json``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from community.tokens import resolve_token
from core.errors import ActionError, ErrorCode


class BearerAuth(HttpBearer):
    """``Authorization: Bearer <token>`` for an approved person."""

    def authenticate(self, request: HttpRequest, token: str):
        found = resolve_token(token)
        if found is None:
            return None
        request.user, request.auth_token_id = found
        return found[0]


class ApprovedSessionAuth(SessionAuth):
    """The browser's session, for an approved person only."""

    def authenticate(self, request: HttpRequest, key):
        user = super().authenticate(request, key)
        return user if user is not None and getattr(user, "is_approved", False) else None


#: Either credential; HTTP views receive the person as ``request.auth``.
AUTH = [BearerAuth(), ApprovedSessionAuth()]

api = NinjaAPI(
    title="Linli API",
    version="1",
    description="Linli (邻里) neighbourhood chat: HTTP side of the v1 contract.",
    urls_namespace="api",
)


def error_response(request: HttpRequest, err: ActionError) -> HttpResponse:
    return api.create_response(request, {"error": err.as_dict()}, status=err.http_status)


@api.exception_handler(ActionError)
def _action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    return error_response(request, exc)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    body = {"error": {"code": ErrorCode.INVALID, "message": "invalid input", "detail": exc.errors}}
    return api.create_response(request, body, status=400)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = {"error": {"code": ErrorCode.UNAUTHORIZED, "message": "authentication required"}}
    return api.create_response(request, body, status=401)


def _mount_routers() -> None:
    from chat.api import router as chat_router
    from community.api import router as community_router
    from server.health import router as health_router

    api.add_router("/", health_router)
    api.add_router("/", community_router)
    api.add_router("/", chat_router)


_mount_routers()
