"""Two real daphne processes on PostgreSQL + Redis: delivery, reconnection and ordering."""

import asyncio

import pytest

from tests.e2e.conftest import Peer

pytestmark = [pytest.mark.e2e, pytest.mark.postgres_redis, pytest.mark.django_db(transaction=True)]
GARDEN = "翠湖苑小区群"


async def test_message_sent_through_one_process_reaches_a_client_on_the_other(tcast, two_workers):
    a, b = two_workers
    alice, bob = await Peer.open(a, tcast.resident), await Peer.open(b, tcast.neighbour)
    ack = await alice.request(
        {"type": "send", "room": alice.room(GARDEN), "body": "跨进程", "client_id": "x"}
    )
    while (got := await bob.recv())["type"] != "message":
        pass
    assert (got["seq"], got["body"]) == (ack["seq"], "跨进程")
    await alice.ws.close(), await bob.ws.close()


async def test_reconnecting_to_the_other_process_syncs_every_missed_message_once(
    tcast, two_workers
):
    a, b = two_workers
    alice, bob = await Peer.open(a, tcast.resident), await Peer.open(a, tcast.neighbour)
    room = alice.room(GARDEN)
    last_seen = next(r["last_seq"] for r in bob.welcome["rooms"] if r["id"] == room)
    await bob.ws.close()
    acks = [
        await alice.request({"type": "send", "room": room, "body": f"m{i}", "client_id": f"r{i}"})
        for i in range(250)
    ]
    bob = await Peer.open(b, tcast.neighbour)
    replayed = await bob.sync_all({room: last_seen})
    assert [m["seq"] for m in replayed] == [ack["seq"] for ack in acks]
    await alice.ws.close(), await bob.ws.close()


async def test_concurrent_senders_on_both_processes_produce_a_gapless_sequence(tcast, two_workers):
    a, b = two_workers
    people = [tcast.resident, tcast.neighbour, tcast.party_member, tcast.moderator]
    peers = [await Peer.open(a if i % 2 else b, p) for i, p in enumerate(people)]
    room = peers[0].room(GARDEN)
    start = next(r["last_seq"] for r in peers[0].welcome["rooms"] if r["id"] == room)

    async def burst(peer, k):
        return [
            await peer.request(
                {"type": "send", "room": room, "body": f"{k}-{i}", "client_id": f"c{k}-{i}"}
            )
            for i in range(40)
        ]

    results = await asyncio.gather(*(burst(p, k) for k, p in enumerate(peers)))
    seqs = sorted(ack["seq"] for acks in results for ack in acks)
    assert seqs == list(range(start + 1, start + 1 + 160))
    for p in peers:
        await p.ws.close()
