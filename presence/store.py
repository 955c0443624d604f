"""Where presence lives: process memory (one process) or Redis (every worker shares it).

Presence is soft state with expiry (STYLE 11): a killed worker never says goodbye, so every
connection is an entry that dies by itself unless its process refreshes it. Nothing here touches
the database.

The model, the same in both backends (times are wall-clock seconds, comparable across hosts):

* per person, their connections, each with an expiry (``now + ttl``, pushed forward by the
  process heartbeat);
* per person, their expiry: the latest of their connections' (a sorted set over everyone, so a
  sweep finds the people whose every connection has expired);
* per room, the online people, each with the same expiry (a Redis sorted set: the count is
  ``ZCOUNT room now +inf``, so a dead worker's people stop counting the moment they expire,
  sweep or no sweep);
* per person, last seen: when their last connection closed (or, for a dead worker, its last
  heartbeat);
* per room, the changes not yet published: a "dirty" set of rooms and, per room, who came online
  (``""``) or went offline (their last-seen time) since the room's last ``presence`` frame;
* per room, a publish lock (``SET NX PX``) that makes "at most one frame per room per interval"
  hold across all workers.

Every change of state is one atomic step (a Lua script in Redis), so two devices of one person
closing at once on two workers cannot both miss, or both announce, the person going offline.

A store lives on one event loop (the Redis client is made lazily, per loop, never at import).
"""

from __future__ import annotations

import asyncio
import math
import time
import types
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: The memory store drops expired locks once it holds this many.
LOCKS_PRUNE_AT = 10_000
#: Last seen is kept this long after a person's last connection closed.
SEEN_KEEP_S = 90 * 86400

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Local:
    """What one process knows about one of its own connections (for the heartbeat)."""

    person: int
    rooms: frozenset[int]


@dataclass(slots=True)
class Change:
    """One room's pending ``presence`` frame.

    ``users`` maps person id → ``None`` (came online) or their last-seen time (went offline);
    it is ``None`` for rooms published with counts only.
    """

    room: int
    online: int
    users: dict[int, float | None] | None = field(default=None)


@dataclass(frozen=True, slots=True)
class Due:
    """A dirty room the caller wants published: with individuals or not, and how often."""

    room: int
    with_users: bool
    interval_s: float


def heartbeat_groups(conns: dict[str, Local]) -> dict[int, tuple[list[str], set[int]]]:
    """Connections grouped by person: their ids and the union of their rooms."""
    groups: dict[int, tuple[list[str], set[int]]] = {}
    for conn, local in conns.items():
        ids, rooms = groups.setdefault(local.person, ([], set()))
        ids.append(conn)
        rooms |= local.rooms
    return groups


class Store:
    """The interface both backends implement. All methods are coroutines; none raises on
    unknown connections, people or rooms."""

    ttl: float
    clock: Clock

    async def connect(self, conn: str, person: int, rooms: Iterable[int]) -> dict[int, int]:
        """Register a connection (or add rooms to it); return the rooms' online counts after."""
        raise NotImplementedError

    async def disconnect(self, conn: str, person: int) -> bool:
        """Forget a connection; True if it was the person's last (they are now offline)."""
        raise NotImplementedError

    async def leave(self, person: int, room: int) -> None:
        """The person left a room (or was removed): no longer counted there."""
        raise NotImplementedError

    async def heartbeat(self, conns: dict[str, Local]) -> None:
        """Push forward the expiry of all of one process's connections (one round trip)."""
        raise NotImplementedError

    async def sweep(self, limit: int = 1000) -> list[int]:
        """Take offline the people whose every connection expired; return their ids."""
        raise NotImplementedError

    async def counts(self, rooms: Iterable[int]) -> dict[int, int]:
        raise NotImplementedError

    async def online(self, people: Iterable[int]) -> set[int]:
        raise NotImplementedError

    async def last_seen(self, people: Iterable[int]) -> dict[int, float]:
        """When each (offline) person was last seen; people never seen are left out."""
        raise NotImplementedError

    async def dirty(self) -> list[int]:
        """Rooms with changes not yet published."""
        raise NotImplementedError

    async def drain(self, due: Sequence[Due]) -> list[Change]:
        """Take the changes of the rooms whose publish lock is free, and take the lock.

        A room whose lock is held (published less than its interval ago, by any process) stays
        dirty for a later tick.
        """
        raise NotImplementedError

    async def claim(self, name: str, interval_s: float) -> bool:
        """A named lock for ``interval_s``: True for one caller per interval (across workers)."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release connections (Redis); memory has nothing to release."""


