"""Handshakes take turns (server/admission.py); a closed connection is seen as closed."""

import asyncio

import pytest

from server import admission, transport


class TwistedLike:
    def __init__(self, connected=1, disconnecting=False):
        self.connected, self.disconnecting = connected, disconnecting


class AsyncioLike:
    def __init__(self, closing):
        self.closing = closing

    def is_closing(self):
        return self.closing


@pytest.fixture
def two_at_a_time(settings):
    settings.LINLI_CONNECT_CONCURRENCY = 2
    admission._gates.clear()
    yield
    admission._gates.clear()


async def test_no_more_handshakes_than_the_limit_run_at_once(two_at_a_time):
    running, most = 0, 0

    async def handshake():
        nonlocal running, most
        async with admission.turn():
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.01)
            running -= 1

    await asyncio.gather(*(handshake() for _ in range(10)))
    assert most == 2


async def test_handshakes_are_served_in_the_order_they_came(two_at_a_time):
    served = []

    async def handshake(n):
        async with admission.turn():
            served.append(n)
            await asyncio.sleep(0.005)

    await asyncio.gather(*(handshake(n) for n in range(12)))
    assert served == list(range(12))


@pytest.mark.parametrize(
    "conn, closed",
    [
        (TwistedLike(), False),
        (TwistedLike(connected=0), True),
        (TwistedLike(disconnecting=True), True),
        (AsyncioLike(closing=False), False),
        (AsyncioLike(closing=True), True),
        (None, False),
    ],
)
def test_a_connection_is_closed_when_its_transport_says_so(conn, closed):
    assert transport.closed(conn) is closed
