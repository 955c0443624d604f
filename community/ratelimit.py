"""Rate limits for password guessing and join spam (BAD-INPUTS E6).

Counters live in Django's cache: Redis when ``REDIS_URL`` is set, so every worker process shares
them; LocMem otherwise, which is right for the embedded single-process server. Logins count
failures only, so a person who types their password correctly is never slowed down; join
applications count every submission, since each costs a password hash.

The window slides: the count is the current fixed window's failures plus the previous window's,
weighted by how much of it still overlaps (the "sliding window counter" of the ``limits``
library). A plain fixed window would let an attacker spend 2 × the limit across a boundary.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.errors import ActionError, ErrorCode

log = logging.getLogger(__name__)

#: Logins: 5 failures per 15 minutes per (username, client address) pair. A person who forgot
#: their password gets a handful of tries; a guesser gets 480 a day instead of thousands a second.
#: Counted per pair, not per username: a guesser at one address must not lock the real person
#: out from every other address (OWASP's authentication cheat sheet; django-axes' default).
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_S = 15 * 60
#: ... plus a budget per address across all usernames, so one address cannot try 5 passwords on
#: each of a community's thousand usernames. A home router or an office shares one address: 30.
LOGIN_ADDRESS_MAX_FAILURES = 30
#: Join applications: refused applications per address per hour. Generous for a family applying
#: together from one home router; low enough that "this ID number already applied here" cannot
#: be used to probe who lives in a community.
JOIN_MAX_FAILURES = 20
JOIN_WINDOW_S = 60 * 60
#: Join applications submitted per address per hour, accepted or not: each one costs a password
#: hash (hundreds of milliseconds of a worker's CPU) and a row for a cadre to review.
JOIN_MAX_APPLICATIONS = 10


@dataclass(frozen=True, slots=True)
class Limit:
    scope: str
    max_failures: int
    window_s: int


def login_limit() -> Limit:
    return Limit(
        "login",
        getattr(settings, "LINLI_LOGIN_MAX_FAILURES", LOGIN_MAX_FAILURES),
        getattr(settings, "LINLI_LOGIN_WINDOW_S", LOGIN_WINDOW_S),
    )


def login_address_limit() -> Limit:
    return Limit(
        "login",
        getattr(settings, "LINLI_LOGIN_ADDRESS_MAX_FAILURES", LOGIN_ADDRESS_MAX_FAILURES),
        getattr(settings, "LINLI_LOGIN_WINDOW_S", LOGIN_WINDOW_S),
    )


def applications_limit() -> Limit:
    return Limit(
        "apply",
        getattr(settings, "LINLI_JOIN_MAX_APPLICATIONS", JOIN_MAX_APPLICATIONS),
        getattr(settings, "LINLI_JOIN_WINDOW_S", JOIN_WINDOW_S),
    )


def join_limit() -> Limit:
    return Limit(
        "join",
        getattr(settings, "LINLI_JOIN_MAX_FAILURES", JOIN_MAX_FAILURES),
        getattr(settings, "LINLI_JOIN_WINDOW_S", JOIN_WINDOW_S),
    )


# --- Who is asking ----------------------------------------------------------------------------


def _in_networks(address: str, networks: Iterable[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in networks:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            log.warning("LINLI_TRUSTED_PROXIES: %r is not an address or network", network)
    return False


def client_address(request: HttpRequest) -> str:
    """The address to count failures against.

    ``REMOTE_ADDR`` (the TCP peer), unless that peer is one of ``LINLI_TRUSTED_PROXIES``: then
    the right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy. Anyone can send
    an ``X-Forwarded-For`` header, so trusting it from an untrusted peer would let a guesser pick
    a fresh address for every try.
    """
    peer = request.META.get("REMOTE_ADDR", "") or "unknown"
    trusted = getattr(settings, "LINLI_TRUSTED_PROXIES", [])
    if not trusted or not _in_networks(peer, trusted):
        return peer
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([h for h in forwarded if h]):
        if not _in_networks(hop, trusted):
            return hop
    return peer


# --- Counting ---------------------------------------------------------------------------------


def _bucket(limit: Limit, kind: str, value: str) -> str:
    # Hashed: cache keys stay short and ASCII, and usernames are not kept in Redis in clear.
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"linli:rl:{limit.scope}:{kind}:{digest}"


def _window_keys(bucket: str, window_s: int, now: float) -> tuple[str, str, float]:
    index = int(now // window_s)
    elapsed = (now - index * window_s) / window_s
    return f"{bucket}:{index}", f"{bucket}:{index - 1}", elapsed


def _retry_after(limit: Limit, current: int, previous: int, elapsed: float) -> int | None:
    """Seconds until the sliding count drops below the limit, or None if it already is."""
    w, n = limit.window_s, limit.max_failures
    if previous * (1 - elapsed) + current < n:
        return None
    if current >= n:
        # Only the next window helps: there, this window's count fades as (1 - g) · current.
        fraction_next = max(0.0, 1 - n / current) if current else 0.0
        wait = (1 - elapsed) * w + fraction_next * w
    else:
        # The previous window must fade until previous · (1 - f) + current < n.
        wait = ((1 - (n - current) / previous) - elapsed) * w
    return max(1, math.ceil(wait))


def retry_after(limit: Limit, buckets: Iterable[str], now: float | None = None) -> int | None:
    """The longest wait any bucket imposes, or None when every bucket is under the limit."""
    now = time.time() if now is None else now
    pairs = [_window_keys(b, limit.window_s, now) for b in buckets]
    try:
        counts = cache.get_many([key for cur, prev, _e in pairs for key in (cur, prev)])
    except Exception:
        # Fail open: a cache outage must not lock every resident out (logged, and the
        # password hash still has to be guessed).
        log.warning("rate limit: cache unavailable", exc_info=True)
        return None
    waits = [
        _retry_after(limit, counts.get(cur, 0), counts.get(prev, 0), elapsed)
        for cur, prev, elapsed in pairs
    ]
    found = [w for w in waits if w is not None]
    return max(found) if found else None


def record_failure(limit: Limit, buckets: Iterable[str], now: float | None = None) -> None:
    now = time.time() if now is None else now
    for bucket in buckets:
        key, _prev, _elapsed = _window_keys(bucket, limit.window_s, now)
        try:
            # add() then incr(): atomic on Redis and under LocMem's lock; the key lives for two
            # windows because the next window still weighs it.
            cache.add(key, 0, timeout=2 * limit.window_s)
            cache.incr(key)
        except Exception:
            log.warning("rate limit: cache unavailable", exc_info=True)


def _raise_limited(seconds: int) -> None:
    raise ActionError(
        ErrorCode.RATE_LIMITED,
        _("尝试次数过多，请在%(minutes)d分钟后再试。") % {"minutes": math.ceil(seconds / 60)},
        retry_after=seconds,
    )


# --- Logins -----------------------------------------------------------------------------------


def _pair_bucket(username: str, address: str) -> str:
    return _bucket(login_limit(), "pair", f"{username.strip().casefold()}\n{address}")


def _address_bucket(address: str) -> str:
    return _bucket(login_address_limit(), "addr", address)


def check_login_allowed(username: str, address: str) -> None:
    """Refuse before the password is even checked, so a locked-out guesser learns nothing.

    Raises:
        ActionError: ``rate_limited`` with ``retry_after`` (seconds), once this address has
            failed too often for this username, or for all usernames together.
    """
    waits = [
        retry_after(login_limit(), [_pair_bucket(username, address)]),
        retry_after(login_address_limit(), [_address_bucket(address)]),
    ]
    found = [w for w in waits if w is not None]
    if found:
        _raise_limited(max(found))


def record_login_failure(username: str, address: str) -> None:
    record_failure(login_limit(), [_pair_bucket(username, address)])
    record_failure(login_address_limit(), [_address_bucket(address)])


def record_login_success(username: str, address: str) -> None:
    """Forget this address's failures for the username (only the password holder can do this).

    The address's own budget is kept: otherwise a guesser with an account of their own could log
    into it between guesses and reset their address.
    """
    limit = login_limit()
    bucket = _pair_bucket(username, address)
    current, previous, _elapsed = _window_keys(bucket, limit.window_s, time.time())
    try:
        cache.delete_many([current, previous])
    except Exception:
        log.warning("rate limit: cache unavailable", exc_info=True)


# --- Join applications ------------------------------------------------------------------------


def check_join_allowed(address: str) -> None:
    """Raises ``rate_limited`` once an address has had too many refused applications."""
    limit = join_limit()
    wait = retry_after(limit, [_bucket(limit, "addr", address)])
    if wait is not None:
        _raise_limited(wait)


def record_join_failure(address: str) -> None:
    limit = join_limit()
    record_failure(limit, [_bucket(limit, "addr", address)])


def spend_application(address: str) -> None:
    """Count one submitted application against the address, or refuse it before any work.

    Raises:
        ActionError: ``rate_limited`` once the address has submitted ``JOIN_MAX_APPLICATIONS``
            within the window (nothing counted then).
    """
    limit = applications_limit()
    bucket = _bucket(limit, "addr", address)
    wait = retry_after(limit, [bucket])
    if wait is not None:
        _raise_limited(wait)
    record_failure(limit, [bucket])


def check_invite(code: str, address: str):
    """An invite code looked up under the join limit: a wrong code counts against the address.

    Raises:
        ActionError: ``rate_limited`` (nothing counted), or the lookup's own error (counted).
    """
    from community.actions import check_invite_code

    check_join_allowed(address)
    try:
        return check_invite_code(code)
    except ActionError:
        record_join_failure(address)
        raise
