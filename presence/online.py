"""Who is online: the consumer's hooks, and one ticker per process.

The consumer calls ``connected`` once the welcome is built (it fills each room's ``online``),
``disconnected`` when the socket goes, and ``room_opened`` / ``room_closed`` when the socket joins
or leaves a room later. Observers are never registered: they see counts, and nobody sees them.

One ticker task per process (per event loop), alive while the process has sockets, every
``LINLI_PRESENCE_INTERVAL`` seconds:

1. every TTL/3 seconds, refreshes all of this process's connections in one round trip (no
   per-socket timers, no writes on ``ping``, nothing in the database);
2. every ``LINLI_PRESENCE_SWEEP`` seconds (one process at a time, by a lock), takes offline the
   people whose connections all expired — the people of a killed worker;
3. publishes one ``presence`` frame for each room that changed and whose publish lock is free:
   at most one per room per ``LINLI_PRESENCE_INTERVAL`` (rooms with ``users``) or per
   ``LINLI_PRESENCE_BIG_INTERVAL`` (rooms over ``LINLI_PRESENCE_USERS_MAX`` members: counts
   only), across all workers.

Presence never breaks chat: a store error is logged and the socket carries on (counts read 0
until the store answers again; the next heartbeat re-registers everyone).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
import uuid
import weakref
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from chat import broadcast
from core import policy
from core.clock import iso
from core.dbthreads import db
from core.policy import Actor
from presence import reads
from presence.store import Change, Due, Local, MemoryStore, RedisStore, Store

log = logging.getLogger(__name__)

#: Member counts decide which rooms name individuals; they change slowly, so each process keeps
#: them this long (a room that grows past the limit stops naming people within a minute).
SIZE_CACHE_S = 60.0
#: The ticker's tolerance: a tick that starts this late (a busy event loop) is logged.
LATE_TICK_S = 5.0
#: Locks are this much shorter than their job's interval, so a tick that runs a few ms earlier in
#: its period than the last one still finds the lock free: a room that keeps changing gets a frame
#: every interval, not every other one, and sweeps never skip a period.
TICK_JITTER_S = 0.05
#: While the store is down, a failing tick is logged this often, not every second.
FAILURE_LOG_S = 60.0
#: Wire field observers never receive.
PRIVATE = ("users",)


_ids: tuple[int, str, itertools.count] = (0, "", itertools.count())


def new_connection_id() -> str:
    """A new socket's name in the presence store, unique across workers and restarts.

    A random prefix per process (drawn again in a forked child) and a counter: a uuid4 per
    connect was a system call (``os.urandom``) on the handshake path.
    """
    global _ids
    pid, prefix, counter = _ids
    if pid != os.getpid():
        pid, prefix, counter = _ids = (os.getpid(), uuid.uuid4().hex[:16], itertools.count(1))
    return f"{prefix}{next(counter):x}"


def make_store() -> Store:
    ttl = settings.LINLI_PRESENCE_TTL
    if settings.LINLI_PRESENCE_BACKEND == "redis":
        return RedisStore(settings.REDIS_URL, settings.LINLI_PRESENCE_PREFIX, ttl)
    return MemoryStore(ttl)


def heartbeat_interval() -> float:
    """Refresh three times per TTL: one late or lost heartbeat never expires a live socket."""
    return settings.LINLI_PRESENCE_TTL / 3


def sweep_interval() -> float:
    return min(settings.LINLI_PRESENCE_SWEEP, heartbeat_interval())


def ghost_bound() -> float:
    """Seconds after a worker dies by which everyone sees its people offline.

    Their entries expire at most TTL after the worker's last heartbeat; a sweep follows within
    the sweep interval, and the room's frame within its publish interval.
    """
    return settings.LINLI_PRESENCE_TTL + sweep_interval() + settings.LINLI_PRESENCE_BIG_INTERVAL


def less_jitter(interval: float) -> float:
    """A lock's length for a job run every ``interval``: a little shorter, so the next run finds
    it free even if it starts a few ms earlier in its period than the last one did."""
    return interval - min(TICK_JITTER_S, interval / 10)


class Runtime:
    """One process's presence state on one event loop: its store, its sockets, its ticker."""

    def __init__(self, store: Store):
        self.store = store
        self.local: dict[str, Local] = {}
        self.watchers: set[str] = set()  # observers' sockets: they listen, they are not listed
        self.task: asyncio.Task | None = None
        self.sizes: dict[int, tuple[float, int]] = {}
        self.next_heartbeat = 0.0
        self.next_sweep = 0.0
        #: Presence frames this runtime published (for tests and the benchmark).
        self.published = 0
        self.quiet_until = 0.0

    def start(self) -> None:
        if self.task is None:
            now = time.monotonic()
            self.next_heartbeat = now + heartbeat_interval()
            self.next_sweep = now + sweep_interval()
            self.task = asyncio.get_running_loop().create_task(self.run(), name="presence")

    async def run(self) -> None:
        interval = settings.LINLI_PRESENCE_INTERVAL
        due = time.monotonic() + interval
        try:
            while self.local or self.watchers:
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                late = time.monotonic() - due
                if late > LATE_TICK_S:
                    log.warning("presence tick %.1f s late: the event loop is overloaded", late)
                due = max(due + interval, time.monotonic())
                await self.tick()
        finally:
            self.task = None  # a finished task would keep its event loop alive

    async def tick(self) -> None:
        """One beat: heartbeat and sweep when due, then publish what changed."""
        now = time.monotonic()
        try:
            if now >= self.next_heartbeat:
                self.next_heartbeat = now + heartbeat_interval()
                if self.local:
                    await self.store.heartbeat(dict(self.local))
            if now >= self.next_sweep:
                self.next_sweep = now + sweep_interval()
                if await self.store.claim("sweep", less_jitter(sweep_interval())):
                    await self.store.sweep()
            await self.publish()
        except Exception:
            if now >= self.quiet_until:  # once a minute while the store is down, not every tick
                self.quiet_until = now + FAILURE_LOG_S
                log.warning("presence tick failed", exc_info=True)

    async def publish(self) -> None:
        rooms = await self.store.dirty()
        if not rooms:
            return
        sizes = await self.room_sizes(rooms)
        limit = settings.LINLI_PRESENCE_USERS_MAX
        due = []
        for room in rooms:
            small = sizes.get(room, 0) <= limit
            interval = (
                settings.LINLI_PRESENCE_INTERVAL if small else settings.LINLI_PRESENCE_BIG_INTERVAL
            )
            due.append(Due(room, small, less_jitter(interval)))
        for change in await self.store.drain(due):
            await broadcast.apublish_room_event_now(change.room, frame(change), PRIVATE)
            self.published += 1

    async def room_sizes(self, rooms: list[int]) -> dict[int, int]:
        now = time.monotonic()
        missing = [r for r in rooms if self.sizes.get(r, (0.0, 0))[0] <= now]
        if missing:
            got = await db(reads.member_counts)(missing)
            for room in missing:
                self.sizes[room] = (now + SIZE_CACHE_S, got.get(room, 0))
        return {room: self.sizes[room][1] for room in rooms}


