"""Keeping the garbage collector's full pauses off the delivery path.

A worker holding a few thousand sockets tracks half a million long-lived objects (each
connection's protocol, transport, consumer and their state). CPython's full (generation 2)
collection walks all of them: measured 0.3–0.8 s per pass with 3,000 sockets on a 2-vCPU machine,
a pause every ~30 s under load that every socket's next message waits behind. Long-lived state
is therefore frozen (``gc.freeze``): at start-up, after Django and the app are loaded, and then
every ``LINLI_GC_FREEZE_INTERVAL`` seconds, so that collections walk only what is new. Frozen
objects are never collected, so every ``LINLI_GC_FULL_INTERVAL`` seconds everything is unfrozen
and collected once: cycles left by closed connections are reclaimed then, at the cost of one
full pause per interval instead of one every few seconds under churn.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import weakref

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


def _report_pause(phase: str, info: dict) -> None:
    """Log full collections that still take long: past 100 ms, every socket felt it."""
    global _started
    if info.get("generation") != 2:
        return
    if phase == "start":
        _started = time.perf_counter()
        return
    pause = time.perf_counter() - _started
    if pause > 0.1:
        log.warning("garbage collection paused the worker %.0f ms", pause * 1000)


_started = 0.0


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
    if settings.LINLI_GC_FREEZE_INTERVAL <= 0:
        return
    if _report_pause not in gc.callbacks:
        gc.callbacks.append(_report_pause)
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
