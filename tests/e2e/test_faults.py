"""Faults on a real cluster (deploy/local-cluster: nginx → 2 daphne workers → Redis + PostgreSQL).

The issue's fault requirements, one test each:

- kill -9 one worker mid-stream: its clients reconnect (through nginx) to the other and sync with
  nothing lost; the sender re-sends what was not acked with the same client_id;
- restart Redis: sends keep being acked (the database is the truth), live delivery resumes, and
  clients fill any gap from the database;
- stop PostgreSQL: sends are answered ``unavailable`` (never acked), nothing is half-stored, and
  the same sends succeed once it is back.

Every cluster runs on a *private* PostgreSQL and a *private* redis-server (tests/e2e/
private_services.py), never on the shared servers, which these tests must not disturb. The test
process itself touches no database: people and tokens are made in a subprocess with the cluster's
environment (tests/e2e/faultkit.py).

Two server bugs found here have regression tests at the end (see their docstrings).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
import redis
from websockets.exceptions import InvalidHandshake, InvalidStatus

from tests.e2e.cluster import Cluster, have_nginx, local_cluster
from tests.e2e.faultkit import (
    Client,
    Disconnected,
    Seed,
    all_messages,
    check_streams,
    http_json,
    seed,
)
from tests.e2e.private_services import (
    PrivatePostgres,
    PrivateRedis,
    have_postgres_binaries,
    have_redis_server,
    private_postgres,
    private_redis,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres_redis,
    pytest.mark.timeout(240),
    pytest.mark.skipif(not have_nginx(), reason="needs nginx (apt-get install -y nginx-light)"),
    pytest.mark.skipif(
        not have_postgres_binaries(),
        reason="needs the PostgreSQL 15 server binaries (initdb, pg_ctl) for a private server "
        "(apt-get install -y postgresql-15; or set LINLI_PG_BIN)",
    ),
    pytest.mark.skipif(
        not have_redis_server(), reason="needs redis-server for a private Redis (apt-get install)"
    ),
]

#: Per-socket send limits of the workers: one test client streams hundreds of messages.
FAST_SENDS = {"LINLI_SEND_RATE": "1000", "LINLI_SEND_BURST": "1000"}


@dataclass
class Faulty:
    """A cluster whose PostgreSQL and Redis a test may take down."""

    cluster: Cluster
    pg: PrivatePostgres
    redis: PrivateRedis
    seed: Seed
    database_url: str

    def client(self, name: str, person: str) -> Client:
        return Client(name, self.seed.tokens[person], self.seed.room)

    async def room_messages(self) -> list[dict]:
        """The room's every message, paged through GET /api/v1/rooms/<id>/messages (nginx)."""
        token = self.seed.tokens["resident"]
        return await asyncio.to_thread(all_messages, self.cluster.url, token, self.seed.room)


@pytest.fixture
def faulty(monkeypatch) -> Iterator[Faulty]:
    for name, value in FAST_SENDS.items():
        monkeypatch.setenv(name, value)  # the script passes LINLI_* on to its workers
    with (
        private_postgres() as pg,
        private_redis() as private,
        local_cluster(workers=2, database_url=pg.url("linli"), redis_url=private.url) as cluster,
    ):
        yield Faulty(cluster, pg, private, seed(cluster.env), pg.url("linli"))


# --- helpers -------------------------------------------------------------------------------


async def stream(
    sender: Client,
    client_ids: list[str],
    acks: dict[str, dict],
    refused: dict[str, dict],
    *,
    window: int = 8,
    pace: float = 0.0,
    stop_on_refusal: bool = False,
    timeout: float = 60,
) -> list[str]:
    """Send ``client_ids`` in order, up to ``window`` unanswered at a time, ``pace`` seconds
    apart; stop early when the socket drops (or at the first refusal). Files every answer into
    ``acks`` or ``refused`` and returns the client_ids that were not acked, in order."""
    pending: deque[tuple[str, asyncio.Future]] = deque()
    stop = False

    async def settle(client_id: str, future: asyncio.Future) -> None:
        nonlocal stop
        try:
            answer = await asyncio.wait_for(future, timeout)
        except Disconnected:
            return
        if answer["type"] == "ack":
            acks[client_id] = answer
            refused.pop(client_id, None)
        else:
            refused[client_id] = answer
            stop = stop or stop_on_refusal

    for client_id in client_ids:
        if stop or not sender.connected:
            break
        frame = {"type": "send", "room": sender.room, "body": f"消息 {client_id}"}
        pending.append((client_id, await sender.submit({**frame, "client_id": client_id})))
        if len(pending) >= window:
            await settle(*pending.popleft())
        if pace:
            await asyncio.sleep(pace)
    while pending:
        await settle(*pending.popleft())
    return [c for c in client_ids if c not in acks]


