"""Local fan-out: one layer subscription per room per process, one write per socket.

The usual Channels pattern subscribes every socket to its rooms' groups, so a message to a room of
3,000 costs 3,000 layer deliveries, 3,000 queue puts and 3,000 task wake-ups before any byte is
written. Here each process has one ``Hub``: it joins a room's group once, on behalf of all its
local sockets in that room, receives each event once, and hands it to each socket in a plain loop.
The event arrives already encoded (JSON text and msgpack bytes, by the publisher), and is framed
as a WebSocket frame once per encoding (``frame``), so where the serving layer lets us reach its
transport the per-socket work is a dictionary lookup and one ``transport.write``.

Only room events travel this way. Events for one person (knocks, read markers, membership
changes) still go to each of their sockets' own channel through the person's group: they are few.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import weakref
from typing import Any, Protocol

from chat.broadcast import layer, room_group

log = logging.getLogger(__name__)

#: channels-redis forgets a group member after ``group_expiry`` (a day): re-join well before.
GROUP_REFRESH_S = 3600.0


class Receiver(Protocol):
    """What the hub needs of a socket (``chat.consumers.ChatConsumer``)."""

    async def deliver(self, event: dict[str, Any]) -> None: ...


def frame(payload: bytes, *, binary: bool) -> bytes:
    """One unmasked, unfragmented server-to-client WebSocket frame (RFC 6455 §5.2)."""
    first = 0x82 if binary else 0x81  # FIN + opcode (binary 2, text 1)
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", first, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", first, 126, size)
    else:
        header = struct.pack("!BBQ", first, 127, size)
    return header + payload


def framed(event: dict[str, Any], *, binary: bool) -> bytes:
    """The event as a ready WebSocket frame in one encoding, built once and kept on the event."""
    key = "_msgpack_frame" if binary else "_json_frame"
    ready = event.get(key)
    if ready is None:
        payload = event["msgpack"] if binary else event["json"].encode()
        ready = event[key] = frame(payload, binary=binary)
    return ready


class Hub:
    """The process's room subscriptions and the sockets behind them (one per event loop)."""

    def __init__(self) -> None:
        self.rooms: dict[int, dict[Receiver, None]] = {}
        self.channel: str | None = None
        self._task: asyncio.Task | None = None
        self._refresher: asyncio.Task | None = None
        self._lock = asyncio.Lock()

    async def _start(self) -> None:
        if self.channel is None:
            # The default prefix: channels-redis' core layer reads all of a process's channels
            # from one list named by it; another prefix would never be read.
            self.channel = await layer().new_channel()
            self._task = asyncio.ensure_future(self._run())
            self._refresher = asyncio.ensure_future(self._refresh())

    async def join(self, room_id: int, receiver: Receiver) -> None:
        """Start handing the room's events to ``receiver``; subscribe the process if first."""
        async with self._lock:
            await self._start()
            members = self.rooms.get(room_id)
            if members is None:
                members = self.rooms[room_id] = {}
                await layer().group_add(room_group(room_id), self.channel)
            members[receiver] = None

    async def leave(self, room_id: int, receiver: Receiver) -> None:
        """Stop handing the room's events to ``receiver``; unsubscribe the process if last."""
        async with self._lock:
            members = self.rooms.get(room_id)
            if members is None or receiver not in members:
                return
            del members[receiver]
            if not members:
                del self.rooms[room_id]
                await layer().group_discard(room_group(room_id), self.channel)

    async def dispatch(self, event: dict[str, Any]) -> None:
        """Hand one room event to every local socket in the room, in order.

        ``deliver`` must not wait on anything slow (a socket that needs the database to fill a
        gap does that in a task of its own), or one socket would hold up the room.
        """
        members = self.rooms.get(event.get("room"))
        if not members:
            return
        for receiver in list(members):
            try:
                await receiver.deliver(event)
            except Exception:
                log.exception("delivering to a socket failed")

    async def _run(self) -> None:
        channel_layer = layer()
        while True:
            try:
                event = await channel_layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("hub receive failed; retrying", exc_info=True)
                await asyncio.sleep(1)
                continue
            await self.dispatch(event)

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(GROUP_REFRESH_S)
            for room_id in list(self.rooms):
                try:
                    await layer().group_add(room_group(room_id), self.channel)
                except Exception:
                    log.warning("hub group refresh failed", exc_info=True)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """This event loop's hub (a server process has one loop; tests make several)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub()
    return found
