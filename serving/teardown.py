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
a worker with thousands of sockets. Breaking both where they stop being needed lets each closed
connection go by reference counting, and full collections have nothing of it left to find
(tests/e2e/test_teardown.py counts them). What this touches inside daphne, Twisted and autobahn
is reached through ``serving.compat`` and checked at start-up with the rest (``linli.E010``).
"""

from __future__ import annotations

from typing import Any

from serving.compat import autobahn, daphne, twisted


def install() -> None:
    """Break both cycles from now on (idempotent)."""
    daphne.after_upgrade(_release_http_channel)
    daphne.after_connection_lost(autobahn.drop_state_futures)


def _release_http_channel(request: Any) -> None:
    """After an upgrade the transport belongs to the WebSocket protocol: the HTTP channel and
    this request are done with each other."""
    channel = daphne.upgraded(request)
    if channel is not None:
        twisted.forget_requests(channel)
        daphne.forget_channel(request)
