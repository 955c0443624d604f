"""An in-memory channel layer that insists on what Redis insists on: msgpack-safe payloads."""

import msgpack
from channels.layers import InMemoryChannelLayer


def _round_trip(message):
    return msgpack.unpackb(msgpack.packb(message, use_bin_type=True), raw=False)


class MsgpackCheckingInMemoryChannelLayer(InMemoryChannelLayer):
    #: Tests can set this to a callable(message) -> bool to drop events on purpose.
    drop_filter = None

    async def send(self, channel, message):
        await super().send(channel, _round_trip(message))

    async def group_send(self, group, message):
        message = _round_trip(message)
        if self.drop_filter is not None and self.drop_filter(message):
            return
        await super().group_send(group, message)
