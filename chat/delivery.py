"""One socket's delivery: what reaches the client, in order, once, and how it is written.

The consumer (``chat.consumers``) decides what to do with a client's frames; this object decides
how events and answers reach the client. The process's hub (``chat.fanout``) hands it each room
event (``deliver``) and each event for its person (``personal``), ready encoded; it drops
duplicates, fills gaps, keeps early events until the welcome is written, writes ready frames
straight to the transport, and closes a client that stopped reading.

Its life is an explicit state (``SocketState``): CONNECTING until the welcome is written (events
wait in ``early``), WELCOMED while live, CLOSING once a close has been decided (nothing more is
written), CLOSED after the hub has let go of it.

The seam between replayed and live messages: per room, ``live_from`` is the room's last seq when
the socket started receiving it live (in ``welcome`` or ``room_joined``). ``sync`` replays only up
to there; everything after comes live. ``ceilings`` is the highest seq given live: an event at or
below it is a duplicate and dropped, and an event that skips ahead means the layer dropped
something, so the socket fetches the missing range from the database before passing it on (later
events of that room wait in ``filling`` meanwhile, so the hub never waits on the database).

The hub calls ``deliver`` for thousands of sockets per message, so its usual case — the next seq,
to a socket whose transport can be written to — costs no coroutine, task, allocation or encoding.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections import deque
from collections.abc import Awaitable, Coroutine
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError

from chat import broadcast, outbox, protocol
from chat.actions import reading
from core import policy
from core.dbthreads import db
from core.errors import ActionError
from serving import transport as serving_transport

if TYPE_CHECKING:
    from chat.consumers import ChatConsumer

log = logging.getLogger(__name__)

#: How long a socket waits for messages that a later message overtook (published by another
#: worker, or by another database thread of this one) before it reads them from the database.
REORDER_GRACE_S = 0.25
#: A gap wider than this is a loss, not an overtaking: it is read from the database at once.
MAX_OVERTAKEN = 64


class SocketState(enum.Enum):
    """Where a socket is in its life, as far as delivery is concerned."""

    #: Handshake and welcome under way: events are kept in order until the welcome is written.
    CONNECTING = "connecting"
    #: The welcome is written: events are delivered live.
    WELCOMED = "welcomed"
    #: A close is decided (slow consumer, flood, revoked token): nothing more is written.
    CLOSING = "closing"
    #: Disconnected and let go by the hub.
    CLOSED = "closed"


_CONNECTING, _WELCOMED = SocketState.CONNECTING, SocketState.WELCOMED


class Delivery:
    """The per-socket delivery state: room ceilings, gap filling, early events, the writer and
    the slow-consumer guard. One per socket, for hours: slotted, no instance dict."""

    __slots__ = (
        "binary",
        "ceilings",
        "counted_from",
        "early",
        "encoding",
        "filling",
        "live_from",
        "outbox_limit",
        "overtaken",
        "personal_queue",
        "raw",
        "socket",
        "state",
        "tasks",
        "transport",
    )

    def __init__(self, socket: ChatConsumer, encoding: protocol.Encoding) -> None:
        #: The consumer this delivers for: its actor, its ASGI ``send`` and ``close``, and the
        #: control events (join or leave a room, revoke, refresh) it acts on.
        self.socket = socket
        self.encoding = encoding
        self.binary = encoding is protocol.Encoding.MSGPACK
        self.state = SocketState.CONNECTING
        self.ceilings: dict[int, int] = {}
        self.live_from: dict[int, int] = {}
        self.filling: dict[int, list[dict[str, Any]]] = {}
        self.overtaken: dict[int, tuple[set[int], asyncio.Event]] = {}
        #: Events heard before the welcome, in order (None once live: one less list per socket).
        self.early: list[tuple[bool, dict[str, Any]]] | None = []
        self.counted_from = 0
        self.personal_queue: deque[dict[str, Any]] | None = None
        self.tasks: set[asyncio.Task] = set()
        self.transport = serving_transport.find_transport(socket.base_send)
        self.raw = outbox.RawWriter.for_send(socket.base_send)
        self.outbox_limit: int = settings.LINLI_OUTBOX_LIMIT

    @property
    def closing(self) -> bool:
        """Whether a close is decided or done: nothing more is written."""
        return self.state is SocketState.CLOSING or self.state is SocketState.CLOSED

    # --- Life ------------------------------------------------------------------------------------

    def counting_from_here(self) -> None:
        """The welcome's online counts are read now: soft state kept before this is older."""
        self.counted_from = len(self.early or ())

    async def welcome(self, frame: dict[str, Any]) -> None:
        """Write the welcome, then the events that reached the socket before it, in the order
        they came, then go live.

        ``welcome`` is the first frame on every socket (PROTOCOL.md), but the socket hears its
        rooms from before the welcome is read, so that nothing falls between the two. Messages
        the welcome already counts are dropped by seq as usual; soft state (presence, typing)
        from before the welcome's online counts were read is dropped too, since those counts
        are newer. Events that arrive while this runs queue behind the rest.
        """
        self.ceilings = {entry["id"]: entry["last_seq"] for entry in frame["rooms"]}
        self.live_from = dict(self.ceilings)
        await self.send_frame(frame)
        early, index = self.early or [], 0
        while index < len(early):
            personal, event = early[index]
            soft = index < self.counted_from and event.get("soft")
            index += 1
            if soft or self.closing:
                continue
            if personal:
                await self._personal(event)
            else:
                pending = self._deliver(event)
                if pending is not None:
                    await pending
        self.early = None
        if self.state is _CONNECTING:
            self.state = SocketState.WELCOMED

    def close_decided(self) -> None:
        """A close is under way: write nothing more, stop filling gaps."""
        if self.state is not SocketState.CLOSED:
            self.state = SocketState.CLOSING

    def closed(self) -> None:
        """Disconnected: cancel this socket's own tasks."""
        self.state = SocketState.CLOSED
        self.early = None
        for task in list(self.tasks):
            task.cancel()

    def detach(self) -> None:
        """The socket's life is over: let go of its consumer, which holds this object, so that
        neither waits for the garbage collector (and with them the connection's objects:
        serving/teardown.py). Nothing is delivered once CLOSED, so nothing needs it again."""
        self.closed()
        self.socket = None  # type: ignore[assignment]

    async def restart(self) -> None:
        """The worker is stopping (``chat.fanout.Hub.restart``): the socket says goodbye."""
        if self.socket is not None:
            await self.socket.restart()

    def open_room(self, room_id: int, last_seq: int) -> None:
        """Start delivering a room live from ``last_seq`` (a ``room_joined``)."""
        self.ceilings[room_id] = self.live_from[room_id] = last_seq

    def close_room(self, room_id: int) -> bool:
        """Stop delivering a room; False if it was not delivered (nothing to announce)."""
        self.live_from.pop(room_id, None)
        self.filling.pop(room_id, None)
        return self.ceilings.pop(room_id, None) is not None

    # --- Room events from the hub ----------------------------------------------------------------

    def deliver(self, event: dict[str, Any]) -> Awaitable[None] | None:
        """A room event from the hub: drop duplicates, fill gaps, write the ready frame.

        The hub calls this for every socket of the room in turn, so the usual case — the next
        seq, to a socket whose transport we can write to — is written here and now, with no
        coroutine; anything else returns an awaitable, which the hub awaits before the next
        socket.
        """
        state = self.state
        if state is _WELCOMED:
            return self._deliver(event)
        if state is _CONNECTING and self.early is not None:
            self.early.append((False, event))  # before the welcome: see ``welcome``
        return None

    def _deliver(self, event: dict[str, Any]) -> Awaitable[None] | None:
        room_id, seq = event["room"], event.get("seq")
        waiting = self.filling.get(room_id)
        if waiting is not None:
            waiting.append(event)  # behind a gap being filled
            overtaken = self.overtaken.get(room_id)
            if overtaken is not None and seq is not None:
                missing, arrived = overtaken
                missing.discard(seq)
                if not missing:
                    arrived.set()
            return None
        if seq is not None:
            ceiling = self.ceilings.get(room_id)
            if ceiling is None or seq <= ceiling:
                return None  # not (yet) a room of this socket; or given, or sync will give it
            if seq > ceiling + 1:
                self.filling[room_id] = [event]
                self.spawn(self._fill_gap(room_id, ceiling, seq - 1))
                return None
            self.ceilings[room_id] = seq
        return None if self._write_now(event) else self._write_slow(event)

    async def _fill_gap(self, room_id: int, after: int, upto: int) -> None:
        """Send what is missing (after < seq ≤ upto), then the events that waited, in order.

        Messages stored by different workers (or database threads) are published by each, so
        one may overtake another on the way: the missing ones usually arrive within
        milliseconds. So wait for them, up to ``REORDER_GRACE_S``, and read from the database
        only what still has not come — otherwise one overtaking message sends every socket of
        the room to the database at once.
        """
        if upto - after <= MAX_OVERTAKEN:
            arrived_all = asyncio.Event()
            self.overtaken[room_id] = (set(range(after + 1, upto + 1)), arrived_all)
            try:
                await asyncio.wait_for(arrived_all.wait(), REORDER_GRACE_S)
            except TimeoutError:
                pass
            finally:
                self.overtaken.pop(room_id, None)
        arrived = {e["seq"] for e in self.filling.get(room_id, ()) if e.get("seq") is not None}
        if all(seq in arrived for seq in range(after + 1, upto + 1)):
            frames: list[dict[str, Any]] = []
            upto = after  # nothing lost: the waiting events close the gap themselves
        else:
            try:
                frames = await db(reading.gap)(self.socket.actor, room_id, after, upto)
            except (ActionError, DatabaseError):
                # The client sees the gap in seq and syncs: let that sync reach over the gap.
                self.live_from[room_id] = max(self.live_from.get(room_id, 0), upto)
                frames = []
        if room_id in self.ceilings:
            try:
                await self.write_ready([self.framed(frame) for frame in frames])
            except Exception:
                log.debug("socket closed while filling a gap", exc_info=True)
                return  # closing: nothing more to write
            self.ceilings[room_id] = max(self.ceilings[room_id], upto)
        waiting = self.filling.pop(room_id, [])
        for event in sorted(waiting, key=_in_seq_order):
            pending = self.deliver(event)
            if pending is not None:
                await pending

    # --- Events for this person from the hub -----------------------------------------------------

    async def personal(self, event: dict[str, Any]) -> None:
        """An event for this person only, from the hub: knocks, read markers, mentions, or a
        control (join or leave a room, close, reload).

        A control may wait on the database, so it runs in a task of the socket's own; events that
        arrive meanwhile queue behind it, keeping the order they were published in (a knock's
        ``room_joined`` before its ``knock_answered``).
        """
        state = self.state
        if state is _WELCOMED:
            await self._personal(event)
        elif state is _CONNECTING and self.early is not None:
            self.early.append((True, event))

    async def _personal(self, event: dict[str, Any]) -> None:
        if self.personal_queue is None and event.get("type") != broadcast.CONTROL:
            await self._write_event(event)
            return
        if self.personal_queue is None:
            self.personal_queue = deque()
            self.spawn(self._run_personal_queue())
        self.personal_queue.append(event)

    async def _run_personal_queue(self) -> None:
        queue = self.personal_queue
        while queue:
            event = queue[0]
            try:
                if event.get("type") == broadcast.CONTROL:
                    await self.socket.control(event)
                elif not self.closing:
                    await self._write_event(event)
            except Exception:
                log.exception("personal event %r failed", event.get("op") or event.get("type"))
            queue.popleft()
        self.personal_queue = None

    # --- Writing ---------------------------------------------------------------------------------

    async def _write_event(self, event: dict[str, Any]) -> None:
        if not self._write_now(event):
            await self._write_slow(event)

    def _write_now(self, event: dict[str, Any]) -> bool:
        """Write the event's ready frame straight to the transport; False if this socket can't."""
        if self.raw is None or (event.get("private") and not policy.may_see_who(self.socket.actor)):
            return False
        status = self.raw.write(outbox.framed(event, binary=self.binary))
        if status == outbox.QUEUED:
            self.check_outbox()
        return status != outbox.CLOSED

    async def _write_slow(self, event: dict[str, Any]) -> None:
        """Through the ASGI ``send``: another serving layer, or an observer's trimmed view."""
        if event.get("private") and not policy.may_see_who(self.socket.actor):
            await self.send_frame(broadcast.observer_view(event))  # counts, never who
        elif self.binary:
            await self.socket.send(bytes_data=event["msgpack"])
        else:
            await self.socket.send(text_data=event["json"])
        self.check_outbox()

    async def send_frame(self, frame: dict[str, Any]) -> None:
        """One frame: framed here and written to the transport where it can be (as room events
        are), else through the serving layer's ``send``, which frames it again in Python."""
        data = protocol.encode(frame, self.encoding)
        if self.raw is not None:
            status = self.raw.write(
                outbox.frame(data if self.binary else data.encode(), binary=self.binary)
            )
            if status == outbox.QUEUED:
                self.check_outbox()
            if status != outbox.CLOSED:
                return
        if isinstance(data, bytes):
            await self.socket.send(bytes_data=data)
        else:
            await self.socket.send(text_data=data)

    async def write_ready(self, wire: list[bytes]) -> None:
        """Ready WebSocket frames in order, in one write where the transport allows it (a
        ``sync`` of a hundred messages was a hundred trips through the serving layer's framing).
        """
        if self.raw is None:
            for data in wire:
                for payload in outbox.payloads(data):  # the serving layer frames them again
                    if self.binary:
                        await self.socket.send(bytes_data=payload)
                    else:
                        await self.socket.send(text_data=payload.decode())
            return
        if self.raw.write(b"".join(wire)) == outbox.QUEUED:
            self.check_outbox()

    async def write_sync(
        self, replies: list[tuple[int, int, list[bytes]]], more: dict[int, int], ref: str | None
    ) -> None:
        """A ``sync`` answer: each room's ready message frames (``(room, last seen, frames)``, in
        the order the client listed them), then ``synced``.

        At most ``SYNC_MAX_BYTES`` of frames (or half the outbox limit) are written in one answer:
        a room cut short, or not reached, is named in ``more`` with the last seq written, and the
        client syncs again from there. Each room's frames are one write, after which the
        slow-consumer guard looks at the outbox: a client that stopped reading is closed before
        the rest is written.
        """
        budget = min(protocol.SYNC_MAX_BYTES, self.outbox_limit // 2)
        more, sent = dict(more), 0
        for room_id, low, frames in replies:
            count, size = 0, 0
            for ready in frames:
                if sent + size + len(ready) > budget and sent + size:
                    break  # over the bound, and the answer is not empty: the rest comes next
                size += len(ready)
                count += 1
            if count:
                await self.write_ready(frames if count == len(frames) else frames[:count])
            sent += size
            if count < len(frames):
                more[room_id] = low + count
            if self.closing:
                return
        done = {"type": "synced", "more": {str(k): v for k, v in more.items()}}
        if ref is not None:
            done["ref"] = ref
        await self.send_frame(done)

    def framed(self, frame: dict[str, Any]) -> bytes:
        """A server frame as a ready WebSocket frame in this socket's encoding."""
        data = protocol.encode(frame, self.encoding)
        return outbox.frame(data if self.binary else data.encode(), binary=self.binary)

    def check_outbox(self) -> None:
        """Close a client that stopped reading before its unsent frames pile up in memory.

        Run after each write of Linli's own that had to queue, and by the hub's sweep for what
        the serving layer writes by itself (pongs): the measure is every byte unsent.
        """
        if self.transport is None or self.closing:
            return
        pending = outbox.pending_bytes(self.transport)
        if pending is not None and pending > self.outbox_limit:
            self.close_decided()
            log.warning(
                "closing slow consumer of person %s: %s bytes unsent",
                self.socket.actor.person_id,
                pending,
            )
            self.spawn(self.socket.close(code=protocol.CLOSE_SLOW_CONSUMER))

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run ``coro`` in a task of this socket's own, cancelled when it disconnects."""
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


def _in_seq_order(event: dict[str, Any]) -> float:
    """Messages by seq; events without one (edits, typing) after them, in arrival order."""
    seq = event.get("seq")
    return float("inf") if seq is None else seq