def frame(change: Change) -> dict[str, Any]:
    """The ``presence`` frame: the count, and for small rooms who came and went."""
    out: dict[str, Any] = {"type": "presence", "room": change.room, "online": change.online}
    if change.users:
        out["users"] = [user_entry(p, seen) for p, seen in sorted(change.users.items())]
    return out


def user_entry(person: int, seen: float | None) -> dict[str, Any]:
    if seen is None:
        return {"id": person, "online": True}
    return {"id": person, "online": False, "last_seen": iso_ts(seen)}


def iso_ts(ts: float) -> str | None:
    return iso(datetime.fromtimestamp(ts, UTC))


_runtimes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Runtime] = (
    weakref.WeakKeyDictionary()
)


def runtime() -> Runtime:
    """This event loop's presence runtime (one per process in production; one per test)."""
    loop = asyncio.get_running_loop()
    rt = _runtimes.get(loop)
    if rt is None:
        rt = _runtimes[loop] = Runtime(make_store())
    return rt


# --- The consumer's hooks ---------------------------------------------------------------------


async def connected(conn: str, actor: Actor, welcome: dict[str, Any]) -> None:
    """A socket opened: count its person online in its rooms; fill ``welcome``'s counts.

    Officials also get ``officials_online``: the officials sharing a room with them who are
    online now (a cadre sees who is on duty).
    """
    rt = runtime()
    rooms = [entry["id"] for entry in welcome["rooms"]]
    if not policy.seen_online(actor):
        rt.watchers.add(conn)
    else:
        # Registered first: if the store is down now, the next heartbeat registers it.
        rt.local[conn] = Local(actor.person_id, frozenset(rooms))
    rt.start()
    try:
        if not policy.seen_online(actor):
            counts = await rt.store.counts(rooms)
        else:
            counts = await rt.store.connect(conn, actor.person_id, rooms)
        for entry in welcome["rooms"]:
            entry["online"] = counts.get(entry["id"], 0)
        if policy.may_see_officials_online(actor):
            welcome["officials_online"] = await officials_online(rt, actor)
    except Exception:
        log.warning("presence store unavailable at connect", exc_info=True)


async def officials_online(rt: Runtime, actor: Actor) -> list[dict[str, Any]]:
    officials = await db(reads.officials_in_shared_rooms)(actor)
    online = await rt.store.online(o["id"] for o in officials)
    return [o for o in officials if o["id"] in online]


async def disconnected(conn: str, actor: Actor) -> None:
    """A socket closed: its person goes offline if it was their last, anywhere."""
    rt = runtime()
    rt.watchers.discard(conn)
    local = rt.local.pop(conn, None)
    if local is None:
        return
    try:
        await rt.store.disconnect(conn, local.person)
    except Exception:
        log.warning("presence store unavailable at disconnect", exc_info=True)


async def room_opened(conn: str, actor: Actor, entry: dict[str, Any]) -> None:
    """The socket joined a room after connecting: count it there; fill the entry's ``online``."""
    rt = runtime()
    room = entry["id"]
    local = rt.local.get(conn)
    try:
        if local is None:
            entry["online"] = (await rt.store.counts([room])).get(room, 0)
            return
        rt.local[conn] = Local(local.person, local.rooms | {room})
        entry["online"] = (await rt.store.connect(conn, local.person, [room])).get(room, 0)
    except Exception:
        log.warning("presence store unavailable at room join", exc_info=True)


async def room_closed(conn: str, actor: Actor, room: int) -> None:
    """The socket left a room (or was removed): no longer counted there."""
    rt = runtime()
    local = rt.local.get(conn)
    if local is None or room not in local.rooms:
        return
    rt.local[conn] = Local(local.person, local.rooms - {room})
    try:
        await rt.store.leave(local.person, room)
    except Exception:
        log.warning("presence store unavailable at room leave", exc_info=True)
