"""Handshakes take turns (serving/admission.py); a closed connection is seen as closed."""

import asyncio

import pytest

from serving import admission, transport


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


async def hold_and_queue(gate: admission.Gate, waiters: int) -> tuple[list[int], list]:
    """One holder and ``waiters`` queued behind it, in arrival order 0, 1, 2 …"""
    served: list[int] = []
    await gate.acquire()

    async def waiter(n):
        await gate.acquire()
        served.append(n)
        gate.release()

    tasks = []
    for n in range(waiters):
        tasks.append(asyncio.ensure_future(waiter(n)))
        await asyncio.sleep(0)  # queued in this order
    return served, tasks


async def test_once_a_queue_stands_the_newest_handshake_goes_first():
    gate = admission.Gate(1, lifo_after=0.01)
    served, tasks = await hold_and_queue(gate, 4)
    await asyncio.sleep(0.02)  # the oldest has now waited past lifo_after
    gate.release()
    await asyncio.gather(*tasks)
    assert served[0] == 3


async def test_short_waits_are_served_in_order():
    gate = admission.Gate(1, lifo_after=60)
    served, tasks = await hold_and_queue(gate, 4)
    gate.release()
    await asyncio.gather(*tasks)
    assert served == [0, 1, 2, 3]


async def test_a_waiter_that_gives_up_leaves_the_queue():
    gate = admission.Gate(1, lifo_after=60)
    served, tasks = await hold_and_queue(gate, 3)
    tasks[1].cancel()
    gate.release()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert served == [0, 2] and not gate.waiting and gate.busy == 0


async def test_a_turn_handed_to_a_waiter_cancelled_meanwhile_passes_on():
    gate = admission.Gate(1, lifo_after=60)
    served, tasks = await hold_and_queue(gate, 2)
    gate.release()  # hands the turn to waiter 0 …
    tasks[0].cancel()  # … which is cancelled before it runs
    await asyncio.gather(*tasks, return_exceptions=True)
    assert served == [1] and gate.busy == 0


@pytest.mark.parametrize(
    "conn, closed",
    [(AsyncioLike(closing=False), False), (AsyncioLike(closing=True), True), (None, False)],
)
def test_a_connection_is_closed_when_its_transport_says_so(conn, closed):
    assert transport.closed(conn) is closed


def test_an_open_twisted_connection_is_not_closed(tcp_connection):
    assert not transport.closed(tcp_connection.transport)


def test_a_twisted_connection_closing_is_closed(tcp_connection):
    tcp_connection.transport.loseConnection()
    assert transport.closed(tcp_connection.transport)
