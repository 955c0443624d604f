"""The errors every action may raise, one vocabulary for the socket and HTTP.

Codes are docs/protocol.md's; the wire module and the HTTP API translate an ``ActionError`` into an
``error`` frame or a JSON error body. Messages are lazily translated (zh-hans first, English).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    BAD_FRAME = "bad_frame"
    UNKNOWN_TYPE = "unknown_type"
    INVALID = "invalid"
    TOO_LARGE = "too_large"
    NOT_MEMBER = "not_member"
    FORBIDDEN = "forbidden"
    MUTED = "muted"
    RATE_LIMITED = "rate_limited"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"
    # Additions (documented in docs/protocol.md): HTTP-only outcomes of joining and logging in.
    UNAUTHORIZED = "unauthorized"
    PENDING = "pending"
    CONFLICT = "conflict"
    INTERNAL = "internal"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.BAD_FRAME: 400,
    ErrorCode.UNKNOWN_TYPE: 400,
    ErrorCode.INVALID: 400,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.NOT_MEMBER: 404,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.MUTED: 403,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.PENDING: 403,
    ErrorCode.CONFLICT: 409,
    ErrorCode.INTERNAL: 500,
}


class ActionError(Exception):
    """A refused action: nothing was written. ``extra`` carries e.g. ``retry_after``, ``until``."""

    def __init__(self, code: ErrorCode, message: Any, **extra: Any) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        return {"code": str(self.code), "message": str(self.message), **self.extra}

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]
