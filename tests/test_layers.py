"""The pub/sub layer with pipelined publishes (serving/layers.py), on a real Redis."""

import asyncio
import os
import socket

import pytest
from redis.asyncio.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError

from serving.layers import PipelinedPubSubChannelLayer

pytestmark = pytest.mark.postgres_redis


def make_layer(url: str | None = None) -> PipelinedPubSubChannelLayer:
    url = url or os.environ.get("LINLI_TEST_REDIS_URL", "")
    return PipelinedPubSubChannelLayer(
        hosts=[{"address": url}], prefix=f"linli-pipelined-{os.getpid()}"
    )


@pytest.fixture
async def layer():
    found = make_layer()
    yield found
    await found.flush()


async def subscribed(layer, group: str) -> str:
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    await asyncio.sleep(0.05)  # the SUBSCRIBE is answered asynchronously
    return channel


async def test_concurrent_publishes_arrive_in_the_order_they_were_made(layer):
    channel = await subscribed(layer, "room.1")
    await asyncio.gather(*(layer.group_send("room.1", {"type": "e", "n": n}) for n in range(300)))
    got = [(await asyncio.wait_for(layer.receive(channel), 5))["n"] for _ in range(300)]
    assert got == list(range(300))


async def test_publishes_made_while_one_is_on_the_wire_share_one_round_trip(layer, monkeypatch):
    await subscribed(layer, "room.2")
    batches = []
    execute = Pipeline.execute

    async def counted(self, *args, **kwargs):
        batches.append(len(self.command_stack))
        return await execute(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "execute", counted)
    await asyncio.gather(*(layer.group_send("room.2", {"type": "e", "n": n}) for n in range(300)))
    assert sum(batches) == 300
    assert len(batches) <= 3


async def test_each_publish_fails_loudly_when_redis_is_unreachable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe closes
    layer = make_layer(f"redis://127.0.0.1:{port}/0")
    results = await asyncio.wait_for(
        asyncio.gather(
            *(layer.group_send("room.3", {"type": "e", "n": n}) for n in range(5)),
            return_exceptions=True,
        ),
        10,
    )
    assert all(isinstance(r, RedisConnectionError) for r in results)
    await layer.flush()
