"""A morning connect storm: 1,000 people come online in one room while a resident listens.

The 1,000 go through presence's own hooks (``online.connected``), as their sockets would, on
this process; the listener is a real socket. Whatever the storm, the listener gets at most one
``presence`` frame per room per interval.
"""

import asyncio
import math
import time

import pytest

from core.policy import Actor
from presence import online
from presence.online import TICK_JITTER_S
from tests.chat.conftest import connect, room_id
from tests.presence.conftest import presence_frames

pytestmark = pytest.mark.django_db(transaction=True)
GARDEN = "翠湖苑小区群"
STORM = 1000
BATCHES = 10
BATCH_GAP_S = 0.2  # 1,000 connects over 2 s
SETTLE_S = 2.5


def person(i: int) -> Actor:
    return Actor(
        person_id=10_000_000 + i,
        role="resident",
        community_id=None,
        party_member=False,
        observer_street_id=None,
        observer_district_id=None,
        approved=True,
    )


async def storm(room: int, hook) -> float:
    """Call ``hook`` for all 1,000 people in batches; return how long the storm lasted."""
    start = time.monotonic()
    per_batch = STORM // BATCHES
    for b in range(BATCHES):
        for i in range(b * per_batch, (b + 1) * per_batch):
            await hook(f"storm-{i}", person(i), {"rooms": [{"id": room}]})
        await asyncio.sleep(BATCH_GAP_S)
    return time.monotonic() - start


async def count_frames(listener, room, work) -> tuple[list[dict], float]:
    """Run ``work`` while reading the listener's presence frames for ``room``."""
    got: list[dict] = []
    done = asyncio.Event()

    async def read():
        while not done.is_set():
            got.extend(await presence_frames(listener, 0.1, room))

    reader = asyncio.ensure_future(read())
    duration = await work
    await asyncio.sleep(SETTLE_S)
    done.set()
    await reader
    return got, duration


def most(duration: float, interval: float) -> int:
    """Frames a listener may get for one room: one per interval (less the jitter allowance),
    and the last state once the storm is over."""
    return math.ceil(duration / (interval - TICK_JITTER_S)) + 1


async def disconnect_all(room):
    for i in range(STORM):
        await online.disconnected(f"storm-{i}", person(i))


async def test_a_connect_storm_reaches_a_listener_as_one_frame_per_second(tcast, settings):
    listener = await connect(tcast.resident)
    room = room_id(listener, GARDEN)
    frames, duration = await count_frames(listener, room, storm(room, online.connected))
    print(f"\nstorm of {STORM} connects over {duration:.2f} s: {len(frames)} presence frames")
    assert len(frames) <= most(duration, settings.LINLI_PRESENCE_INTERVAL)
    assert frames[-1]["online"] == STORM + 1
    named = {u["id"] for f in frames for u in f.get("users", ())}
    assert {person(i).person_id for i in range(STORM)} <= named  # a small room names them all
    frames, duration = await count_frames(listener, room, _timed(disconnect_all(room)))
    print(f"storm of {STORM} disconnects over {duration:.2f} s: {len(frames)} presence frames")
    assert len(frames) <= most(duration, settings.LINLI_PRESENCE_INTERVAL)
    assert frames[-1]["online"] == 1
    await listener.close()


async def test_a_big_room_gets_counts_at_its_slower_interval(tcast, settings):
    settings.LINLI_PRESENCE_USERS_MAX = 2  # the garden counts as a 3,000-member 小区群
    settings.LINLI_PRESENCE_BIG_INTERVAL = 2.0
    listener = await connect(tcast.resident)
    room = room_id(listener, GARDEN)
    frames, duration = await count_frames(listener, room, storm(room, online.connected))
    print(f"\nbig room, {STORM} connects over {duration:.2f} s: {len(frames)} presence frames")
    assert len(frames) <= most(duration, settings.LINLI_PRESENCE_BIG_INTERVAL)
    assert all("users" not in f for f in frames)
    await disconnect_all(room)
    await listener.close()


async def _timed(coro) -> float:
    start = time.monotonic()
    await coro
    return time.monotonic() - start
