"""A closed connection leaves nothing for the garbage collector.

Reference counting frees an object the moment its last reference goes, with no pause; only
objects caught in reference cycles wait for the cyclic collector. Two cycles in the serving
libraries caught every WebSocket connection (measured: ~70 objects per closed connection, the
protocol, its transport, the HTTP channel and request of the upgrade, autobahn's helpers):

* daphne's upgrade leaves the HTTP channel and its request pointing at each other
  (``HTTPChannel.requests`` → ``WebRequest`` → ``.channel``) after the transport has moved to
  the WebSocket protocol: neither is used again, and only a collection could free them;
* autobahn resolves the protocol's ``is_closed`` future with the protocol itself, so the
  protocol's closed state refers back to the protocol.

Connection objects live long enough to be frozen out of the collector (``serving.heap``), so
these cycles piled up until a full collection walked the whole heap — the 150–200 ms pauses of
a worker with thousands of sockets. Breaking both where the connection ends lets each closed
connection go by reference counting, and full collections have nothing of it left to find
(tests/e2e/test_teardown.py counts them). ``install`` wraps the two methods; the attributes it
touches are probed by ``missing``, which a system check reports (``server/checks.py``).
"""

from __future__ import annotations

from typing import Any

_installed = False


def install() -> None:
    """Wrap daphne's request processing and its WebSocket protocol's end (idempotent)."""
    global _installed
    if _installed:
        return
    from daphne.http_protocol import WebRequest
    from daphne.ws_protocol import WebSocketProtocol

    WebRequest.process = _after_upgrade(WebRequest.process)
    WebSocketProtocol.connectionLost = _after_close(WebSocketProtocol.connectionLost)
    _installed = True


def _after_upgrade(process):
    def wrapped(request) -> None:
        process(request)
        channel = request.channel
        if request.transport is None and channel is not None:
            # Upgraded: the transport now belongs to the WebSocket protocol; the HTTP channel
            # and this request are done with each other.
            channel.requests.clear()
            request.channel = None

    wrapped.__wrapped__ = process
    return wrapped


def _after_close(connection_lost):
    def wrapped(protocol, reason: Any) -> None:
        connection_lost(protocol, reason)
        # Both futures are resolved by now; whoever awaited them has its result.
        protocol.is_closed = protocol.is_open = None

    wrapped.__wrapped__ = connection_lost
    return wrapped


def missing() -> list[str]:
    """What the wrappers rely on that these library versions lack, probed on real objects."""
    from daphne.http_protocol import WebRequest
    from daphne.ws_protocol import WebSocketProtocol
    from twisted.internet.testing import StringTransport
    from twisted.web.http import HTTPChannel, Request

    channel = HTTPChannel()
    channel.makeConnection(StringTransport())
    # daphne's WebRequest registers with a running server; its base class holds the attributes.
    request, protocol = Request(channel), WebSocketProtocol()
    relied_on = [
        (WebRequest, "process"),
        (WebSocketProtocol, "connectionLost"),
        (channel, "requests"),
        (request, "channel"),
        (request, "transport"),
        (protocol, "is_closed"),
        (protocol, "is_open"),
    ]
    return [
        f"{type(obj).__module__}.{type(obj).__qualname__}.{name}"
        if not isinstance(obj, type)
        else f"{obj.__module__}.{obj.__qualname__}.{name}"
        for obj, name in relied_on
        if not hasattr(obj, name)
    ]