# --- In process memory ---------------------------------------------------------------------


class MemoryStore(Store):
    """One process (embedded mode): the same semantics as Redis, in dicts.

    As in Redis, an expired entry stops counting at once and is removed by the next sweep.
    """

    def __init__(self, ttl: float, clock: Clock = time.time):
        self.ttl = ttl
        self.clock = clock
        self.conns: dict[int, dict[str, float]] = {}
        self.expiry: dict[int, float] = {}
        self.rooms_of: dict[int, set[int]] = {}
        self.members: dict[int, dict[int, float]] = {}
        self.seen: dict[int, float] = {}
        self.deltas: dict[int, dict[int, float | None]] = {}
        self.pending: set[int] = set()
        self.locks: dict[str, float] = {}
        self.published: dict[int, int] = {}
        #: No entry expires before this instant, so counting needs no scan until then.
        self.earliest = math.inf

    def _count(self, room: int, now: float) -> int:
        members = self.members.get(room, {})
        if now < self.earliest:
            return len(members)
        return sum(1 for exp in members.values() if exp > now)

    def _recompute_earliest(self) -> None:
        scores = [min(m.values(), default=math.inf) for m in self.members.values()]
        self.earliest = min(min(self.expiry.values(), default=math.inf), *scores, math.inf)

    def _set_expiry(self, person: int, exp: float) -> None:
        self.expiry[person] = exp
        self.earliest = min(self.earliest, exp)
        for room in self.rooms_of.get(person, ()):
            if person in self.members.get(room, {}):
                self.members[room][person] = exp

    def _offline(self, person: int, seen: float) -> None:
        for room in self.rooms_of.pop(person, set()):
            if self.members.get(room, {}).pop(person, None) is not None:
                self._changed(room, person, seen)
        self.conns.pop(person, None)
        self.expiry.pop(person, None)
        self.seen[person] = seen

    def _settle(self, person: int, now: float, seen: float) -> bool:
        """After a connection went: True if the person is offline now."""
        conns = self.conns.get(person, {})
        for conn in [c for c, exp in conns.items() if exp <= now]:
            del conns[conn]
        if conns:
            self._set_expiry(person, max(conns.values()))
            return False
        self._offline(person, seen)
        return True

    def _changed(self, room: int, person: int, seen: float | None) -> None:
        self.deltas.setdefault(room, {})[person] = seen
        self.pending.add(room)

    def _refresh(self, person: int, conns: Iterable[str], rooms: Iterable[int], now: float):
        exp = now + self.ttl
        mine = self.conns.setdefault(person, {})
        for conn in conns:
            mine[conn] = exp
        self.expiry[person] = max(exp, self.expiry.get(person, 0.0))
        self.earliest = min(self.earliest, exp)
        self.seen.pop(person, None)
        of = self.rooms_of.setdefault(person, set())
        for room in rooms:
            members = self.members.setdefault(room, {})
            if members.get(person, 0.0) <= now:
                self._changed(room, person, None)
            members[person] = max(exp, members.get(person, 0.0))
            of.add(room)

    async def connect(self, conn: str, person: int, rooms: Iterable[int]) -> dict[int, int]:
        now = self.clock()
        rooms = list(rooms)
        mine = self.conns.get(person, {})
        for stale in [c for c, exp in mine.items() if exp <= now]:
            del mine[stale]
        self._refresh(person, [conn], rooms, now)
        return {room: self._count(room, now) for room in rooms}

    async def disconnect(self, conn: str, person: int) -> bool:
        conns = self.conns.get(person)
        if conns is None:
            return False
        conns.pop(conn, None)
        now = self.clock()
        return self._settle(person, now, now)

    async def leave(self, person: int, room: int) -> None:
        self.rooms_of.get(person, set()).discard(room)
        if self.members.get(room, {}).pop(person, None) is not None:
            self.pending.add(room)

    async def heartbeat(self, conns: dict[str, Local]) -> None:
        now = self.clock()
        for person, (ids, rooms) in heartbeat_groups(conns).items():
            self._refresh(person, ids, rooms, now)
        self._recompute_earliest()

    async def sweep(self, limit: int = 1000) -> list[int]:
        now = self.clock()
        due = sorted((exp, p) for p, exp in self.expiry.items() if exp <= now)[:limit]
        gone = [p for exp, p in due if self._settle(p, now, exp - self.ttl)]
        self._recompute_earliest()
        return gone

    async def counts(self, rooms: Iterable[int]) -> dict[int, int]:
        now = self.clock()
        return {room: self._count(room, now) for room in rooms}

    async def online(self, people: Iterable[int]) -> set[int]:
        now = self.clock()
        return {p for p in people if self.expiry.get(p, 0.0) > now}

    async def last_seen(self, people: Iterable[int]) -> dict[int, float]:
        return {p: self.seen[p] for p in people if p in self.seen}

    async def dirty(self) -> list[int]:
        return sorted(self.pending)

    async def drain(self, due: Sequence[Due]) -> list[Change]:
        now = self.clock()
        out = []
        for d in due:
            if d.room not in self.pending or self.locks.get(f"room:{d.room}", 0.0) > now:
                continue
            self.pending.discard(d.room)
            deltas = self.deltas.pop(d.room, {})
            online = self._count(d.room, now)
            # Nothing a client can see changed (someone reconnected within the interval).
            if not (deltas and d.with_users) and self.published.get(d.room) == online:
                continue
            self.locks[f"room:{d.room}"] = now + d.interval_s
            self.published[d.room] = online
            out.append(Change(d.room, online, deltas if d.with_users else None))
        return out

    async def claim(self, name: str, interval_s: float) -> bool:
        now = self.clock()
        if self.locks.get(name, 0.0) > now:
            return False
        if len(self.locks) > LOCKS_PRUNE_AT:  # typing locks, one per person and room
            self.locks = {k: until for k, until in self.locks.items() if until > now}
        self.locks[name] = now + interval_s
        return True


