"""Real worker processes: a change to a person reaches their sockets on every worker (PostgreSQL
+ Redis), and a stopping worker closes its sockets with 4012 and a reconnect hint."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from community import actions
from tests.e2e.conftest import TIMEOUT, Peer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


async def closed(peer: Peer) -> tuple[int | None, str | None]:
    await asyncio.wait_for(peer.ws.wait_closed(), TIMEOUT)
    return peer.ws.close_code, peer.ws.close_reason


@pytest.mark.postgres_redis
async def test_deactivation_closes_the_persons_sockets_on_both_processes(tcast, two_workers):
    a, b = two_workers
    on_a, on_b = await Peer.open(a, tcast.resident), await Peer.open(b, tcast.resident)
    await database_sync_to_async(actions.deactivate_person)(None, tcast.resident.pk)
    assert await closed(on_a) == (4003, "removed")
    assert await closed(on_b) == (4003, "removed")


@pytest.mark.postgres_redis
async def test_a_move_made_in_another_process_moves_the_sockets_rooms(tcast, two_workers):
    _a, b = two_workers
    alice = await Peer.open(b, tcast.resident)
    await database_sync_to_async(actions.move_person)(
        None, tcast.resident.pk, tcast.community, tcast.court
    )
    while (frame := await alice.recv())["type"] != "room_joined":
        pass
    assert frame["room"]["name"] == "江湾华庭小区群"
    await alice.ws.close()


async def test_sigterm_closes_every_socket_with_4012_and_a_reconnect_hint(tcast, one_worker):
    alice, bob = (
        await Peer.open(one_worker, tcast.resident),
        await Peer.open(one_worker, tcast.neighbour),
    )
    one_worker.proc.terminate()
    for peer in (alice, bob):
        while (frame := await peer.recv())["type"] != "restart":
            pass
        assert 1 <= frame["retry_after"] <= 10
        assert await closed(peer) == (4012, "server_restart")
    one_worker.proc.wait(TIMEOUT)
