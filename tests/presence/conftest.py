"""Presence test helpers: a clock to move by hand, and presence frames as a listener sees them."""

import os
import time
import uuid

import pytest

from presence.store import MemoryStore, RedisStore

TTL = 30.0


class Clock:
    """Wall time plus an offset moved by hand: TTLs pass without sleeping, while the Redis
    locks (which expire in real time) still see time go by."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture(
    params=["memory", pytest.param("redis", marks=pytest.mark.postgres_redis)],
)
async def make_store(request, clock):
    """A factory of stores sharing one state: memory (one process) or Redis (each store a
    worker process of its own, on one Redis, under a prefix of this test's own)."""
    made = []
    prefix = f"linli-test-presence-{uuid.uuid4().hex[:12]}"
    memory = MemoryStore(TTL, clock)

    def make():
        if request.param == "memory":
            return memory
        store = RedisStore(os.environ["LINLI_TEST_REDIS_URL"], prefix, TTL, clock)
        made.append(store)
        return store

    make.backend = request.param
    yield make
    if made:
        redis = made[0]._client()
        keys = [k async for k in redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
    for store in made:
        await store.aclose()


@pytest.fixture
async def store(make_store):
    return make_store()


async def frames_within(client, seconds: float) -> list[dict]:
    """Every frame a client receives within ``seconds``, without closing it.

    (A ``receive_output`` that times out cancels the application, so wait with
    ``receive_nothing`` and read only what is there.)
    """
    got = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if not await client.ws.receive_nothing(timeout=min(0.05, left)):
            got.append(await client.recv())
    return got


async def presence_frames(client, seconds: float, room: int | None = None) -> list[dict]:
    """Every ``presence`` frame (for ``room``, if given) a client receives within ``seconds``."""
    return [
        f
        for f in await frames_within(client, seconds)
        if f["type"] == "presence" and (room is None or f["room"] == room)
    ]


async def next_presence(client, room: int, test=lambda f: True, timeout: float = 5.0) -> dict:
    """The first ``presence`` frame for ``room`` that satisfies ``test``."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        if await client.ws.receive_nothing(timeout=min(0.05, left)):
            continue
        frame = await client.recv()
        if frame["type"] == "presence" and frame["room"] == room and test(frame):
            return frame
    raise AssertionError(f"no matching presence frame for room {room} in {timeout} s")