# --- Redis -------------------------------------------------------------------------------------
# Keys (P is the prefix, LINLI_PRESENCE_PREFIX): P:c:<person> zset conn → expiry;
# P:p zset person → expiry; P:m:<person> set of rooms; P:r:<room> zset person → expiry;
# P:s:<person> last seen; P:d:<room> hash person → "" (online) | last seen; P:dirty set of rooms;
# P:n:<room> the last published count; P:l:<name> locks. The scripts build key names from P, so
# presence needs one Redis server (or a Sentinel-managed primary), not Redis Cluster.

_LUA_COMMON = """
local P = ARGV[1]
local now = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local keep = math.ceil(ttl * 2)

local function changed(room, person, value)
  local dk = P .. ':d:' .. room
  redis.call('HSET', dk, person, value)
  redis.call('EXPIRE', dk, keep)
  redis.call('SADD', P .. ':dirty', room)
end

-- Count the person as online in each room until exp; announce rooms they were not counted in.
local function refresh(person, exp, rooms)
  local mk = P .. ':m:' .. person
  for _, room in ipairs(rooms) do
    local rk = P .. ':r:' .. room
    local score = redis.call('ZSCORE', rk, person)
    if (not score) or tonumber(score) <= now then
      changed(room, person, '')
    end
    redis.call('ZADD', rk, 'GT', exp, person)
    redis.call('EXPIRE', rk, keep)
    redis.call('SADD', mk, room)
  end
  redis.call('EXPIRE', mk, keep)
  redis.call('ZADD', P .. ':p', 'GT', exp, person)
  redis.call('DEL', P .. ':s:' .. person)
end

-- The person's last connection is gone: out of every room, last seen recorded.
local function offline(person, seen)
  local mk = P .. ':m:' .. person
  for _, room in ipairs(redis.call('SMEMBERS', mk)) do
    if redis.call('ZREM', P .. ':r:' .. room, person) == 1 then
      changed(room, person, seen)
    end
  end
  redis.call('DEL', mk, P .. ':c:' .. person)
  redis.call('ZREM', P .. ':p', person)
  redis.call('SET', P .. ':s:' .. person, seen, 'EX', tonumber(ARGV[4]))
end

-- After a connection went: 1 if the person is offline now, else their expiry follows the
-- latest remaining connection.
local function settle(person, seen)
  local ck = P .. ':c:' .. person
  redis.call('ZREMRANGEBYSCORE', ck, '-inf', now)
  local top = redis.call('ZRANGE', ck, -1, -1, 'WITHSCORES')
  if #top == 0 then
    offline(person, seen)
    return 1
  end
  redis.call('ZADD', P .. ':p', top[2], person)
  for _, room in ipairs(redis.call('SMEMBERS', P .. ':m:' .. person)) do
    redis.call('ZADD', P .. ':r:' .. room, 'XX', top[2], person)
  end
  return 0
end
"""

