"""Both channels-redis layers, for real: what the in-memory test layer cannot show."""

import asyncio
import os

import pytest

from tests.chat.conftest import connect, room_id

pytestmark = [pytest.mark.postgres_redis, pytest.mark.django_db(transaction=True)]
GARDEN = "翠湖苑小区群"

#: redis-py 8 made idle connections time out after 5 s and killed the core layer's receive loop.
IDLE_S = 6


def layer_settings(kind: str) -> dict:
    url = os.environ.get("LINLI_TEST_REDIS_URL", "")
    backend = {
        "core": "channels_redis.core.RedisChannelLayer",
        "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "pipelined": "serving.layers.PipelinedPubSubChannelLayer",
    }[kind]
    return {
        "default": {
            "BACKEND": backend,
            "CONFIG": {"hosts": [{"address": url}], "prefix": f"linli-layertest-{os.getpid()}"},
        }
    }


@pytest.mark.parametrize("kind", ["core", "pubsub", "pipelined"])
async def test_room_events_reach_sockets_after_an_idle_spell(tcast, settings, kind):
    settings.CHANNEL_LAYERS = layer_settings(kind)
    alice, bob = await connect(tcast.resident), await connect(tcast.neighbour)
    await asyncio.sleep(IDLE_S)
    room = room_id(alice, GARDEN)
    ack = await alice.request({"type": "send", "room": room, "body": "还在吗", "client_id": "idle"})
    got = await bob.recv_until("message")
    assert (got["seq"], got["body"]) == (ack["seq"], "还在吗")
    await alice.close(), await bob.close()
