"""The serving layer's connection behind an ASGI ``send``: what Linli reads of it.

ASGI hides the connection, but the ``send`` callable leads back to it under both serving layers
Linli knows (daphne: ``partial(server.handle_reply, protocol)``; uvicorn: the protocol's bound
method). Linli reads two things there: how many bytes wait unsent (``chat.outbox``) and whether
the client has already gone (``serving.admission``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def find_transport(send: Callable[..., Any] | None) -> Any | None:
    """The transport behind an ASGI ``send`` callable, if the serving layer is one we know."""
    if isinstance(send, functools.partial) and send.args:
        owner = send.args[0]  # daphne: partial(server.handle_reply, protocol)
    else:
        owner = getattr(send, "__self__", None)  # uvicorn: the protocol's bound method
    return getattr(owner, "transport", None)


def closed(transport: Any | None) -> bool:
    """Whether the connection has closed or is closing (Twisted or asyncio); False if unknown."""
    if transport is None:
        return False
    is_closing = getattr(transport, "is_closing", None)
    if callable(is_closing):
        return bool(is_closing())
    return not getattr(transport, "connected", True) or bool(
        getattr(transport, "disconnecting", False)
    )
