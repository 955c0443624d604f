"""daphne's server, reached where it offers no hook (daphne 4.2.3, constraints.txt).

- An ASGI ``send`` under daphne is ``partial(Server.handle_reply, protocol)``: the protocol (and
  through it the transport) is its first argument (``protocol_behind``).
- ``Server.timeout_checker`` walks ``Server.connections`` every 2 s and reschedules itself on
  daphne's module-level ``reactor``; ``replace_timeout_checker`` swaps it (serving.daphne_server).
- ``WebRequest.process`` and ``WebSocketProtocol.connectionLost`` are wrapped so that a
  connection's objects stop referring to each other when it is upgraded and when it ends
  (``after_upgrade``, ``after_connection_lost``; serving.teardown).
- ``linli serve`` runs daphne's own command line with ``CommandLineInterface.server_class`` set
  (serving.accesslog), and the access log generator keeps its ``stream``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import daphne.server
from daphne.access import AccessLogGenerator
from daphne.cli import CommandLineInterface

from serving.compat import Need, on


def protocol_behind(send: Callable[..., Any] | None) -> Any | None:
    """The daphne protocol an ASGI ``send`` replies through; None under another server."""
    if (
        isinstance(send, functools.partial)
        and send.args
        and getattr(send.func, "__func__", None) is daphne.server.Server.handle_reply
    ):
        return send.args[0]
    return None


def connections(server: daphne.server.Server) -> dict[Any, dict[str, Any]]:
    """The server's open connections (protocols), as its timeout checker walks them."""
    return server.connections


def call_later(delay: float, func: Callable[[], None]) -> None:
    """Schedule on the reactor daphne runs on."""
    daphne.server.reactor.callLater(delay, func)


def replace_timeout_checker(checker: Callable[[daphne.server.Server], None]) -> None:
    """Make ``checker`` daphne's periodic timeout check; it must reschedule itself."""
    daphne.server.Server.timeout_checker = checker  # type: ignore[method-assign]


def timeout_checker() -> Callable[..., None]:
    return daphne.server.Server.timeout_checker


def needs() -> list[Need]:
    server = "daphne.server.Server"
    return [
        *on(daphne.server.Server, "timeout_checker", "handle_reply", name=server),
        *on(daphne.server, "reactor", "HTTPFactory", name="daphne.server"),
        *on(CommandLineInterface, "server_class", name="daphne.cli.CommandLineInterface"),
        Need("daphne.access.AccessLogGenerator", "stream", lambda: AccessLogGenerator(None)),
        Need("daphne.http_protocol.WebRequest", "check_timeouts", _web_request),
        Need("daphne.ws_protocol.WebSocketProtocol", "check_timeouts", _ws_protocol),
        Need("daphne.http_protocol.WebRequest", "process", _web_request),
        Need("daphne.ws_protocol.WebSocketProtocol", "connectionLost", _ws_protocol),
        # Set on every request by Twisted's ``Request.__init__``; read after an upgrade.
        Need("twisted.web.http.Request", "channel", _request),
        Need("twisted.web.http.Request", "transport", _request),
    ]


def _request() -> Any:
    """A Twisted request on a real HTTP channel over an in-memory transport (daphne's
    ``WebRequest`` registers with a running server; its base class holds the attributes)."""
    from twisted.internet.testing import StringTransport
    from twisted.web.http import HTTPChannel, Request

    channel = HTTPChannel()
    channel.makeConnection(StringTransport())
    return Request(channel)


def wrap_http_factory(wrap: Callable[[Any], Any]) -> None:
    """Make daphne listen with ``wrap(its HTTP factory)``: ``Server.run`` builds the factory
    by the name ``HTTPFactory`` in its module (idempotent)."""
    if getattr(daphne.server.HTTPFactory, "linli_wrapped", False):
        return
    original = daphne.server.HTTPFactory

    def build(server: daphne.server.Server) -> Any:
        return wrap(original(server))

    build.linli_wrapped = True  # type: ignore[attr-defined]
    daphne.server.HTTPFactory = build  # type: ignore[misc]


def access_log_stream(generator: AccessLogGenerator) -> Any:
    """Where daphne's access log generator writes."""
    return generator.stream


def command_line(server_class: type[daphne.server.Server]) -> CommandLineInterface:
    """daphne's command line, serving with ``server_class``."""
    cli = CommandLineInterface()
    cli.server_class = server_class
    return cli


def after_upgrade(then: Callable[[Any], None]) -> None:
    """Call ``then(request)`` after daphne's ``WebRequest.process`` (serving.teardown).

    daphne's upgrade hands the request's transport to the WebSocket protocol inside
    ``process`` and leaves ``request.transport`` None, ``request.channel`` set.
    """
    from daphne.http_protocol import WebRequest

    process = WebRequest.process
    if getattr(process, "linli_wrapped", False):
        return

    def wrapped(request: Any) -> None:
        process(request)
        then(request)

    wrapped.linli_wrapped = True  # type: ignore[attr-defined]
    WebRequest.process = wrapped  # type: ignore[method-assign]


def after_connection_lost(then: Callable[[Any], None]) -> None:
    """Call ``then(protocol)`` after daphne's WebSocket protocol has lost its connection."""
    from daphne.ws_protocol import WebSocketProtocol

    connection_lost = WebSocketProtocol.connectionLost
    if getattr(connection_lost, "linli_wrapped", False):
        return

    def wrapped(protocol: Any, reason: Any) -> None:
        connection_lost(protocol, reason)
        then(protocol)

    wrapped.linli_wrapped = True  # type: ignore[attr-defined]
    WebSocketProtocol.connectionLost = wrapped  # type: ignore[method-assign]


def upgraded(request: Any) -> Any | None:
    """The HTTP channel of a request daphne has upgraded to a WebSocket; None otherwise."""
    return request.channel if request.transport is None else None


def forget_channel(request: Any) -> None:
    request.channel = None


def _web_request() -> type:
    from daphne.http_protocol import WebRequest

    return WebRequest


def _ws_protocol() -> type:
    from daphne.ws_protocol import WebSocketProtocol

    return WebSocketProtocol
