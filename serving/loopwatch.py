"""How long the event loop stood still, and why.

Every socket of a worker waits behind anything that holds its one event loop: a garbage
collection, a walk over all connections, a long synchronous call. A probe wakes every
``INTERVAL_S`` and measures how late it woke (the loop's lag). A stall of
``LINLI_STALL_LOG_MS`` or more is logged with the garbage collections that ran inside it
(``serving.heap`` records them), so a pause in production says what caused it; on a worker
that stalls again and again (an overloaded core) at most one line a second is written, with a
count of the stalls it stands for. With
``LINLI_LOOP_REPORT_S`` set, the longest stall of each period is logged too: the benchmark reads
those lines to report the longest stall of every scenario beside its latency percentiles.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from django.conf import settings

from serving import heap

log = logging.getLogger(__name__)

#: How often the probe wakes: finer costs wake-ups, coarser hides short stalls.
INTERVAL_S = 0.01
#: At most one stall line this often (seconds); the stalls in between are counted in the next.
LOG_EVERY_S = 1.0

_tasks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task] = (
    weakref.WeakKeyDictionary()
)


class Watch:
    """The lag seen since the last report; one per event loop."""

    __slots__ = ("logged_at", "longest", "threshold_s", "unlogged")

    def __init__(self, threshold_s: float) -> None:
        self.threshold_s = threshold_s
        self.longest = 0.0
        self.logged_at = float("-inf")
        self.unlogged = 0

    def woke(self, lag: float, now: float) -> None:
        """The probe woke ``lag`` seconds late at loop time ``now``."""
        if lag > self.longest:
            self.longest = lag
        if self.threshold_s <= 0 or lag < self.threshold_s:
            return
        if now - self.logged_at < LOG_EVERY_S:
            self.unlogged += 1
            return
        self.logged_at = now
        gc_s, generation = heap.collections_between(now - lag - INTERVAL_S, now)
        cause = f" (garbage collection of generation {generation}: {gc_s * 1000:.0f} ms)"
        since = f"; {self.unlogged} more since the last line" if self.unlogged else ""
        self.unlogged = 0
        log.warning("event loop stalled %.0f ms%s%s", lag * 1000, cause if gc_s else "", since)

    def take_longest(self) -> float:
        longest, self.longest = self.longest, 0.0
        return longest


def start() -> None:
    """Run the probe on this event loop (idempotent)."""
    loop = asyncio.get_running_loop()
    task = _tasks.get(loop)
    if task is None or task.done():
        watch = Watch(settings.LINLI_STALL_LOG_MS / 1000)
        _tasks[loop] = loop.create_task(_probe(watch, settings.LINLI_LOOP_REPORT_S), name="loop")


async def _probe(watch: Watch, report_every: float) -> None:
    loop = asyncio.get_running_loop()
    report_at = loop.time() + report_every
    due = loop.time() + INTERVAL_S
    while True:
        await asyncio.sleep(INTERVAL_S)
        now = loop.time()
        watch.woke(max(0.0, now - due), now)
        due = now + INTERVAL_S
        if report_every > 0 and now >= report_at:
            report_at = now + report_every
            log.warning("event loop: longest stall %.1f ms", watch.take_longest() * 1000)
