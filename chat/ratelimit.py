"""Limits on what one client may take: what each frame costs from the budgets it draws on
(docs/protocol.md: ``rate_limited``) and how many sockets one person may hold open (BAD-INPUTS F3).

Every client frame costs something, bad ones included: the server decodes it, often reads the
database for it, and writes an answer. Writes, moderation and membership frames cost a token;
a read marker, ``typing`` and ``ping`` a quarter of one, so a client sends them freely but not
endlessly. A frame draws on two buckets: its socket's own (``LINLI_SEND_RATE``/``_BURST``) and
the one its person shares with all their sockets on this worker (``LINLI_PERSON_RATE``/
``_BURST``), so sixteen sockets do not give sixteen times the rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings

from chat.protocol import frames as wire


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

    def wait(self, cost: float = 1.0) -> float:
        """0.0 if ``cost`` tokens are there now, else the seconds until they will be."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= cost else (cost - self.tokens) / self.rate

    def take(self, cost: float = 1.0) -> float:
        """Take ``cost`` tokens: 0.0 if allowed, else the seconds until they are available."""
        wait = self.wait(cost)
        if not wait:
            self.tokens -= cost
        return wait


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


#: A frame that is cheap to serve: a read marker, ``typing``, ``ping``.
CHEAP = 0.25
#: What each client frame costs, in tokens. Every frame type is here: nothing is free.
FRAME_COSTS: dict[type[wire.Frame], float] = {
    cls: CHEAP if cls in (wire.Read, wire.Typing, wire.Ping) else 1.0
    for cls in wire.FRAME_TYPES.values()
}
#: A frame that could not be decoded still cost a parse and costs an error frame.
BAD_FRAME_COST = CHEAP


class Meter:
    """One socket's allowance: its own bucket and the bucket its person shares, and the count of
    refusals in a row that closes a flooding socket."""

    __slots__ = ("flood", "own", "shared")

    def __init__(self, shared: TokenBucket) -> None:
        self.own = TokenBucket(settings.LINLI_SEND_RATE, settings.LINLI_SEND_BURST)
        self.shared = shared
        self.flood = FloodGuard(settings.LINLI_FLOOD_STRIKES)

    def charge(self, cost: float) -> float:
        """Take ``cost`` from both buckets: 0.0 if allowed, else the seconds to wait (and
        nothing is taken from either)."""
        wait = max(self.own.wait(cost), self.shared.wait(cost))
        if wait:
            return wait
        self.own.tokens -= cost
        self.shared.tokens -= cost
        self.flood.allowed()
        return 0.0


class PersonBudgets:
    """The buckets each person's sockets on this worker share, kept while one is open."""

    def __init__(self) -> None:
        self.buckets: dict[int, tuple[TokenBucket, int]] = {}

    def meter(self, person_id: int) -> Meter:
        """A new socket's meter, drawing on the person's shared bucket."""
        bucket, sockets = self.buckets.get(person_id) or (
            TokenBucket(settings.LINLI_PERSON_RATE, settings.LINLI_PERSON_BURST),
            0,
        )
        self.buckets[person_id] = (bucket, sockets + 1)
        return Meter(bucket)

    def release(self, person_id: int) -> None:
        """One of the person's sockets closed; the bucket goes with the last."""
        bucket, sockets = self.buckets.get(person_id, (None, 0))
        if sockets <= 1:
            self.buckets.pop(person_id, None)
        else:
            self.buckets[person_id] = (bucket, sockets - 1)
