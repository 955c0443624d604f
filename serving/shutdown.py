"""A worker told to stop (SIGTERM) says goodbye to its sockets before it goes.

daphne stops on SIGTERM through Twisted: the reactor cancels every application and the process
exits, so every client saw its socket drop (1006) and all of them reconnected at the same moment.
Here the first SIGTERM first runs the drain the application registered (each socket told when to
come back, then closed with a code of its own), waits for it up to ``DRAIN_S``, and only then
hands the signal on to Twisted's own handler. A second SIGTERM stops at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

#: Longest a stopping worker waits for its sockets' goodbyes (systemd allows 90 s).
DRAIN_S = 5.0

_installed = False


def install(drain: Callable[[], Awaitable[None]]) -> None:
    """Run ``drain`` on the first SIGTERM, before the handler already installed (idempotent).

    Called from the first connection, once the serving layer has installed its own handler.
    """
    global _installed
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    _installed = True
    previous = signal.getsignal(signal.SIGTERM)
    loop = asyncio.get_running_loop()

    def on_term(signum, frame) -> None:
        signal.signal(signal.SIGTERM, previous)  # a second SIGTERM goes straight through
        loop.call_soon_threadsafe(
            lambda: asyncio.ensure_future(_drain_then(drain, previous, signum, frame))
        )

    signal.signal(signal.SIGTERM, on_term)


async def _drain_then(drain, previous, signum, frame) -> None:
    try:
        await asyncio.wait_for(drain(), DRAIN_S)
    except Exception:
        log.warning("draining sockets before stopping failed", exc_info=True)
    finally:
        if callable(previous):
            previous(signum, frame)
        else:
            signal.raise_signal(signum)  # the default action, restored in on_term
