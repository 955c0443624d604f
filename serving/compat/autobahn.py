"""autobahn's WebSocket protocol, reached where it offers no hook (autobahn 26.11, constraints.txt).

- The log helpers ``pformat``, ``hltype`` and ``hlval`` that its protocol modules call for every
  debug log line, logged or not, are replaced by lazy ones (``replace_log_helpers``).
- ``Timings.__str__`` pretty-prints its private ``_timings``.
- A server protocol's ``state`` against ``STATE_OPEN`` says whether a ready frame may be written
  to its transport directly (``chat.outbox.RawWriter``). Frames written so are plain (no
  extension): daphne's factory accepts no per-message compression offer (autobahn's default),
  which the start-up check confirms by making it one (``no_compression``).
"""

from __future__ import annotations

import importlib
import pprint
from collections.abc import Callable
from types import ModuleType
from typing import Any

from autobahn.websocket.protocol import Timings, WebSocketProtocol

from serving.compat import Fact, Need, on

#: autobahn's modules whose log calls take these helpers' results as arguments, and nothing else.
LOG_HELPERS: dict[str, tuple[str, ...]] = {
    "autobahn.websocket.protocol": ("pformat", "hltype", "hlval"),
    "autobahn.twisted.websocket": ("hltype", "hlval"),
}


def replace_log_helpers(wrap: Callable[[Callable[..., str]], Callable[..., Any]]) -> None:
    """Replace each log helper by ``wrap(helper)``, unless it is already one of ``wrap``'s."""
    for name, helpers in LOG_HELPERS.items():
        module: ModuleType = importlib.import_module(name)
        for helper in helpers:
            func = getattr(module, helper)
            if not getattr(func, "linli_lazy", False):
                setattr(module, helper, wrap(func))
    # Its one use of ``pformat`` that is not a log argument: the timings' text.
    Timings.__str__ = lambda self: pprint.pformat(self._timings)  # type: ignore[method-assign]


def is_websocket(protocol: Any) -> bool:
    return isinstance(protocol, WebSocketProtocol)


def is_open(protocol: WebSocketProtocol) -> bool:
    return protocol.state == WebSocketProtocol.STATE_OPEN


def drop_state_futures(protocol: Any) -> None:
    """Let a closed protocol drop its ``is_open``/``is_closed`` futures: autobahn resolves
    ``is_closed`` with the protocol itself, so the future and the protocol refer to each other."""
    protocol.is_closed = protocol.is_open = None


def no_compression() -> bool:
    """daphne's WebSocket factory refuses a permessage-deflate offer: no socket it serves ever
    negotiates an extension, so ready-made plain frames are valid on every one."""
    from autobahn.websocket.compress import PerMessageDeflateOffer
    from daphne.ws_protocol import WebSocketFactory

    factory = WebSocketFactory(None, server="Daphne")
    return factory.perMessageCompressionAccept([PerMessageDeflateOffer()]) is None


def needs() -> list[Need]:
    needed = [
        Need(module, helper, lambda module=module: importlib.import_module(module))
        for module, helpers in LOG_HELPERS.items()
        for helper in helpers
    ]
    return [
        *needed,
        Need("autobahn.websocket.protocol.Timings", "_timings", Timings),
        *on(WebSocketProtocol, "STATE_OPEN", "STATE_CONNECTING", name=_WS),
        # Set on the instance by the handshake: looked for on a protocol that just made one.
        Need(_WS, "state", _opened_protocol),
        Need(_WS, "is_closed", WebSocketProtocol),  # set by __init__: a fresh instance
        Need(_WS, "is_open", WebSocketProtocol),
        Fact("daphne.ws_protocol.WebSocketFactory refuses per-message compression", no_compression),
    ]


_WS = "autobahn.websocket.protocol.WebSocketProtocol"

#: A minimal RFC 6455 opening handshake (its example key).
_HANDSHAKE = (
    b"GET / HTTP/1.1\r\nHost: linli\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def _opened_protocol() -> WebSocketProtocol:
    """A real autobahn server protocol after a real handshake, over an in-memory transport."""
    from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
    from twisted.internet.testing import StringTransport

    factory = WebSocketServerFactory()
    factory.protocol = WebSocketServerProtocol
    factory.setProtocolOptions(openHandshakeTimeout=0, autoPingInterval=0)
    protocol = factory.buildProtocol(None)
    protocol.makeConnection(StringTransport())
    protocol.dataReceived(_HANDSHAKE)
    return protocol
