"""Two changes to how daphne serves, each measured with 10,000 open sockets.

**Timeout checks a slice at a time** (``spread_timeout_checks``). Every 2 s daphne walks all its
connections in one go, to close those past their timeouts and to send each its keep-alive ping
when due. With 10,000 sockets that walk held the event loop for 30–50 ms every 2 s: the longest
waits in the worker, and what set the p99 of every ack and delivery (S2). Here the same checks
run every 0.1 s on a twentieth of the connections, so each is still checked once per 2 s.

**Autobahn's debug-log text only when written** (``defer_log_text``). Autobahn computes the
arguments of its debug log calls whether or not debug logging is on: a pretty-printed table of its
~40 options for every new connection, and ANSI-coloured names (``hltype``, ``hlval``) for every
handshake step and every frame it sends. Profiled with py-spy during a storm of 10,000 connects,
that text was 16 % of a worker's event loop, all of it thrown away. ``defer_log_text`` replaces
those three helpers, in autobahn's two protocol modules only, by ones that return the same text
lazily: it is made if a log line is written, never otherwise.

Both reach into the libraries through ``serving.compat``.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable, Collection, Hashable
from typing import Any

from serving.compat import autobahn as compat_autobahn
from serving.compat import daphne as compat_daphne

#: daphne's period for its timeout checks, kept: each connection is checked once per period.
CHECK_PERIOD_S = 2.0
#: Slices per period: one slice of the connections is checked every CHECK_PERIOD_S / SLICES.
SLICES = 20


class Rota:
    """Hands out the members of a changing collection a slice at a time, each once per round.

    A round is a snapshot taken when the last one ran out; members gone since are skipped,
    members new since wait for the next round (so each is visited at most two periods apart).
    """

    def __init__(self, slices: int):
        self.slices = slices
        self.due: deque[Hashable] = deque()
        self.size = 1

    def take(self, members: Collection[Hashable]) -> list[Hashable]:
        if not self.due:
            self.due = deque(members)
            self.size = max(1, -(-len(self.due) // self.slices))
        taken: list[Hashable] = []
        while self.due and len(taken) < self.size:
            member = self.due.popleft()
            if member in members:
                taken.append(member)
        return taken


def _checker(server: Any) -> None:
    """daphne's timeout check over one slice of its connections; the next slice is scheduled
    first, so a failing check cannot stop the round."""
    compat_daphne.call_later(CHECK_PERIOD_S / SLICES, server.timeout_checker)
    rota = server.__dict__.setdefault("linli_timeout_rota", Rota(SLICES))
    for protocol in rota.take(compat_daphne.connections(server)):
        protocol.check_timeouts()


def spread_timeout_checks() -> None:
    """Make daphne's timeout checker visit a slice of its connections per call (idempotent)."""
    compat_daphne.replace_timeout_checker(_checker)


class LazyText:
    """A helper's text, made when the log line is formatted (``str`` or ``format``)."""

    __slots__ = ("_args", "_func", "_kwargs")

    def __init__(self, func: Callable[..., str], args: tuple[Any, ...], kwargs: dict[str, Any]):
        self._func, self._args, self._kwargs = func, args, kwargs

    def __str__(self) -> str:
        return str(self._func(*self._args, **self._kwargs))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    __repr__ = __str__


def _lazy(func: Callable[..., str]) -> Callable[..., LazyText]:
    @functools.wraps(func)
    def helper(*args: Any, **kwargs: Any) -> LazyText:
        return LazyText(func, args, kwargs)

    helper.linli_lazy = True  # type: ignore[attr-defined]
    return helper


def defer_log_text() -> None:
    """Make autobahn's log helpers lazy (idempotent)."""
    compat_autobahn.replace_log_helpers(_lazy)