# ARGV: P now ttl seen_keep person conn room...  → counts, one per room
_LUA_CONNECT = (
    _LUA_COMMON
    + """
local person, conn = ARGV[5], ARGV[6]
local exp = now + ttl
local ck = P .. ':c:' .. person
redis.call('ZREMRANGEBYSCORE', ck, '-inf', now)
redis.call('ZADD', ck, exp, conn)
redis.call('EXPIRE', ck, keep)
local rooms = {}
for i = 7, #ARGV do rooms[#rooms + 1] = ARGV[i] end
refresh(person, exp, rooms)
local counts = {}
for _, room in ipairs(rooms) do
  counts[#counts + 1] = redis.call('ZCOUNT', P .. ':r:' .. room, '(' .. now, '+inf')
end
return counts
"""
)

# ARGV: P now ttl seen_keep person conn  → 1 if the person went offline
_LUA_DISCONNECT = (
    _LUA_COMMON
    + """
local person, conn = ARGV[5], ARGV[6]
local ck = P .. ':c:' .. person
if redis.call('EXISTS', ck) == 0 then return 0 end
redis.call('ZREM', ck, conn)
return settle(person, ARGV[2])
"""
)

# ARGV: P now ttl seen_keep, then per person: id, n, conn×n, m, room×m
_LUA_HEARTBEAT = (
    _LUA_COMMON
    + """
local exp = now + ttl
local i = 5
while i <= #ARGV do
  local person = ARGV[i]
  local n = tonumber(ARGV[i + 1])
  local ck = P .. ':c:' .. person
  for j = i + 2, i + 1 + n do redis.call('ZADD', ck, exp, ARGV[j]) end
  redis.call('EXPIRE', ck, keep)
  i = i + 2 + n
  local m = tonumber(ARGV[i])
  local rooms = {}
  for j = i + 1, i + m do rooms[#rooms + 1] = ARGV[j] end
  i = i + 1 + m
  refresh(person, exp, rooms)
end
return 0
"""
)

