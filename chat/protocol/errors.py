"""How the wire refuses a frame: ``ProtocolError`` for the consumer, ``FieldError`` within."""

from __future__ import annotations

from typing import Any

from core.errors import ErrorCode
from core.text import TextError


class ProtocolError(Exception):
    """A client frame Linli cannot accept; the consumer answers with an ``error`` frame.

    ``ref`` is the frame's ``ref`` when it could be read (so the error echoes it), ``field`` the
    offending field when there is one, and ``close_code`` is set only when the frame is abuse
    and the socket must close after the error (a frame over the hard cap).
    """

    def __init__(
        self,
        code: ErrorCode,
        message: Any,
        *,
        ref: str | None = None,
        field: str | None = None,
        close_code: int | None = None,
    ) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.ref = ref
        self.field = field
        self.close_code = close_code

    def __str__(self) -> str:
        where = f" ({self.field})" if self.field else ""
        return f"{self.code}{where}: {self.message}"


#: A field rule's refusal; ``decode`` turns it into an ``invalid`` ProtocolError. The same
#: exception as the shared text rules raise (``core.text``), so their refusals read alike.
FieldError = TextError
