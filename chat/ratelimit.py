"""Limits on what one client may take: token buckets for what it sends (docs/protocol.md:
``rate_limited``) and how many sockets one person may hold open (BAD-INPUTS F3)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings


def too_many_sockets(open_sockets: int) -> bool:
    """Whether a person with this many sockets open on this worker (the new one included) is
    over ``LINLI_SOCKETS_PER_PERSON``: a leaked token or a runaway client must not hold
    thousands of sockets, each with its share of the worker's memory and fan-out."""
    return open_sockets > settings.LINLI_SOCKETS_PER_PERSON


class TokenBucket:
    """``rate`` tokens a second, up to ``burst``; the clock is injectable for tests."""

    __slots__ = ("burst", "clock", "rate", "stamp", "tokens")  # one per socket: no instance dict

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = burst
        self.stamp = clock()

    def take(self) -> float:
        """Take one token: 0.0 if allowed, else the seconds until one is available."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class FloodGuard:
    """Counts refusals in a row: sustained abuse past ``strikes`` closes the socket."""

    __slots__ = ("count", "strikes")

    def __init__(self, strikes: int):
        self.strikes = strikes
        self.count = 0

    def allowed(self) -> None:
        self.count = 0

    def refused(self) -> bool:
        """Record a refusal; True when the client has kept flooding and must be disconnected."""
        self.count += 1
        return self.count >= self.strikes