async def reconnect(client: Client, url: str, attempts: int = 20) -> None:
    """Reconnect as a client does: back off (0.1 s, 0.2 s … ≤ 2 s) until the handshake works."""
    delay = 0.1
    for attempt in range(attempts):
        try:
            await client.connect(url)
            return
        except (OSError, InvalidHandshake, InvalidStatus, TimeoutError):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(delay)
            delay = min(2.0, delay * 2)


async def health(url: str, timeout: float = 60) -> tuple[int, dict]:
    return await asyncio.to_thread(http_json, f"{url}/api/v1/health", None, timeout)


async def wait_healthy(urls: list[str], timeout: float) -> float:
    """Wait until every URL's health answers 200; return how long it took."""
    start = time.monotonic()
    while True:
        answers = [await health(url, timeout=15) for url in urls]
        if all(status == 200 for status, _ in answers):
            return time.monotonic() - start
        assert time.monotonic() - start < timeout, f"not healthy after {timeout} s: {answers}"
        await asyncio.sleep(0.25)


def check_room(
    messages: list[dict], last: int, client_ids: list[str], acks: dict[str, dict]
) -> None:
    """The room's stored messages: seq 1..last, gapless, no repeats; each of ``client_ids``
    stored exactly once, with the seq its ack named."""
    seqs = [m["seq"] for m in messages]
    assert seqs == list(range(1, last + 1)), "the room's seqs have a gap or a repeat"
    stored: dict[str, list[int]] = {}
    for m in messages:
        if m["client_id"] is not None:
            stored.setdefault(m["client_id"], []).append(m["seq"])
    twice = {c: s for c, s in stored.items() if len(s) > 1}
    assert not twice, f"stored more than once: {twice}"
    missing = [c for c in client_ids if c not in stored]
    assert not missing, f"acked but not stored: {missing}"
    wrong = {
        c: (acks[c]["seq"], stored[c][0]) for c in client_ids if acks[c]["seq"] != stored[c][0]
    }
    assert not wrong, f"ack seq differs from the stored seq: {wrong}"


async def finish(clients: list[Client], first: int, last: int, within: float = 20) -> None:
    """Every client received first..last exactly once: wait for the last seq to arrive, give late
    duplicates a moment to show, sync (as a client does after a gap; it must add nothing already
    seen), then check every socket's streams."""
    for client in clients:
        assert await client.wait_for_seq(last, within), (
            f"{client.name} never received seq {last}; has {sorted(client.frames)[-5:]}"
        )
    await asyncio.sleep(0.3)
    for client in clients:
        await client.sync()
        check_streams(client, first, last)


def channels_of(server: PrivateRedis) -> set[bytes]:
    """The channels someone is subscribed to on ``server`` (PUBSUB CHANNELS)."""
    with redis.Redis.from_url(server.url) as client:
        return set(client.pubsub_channels())


async def close_all(clients: list[Client]) -> None:
    for client in clients:
        with contextlib.suppress(Exception):  # a socket of a killed worker; cleanup only
            await asyncio.wait_for(client.close(), 5)


# --- 1. kill -9 a worker mid-stream ----------------------------------------------------------

STREAM = 300
KILL_AFTER_ACKS = 100


