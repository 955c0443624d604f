"""Two real daphne workers on Redis: presence across processes, and a worker killed with -9.

The TTL is lowered to 6 s for the test (LINLI_PRESENCE_TTL), so the ghost bound — TTL + sweep
interval + publish interval — is 8 s instead of 55 s.
"""

import asyncio
import time

import pytest

from tests.e2e.conftest import Peer
from tests.e2e.servers import workers

pytestmark = [pytest.mark.e2e, pytest.mark.postgres_redis, pytest.mark.django_db(transaction=True)]
GARDEN = "翠湖苑小区群"
TTL, SWEEP, INTERVAL = 6, 1, 1
BOUND_S = TTL + SWEEP + INTERVAL
#: Scheduling slack on a loaded test machine, on top of the documented bound.
SLACK_S = 3


@pytest.fixture
def fast_presence_workers(transactional_db, tmp_path):
    with workers(
        2,
        tmp_path,
        LINLI_PRESENCE_TTL=str(TTL),
        LINLI_PRESENCE_SWEEP=str(SWEEP),
        LINLI_PRESENCE_INTERVAL=str(INTERVAL),
        LINLI_PRESENCE_BIG_INTERVAL=str(INTERVAL),
    ) as pair:
        yield pair


def online_in(peer, name):
    return next(r["online"] for r in peer.welcome["rooms"] if r["name"] == name)


async def presence_until(peer, room, test, timeout):
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = await asyncio.wait_for(peer.recv(), left)
        except TimeoutError:
            break
        if frame["type"] == "presence" and frame["room"] == room and test(frame):
            return frame
    raise AssertionError(f"no such presence frame within {timeout} s")


def went_offline(frame, person):
    return any(u["id"] == person and not u["online"] for u in frame.get("users", ()))


async def test_a_killed_workers_people_go_offline_within_the_bound(tcast, fast_presence_workers):
    a, b = fast_presence_workers
    bob = await Peer.open(b, tcast.neighbour)
    room = bob.room(GARDEN)
    alice = await Peer.open(a, tcast.resident)  # only on A
    carol_phone = await Peer.open(a, tcast.party_member)  # on A and on B
    carol_laptop = await Peer.open(b, tcast.party_member)
    assert online_in(carol_laptop, GARDEN) == 3  # counted across both processes
    # Bob, on B, hears of Alice, who connected to A.
    await presence_until(bob, room, lambda f: f["online"] == 3, timeout=5)

    a.kill()
    killed = time.monotonic()
    frame = await presence_until(
        bob, room, lambda f: went_offline(f, tcast.resident.pk), timeout=BOUND_S + SLACK_S
    )
    detected = time.monotonic() - killed
    print(f"\nkill -9 → offline for a client on the other worker after {detected:.1f} s")
    assert detected <= BOUND_S + SLACK_S
    assert frame["online"] == 2  # Bob and Carol: her laptop on B keeps her online
    assert not went_offline(frame, tcast.party_member.pk)
    # Nor does she go offline later: nothing more about her in the next sweep and tick.
    with pytest.raises(AssertionError):
        await presence_until(
            bob, room, lambda f: went_offline(f, tcast.party_member.pk), timeout=SWEEP + 2
        )
    newcomer = await Peer.open(b, tcast.moderator)
    assert online_in(newcomer, GARDEN) == 3  # Bob, Carol, the newcomer: no ghosts
    for peer in (bob, carol_laptop, newcomer, alice, carol_phone):
        await peer.ws.close()  # the last two: their worker is gone, the socket already closed


async def test_closing_the_last_device_is_seen_on_the_other_worker_at_once(
    tcast, fast_presence_workers
):
    a, b = fast_presence_workers
    bob = await Peer.open(b, tcast.neighbour)
    room = bob.room(GARDEN)
    phone, laptop = await Peer.open(a, tcast.resident), await Peer.open(b, tcast.resident)
    await presence_until(bob, room, lambda f: f["online"] == 2, timeout=5)
    await phone.ws.close()
    await laptop.ws.close()
    start = time.monotonic()
    frame = await presence_until(bob, room, lambda f: went_offline(f, tcast.resident.pk), 5)
    assert frame["online"] == 1
    assert time.monotonic() - start <= INTERVAL + 1.5  # a clean close needs no TTL
    await bob.ws.close()
