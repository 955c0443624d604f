"""Handshakes take turns: in a storm of connects, first come, first served.

When thousands of clients reconnect at once (a worker restarted, a network came back), starting
every handshake at once queues each one's database work behind everyone else's: they all finish
late together, past their clients' timeouts and daphne's, and as the clients retry the work is
done again for nothing. A few handshakes at a time, in arrival order, each finish quickly; and
one whose client has given up by its turn costs nothing more.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from django.conf import settings

_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _gate() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(settings.LINLI_CONNECT_CONCURRENCY)
    return gate


@asynccontextmanager
async def turn() -> AsyncIterator[None]:
    """Wait for this handshake's turn (waiters are served in the order they came)."""
    async with _gate():
        yield
