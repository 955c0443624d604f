"""Writing ready frames to a daphne (Twisted) transport: at once when nothing waits before them.

Against a real Twisted TCP transport over a real socket (the ``tcp_connection`` fixture)."""

import socket

import pytest

from chat.outbox import _send_directly, pending_bytes


def test_frame_goes_to_the_kernel_at_once_when_nothing_is_queued(tcp_connection):
    assert _send_directly(tcp_connection.transport, b"frame")
    assert tcp_connection.client.recv(100) == b"frame"
    assert pending_bytes(tcp_connection.transport) == 0


def test_frame_queues_behind_bytes_already_waiting(tcp_connection):
    transport = tcp_connection.transport
    transport.write(b"earlier")
    assert not _send_directly(transport, b"later")
    assert pending_bytes(transport) == len(b"earlierlater")
    with pytest.raises(BlockingIOError):
        tcp_connection.client.recv(100)
    transport.doWrite()  # the reactor's turn: both go, in order
    assert tcp_connection.client.recv(100) == b"earlierlater"


def test_what_the_kernel_does_not_take_is_queued_in_order(tcp_connection):
    transport = tcp_connection.transport
    transport.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    big = bytes(range(256)) * 4096  # 1 MiB: more than the socket buffers hold
    assert not _send_directly(transport, big)
    assert 0 < pending_bytes(transport) < len(big)
    received = bytearray()
    while len(received) < len(big):
        transport.doWrite()
        try:
            received += tcp_connection.client.recv(1 << 20)
        except BlockingIOError:
            continue
    assert bytes(received) == big and pending_bytes(transport) == 0


def test_closing_transport_keeps_the_ordinary_path(tcp_connection):
    transport = tcp_connection.transport
    transport.loseConnection()
    assert not _send_directly(transport, b"frame")
    with pytest.raises(BlockingIOError):
        tcp_connection.client.recv(100)
