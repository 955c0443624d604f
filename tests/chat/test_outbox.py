"""Writing ready frames to a daphne (Twisted) transport: at once when nothing waits before them."""

import socket

import pytest

from chat.outbox import _send_directly, pending_bytes


class FakeTransport:
    """What a Twisted TCP transport exposes that the direct path reads (a real socket under it)."""

    def __init__(self, sock: socket.socket):
        self.socket = sock
        self.dataBuffer, self.offset = b"", 0
        self._tempDataBuffer: list[bytes] = []
        self._tempDataLen = 0
        self.connected, self.disconnecting, self._writeDisconnected = True, False, False

    def write(self, data: bytes) -> None:
        self._tempDataBuffer.append(data)
        self._tempDataLen += len(data)


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    yield a, b
    a.close(), b.close()


def test_frame_goes_to_the_kernel_at_once_when_nothing_is_queued(pair):
    server, client = pair
    transport = FakeTransport(server)
    assert _send_directly(transport, b"frame")
    assert client.recv(100) == b"frame" and pending_bytes(transport) == 0


def test_frame_queues_behind_bytes_already_waiting(pair):
    server, client = pair
    transport = FakeTransport(server)
    transport.write(b"earlier")
    assert not _send_directly(transport, b"later")
    assert transport._tempDataBuffer == [b"earlier", b"later"]
    with pytest.raises(BlockingIOError):
        client.recv(100)


def test_what_the_kernel_does_not_take_is_queued_in_order(pair):
    server, _client = pair
    server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    transport = FakeTransport(server)
    big = bytes(range(256)) * 4096  # 1 MiB: more than the socket buffers hold
    assert not _send_directly(transport, big)
    assert 0 < pending_bytes(transport) < len(big)
    assert transport._tempDataBuffer[0] == big[len(big) - pending_bytes(transport) :]


def test_closing_transport_keeps_the_ordinary_path(pair):
    server, _client = pair
    transport = FakeTransport(server)
    transport.disconnecting = True
    assert not _send_directly(transport, b"frame")
    assert transport._tempDataBuffer == [b"frame"]
