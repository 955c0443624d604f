"""daphne's server, reached where it offers no hook (daphne 4.2.3, constraints.txt).

- An ASGI ``send`` under daphne is ``partial(Server.handle_reply, protocol)``: the protocol (and
  through it the transport) is its first argument (``protocol_behind``).
- ``Server.timeout_checker`` walks ``Server.connections`` every 2 s and reschedules itself on
  daphne's module-level ``reactor``; ``replace_timeout_checker`` swaps it (serving.daphne_server).
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
    ]


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


def _web_request() -> type:
    from daphne.http_protocol import WebRequest

    return WebRequest


def _ws_protocol() -> type:
    from daphne.ws_protocol import WebSocketProtocol

    return WebSocketProtocol