# ARGV: P now ttl seen_keep limit  → the people taken offline
_LUA_SWEEP = (
    _LUA_COMMON
    + """
local gone = {}
local due = redis.call('ZRANGEBYSCORE', P .. ':p', '-inf', now, 'WITHSCORES', 'LIMIT', 0,
  tonumber(ARGV[5]))
for i = 1, #due, 2 do
  local person = due[i]
  -- last seen: the last heartbeat, one ttl before the expiry
  if settle(person, tostring(tonumber(due[i + 1]) - ttl)) == 1 then gone[#gone + 1] = person end
end
return gone
"""
)

# ARGV: P now ttl seen_keep, then per room: id, with_users (0/1), interval_ms
# → per published room: id, online, n, (person, value)×n   (n = -1: counts only)
_LUA_DRAIN = (
    _LUA_COMMON
    + """
local out = {}
local i = 5
while i <= #ARGV do
  local room, with_users, interval = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  i = i + 3
  local lock = P .. ':l:room:' .. room
  if redis.call('SISMEMBER', P .. ':dirty', room) == 1 and redis.call('EXISTS', lock) == 0 then
    redis.call('SREM', P .. ':dirty', room)
    local dk = P .. ':d:' .. room
    local nk = P .. ':n:' .. room
    local online = redis.call('ZCOUNT', P .. ':r:' .. room, '(' .. now, '+inf')
    local users = {}
    if with_users == '1' then users = redis.call('HGETALL', dk) end
    redis.call('DEL', dk)
    -- Nothing a client can see changed (someone reconnected within the interval): no frame.
    if #users > 0 or tonumber(redis.call('GET', nk)) ~= online then
      redis.call('SET', lock, '1', 'PX', interval)
      redis.call('SET', nk, online, 'EX', keep)
      out[#out + 1] = room
      out[#out + 1] = online
      if with_users == '1' then out[#out + 1] = #users / 2 else out[#out + 1] = -1 end
      for _, v in ipairs(users) do out[#out + 1] = v end
    end
  end
end
return out
"""
)

