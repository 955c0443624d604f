"""The HTTP API (``/api/v1``), with its OpenAPI schema at ``/api/v1/openapi.json``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from chat.api import router as chat_router
from community.api import router as community_router
from community.http import error_response
from core.errors import ActionError, ErrorCode
from server.health import router as health_router

api = NinjaAPI(
    title="Linli API",
    version="1",
    description="Linli (邻里) neighbourhood chat: HTTP side of the v1 contract.",
    urls_namespace="api",
)


@api.exception_handler(ActionError)
def _action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    return error_response(exc)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    body = {"error": {"code": ErrorCode.INVALID, "message": "invalid input", "detail": exc.errors}}
    return api.create_response(request, body, status=400)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = {"error": {"code": ErrorCode.UNAUTHORIZED, "message": "authentication required"}}
    return api.create_response(request, body, status=401)


api.add_router("/", health_router)
api.add_router("/", community_router)
api.add_router("/", chat_router)