async def test_kill_9_worker_mid_stream_clients_move_to_the_other_and_lose_nothing(faulty):
    """A sender on worker 1 streams 300 messages; worker 1 is SIGKILLed after 100 acks, with
    sends in flight. The sender and a receiver on worker 1 reconnect through nginx (now only
    worker 2 answers) and sync from their last seen seq; the sender re-sends every unacked
    message with the same client_id. A receiver on worker 2 stays connected throughout.

    Shows: every message acked once, stored once, seqs gapless; each of the three clients got
    every seq exactly once (no client-side dedup), live streams contiguous and in order."""
    cluster = faulty.cluster
    sender = faulty.client("sender", "resident")
    r1 = faulty.client("r1", "neighbour")  # on worker 1, which dies
    r2 = faulty.client("r2", "party_member")  # on worker 2
    clients = [sender, r1, r2]
    try:
        await sender.connect(cluster.worker_ws_url(1))
        await r1.connect(cluster.worker_ws_url(1))
        await r2.connect(cluster.worker_ws_url(2))
        first = faulty.seed.last_seq + 1
        assert sender.socket.live_from == faulty.seed.last_seq

        client_ids = [f"k9-{i:03d}" for i in range(STREAM)]
        acks: dict[str, dict] = {}
        refused: dict[str, dict] = {}
        killed_at: list[int] = []

        async def kill_worker_1_mid_stream() -> None:
            deadline = time.monotonic() + 60
            while len(acks) < KILL_AFTER_ACKS and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
            killed_at.append(len(acks))
            await asyncio.to_thread(cluster.kill_worker, 1)  # deploy/local-cluster kill-worker 1

        killer = asyncio.create_task(kill_worker_1_mid_stream())
        unacked = await stream(sender, client_ids, acks, refused, window=8, pace=0.01)
        await asyncio.wait_for(killer, 60)
        assert killed_at and killed_at[0] >= KILL_AFTER_ACKS
        assert unacked, "the stream ended before the kill: nothing was in flight"
        assert not refused, f"refused before the kill: {refused}"
        await asyncio.wait_for(asyncio.gather(sender.wait_closed(), r1.wait_closed()), 10)
        assert r2.connected

        # The worker-1 clients come back through nginx, on worker 2, and catch up.
        await reconnect(r1, cluster.ws_url)
        await r1.sync()
        await reconnect(sender, cluster.ws_url)
        await sender.sync()
        # The sender re-sends what it never saw acked, same client_ids, then the rest.
        # Some of the unacked had been stored before the kill (the ack was lost with the worker):
        # the sync just brought them back. Re-sending them must store nothing new.
        stored_unacked = [c for c in unacked if _stored_seq(sender, c) is not None]
        for _ in range(3):
            left = [c for c in client_ids if c not in acks]
            if not left:
                break
            await stream(sender, left, acks, refused, window=8)
        assert not refused, f"refused after the kill: {refused}"
        assert len(acks) == STREAM, f"{STREAM - len(acks)} messages never acked"

        last = max(a["seq"] for a in acks.values())
        assert last == first + STREAM - 1, "a retried send was stored twice or a seq was skipped"
        await finish(clients, first, last)
        check_room(await faulty.room_messages(), last, client_ids, acks)
        print(
            f"\nkill -9 after {killed_at[0]} acks: {len(unacked)} unacked re-sent "
            f"({len(stored_unacked)} of them had been stored: acked again with their first seq)"
        )
    finally:
        await close_all(clients)


def _stored_seq(client: Client, client_id: str) -> int | None:
    """The seq of the message with ``client_id`` among what ``client`` received, if any."""
    return next((f["seq"] for f in client.frames.values() if f["client_id"] == client_id), None)


# --- 2. restart Redis ------------------------------------------------------------------------


