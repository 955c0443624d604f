"""Limits on plain HTTP that daphne does not set, for a worker that faces clients directly.

``linli serve`` and ``linli demo`` put daphne on the network with nobody in front of it. Daphne
(and Twisted under it) reads a whole request body into memory before the application sees it,
answers every pipelined request while the client reads none of the answers, and lets a request's
headers arrive one line at a time for as long as each line comes before the idle timeout. Each
connection is therefore wrapped, before Twisted's HTTP parser, by a ``Guard`` that follows where
each request starts and ends (headers, then ``Content-Length`` bytes) and enforces:

- **Body size** (``LINLI_MAX_REQUEST_BODY``): a request declaring a larger body is answered 413
  at once and the connection closed, without reading the body; a chunked body (no length) is
  answered 411. Behind nginx these never arrive (``client_max_body_size``; nginx sends lengths).
- **Header time** (``LINLI_HEADER_TIMEOUT``): a request's headers must be complete this many
  seconds after its first byte, or the connection is closed (a half-finished upgrade request
  cannot hold a connection open).
- **Unfinished requests per address** (``LINLI_UNFINISHED_PER_ADDRESS``): connections of one
  address whose request headers are still arriving; one more is closed at once.
- **Answers waiting unread** (``LINLI_HTTP_UNSENT_LIMIT``): the next pipelined request is handed
  to Twisted only once the one before it is answered and fewer bytes than this wait unsent to
  the client, so a client that sends many requests and reads no answer holds one answer in the
  worker, not all of them; one that reads nothing for ``LINLI_HTTP_STALL_TIMEOUT`` seconds
  is disconnected.

A connection upgraded to a WebSocket is passed through untouched from then on: frame sizes and
the socket's own limits are Linli's consumer's business (``serving.transport.unwrap`` lets
them reach the real transport under the guard). Only a worker that faces clients has a guard:
``linli serve`` without ``--proxy-headers``, and ``linli demo``; behind nginx the same limits are
nginx's (deploy/nginx/linli.conf).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from django.conf import settings
from twisted.protocols.policies import ProtocolWrapper, WrappingFactory

from serving.compat import daphne as compat_daphne
from serving.compat import twisted as compat_twisted

#: Seconds between checks of a paused connection's unsent bytes.
DRAIN_POLL_S = 0.05

_END_OF_HEADERS = b"\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"^content-length:[ \t]*([0-9]+)[ \t]*\r?$", re.I | re.M)
_TRANSFER_ENCODING = re.compile(rb"^transfer-encoding:", re.I | re.M)


def _answer(status: bytes) -> bytes:
    return b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


TOO_LARGE = _answer(b"413 Content Too Large")
LENGTH_REQUIRED = _answer(b"411 Length Required")


class GuardFactory(WrappingFactory):
    """Wraps daphne's HTTP factory; counts each address's connections with unfinished headers."""

    protocol = None  # set below (Guard is defined after)

    def __init__(self, wrapped: Any) -> None:
        super().__init__(wrapped)
        self.unfinished: Counter[str] = Counter()


class Guard(ProtocolWrapper):
    """One client connection, seen before Twisted's HTTP parser (see the module docstring)."""

    factory: GuardFactory

    def __init__(self, factory: GuardFactory, wrapped: Any) -> None:
        super().__init__(factory, wrapped)
        self.http = wrapped  #: Twisted's HTTP protocol; replaced by daphne on a WebSocket upgrade
        self.head = b""  #: the current request's headers so far
        self.body_left = 0  #: bytes of the current request's body still to pass on
        self.held = b""  #: bytes of later requests, held while answers wait unsent
        self.address = ""
        self.counted = False  #: counted in the factory's unfinished headers of this address
        self.deadline: Any = None
        self.waiting: Any = None  #: the poll for the client to read, while requests are held
        self.stalled_for = 0.0

    # --- Connection ----------------------------------------------------------------------------

    def makeConnection(self, transport: Any) -> None:  # Twisted's name
        self.address = str(getattr(transport.getPeer(), "host", ""))
        super().makeConnection(transport)

    def connectionLost(self, reason: Any) -> None:  # Twisted's name
        self._headers_done()
        if self.waiting is not None and self.waiting.active():
            self.waiting.cancel()
        super().connectionLost(reason)

    @property
    def upgraded(self) -> bool:
        """daphne handed the connection to its WebSocket protocol."""
        return self.wrappedProtocol is not self.http

    # --- Incoming bytes ------------------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:  # Twisted's name
        if self.upgraded or self.disconnecting:
            if not self.disconnecting:
                self.wrappedProtocol.dataReceived(data)
            return
        if self.held:
            self.held += data
            return
        self._take(data)

    def _take(self, data: bytes) -> None:
        """Pass ``data`` on one request at a time, holding the rest while answers wait unsent."""
        while data and not self.disconnecting and not self.upgraded:
            if self.body_left:
                chunk, data = data[: self.body_left], data[self.body_left :]
                self.body_left -= len(chunk)
                self.wrappedProtocol.dataReceived(chunk)
                continue
            if not self.head and self._busy():
                self._hold(data)
                return
            data = self._headers(data)
        if data and self.upgraded and not self.disconnecting:
            self.wrappedProtocol.dataReceived(data)

    def _headers(self, data: bytes) -> bytes:
        """Read a request's headers; pass them on when complete. Returns what follows them."""
        if not self.head:
            self._headers_start()
        before = len(self.head)
        self.head += data
        end = self.head.find(_END_OF_HEADERS, max(0, before - 3))
        if end < 0:
            if len(self.head) > settings.LINLI_MAX_REQUEST_HEAD:
                self._refuse(_answer(b"431 Request Header Fields Too Large"))
            return b""
        cut = end + len(_END_OF_HEADERS)
        head, rest = self.head[:cut], self.head[cut:]
        self.head = b""
        self._headers_done()
        length = _CONTENT_LENGTH.search(head)
        if _TRANSFER_ENCODING.search(head):
            self._refuse(LENGTH_REQUIRED)
            return b""
        if length is not None and int(length.group(1)) > settings.LINLI_MAX_REQUEST_BODY:
            self._refuse(TOO_LARGE)
            return b""
        self.body_left = int(length.group(1)) if length is not None else 0
        self.wrappedProtocol.dataReceived(head)
        return rest

    # --- Header time and unfinished requests per address ----------------------------------------

    def _headers_start(self) -> None:
        self.deadline = _call_later(settings.LINLI_HEADER_TIMEOUT, self._too_slow)
        unfinished = self.factory.unfinished
        unfinished[self.address] += 1
        self.counted = True
        if unfinished[self.address] > settings.LINLI_UNFINISHED_PER_ADDRESS:
            self.transport.abortConnection()

    def _headers_done(self) -> None:
        if self.deadline is not None and self.deadline.active():
            self.deadline.cancel()
        self.deadline = None
        if self.counted:
            self.counted = False
            unfinished = self.factory.unfinished
            unfinished[self.address] -= 1
            if unfinished[self.address] <= 0:
                del unfinished[self.address]

    def _too_slow(self) -> None:
        self.deadline = None
        self.transport.abortConnection()

    def _refuse(self, answer: bytes) -> None:
        """Answer with ``answer`` and close, reading nothing more of the request."""
        self.head = b""
        self.transport.write(answer)
        self.loseConnection()

    # --- Answers waiting unread -------------------------------------------------------------------

    def _backed_up(self) -> bool:
        unsent = compat_twisted.unsent_bytes(self.transport)
        return unsent > settings.LINLI_HTTP_UNSENT_LIMIT

    def _busy(self) -> bool:
        """An earlier request is still being answered, or its answer waits unsent: the next
        pipelined one waits (Twisted would otherwise start them all at once)."""
        return compat_twisted.requests_in_progress(self.http) > 0 or self._backed_up()

    def _hold(self, data: bytes) -> None:
        self.held = data
        self.stalled_for = 0.0
        self.transport.pauseProducing()
        self.waiting = _call_later(DRAIN_POLL_S, self._drained)

    def _drained(self) -> None:
        self.waiting = None
        if self.disconnecting or not self.connected:
            return
        if self._busy():
            # Only time the client leaves its answers unread counts (not a slow application).
            self.stalled_for = self.stalled_for + DRAIN_POLL_S if self._backed_up() else 0.0
            if self.stalled_for >= settings.LINLI_HTTP_STALL_TIMEOUT:
                self.transport.abortConnection()
                return
            self.waiting = _call_later(DRAIN_POLL_S, self._drained)
            return
        data, self.held = self.held, b""
        self.transport.resumeProducing()
        self._take(data)


GuardFactory.protocol = Guard


def _call_later(delay: float, func: Any) -> Any:
    # Imported when first needed: importing the reactor installs one, and daphne installs its own.
    from twisted.internet import reactor

    return reactor.callLater(delay, func)


def guarded(factory: Any) -> GuardFactory:
    """daphne's HTTP factory behind the guard."""
    return GuardFactory(factory)


def install() -> None:
    """Guard every connection daphne accepts from now on (in this process)."""
    compat_daphne.wrap_http_factory(guarded)
