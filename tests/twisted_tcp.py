"""A real Twisted TCP connection: a listening port of the reactor daphne installs, and a client
socket whose connection the port accepted — the transport a daphne worker writes to. The reactor
is never run: the tests call the transport's ``doWrite`` where the event loop would."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import daphne.server  # noqa: F401  (installs the asyncio reactor, as in a worker)
from twisted.internet import reactor, tcp
from twisted.internet.protocol import Factory, Protocol


@dataclass
class Connection:
    transport: tcp.Server  #: the server's end, as daphne holds it
    client: socket.socket  #: the peer, non-blocking


class _Keep(Factory):
    protocol = Protocol

    def __init__(self) -> None:
        self.built: list[Protocol] = []

    def buildProtocol(self, addr):  # Twisted's name
        protocol = super().buildProtocol(addr)
        self.built.append(protocol)
        return protocol


@contextlib.contextmanager
def tcp_connection() -> Iterator[Connection]:
    factory = _Keep()
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    client = socket.create_connection(("127.0.0.1", port.getHost().port))
    port.doRead()  # accept, as the reactor would
    [protocol] = factory.built
    client.setblocking(False)
    yield Connection(protocol.transport, client)
    protocol.transport.abortConnection()
    port.stopListening()
    client.close()
