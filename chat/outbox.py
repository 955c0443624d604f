"""Ready WebSocket frames, written straight to a socket; and how many bytes wait unsent to it.

A room event is the same bytes for every socket: it is framed once per encoding (``framed``)
and written to each socket's transport as it is (``RawWriter``). The bytes a socket has not yet
taken are the slow-consumer guard's measure (``pending_bytes``).

Neither daphne nor ASGI applies backpressure to a WebSocket send: the frame goes into the server's
transport buffer at once, and a client that stops reading makes that buffer grow without bound.
The ASGI ``send`` callable leads back to the transport (``serving.transport``), whose buffer
size both serving layers expose (Twisted's ``FileDescriptor`` buffers under daphne, read through
``serving.compat.twisted``; asyncio's ``get_write_buffer_size`` under uvicorn). What Twisted keeps
private is checked at start-up (``serving.compat``): a release that renamed it stops the worker
from starting instead of switching the guard off.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from serving import transport as serving_transport
from serving.compat import autobahn as compat_autobahn
from serving.compat import daphne as compat_daphne
from serving.compat import twisted as compat_twisted


def frame(payload: bytes, *, binary: bool) -> bytes:
    """One unmasked, unfragmented server-to-client WebSocket frame (RFC 6455 §5.2)."""
    first = 0x82 if binary else 0x81  # FIN + opcode (binary 2, text 1)
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", first, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", first, 126, size)
    else:
        header = struct.pack("!BBQ", first, 127, size)
    return header + payload


def payloads(data: bytes) -> list[bytes]:
    """The payloads of the frames ``frame`` made, joined in ``data`` (for a serving layer that
    frames each message itself)."""
    out, at = [], 0
    while at < len(data):
        size, at = data[at + 1] & 0x7F, at + 2
        if size >= 126:
            width = 2 if size == 126 else 8
            size, at = int.from_bytes(data[at : at + width], "big"), at + width
        out.append(data[at : at + size])
        at += size
    return out


def framed(event: dict[str, Any], *, binary: bool) -> bytes:
    """The event as a ready WebSocket frame in one encoding, built once and kept on the event."""
    key = "_msgpack_frame" if binary else "_json_frame"
    ready = event.get(key)
    if ready is None:
        payload = event["msgpack"] if binary else event["json"].encode()
        ready = event[key] = frame(payload, binary=binary)
    return ready


def pending_bytes(transport: Any) -> int | None:
    """Bytes written to ``transport`` and not yet taken by the kernel (None: unknown kind)."""
    return serving_transport.unsent_bytes(transport)


class RawWriter:
    """Writes ready-made frames straight to a daphne socket's transport.

    Daphne frames every message in autobahn, in Python, once per socket; a room event is the same
    bytes for every socket, so it is framed once (``framed``) and this writes it.
    Used only when it is safe: an autobahn protocol in the OPEN state (under daphne, which never
    negotiates an extension such as compression: ``serving.compat.autobahn.no_compression``).
    Everything else goes through ``send`` as usual; both paths write whole frames synchronously
    on the one event-loop thread, so frames never interleave.
    """

    __slots__ = ("protocol", "transport")

    def __init__(self, protocol: Any):
        self.protocol = protocol
        self.transport = serving_transport.unwrap(protocol.transport)

    @classmethod
    def for_send(cls, send: Callable[..., Any] | None) -> RawWriter | None:
        protocol = compat_daphne.protocol_behind(send)
        return cls(protocol) if compat_autobahn.is_websocket(protocol) else None

    def close(self, code: int, reason: str | None) -> bool:
        """Start the closing handshake with a code and reason; False if the socket is not open."""
        protocol = self.protocol
        if protocol.state != protocol.STATE_OPEN:
            return False
        protocol.sendClose(code=code, reason=reason)
        return True

    def write(self, data: bytes) -> int:
        """Write one frame: ``SENT`` (the kernel took all of it), ``QUEUED`` (some or all of it
        waits in the transport's buffer), or ``CLOSED`` (falsy: the socket is no longer open)."""
        protocol, transport = self.protocol, self.transport
        if not compat_autobahn.is_open(protocol) or transport is None:
            return CLOSED
        if _send_directly(transport, data):
            return SENT
        return QUEUED


#: What ``RawWriter.write`` did with a frame.
CLOSED, SENT, QUEUED = 0, 1, 2


def _send_directly(transport: Any, data: bytes) -> bool:
    """Hand the frame to the kernel now when nothing is queued before it; else queue it.

    True when the kernel took all of it. Twisted's ``write`` only queues, then registers the
    socket with the event loop and unregisters it once flushed: two ``epoll_ctl`` calls and a
    loop turn per socket per frame, most of a room event's cost per recipient. With the queue
    empty, sending at once keeps the order; what the kernel does not take is queued as usual.
    TLS and other transports have no socket of their own and always take the ordinary path.
    """
    sock = compat_twisted.kernel_socket(transport)
    if (
        sock is None
        or not compat_twisted.nothing_queued(transport)
        or not compat_twisted.writable(transport)
    ):
        transport.write(data)
        return False
    try:
        sent = sock.send(data)
    except OSError:
        # Would block, interrupted, or broken: the ordinary path queues the frame, or meets the
        # same error and closes the connection.
        sent = 0
    if sent < len(data):
        transport.write(data[sent:] if sent else data)
        return False
    return True
