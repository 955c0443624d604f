"""The serving layer's connection behind an ASGI ``send``: what Linli reads of it.

ASGI hides the connection, but the ``send`` callable leads back to it under both serving layers
Linli knows (daphne: ``partial(server.handle_reply, protocol)``, read in ``serving.compat.daphne``;
uvicorn: the protocol's bound method). Linli reads two things there: how many bytes wait unsent
(``chat.outbox``) and whether the client has already gone (``serving.admission``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serving.compat import daphne as compat_daphne
from serving.compat import twisted as compat_twisted
from serving.http_guard import Guard


def find_transport(send: Callable[..., Any] | None) -> Any | None:
    """The transport behind an ASGI ``send`` callable, if the serving layer is one we know."""
    owner = compat_daphne.protocol_behind(send)
    if owner is None:
        owner = getattr(send, "__self__", None)  # uvicorn: the protocol's bound method
    return unwrap(getattr(owner, "transport", None))


def unwrap(transport: Any) -> Any:
    """The connection's own transport under ``serving.http_guard``'s wrapper, if any (never
    under TLS's, which must encrypt what is written)."""
    return transport.transport if isinstance(transport, Guard) else transport


def closed(transport: Any | None) -> bool:
    """Whether the connection has closed or is closing (Twisted or asyncio); False if unknown."""
    if transport is None:
        return False
    if compat_twisted.is_tcp(transport):
        return not transport.connected or bool(transport.disconnecting)
    is_closing = getattr(transport, "is_closing", None)
    return bool(is_closing()) if callable(is_closing) else False


def unsent_bytes(transport: Any) -> int | None:
    """Bytes written to ``transport`` and not yet taken by the kernel; None for a transport of
    a kind Linli does not know (then no slow-consumer guard can measure it)."""
    if compat_twisted.is_tcp(transport):
        return compat_twisted.unsent_bytes(transport)
    size = getattr(transport, "get_write_buffer_size", None)  # asyncio (uvicorn)
    return int(size()) if callable(size) else None
