"""channels-redis' pub/sub layer, with publishes pipelined instead of taken one at a time.

channels-redis 4.3 publishes under a per-shard lock shared with subscribing: each ``group_send``
waits for the previous one's round trip to Redis, and each round trip waits for a turn of the
worker's event loop. Measured with 10,000 sockets on a 2-vCPU machine, ~400 publishes a second
(messages, read markers, typing, presence) queued behind each other for 100–200 ms, and an
``ack`` waits for its message's publish. Here each shard keeps the publishes that arrive while
one batch is on the wire and sends them next as one pipeline: one round trip per batch, in the
order they were made (one connection, one sender), each caller still told when its own publish
has gone. Everything else — subscriptions, receiving, the wire format — is channels-redis' own.
"""

from __future__ import annotations

import asyncio

from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)

from serving.compat import channels_redis as compat


class PipelinedShardConnection(RedisSingleShardConnection):
    """One Redis server of the layer: publishes go out in batches, one pipeline each."""

    def __init__(self, host, channel_layer) -> None:
        super().__init__(host, channel_layer)
        self._outgoing: list[tuple[str, bytes, asyncio.Future]] = []
        self._sender: asyncio.Task | None = None

    async def publish(self, channel: str, message: bytes) -> None:
        done = asyncio.get_running_loop().create_future()
        self._outgoing.append((channel, message, done))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.ensure_future(self._send_batches())
        await done

    async def _send_batches(self) -> None:
        while self._outgoing:
            batch, self._outgoing = self._outgoing, []
            try:
                pipe = compat.redis_client(self).pipeline(transaction=False)
                for channel, message, _ in batch:
                    pipe.publish(channel, message)
                await pipe.execute()
            except Exception as err:  # Redis down: every caller in the batch hears of it
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(err)
            else:
                for _, _, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def flush(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            self._sender = None
        for _, _, done in self._outgoing:
            done.cancel()
        self._outgoing = []
        await super().flush()


class PipelinedPubSubLoopLayer(RedisPubSubLoopLayer):
    def __init__(self, hosts=None, *args, **kwargs) -> None:
        super().__init__(hosts, *args, **kwargs)
        shards = [PipelinedShardConnection(host, self) for host in compat.hosts(hosts)]
        compat.set_shards(self, shards)


class PipelinedPubSubChannelLayer(RedisPubSubChannelLayer):
    """``channels_redis.pubsub.RedisPubSubChannelLayer`` with pipelined publishes."""

    def _get_layer(self):  # channels-redis' hook for this loop's layer (serving.compat)
        return compat.loop_layer(self, PipelinedPubSubLoopLayer)
