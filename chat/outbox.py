"""How many bytes wait unsent to one socket: the slow-consumer guard's measure.

Neither daphne nor ASGI applies backpressure to a WebSocket send: the frame goes into the server's
transport buffer at once, and a client that stops reading makes that buffer grow without bound.
The ASGI ``send`` callable leads back to the transport, whose buffer size both serving layers
expose (Twisted's ``FileDescriptor`` buffers under daphne, asyncio's ``get_write_buffer_size``
under uvicorn). On a server where neither is found the probe answers None and the guard is off.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def find_transport(send: Callable[..., Any]) -> Any | None:
    """The transport behind an ASGI ``send`` callable, if the serving layer is one we know."""
    if isinstance(send, functools.partial) and send.args:
        owner = send.args[0]  # daphne: partial(server.handle_reply, protocol)
    else:
        owner = getattr(send, "__self__", None)  # uvicorn: the protocol's bound method
    return getattr(owner, "transport", None)


def pending_bytes(transport: Any) -> int | None:
    """Bytes written to ``transport`` and not yet taken by the kernel."""
    size = getattr(transport, "get_write_buffer_size", None)
    if callable(size):
        return int(size())
    if hasattr(transport, "dataBuffer") and hasattr(transport, "_tempDataLen"):
        return len(transport.dataBuffer) - transport.offset + transport._tempDataLen
    return None