async def test_redis_restart_sends_are_acked_and_live_delivery_resumes(faulty):
    """Redis (the channel layer) is SIGKILLed while messages flow and started again on the same
    port 2 s later. Sends keep being acked (the database is the truth; failed publishes are
    logged), health says 503 meanwhile; once Redis is back, live delivery resumes on both
    workers without any client action (channels-redis' pubsub connection re-subscribes every
    group: redis-py's PubSub re-issues SUBSCRIBE from its on_connect callback), and the events
    lost meanwhile are filled from the database by the server's gap fill — every client gets
    every message exactly once, in order."""
    cluster = faulty.cluster
    sender = faulty.client("sender", "resident")
    r1 = faulty.client("r1", "neighbour")
    r2 = faulty.client("r2", "party_member")
    clients = [sender, r1, r2]
    acks: dict[str, dict] = {}
    refused: dict[str, dict] = {}
    try:
        await sender.connect(cluster.worker_ws_url(1))
        await r1.connect(cluster.worker_ws_url(1))
        await r2.connect(cluster.worker_ws_url(2))
        first = faulty.seed.last_seq + 1

        before = [f"rd-a{i:02d}" for i in range(40)]
        await stream(sender, before, acks, refused, window=4)
        assert len(acks) == len(before)
        for client in clients:  # live delivery works before the fault
            assert await client.wait_for_seq(acks[before[-1]]["seq"], 10), client.name

        subscribed_before = await asyncio.to_thread(channels_of, faulty.redis)
        during = [f"rd-b{i:02d}" for i in range(40)]
        outage: dict[str, float] = {}

        async def redis_outage() -> None:
            await asyncio.sleep(0.3)  # mid-stream
            await asyncio.to_thread(faulty.redis.kill)
            outage["down"] = time.monotonic()
            status, body = await health(cluster.worker_urls[0])
            outage["health"] = status
            assert (status, body.get("channel_layer")) == (503, False), body
            await asyncio.sleep(max(0.0, outage["down"] + 2 - time.monotonic()))
            await asyncio.to_thread(faulty.redis.start)  # same port, empty
            outage["up"] = time.monotonic()

        started = time.monotonic()
        restarting = asyncio.create_task(redis_outage())
        await stream(sender, during, acks, refused, window=2, pace=0.06)
        await asyncio.wait_for(restarting, 30)
        assert not refused, f"sends refused while Redis was down: {refused}"
        assert len(acks) == len(before) + len(during), "a send during the outage was not acked"
        assert sender.connected and r1.connected and r2.connected
        assert outage["down"] - started < 3 and outage["up"] - outage["down"] >= 2
        log = cluster.log("worker-1")
        assert "channel layer publish to room." in log and "failed" in log  # logged, not raised

        recovered = await wait_healthy(cluster.worker_urls, timeout=30)

        # Live delivery resumes: probe until one message reaches all three sockets unasked.
        probes: list[str] = []
        deadline = time.monotonic() + 20
        while True:
            probes.append(f"rd-p{len(probes):02d}")
            answer = await sender.send_message(f"探测 {probes[-1]}", probes[-1])
            assert answer["type"] == "ack", answer
            acks[probes[-1]] = answer
            arrived = [await c.wait_for_seq(answer["seq"], 0.5) for c in clients]
            if all(arrived):
                break
            assert time.monotonic() < deadline, "live delivery did not resume within 20 s"
        # The restarted Redis started empty; the workers subscribed every channel and group
        # again by themselves.
        lost = subscribed_before - await asyncio.to_thread(channels_of, faulty.redis)
        assert not lost, f"not re-subscribed after the restart: {sorted(lost)}"
        after = [f"rd-c{i:02d}" for i in range(40)]
        await stream(sender, after, acks, refused, window=4)
        assert not refused, refused
        last = acks[after[-1]]["seq"]
        for client in clients:  # live, with no sync: the server's gap fill closed the hole
            assert await client.wait_for_seq(last, 10), f"{client.name} stalled after recovery"
            missing = set(range(first, last + 1)) - set(client.all_seqs)
            assert not missing, f"{client.name}: gap not filled live: {sorted(missing)[:10]}"

        await finish(clients, first, last)
        client_ids = before + during + probes + after
        assert last == first + len(client_ids) - 1
        check_room(await faulty.room_messages(), last, client_ids, acks)
        print(
            f"\nRedis down {outage['up'] - outage['down']:.1f} s; healthy again "
            f"{recovered:.1f} s after restart; {len(probes)} probe(s) until live delivery resumed"
        )
    finally:
        await close_all(clients)


# --- 3. stop PostgreSQL ----------------------------------------------------------------------


def _room_rows(database_url: str, room: int) -> tuple[int, list[tuple[int, str | None]]]:
    """Straight from the database: the room's last_seq and its (seq, client_id) rows."""
    with psycopg.connect(database_url, connect_timeout=10) as conn:
        last_seq = conn.execute("SELECT last_seq FROM chat_room WHERE id = %s", [room]).fetchone()
        rows = conn.execute(
            "SELECT seq, client_id FROM chat_message WHERE room_id = %s ORDER BY seq", [room]
        ).fetchall()
    return last_seq[0], rows


