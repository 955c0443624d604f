"""Abuse on a real server process (BAD-INPUTS A1–A3, A8, E1): the process keeps serving."""

import asyncio

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chat import protocol
from tests.e2e.conftest import Peer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
GARDEN = "翠湖苑小区群"


async def closed_with(peer) -> int:
    with pytest.raises(ConnectionClosed) as exc:
        for _ in range(5000):
            await peer.recv()
    return exc.value.rcvd.code if exc.value.rcvd else None


async def still_serving(worker, person) -> bool:
    other = await Peer.open(worker, person)
    pong = await other.request({"type": "ping"})
    await other.ws.close()
    return pong["type"] == "pong"


async def test_text_frame_that_is_not_utf8_closes_the_connection(tcast, one_worker):
    """autobahn fails the connection (1007, dropped without a close frame by daphne's factory
    settings) before the application sees the frame."""
    peer = await Peer.open(one_worker, tcast.resident)
    await peer.ws.send(b"\xff\xfe not utf-8", text=True)
    assert await closed_with(peer) in (1007, None)
    assert await still_serving(one_worker, tcast.neighbour)


async def test_frame_over_the_hard_cap_closes_with_too_large(tcast, one_worker):
    peer = await Peer.open(one_worker, tcast.resident)
    await peer.send(
        {
            "type": "send",
            "room": 1,
            "body": "长" * (protocol.MAX_FRAME_BYTES // 3 + 10),
            "client_id": "big",
        }
    )
    assert await closed_with(peer) == protocol.CLOSE_TOO_LARGE
    assert await still_serving(one_worker, tcast.neighbour)


async def test_frame_over_a_mebibyte_is_refused_by_the_server(tcast, one_worker):
    peer = await Peer.open(one_worker, tcast.resident, max_size=None)
    await peer.ws.send("x" * (1024 * 1024 + 10))
    assert await closed_with(peer) in (1009, None)  # dropped by autobahn, like A1
    assert await still_serving(one_worker, tcast.neighbour)


async def test_handshake_without_credentials_is_refused(tcast, one_worker):
    from websockets.asyncio.client import connect

    with pytest.raises(InvalidStatus) as exc:
        await connect(one_worker.ws_url, open_timeout=5)
    assert exc.value.response.status_code == 403


async def test_client_that_stops_reading_is_closed_and_memory_stays_bounded(tcast, one_worker):
    import socket

    sock = socket.create_connection(("127.0.0.1", one_worker.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled = await Peer.open(one_worker, tcast.neighbour, sock=sock, max_queue=1)
    stalled.ws.transport.pause_reading()  # read nothing more from the kernel
    alice = await Peer.open(one_worker, tcast.resident)
    room = alice.room(GARDEN)
    rss_before = one_worker.rss_kib()
    body = "邻" * 3900  # ~12 KB a frame: 800 of them overflow any kernel buffer on loopback
    for i in range(800):
        await alice.send({"type": "send", "room": room, "body": body, "client_id": f"s{i}"})
    acks = 0
    while acks < 800:
        if (await alice.recv())["type"] == "ack":
            acks += 1
    grown = one_worker.rss_kib() - rss_before
    stalled.ws.transport.resume_reading()
    # The close frame (4010) queues behind the unread data, so the reader mostly sees the drop
    # that follows the close-handshake timeout; the server's log names the reason.
    assert await closed_with(stalled) in (protocol.CLOSE_SLOW_CONSUMER, None)
    assert "closing slow consumer" in one_worker.log_path.read_text()
    assert grown < 64 * 1024  # KiB: the 9 MB meant for the stalled reader did not pile up
    await alice.ws.close()
    await asyncio.sleep(0)


def ping_frames(count: int) -> bytes:
    """``count`` WebSocket pings as a client sends them (masked, RFC 6455 §5.3; a zero mask key
    leaves the payload as it is), each asking for a 125-byte pong."""
    return (bytes([0x89, 0x80 | 125]) + b"\x00" * 4 + b"p" * 125) * count


async def test_client_that_pings_without_reading_is_closed_as_a_slow_consumer(tcast, one_worker):
    """Pongs are the serving layer's own writes: the guard counts every unsent byte, not only
    Linli's frames (BAD-INPUTS: 460,000 unread pings queued 58 MB)."""
    import socket

    sock = socket.create_connection(("127.0.0.1", one_worker.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    pinger = await Peer.open(one_worker, tcast.neighbour, sock=sock, max_queue=1)
    pinger.ws.transport.pause_reading()  # read nothing more from the kernel
    rss_before = one_worker.rss_kib()
    for _ in range(100):
        pinger.ws.transport.write(ping_frames(1000))  # 100,000 pongs: 12.7 MB if all queued
        await asyncio.sleep(0)
    deadline = asyncio.get_running_loop().time() + 60
    while "closing slow consumer" not in one_worker.log_path.read_text():
        assert asyncio.get_running_loop().time() < deadline, "the pinging client stayed open"
        await asyncio.sleep(0.2)
    grown = one_worker.rss_kib() - rss_before
    pinger.ws.transport.resume_reading()
    assert await closed_with(pinger) in (protocol.CLOSE_SLOW_CONSUMER, None)
    assert grown < 12 * 1024  # KiB: the pongs did not all pile up
    assert await still_serving(one_worker, tcast.resident)
