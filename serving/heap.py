"""Keeping the garbage collector's full pauses off the delivery path.

A worker holding a few thousand sockets tracks half a million long-lived objects (each
connection's protocol, transport, consumer and their state). CPython's full (generation 2)
collection walks all of them: measured 0.15–0.8 s per pass with 3,000 sockets on a 2-vCPU
machine, a pause that every socket's next message waits behind. So automatic full collections
are off (``GEN2_THRESHOLD``), young collections run every 20,000 allocations, and long-lived
state is frozen (``gc.freeze``) at start-up and then every ``LINLI_GC_FREEZE_INTERVAL`` seconds,
so that the collections that do run walk only what is new.

Frozen objects are not walked, but reference counting still frees them. What it cannot free is
cycles, and every closed connection used to leave one in the serving libraries (about 70
objects each): only a full collection of everything, unfrozen, reclaimed them, and that was the
150–200 ms pause a worker showed every ``LINLI_GC_FULL_INTERVAL`` (then 10 minutes) — inside a
benchmark's scenario whenever the worker had been up that long. ``serving.teardown`` now breaks
those cycles where a connection ends, so a full collection finds nothing of closed connections,
and the one left runs every 6 hours by default as a safety net for cycles made elsewhere.
Every collection of a millisecond or more is remembered for ``serving.loopwatch``, which names
it when it logs a stall of the event loop.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import weakref
from collections import deque

from django.conf import settings

log = logging.getLogger(__name__)

_tasks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task] = (
    weakref.WeakKeyDictionary()
)


#: Young collections every this many net allocations (CPython's default is 700).
GEN0_THRESHOLD = 20_000
#: Automatic full collections effectively never: ``collect_all`` runs them on a timer instead.
GEN2_THRESHOLD = 1_000_000


def freeze_loaded() -> None:
    """Freeze what start-up loaded (modules, settings, URL patterns): it lives for good.

    And collect the young generations less often. At CPython's default a worker delivering
    thousands of frames a second ran a young collection every few hundred allocations, so
    everything alive for a few milliseconds (frames in flight, futures) was promoted to the old
    generation, whose automatic collections then stalled every socket for 80–150 ms at a time.
    Most of those objects die by reference count before a collection every 20,000 sees them.
    """
    gc.collect()
    gc.freeze()
    _, gen1, _ = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, GEN2_THRESHOLD)


#: Collections of a millisecond or more, newest last: (ended at, monotonic s; generation; seconds).
_recent: deque[tuple[float, int, float]] = deque(maxlen=64)
_started = 0.0


def _timed(phase: str, info: dict) -> None:
    """Time every collection; remember those that took long enough to be felt."""
    global _started
    if phase == "start":
        _started = time.perf_counter()
        return
    pause = time.perf_counter() - _started
    if pause >= 0.001:
        generation = info.get("generation", 0)
        _recent.append((time.monotonic(), generation, pause))
        if generation == 2 and pause > 0.1:
            log.warning("garbage collection paused the worker %.0f ms", pause * 1000)


def collections_between(start: float, end: float) -> tuple[float, int]:
    """Seconds spent collecting between two monotonic times, and the oldest generation seen."""
    spent, oldest = 0.0, 0
    for ended, generation, pause in reversed(_recent):
        if ended < start:
            break
        if ended <= end:
            spent += pause
            oldest = max(oldest, generation)
    return spent, oldest


#: During a connect storm objects pile up faster than every 10 s: freeze after this many connects.
FREEZE_EVERY_CONNECTS = 256
_connects = 0


def connected() -> None:
    """A socket finished connecting: its state will live for a while (``gc.freeze`` is O(1))."""
    global _connects
    _connects += 1
    if _connects % FREEZE_EVERY_CONNECTS == 0 and settings.LINLI_GC_FREEZE_INTERVAL > 0:
        gc.freeze()


def start() -> None:
    """Run the freezer on this event loop (idempotent; a worker has one loop)."""
    from serving import loopwatch

    if _timed not in gc.callbacks:
        gc.callbacks.append(_timed)
    loopwatch.start()
    if settings.LINLI_GC_FREEZE_INTERVAL <= 0:
        return
    loop = asyncio.get_running_loop()
    task = _tasks.get(loop)
    if task is None or task.done():
        _tasks[loop] = loop.create_task(_run(), name="heap")


async def _run() -> None:
    every = settings.LINLI_GC_FREEZE_INTERVAL
    full_every = settings.LINLI_GC_FULL_INTERVAL
    full_at = time.monotonic() + full_every
    while True:
        await asyncio.sleep(every)
        if time.monotonic() >= full_at:
            full_at = time.monotonic() + full_every
            collect_all()
        else:
            gc.freeze()


def collect_all() -> int:
    """Unfreeze, collect everything, freeze what survived; returns the objects reclaimed."""
    gc.unfreeze()
    found = gc.collect()
    gc.freeze()
    return found