async def test_postgres_outage_sends_are_unavailable_then_succeed_with_the_same_client_id(
    faulty,
):
    """PostgreSQL stops (pg_ctl stop -m fast) while a sender streams. Every send is answered:
    ``ack`` (stored before the stop) or ``error`` ``unavailable`` — never anything else, never
    an ack for what was not stored. During the outage new sends on both workers are
    ``unavailable``, the sockets stay open (a ping is answered), GET /api/v1/health is 503 with
    ``database: false``. Straight from the database after the restart: the stored messages are
    exactly the acked ones, seqs gapless, ``Room.last_seq`` equal to the highest (nothing
    half-stored, no seq burned). Then the refused sends, retried with the same client_ids, are
    acked and stored once; every client got every message exactly once."""
    cluster, room = faulty.cluster, faulty.seed.room
    a = faulty.client("a", "resident")  # sends on worker 1
    b = faulty.client("b", "neighbour")  # sends on worker 2
    r = faulty.client("r", "party_member")  # receives on worker 2
    clients = [a, b, r]
    acks: dict[str, dict] = {}
    refused: dict[str, dict] = {}
    try:
        await a.connect(cluster.worker_ws_url(1))
        await b.connect(cluster.worker_ws_url(2))
        await r.connect(cluster.worker_ws_url(2))
        first = faulty.seed.last_seq + 1

        stopped: list[int] = []

        async def stop_postgres_mid_stream() -> None:
            deadline = time.monotonic() + 30
            while len(acks) < 15 and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
            await asyncio.to_thread(faulty.pg.stop, "fast")
            stopped.append(len(acks))

        streamed = [f"pg-a{i:02d}" for i in range(40)]
        stopping = asyncio.create_task(stop_postgres_mid_stream())
        # A client backs off at the first `unavailable`: at most two sends are caught in flight.
        await stream(a, streamed, acks, refused, window=2, pace=0.02, stop_on_refusal=True)
        await asyncio.wait_for(stopping, 30)
        assert stopped, "PostgreSQL was not stopped"
        assert refused, "no send was refused after PostgreSQL stopped"
        assert {f["code"] for f in refused.values()} == {"unavailable"}, refused
        assert not set(refused) & set(acks)

        # The outage: new sends on both workers, a health check and a ping, all at once.
        t0 = time.monotonic()
        new = {"pg-a-out": a, "pg-b-out": b}
        answers, status, pong = await asyncio.gather(
            asyncio.gather(*(c.send_message(f"停库时 {cid}", cid, 60) for cid, c in new.items())),
            health(cluster.url),
            r.request({"type": "ping"}, 60),
        )
        waited = time.monotonic() - t0
        for cid, answer in zip(new, answers, strict=True):
            assert (answer["type"], answer.get("code")) == ("error", "unavailable"), answer
            assert answer.get("retry_after"), answer
            refused[cid] = answer
        assert status[0] == 503 and status[1]["database"] is False, status
        assert pong["type"] == "pong"
        assert a.connected and b.connected and r.connected, "a socket closed during the outage"

        await asyncio.to_thread(faulty.pg.start)
        # Nothing half-stored: exactly the acked messages exist; no seq was taken and lost.
        last_seq, rows = await asyncio.to_thread(_room_rows, faulty.database_url, room)
        assert [seq for seq, _ in rows] == list(range(1, last_seq + 1)), rows
        ours = {cid for _, cid in rows if cid and cid.startswith("pg-")}
        assert set(acks) <= ours, f"acked but not stored: {sorted(set(acks) - ours)}"
        assert ours <= set(acks) | set(refused), f"stored, never sent: {ours - set(acks)}"
        # A send refused while its COMMIT was under way may have been stored after all (the
        # server cannot know): the retry below must then ack it with that first seq.
        ambiguous = sorted(ours - set(acks))

        recovered = await wait_healthy(cluster.worker_urls, timeout=90)
        # The refused sends, retried with the same client_id by the same sender, succeed.
        refused_at_start = dict(refused)
        senders = {cid: (b if cid.startswith("pg-b") else a) for cid in refused}
        for cid, sender in senders.items():
            answer = await sender.send_message(f"消息 {cid}", cid, 30)
            assert answer["type"] == "ack", answer
            acks[cid] = answer
            refused.pop(cid)
        rest = [c for c in streamed if c not in acks]
        await stream(a, rest, acks, refused, window=4)
        assert not refused, refused
        client_ids = [*streamed, *new]
        assert set(acks) == set(client_ids)

        last = max(x["seq"] for x in acks.values())
        assert last == first + len(client_ids) - 1
        await finish(clients, first, last)
        check_room(await faulty.room_messages(), last, client_ids, acks)
        print(
            f"\nPostgreSQL stopped after {stopped[0]} acks; {len(refused_at_start)} sends refused "
            f"({len(ambiguous)} of them stored during the stop); outage answers took "
            f"{waited:.1f} s; healthy {recovered:.1f} s after the restart"
        )
    finally:
        await close_all(clients)


