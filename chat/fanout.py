"""Local fan-out: one layer subscription per room per process, one write per socket.

The usual Channels pattern subscribes every socket to its rooms' groups, so a message to a room of
3,000 costs 3,000 layer deliveries, 3,000 queue puts and 3,000 task wake-ups before any byte is
written. Here each process has one ``Hub``: it joins a room's group once, on behalf of all its
local sockets in that room, receives each event once, and hands it to each socket in a plain loop.
The event arrives already encoded (JSON text and msgpack bytes, by the publisher), and is framed
as a WebSocket frame once per encoding (``chat.outbox.framed``), so where the serving layer lets
us reach its transport the per-socket work is a dictionary lookup and one ``transport.write``.

Events for one person (knocks, read markers, mentions, membership changes) travel the same way:
the hub joins the person's group once for all their sockets in this process. A socket has no
layer channel of its own, so connecting costs no Redis subscription of its own and keeps no
queue and no receiving task.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable
from typing import Any, Protocol

from django.conf import settings

from chat import broadcast
from chat.broadcast import CONTROL, room_group, user_group
from chat.ratelimit import PersonBudgets
from chat.recent import RecentMessages

log = logging.getLogger(__name__)

#: channels-redis forgets a group member after ``group_expiry`` (a day): re-join well before.
GROUP_REFRESH_S = 3600.0
#: How often every socket's unsent bytes are measured, besides after each write of Linli's own:
#: the serving layer writes to the transport too (pongs to WebSocket pings, close frames), and a
#: client that pings without reading must meet the slow-consumer guard as well.
OUTBOX_SWEEP_S = 1.0


class Receiver(Protocol):
    """What the hub needs of a socket (its ``chat.delivery.Delivery``)."""

    def deliver(self, event: dict[str, Any]) -> Awaitable[None] | None: ...

    async def personal(self, event: dict[str, Any]) -> None: ...

    def check_outbox(self) -> None: ...

    async def restart(self) -> None: ...


class Hub:
    """The process's room subscriptions and the sockets behind them (one per event loop)."""

    def __init__(self) -> None:
        #: Each room's latest messages, ready for ``sync`` (fed here, by ``dispatch``).
        self.recent = RecentMessages(settings.LINLI_RECENT_BYTES)
        #: What each person's sockets on this process may send, together (``chat.ratelimit``).
        self.budgets = PersonBudgets()
        self.rooms: dict[int, dict[Receiver, None]] = {}
        self.people: dict[int, dict[Receiver, None]] = {}
        self.channel: str | None = None
        self._task: asyncio.Task | None = None
        self._refresher: asyncio.Task | None = None
        self._sweeper: asyncio.Task | None = None
        self._lock = asyncio.Lock()

    async def _start(self) -> None:
        if self.channel is None:
            self.channel = await broadcast.new_channel()
            self._task = asyncio.ensure_future(self._run())
            self._refresher = asyncio.ensure_future(self._refresh())
            self._sweeper = asyncio.ensure_future(self._sweep_outboxes())

    async def join(self, room_id: int, receiver: Receiver) -> None:
        """Start handing the room's events to ``receiver``; subscribe the process if first."""
        await self._add(self.rooms, room_id, room_group(room_id), receiver)

    async def leave(self, room_id: int, receiver: Receiver) -> None:
        """Stop handing the room's events to ``receiver``; unsubscribe the process if last."""
        await self._discard(self.rooms, room_id, room_group(room_id), receiver)

    async def join_person(self, person_id: int, receiver: Receiver) -> int:
        """Hand ``receiver`` (one of the person's sockets) the events for that person; returns
        how many of the person's sockets this process now holds."""
        await self._add(self.people, person_id, user_group(person_id), receiver)
        return len(self.people.get(person_id, ()))

    async def leave_person(self, person_id: int, receiver: Receiver) -> None:
        await self._discard(self.people, person_id, user_group(person_id), receiver)

    async def _add(self, table: dict, key: int, group: str, receiver: Receiver) -> None:
        async with self._lock:
            await self._start()
            members = table.get(key)
            if members is None:
                members = table[key] = {}
                await broadcast.subscribe(group, self.channel)
            members[receiver] = None

    async def _discard(self, table: dict, key: int, group: str, receiver: Receiver) -> None:
        async with self._lock:
            members = table.get(key)
            if members is None or receiver not in members:
                return
            del members[receiver]
            if not members:
                del table[key]
                await broadcast.unsubscribe(group, self.channel)

    async def dispatch(self, event: dict[str, Any]) -> None:
        """Hand one room event to every local socket in the room, in order.

        ``deliver`` and ``personal`` must not wait on anything slow (a socket that needs the
        database does that in a task of its own), or one socket would hold up the others.
        """
        person = event.get("person")
        if person is not None or event.get("type") == CONTROL:
            members, personal = self.people.get(person), True
        else:
            members, personal = self.rooms.get(event.get("room")), False
            self.recent.heard(event)
        if not members:
            return
        for receiver in list(members):
            try:
                if personal:
                    await receiver.personal(event)
                else:
                    pending = receiver.deliver(event)  # usually written at once: no coroutine
                    if pending is not None:
                        await pending
            except Exception:
                log.exception("delivering to a socket failed")

    async def restart(self) -> None:
        """The worker is stopping: every local socket says goodbye, and the process waits until
        they have closed (``serving.shutdown`` bounds the wait)."""
        sockets = {receiver for members in self.people.values() for receiver in members}
        await asyncio.gather(*(receiver.restart() for receiver in sockets), return_exceptions=True)
        while self.people:
            await asyncio.sleep(0.05)  # each closing handshake ends in the socket's disconnect

    async def _run(self) -> None:
        while True:
            try:
                event = await broadcast.next_event(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("hub receive failed; retrying", exc_info=True)
                await asyncio.sleep(1)
                continue
            await self.dispatch(event)

    async def _sweep_outboxes(self) -> None:
        """Every socket's slow-consumer guard, once per ``OUTBOX_SWEEP_S``: one look at the
        transport's buffer each (every socket is in its person's set exactly once)."""
        while True:
            await asyncio.sleep(OUTBOX_SWEEP_S)
            for members in list(self.people.values()):
                for receiver in list(members):
                    try:
                        receiver.check_outbox()
                    except Exception:
                        log.exception("checking a socket's outbox failed")

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(GROUP_REFRESH_S)
            groups = [room_group(r) for r in self.rooms] + [user_group(p) for p in self.people]
            for group in groups:
                try:
                    await broadcast.subscribe(group, self.channel)
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
