"""Twisted's TCP transport: its write buffer, read directly (Twisted 26.10, constraints.txt).

``FileDescriptor.write`` only appends to ``_tempDataBuffer``; the reactor later joins it into
``dataBuffer`` and sends from ``offset``. Twisted exposes no count of unsent bytes and no
"is the queue empty", both of which the slow-consumer guard and the direct write path need
(``chat.outbox``): they are computed here from those attributes. And the HTTP channel's
requests in progress (``serving.http_guard``).
"""

from __future__ import annotations

import socket
from typing import Any

from twisted.internet import abstract, tcp
from twisted.web import http

from serving.compat import Need, on


def is_tcp(transport: Any) -> bool:
    """Whether ``transport`` is a Twisted descriptor with the buffer this module reads."""
    return isinstance(transport, abstract.FileDescriptor)


def unsent_bytes(transport: abstract.FileDescriptor) -> int:
    """Bytes written to the transport and not yet taken by the kernel."""
    return len(transport.dataBuffer) - transport.offset + transport._tempDataLen


def nothing_queued(transport: abstract.FileDescriptor) -> bool:
    """No byte waits in the transport: a new write may go to the kernel first, in order."""
    return not transport._tempDataBuffer and transport.offset == len(transport.dataBuffer)


def writable(transport: abstract.FileDescriptor) -> bool:
    """Connected, and neither closing nor half-closed for writing."""
    return bool(
        transport.connected and not transport.disconnecting and not transport._writeDisconnected
    )


def kernel_socket(transport: Any) -> socket.socket | None:
    """The TCP connection's socket; None for transports without one (TLS, pipes)."""
    return getattr(transport, "socket", None) if isinstance(transport, tcp.Connection) else None


def requests_in_progress(protocol: Any) -> int:
    """Requests an HTTP connection has begun and not finished answering.

    Twisted's HTTP factory builds a ``_GenericHTTPChannelProtocol`` whose ``_channel`` is the
    ``HTTPChannel`` that keeps them in ``requests``.
    """
    return len(protocol._channel.requests)


def forget_requests(channel: Any) -> None:
    """Let an HTTP channel drop the requests it keeps (``HTTPChannel.requests``)."""
    channel.requests.clear()


def _http_protocol() -> Any:
    return http.HTTPFactory().buildProtocol(None)


def _tcp_connection() -> tcp.Connection:
    """A real TCP transport around one end of a socket pair (its attributes are per instance)."""
    mine, theirs = socket.socketpair()
    theirs.close()
    connection = tcp.Connection(mine, None)
    mine.close()
    return connection


def needs() -> list[Need]:
    fd = "twisted.internet.abstract.FileDescriptor"
    return [
        *on(abstract.FileDescriptor, "dataBuffer", "offset", "_writeDisconnected", name=fd),
        *on(abstract.FileDescriptor, "connected", "disconnecting", "write", name=fd),
        Need(fd, "_tempDataBuffer", abstract.FileDescriptor),
        Need(fd, "_tempDataLen", abstract.FileDescriptor),
        Need("twisted.internet.tcp.Connection", "socket", _tcp_connection),
        Need("twisted.web.http._GenericHTTPChannelProtocol", "_channel", _http_protocol),
        Need("twisted.web.http.HTTPChannel", "requests", lambda: _http_protocol()._channel),
    ]