# --- Server bugs found by these tests, pinned until fixed (strict: a fix makes them XPASS) ----


async def test_health_check_leaves_no_channel_layer_subscription_behind(monkeypatch):
    """Each GET /api/v1/health rings the layer. On channels-redis' pubsub layer (the default) a
    new channel is a Redis subscription that only a cancelled ``receive()`` ever ends, so the
    probe reuses one channel per event loop: ten health checks leave no subscription behind
    (beyond that one probe channel)."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    from chat import broadcast

    with private_redis() as server:
        pubsub = RedisPubSubChannelLayer(hosts=[{"address": server.url}], prefix="leak")
        monkeypatch.setattr(broadcast, "_layer", lambda: pubsub)
        try:
            for _ in range(10):
                assert await broadcast.layer_round_trip()

            def subscribed() -> list[bytes]:
                with redis.Redis.from_url(server.url) as client:
                    return client.pubsub_channels("leak*")

            left = await asyncio.to_thread(subscribed)
        finally:
            await pubsub.flush()
    assert len(left) <= 1, f"10 health checks left {len(left)} subscriptions behind"


async def test_database_outage_does_not_stall_frames_that_need_no_database(faulty):
    """While PostgreSQL is down, a ``ping`` (no database) is still answered at once.

    Channels 4.3's ``AsyncConsumer.dispatch`` would hop onto the one shared database thread
    (``aclose_old_connections``) before every handler, so during an outage every frame of every
    socket queued behind ORM calls waiting out the pool timeout; Linli's consumer dispatches
    without that hop (chat.consumers.ChatConsumer.dispatch)."""
    cluster = faulty.cluster
    sender = faulty.client("sender", "resident")
    pinger = faulty.client("pinger", "neighbour")  # sends nothing that needs the database
    clients = [sender, pinger]
    sending = None
    try:
        await sender.connect(cluster.worker_ws_url(1))
        await pinger.connect(cluster.worker_ws_url(1))
        assert (await sender.send_message("停库前", "stall-0"))["type"] == "ack"
        await asyncio.to_thread(faulty.pg.stop, "fast")
        # Three sends in a row: the first fails fast on a broken pooled connection, the next
        # ones wait for the pool (10 s each) on the sync thread.
        answers = []
        for i in range(1, 4):
            frame = {"type": "send", "room": sender.room, "body": "停库时", "client_id": f"s{i}"}
            answers.append(await sender.submit(frame))
        sending = asyncio.gather(*answers, return_exceptions=True)
        await asyncio.sleep(0.5)
        slowest = 0.0
        for _ in range(6):
            start = time.monotonic()
            assert (await pinger.request({"type": "ping"}, timeout=3))["type"] == "pong"
            slowest = max(slowest, time.monotonic() - start)
            await asyncio.sleep(0.5)
        assert slowest < 1, f"a ping took {slowest:.1f} s"
    finally:
        await close_all(clients)  # the pending sends then end as Disconnected, at once
        if sending is not None:
            await sending
        # Else stopping the workers waits on their stuck sync thread (15 s, then SIGKILL).
        if not faulty.pg.accepts():
            await asyncio.to_thread(faulty.pg.start)
        with contextlib.suppress(AssertionError):
            await wait_healthy(cluster.worker_urls, timeout=20)