#: People per heartbeat script call: each call blocks Redis while it runs, so keep it short.
HEARTBEAT_CHUNK = 100


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisStore(Store):
    """All workers share one Redis: each worker's connections expire unless it heartbeats."""

    def __init__(self, url: str, prefix: str, ttl: float, clock: Clock = time.time):
        self.url = url
        self.prefix = prefix
        self.ttl = ttl
        self.clock = clock
        self._redis: Any = None
        self._scripts: dict[str, Any] = {}

    def _client(self):
        if self._redis is None:
            from redis import asyncio as aioredis

            self._redis = aioredis.from_url(self.url)
            for name, body in (
                ("connect", _LUA_CONNECT),
                ("disconnect", _LUA_DISCONNECT),
                ("heartbeat", _LUA_HEARTBEAT),
                ("sweep", _LUA_SWEEP),
                ("drain", _LUA_DRAIN),
            ):
                self._scripts[name] = self._redis.register_script(body)
            _close_with_loop(self)
        return self._redis

    def _args(self) -> list[Any]:
        return [self.prefix, repr(self.clock()), repr(self.ttl), SEEN_KEEP_S]

    async def _run(self, name: str, extra: list[Any]) -> Any:
        self._client()
        return await self._scripts[name](args=[*self._args(), *extra])

    async def connect(self, conn: str, person: int, rooms: Iterable[int]) -> dict[int, int]:
        rooms = [int(r) for r in rooms]
        counts = await self._run("connect", [person, conn, *rooms])
        return {room: int(n) for room, n in zip(rooms, counts, strict=True)}

    async def disconnect(self, conn: str, person: int) -> bool:
        return bool(await self._run("disconnect", [person, conn]))

    async def leave(self, person: int, room: int) -> None:
        r = self._client()
        async with r.pipeline(transaction=True) as pipe:
            pipe.srem(f"{self.prefix}:m:{person}", room)
            pipe.zrem(f"{self.prefix}:r:{room}", person)
            removed = (await pipe.execute())[1]
        if removed:
            await r.sadd(f"{self.prefix}:dirty", room)

    async def heartbeat(self, conns: dict[str, Local]) -> None:
        groups = list(heartbeat_groups(conns).items())
        if not groups:
            return
        self._client()
        # One call per chunk, each awaited: Redis serves everyone else between two of them.
        # Pipelined, 10,000 sockets' heartbeat held Redis for ~200 ms at a stretch, and every
        # message published meanwhile (and its ack) waited.
        for start in range(0, len(groups), HEARTBEAT_CHUNK):
            args: list[Any] = [*self._args()]
            for person, (ids, rooms) in groups[start : start + HEARTBEAT_CHUNK]:
                args += [person, len(ids), *ids, len(rooms), *sorted(rooms)]
            await self._scripts["heartbeat"](args=args)

    async def sweep(self, limit: int = 1000) -> list[int]:
        return [int(_s(p)) for p in await self._run("sweep", [limit])]

    async def counts(self, rooms: Iterable[int]) -> dict[int, int]:
        rooms = list(rooms)
        if not rooms:
            return {}
        now = repr(self.clock())
        async with self._client().pipeline(transaction=False) as pipe:
            for room in rooms:
                pipe.zcount(f"{self.prefix}:r:{room}", f"({now}", "+inf")
            got = await pipe.execute()
        return {room: int(n) for room, n in zip(rooms, got, strict=True)}

    async def online(self, people: Iterable[int]) -> set[int]:
        people = list(people)
        if not people:
            return set()
        now = self.clock()
        scores = await self._client().zmscore(f"{self.prefix}:p", people)
        return {p for p, s in zip(people, scores, strict=True) if s is not None and s > now}

    async def last_seen(self, people: Iterable[int]) -> dict[int, float]:
        people = list(people)
        if not people:
            return {}
        got = await self._client().mget([f"{self.prefix}:s:{p}" for p in people])
        return {p: float(v) for p, v in zip(people, got, strict=True) if v is not None}

    async def dirty(self) -> list[int]:
        return sorted(int(_s(r)) for r in await self._client().smembers(f"{self.prefix}:dirty"))

    async def drain(self, due: Sequence[Due]) -> list[Change]:
        if not due:
            return []
        extra: list[Any] = []
        for d in due:
            extra += [d.room, int(d.with_users), max(1, round(d.interval_s * 1000))]
        flat = await self._run("drain", extra)
        out, i = [], 0
        while i < len(flat):
            room, online, n = int(_s(flat[i])), int(flat[i + 1]), int(flat[i + 2])
            i += 3
            users = None
            if n >= 0:
                users = {}
                for k in range(n):
                    value = _s(flat[i + 2 * k + 1])
                    users[int(_s(flat[i + 2 * k]))] = float(value) if value else None
                i += 2 * n
            out.append(Change(room, online, users))
        return out

    async def claim(self, name: str, interval_s: float) -> bool:
        ms = max(1, round(interval_s * 1000))
        return bool(await self._client().set(f"{self.prefix}:l:{name}", "1", nx=True, px=ms))

    async def aclose(self) -> None:
        redis, self._redis = self._redis, None
        if redis is not None:
            await redis.aclose(close_connection_pool=True)


# Test runs use many event loops; a Redis client belongs to the loop it was made on. Close it
# when that loop closes (as channels-redis does), so no connection outlives its loop.
_open: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[RedisStore]] = (
    weakref.WeakKeyDictionary()
)


def _close_with_loop(store: RedisStore) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    stores = _open.get(loop)
    if stores is None:
        stores = _open[loop] = []
        original = loop.close

        def close(self, *args, **kwargs):
            for s in _open.pop(loop, []):
                if not loop.is_running() and not loop.is_closed():
                    loop.run_until_complete(s.aclose())
            self.close = original
            return original(*args, **kwargs)

        loop.close = types.MethodType(close, loop)
    stores.append(store)
