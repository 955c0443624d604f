"""channels-redis' pub/sub layer, reached where it offers no hook (channels-redis 4.3.0,
constraints.txt).

``serving.layers`` replaces each shard connection's ``publish`` with a pipelined one. That needs
the shard's Redis client (``_ensure_redis``, ``_redis``), the loop layer's list of shards
(``_shards``), and the channel layer's per-loop layers with the arguments it builds them from
(``_layers``, ``_args``, ``_kwargs``, ``channels_redis.utils._wrap_close``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels_redis import utils
from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)

from serving.compat import Need, on


def redis_client(shard: RedisSingleShardConnection) -> Any:
    """The shard's Redis client, connected on first use as the shard itself does."""
    shard._ensure_redis()
    return shard._redis


def set_shards(layer: RedisPubSubLoopLayer, shards: list[RedisSingleShardConnection]) -> None:
    layer._shards = shards


def hosts(configured: Any) -> list[Any]:
    """The layer's Redis servers, decoded from its ``hosts`` setting as it decodes them."""
    return utils.decode_hosts(configured)


def loop_layer(
    layer: RedisPubSubChannelLayer, build: type[RedisPubSubLoopLayer]
) -> RedisPubSubLoopLayer:
    """This event loop's layer, built with ``build`` (and closed with the loop) when first used."""
    loop = asyncio.get_running_loop()
    found = layer._layers.get(loop)
    if found is None:
        found = layer._layers[loop] = build(*layer._args, **layer._kwargs, channel_layer=layer)
        utils._wrap_close(layer, loop)
    return found


def _shard() -> RedisSingleShardConnection:
    return RedisSingleShardConnection({"address": "redis://127.0.0.1:6379"}, None)


def _loop_layer() -> RedisPubSubLoopLayer:
    return RedisPubSubLoopLayer(hosts=["redis://127.0.0.1:6379"])


def _channel_layer() -> RedisPubSubChannelLayer:
    return RedisPubSubChannelLayer(hosts=["redis://127.0.0.1:6379"])


def needs() -> list[Need]:
    shard = "channels_redis.pubsub.RedisSingleShardConnection"
    channel_layer = "channels_redis.pubsub.RedisPubSubChannelLayer"
    return [
        *on(RedisSingleShardConnection, "_ensure_redis", "publish", "flush", name=shard),
        Need(shard, "_redis", _shard),
        Need("channels_redis.pubsub.RedisPubSubLoopLayer", "_shards", _loop_layer),
        *on(RedisPubSubChannelLayer, "_get_layer", name=channel_layer),
        *(Need(channel_layer, name, _channel_layer) for name in ("_layers", "_args", "_kwargs")),
        *on(utils, "_wrap_close", "decode_hosts", name="channels_redis.utils"),
    ]
