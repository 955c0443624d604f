"""Handshakes take turns: a few at a time, in order — newest first once a queue stands.

When thousands of clients reconnect at once (a worker restarted, a network came back), starting
every handshake at once queues each one's database work behind everyone else's: they all finish
late together, past their clients' timeouts, and as the clients retry the work is done again for
nothing. So a few handshakes run at a time (``LINLI_CONNECT_CONCURRENCY``), the rest wait.

In what order? While waits are short, first come first served. But once the oldest waiter has
waited longer than ``LIFO_AFTER_S`` the worker is overloaded, and serving the oldest first is the
worst choice: its client is the likeliest to give up before or while it is served, and all that
work is lost (measured: a 3,000-client restart storm took ~60 s to bring 99 % back when served in
order, most of the time spent on handshakes whose clients had timed out and retried). Then the
newest is served first (adaptive LIFO, as in Facebook's "Fail at scale"): each handshake served
completes while its client still waits; those left behind are either served when the queue
drains, or their client retries and arrives new. One whose client has gone by its turn costs
nothing more (the consumer checks before any work).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from django.conf import settings

#: Waits up to this long are served in order; past it, newest first.
LIFO_AFTER_S = 1.0


class Gate:
    """At most ``limit`` holders at once; waiters served in order, or newest first under load."""

    def __init__(self, limit: int, lifo_after: float = LIFO_AFTER_S):
        self.limit, self.lifo_after = max(1, limit), lifo_after
        self.busy = 0
        self.waiting: deque[tuple[float, asyncio.Future[None]]] = deque()

    async def acquire(self) -> None:
        if self.busy < self.limit and not self.waiting:
            self.busy += 1
            return
        entry = (time.monotonic(), asyncio.get_running_loop().create_future())
        self.waiting.append(entry)
        try:
            await entry[1]
        except asyncio.CancelledError:
            if entry[1].done() and not entry[1].cancelled():
                self.release()  # handed a turn just as it was cancelled: pass it on
            elif entry in self.waiting:
                self.waiting.remove(entry)
            raise

    def release(self) -> None:
        """Hand the turn to the next waiter (the busy count stays), or free it."""
        while self.waiting:
            oldest_since = self.waiting[0][0]
            overloaded = time.monotonic() - oldest_since > self.lifo_after
            _since, future = self.waiting.pop() if overloaded else self.waiting.popleft()
            if not future.done():
                future.set_result(None)
                return
        self.busy -= 1


_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Gate] = weakref.WeakKeyDictionary()


def _gate() -> Gate:
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = Gate(settings.LINLI_CONNECT_CONCURRENCY)
    return gate


@asynccontextmanager
async def turn() -> AsyncIterator[None]:
    """Wait for this handshake's turn (see the module's docstring for the order)."""
    gate = _gate()
    await gate.acquire()
    try:
        yield
    finally:
        gate.release()
