"""The WebSocket consumer: translates frames to actions and events to frames, nothing more.

It holds no business rules and runs no ORM of its own: every client frame makes one
database hop (``core.dbthreads``) into an action, whose ``ActionError`` becomes an ``error`` frame
that echoes ``ref``. A bad frame never closes the socket; only abuse does (a frame over the hard
cap, sustained flooding), with a 4xxx code.

A socket has no channel-layer channel of its own: the process's hub (``chat.fanout``) receives
each room event once and hands it to ``deliver`` here, ready encoded and framed, and each event
for this person (knocks, read markers, membership changes) to ``personal``.

The seam between replayed and live messages: per room, ``live_from`` is the room's last seq when
the socket started receiving it live (in ``welcome`` or ``room_joined``). ``sync`` replays only up
to there; everything after comes live. ``ceilings`` is the highest seq given live: an event at or
below it is a duplicate and dropped, and an event that skips ahead means the layer dropped
something, so the socket fetches the missing range from the database before passing it on (later
events of that room wait in ``filling`` meanwhile, so the hub never waits on the database).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable
from typing import Any

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from chat import broadcast, events, fanout, outbox, protocol
from chat.actions import knocks, messages, moderation, reading, rooms
from chat.actions.access import actor_of, readable_room_ids
from chat.ratelimit import FloodGuard, TokenBucket, too_many_sockets
from chat.recent import fetch as fetch_recent
from community.ws_auth import Visitor, identify
from core.dbthreads import db
from core.errors import ActionError, ErrorCode
from core.policy import Actor
from presence import online as presence
from presence.actions import TypingThrottle, relay_typing
from serving import admission, heap, transport

log = logging.getLogger(__name__)

#: How long a socket waits for messages that a later message overtook (published by another
#: worker, or by another database thread of this one) before it reads them from the database.
REORDER_GRACE_S = 0.25
#: A gap wider than this is a loss, not an overtaking: it is read from the database at once.
MAX_OVERTAKEN = 64
#: Frames that cost a write; they draw on the send bucket.
METERED = frozenset({"send", "edit", "knock", "history", "sync", "pin", "mute", "delete"})


async def act(action, *args: Any) -> Any:
    """One hop into the service layer for an action; what it publishes is sent from here.

    See ``chat.broadcast.collected``: the database thread never waits on the event loop.
    """
    result, error, events = await db(broadcast.collected(action))(*args)
    await broadcast.send_collected(events)
    if error is not None:
        raise error
    return result


class ChatConsumer(AsyncWebsocketConsumer):
    #: No groups of Channels' own: the hub delivers (and no list per instance for them).
    groups = ()

    async def __call__(self, scope, receive, send) -> None:
        """The socket's life: each message from the serving layer, handled in turn, until close.

        Channels' ``AsyncConsumer.__call__`` waits through ``await_many_dispatch``: a task per
        receive callable and an ``asyncio.wait``, with their futures and contexts, held by
        every socket for as long as it is open. A socket here has one source (the hub calls
        ``deliver`` and ``personal`` directly; there is no layer channel per socket, which
        would cost a Redis subscription, a queue and a waiting task each), so it awaits
        ``receive`` itself, in the same order Channels would.
        """
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Route an ASGI message to its handler, without Channels' per-message hop.

        Channels 4.3 runs ``close_old_connections`` on the one shared database thread before
        every handler: each frame would queue behind any database work on the worker (and
        stall for the pool timeout during a database outage). Every ORM call here goes through
        ``core.dbthreads.db``, which closes old connections itself. An unknown type is
        logged, not fatal.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            log.warning("no handler for message type %r", message.get("type"))
            return
        await handler(message)

    # --- Connection lifecycle ----------------------------------------------------------------

    async def connect(self) -> None:
        offered = self.scope.get("subprotocols") or []
        subprotocol, self.encoding = protocol.choose_subprotocol(offered)
        self.binary = self.encoding is protocol.Encoding.MSGPACK
        self.ceilings: dict[int, int] = {}
        self.live_from: dict[int, int] = {}
        self.bucket = TokenBucket(settings.LINLI_SEND_RATE, settings.LINLI_SEND_BURST)
        self.flood = FloodGuard(settings.LINLI_FLOOD_STRIKES)
        self.typing = TypingThrottle()
        self.connection_id = presence.new_connection_id()
        self.personal_queue: deque[dict[str, Any]] | None = None
        self.transport = transport.find_transport(self.base_send)
        self.outbox_limit = settings.LINLI_OUTBOX_LIMIT
        self.closing = False
        self.raw = outbox.RawWriter.for_send(self.base_send)
        self.filling: dict[int, list[dict[str, Any]]] = {}
        self.overtaken: dict[int, tuple[set[int], asyncio.Event]] = {}
        self.joined: set[int] = set()
        self.tasks: set[asyncio.Task] = set()
        self.hub = fanout.hub()
        self.opened = False
        self.early: list[tuple[bool, dict[str, Any]]] | None = []
        self.counted_from = 0
        heap.start()
        async with admission.turn():
            if transport.closed(self.transport):
                return  # the client gave up while waiting its turn: nothing to open
            visitor = await identify(self.scope)
            if visitor is None:
                await self.close()  # before accept: refused, the socket never opens
                return
            await self._open(subprotocol, visitor)
        heap.connected()

    async def _open(self, subprotocol: str | None, visitor: Visitor) -> None:
        # The socket lives for hours: it keeps what it acts with (``actor``), not the person's
        # whole row (hashed ID, password hash, …), which was a few KiB of every connection.
        self.actor = Actor.of(visitor.person)
        self.token_id = visitor.token_id
        await self.accept(subprotocol)
        self.opened = True
        if too_many_sockets(await self.hub.join_person(self.actor.person_id, self)):
            await self.close(code=protocol.CLOSE_TOO_MANY_SOCKETS)
            return
        # Join the rooms before reading last_seq, so no message falls between the two.
        self.joined = set(await db(readable_room_ids)(self.actor))
        for room_id in self.joined:
            await self.hub.join(room_id, self)
        welcome = await db(reading.welcome)(self.actor, visitor.person)
        self.counted_from = len(self.early or ())
        await presence.connected(self.connection_id, self.actor, welcome)  # fills "online"
        self.ceilings = {entry["id"]: entry["last_seq"] for entry in welcome["rooms"]}
        self.live_from = dict(self.ceilings)
        await self.send_frame(welcome)
        await self._hand_over_early()

    async def _hand_over_early(self) -> None:
        """The events that reached the socket before its welcome, now, in the order they came.

        ``welcome`` is the first frame on every socket (PROTOCOL.md), but the socket hears its
        rooms from before the welcome is read, so that nothing falls between the two. Messages
        the welcome already counts are dropped by seq as usual; soft state (presence, typing)
        from before the welcome's online counts were read is dropped too, since those counts
        are newer. Events that arrive while this runs queue behind the rest.
        """
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

    async def disconnect(self, code: int) -> None:
        if not getattr(self, "opened", False):
            return
        self.closing = True
        for task in list(self.tasks):
            task.cancel()
        await presence.disconnected(self.connection_id, self.actor)
        for room_id in list(self.joined):
            await self.hub.leave(room_id, self)
        await self.hub.leave_person(self.actor.person_id, self)

    # --- Writing -----------------------------------------------------------------------------

    async def send_frame(self, frame: dict[str, Any]) -> None:
        """One frame: framed here and written to the transport where it can be (as room events
        are), else through the serving layer's ``send``, which frames it again in Python."""
        data = protocol.encode(frame, self.encoding)
        if self.raw is not None:
            status = self.raw.write(
                outbox.frame(data if self.binary else data.encode(), binary=self.binary)
            )
            if status == outbox.QUEUED:
                self._check_outbox()
            if status != outbox.CLOSED:
                return
        if isinstance(data, bytes):
            await self.send(bytes_data=data)
        else:
            await self.send(text_data=data)

    async def send_frames(self, frames: list[dict[str, Any]]) -> None:
        """Several frames in order, in one write where the transport allows it."""
        await self.write_ready([self._framed(frame) for frame in frames])

    async def write_ready(self, wire: list[bytes]) -> None:
        """Ready WebSocket frames in order, in one write where the transport allows it (a
        ``sync`` of a hundred messages was a hundred trips through the serving layer's framing).
        """
        if self.raw is None:
            for data in wire:
                await self._send_ready(data)
            return
        if self.raw.write(b"".join(wire)) == outbox.QUEUED:
            self._check_outbox()

    def _framed(self, frame: dict[str, Any]) -> bytes:
        data = protocol.encode(frame, self.encoding)
        return outbox.frame(data if self.binary else data.encode(), binary=self.binary)

    async def _send_ready(self, data: bytes) -> None:
        """Ready frames through the ASGI ``send`` (no raw transport): their payloads again."""
        for payload in outbox.payloads(data):
            if self.binary:
                await self.send(bytes_data=payload)
            else:
                await self.send(text_data=payload.decode())

    async def send_error(self, err: ActionError | protocol.ProtocolError, ref: str | None) -> None:
        with translation.override(self.actor.language):
            await self.send_frame(protocol.error_from(err, ref))

    # --- Client frames -------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        data = text_data if text_data is not None else bytes_data
        try:
            frame = protocol.decode(data if data is not None else "", self.encoding)
        except protocol.ProtocolError as err:
            await self.send_error(err, err.ref)
            if err.close_code:
                await self.close(code=err.close_code)
            return
        kind = frame_name(frame)
        handler = HANDLERS.get(kind)
        if handler is None:
            err = ActionError(ErrorCode.UNKNOWN_TYPE, _("这个服务器还不支持这种操作。"))
            await self.send_error(err, frame.ref)
            return
        if kind in METERED and not await self._within_rate(frame.ref):
            return
        try:
            await handler(self, frame)
        except ActionError as err:
            await self.send_error(err, frame.ref)
        except DatabaseError:
            log.warning("database unavailable for %s", kind, exc_info=True)
            await self.send_error(
                ActionError(
                    ErrorCode.UNAVAILABLE,
                    _("暂时无法保存，请用同一 client_id 重试。"),
                    retry_after=1,
                ),
                frame.ref,
            )
        except Exception:
            log.exception("unexpected error handling %s", kind)
            await self.send_error(ActionError(ErrorCode.INTERNAL, _("服务器出错了。")), frame.ref)

    async def _within_rate(self, ref: str | None) -> bool:
        wait = self.bucket.take()
        if not wait:
            self.flood.allowed()
            return True
        await self.send_error(
            ActionError(
                ErrorCode.RATE_LIMITED, _("发得太快了，请稍后再试。"), retry_after=round(wait, 2)
            ),
            ref,
        )
        if self.flood.refused():
            await self.close(code=protocol.CLOSE_FLOOD)
        return False

    async def on_send(self, f) -> None:
        sent = await act(
            messages.do_send,
            self.actor,
            f.room,
            f.body,
            f.client_id,
            f.reply_to,
            list(getattr(f, "mentions", None) or ()),
        )
        await self.send_frame(_ack(sent.message, f.ref))

    async def on_sync(self, f) -> None:
        """Replay what the client missed: from this process's kept frames where they reach
        (``chat.recent``: no range query, no encoding), from the database where not."""
        ranges, more = reading.sync_ranges(dict(f.rooms), self.live_from)
        recent = self.hub.recent
        kept = {}
        for room_id, (low, high) in ranges.items():
            revision = recent.kept(room_id, low, high)
            if revision is not None:
                kept[room_id] = revision
        answers = await db(fetch_recent)(self.actor, ranges, kept)
        wire = []
        for room_id, (revision, pages) in answers.items():
            low, high = ranges[room_id]
            if pages is None:
                wire.append(recent.span(room_id, low, high, binary=self.binary))
            else:
                recent.learn(room_id, low, pages, revision)
                wire.extend(ready[self.binary] for ready in pages)
        done = {"type": "synced", "more": {str(k): v for k, v in more.items()}}
        wire.append(self._framed(_with_ref(done, f.ref)))
        await self.write_ready(wire)

    async def on_history(self, f) -> None:
        page = await db(reading.history)(self.actor, f.room, f.before, f.limit)
        await self.send_frame(
            _with_ref({"type": "history", "room": f.room, "messages": page}, f.ref)
        )

    async def on_read(self, f) -> None:
        await act(messages.do_read, self.actor, f.room, f.seq)

    async def on_typing(self, f) -> None:
        await relay_typing(self.actor, f.room, self.ceilings, self.typing)

    async def on_ping(self, f) -> None:
        await self.send_frame(_with_ref({"type": "pong"}, f.ref))

    async def on_edit(self, f) -> None:
        msg = await act(messages.do_edit, self.actor, f.room, f.seq, f.body)
        await self.send_frame(_ack(msg, f.ref))

    async def on_delete(self, f) -> None:
        msg = await act(messages.do_delete, self.actor, f.room, f.seq)
        await self.send_frame(_ack(msg, f.ref))

    async def on_pin(self, f) -> None:
        await act(moderation.do_pin, self.actor, f.room, f.seq, f.title)
        await self._done(f)

    async def on_unpin(self, f) -> None:
        await act(moderation.do_unpin, self.actor, f.room, f.seq)
        await self._done(f)

    async def on_mute(self, f) -> None:
        until = await act(moderation.do_mute, self.actor, f.room, f.user, f.minutes)
        await self._done(f, until=until)

    async def on_unmute(self, f) -> None:
        await act(moderation.do_unmute, self.actor, f.room, f.user)
        await self._done(f)

    async def on_knock(self, f) -> None:
        result = await act(knocks.do_knock, self.actor, f.user, f.body, f.client_id)
        if "knock" in result:
            await self.send_frame(_with_ref({"type": "knocked", "knock": result["knock"]}, f.ref))
        else:
            await self.send_frame(_with_ref({"type": "ack", **result}, f.ref))

    async def on_knock_answer(self, f) -> None:
        result = await act(knocks.do_answer_knock, self.actor, f.knock, f.accept)
        await self._done(f, **result)

    async def on_block(self, f) -> None:
        await act(knocks.do_block, self.actor, f.user)
        await self._done(f)

    async def on_unblock(self, f) -> None:
        await act(knocks.do_unblock, self.actor, f.user)
        await self._done(f)

    async def on_join(self, f) -> None:
        outcome = await act(rooms.do_join_topic, self.actor, f.room)
        await self._done(f, room=f.room, outcome=outcome)

    async def on_leave(self, f) -> None:
        await act(rooms.do_leave_topic, self.actor, f.room)
        await self._done(f, room=f.room)

    async def on_join_answer(self, f) -> None:
        status = await act(rooms.do_answer_join, self.actor, f.room, f.user, f.accept)
        await self._done(f, room=f.room, user=f.user, status=status)

    async def on_remove(self, f) -> None:
        await act(rooms.do_remove_member, self.actor, f.room, f.user)
        await self._done(f)

    async def on_promote(self, f) -> None:
        await act(moderation.check_promote, self.actor, f.room, f.seq)

    async def _done(self, f, **fields: Any) -> None:
        """The generic answer to a moderation or room frame: ``{"type": "ok", "ref", …}``."""
        await self.send_frame(_with_ref({"type": "ok", "for": frame_name(f), **fields}, f.ref))

    # --- Layer events ----------------------------------------------------------------------------

    def deliver(self, event: dict[str, Any]) -> Awaitable[None] | None:
        """A room event from the hub: drop duplicates, fill gaps, write the ready frame.

        The hub calls this for every socket of the room in turn, so the usual case — the next
        seq, to a socket whose transport we can write to — is written here and now, with no
        coroutine; anything else returns an awaitable, which the hub awaits before the next
        socket.
        """
        if self.closing:
            return None
        if self.early is not None:
            self.early.append((False, event))  # before the welcome: see ``_hand_over_early``
            return None
        return self._deliver(event)

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
                self._spawn(self._fill_gap(room_id, ceiling, seq - 1))
                return None
            self.ceilings[room_id] = seq
        return None if self._write_now(event) else self._write_slow(event)

    async def personal(self, event: dict[str, Any]) -> None:
        """An event for this person only, from the hub: knocks, read markers, mentions, or a
        control (join or leave a room, close, reload).

        A control may wait on the database, so it runs in a task of the socket's own; events that
        arrive meanwhile queue behind it, keeping the order they were published in (a knock's
        ``room_joined`` before its ``knock_answered``).
        """
        if self.closing:
            return
        if self.early is not None:
            self.early.append((True, event))
            return
        await self._personal(event)

    async def _personal(self, event: dict[str, Any]) -> None:
        if self.personal_queue is None and event.get("type") != broadcast.CONTROL:
            await self._write_event(event)
            return
        if self.personal_queue is None:
            self.personal_queue = deque()
            self._spawn(self._run_personal_queue())
        self.personal_queue.append(event)

    async def _run_personal_queue(self) -> None:
        queue = self.personal_queue
        while queue:
            event = queue[0]
            try:
                if event.get("type") == broadcast.CONTROL:
                    await self.linli_control(event)
                elif not self.closing:
                    await self._write_event(event)
            except Exception:
                log.exception("personal event %r failed", event.get("op") or event.get("type"))
            queue.popleft()
        self.personal_queue = None

    async def _write_event(self, event: dict[str, Any]) -> None:
        if not self._write_now(event):
            await self._write_slow(event)

    def _write_now(self, event: dict[str, Any]) -> bool:
        """Write the event's ready frame straight to the transport; False if this socket can't."""
        if self.raw is None or (event.get("private") and self.actor.is_observer):
            return False
        status = self.raw.write(outbox.framed(event, binary=self.binary))
        if status == outbox.QUEUED:
            self._check_outbox()
        return status != outbox.CLOSED

    async def _write_slow(self, event: dict[str, Any]) -> None:
        """Through the ASGI ``send``: another serving layer, or an observer's trimmed view."""
        if event.get("private") and self.actor.is_observer:
            await self.send_frame(broadcast.observer_view(event))  # counts, never who
        elif self.binary:
            await self.send(bytes_data=event["msgpack"])
        else:
            await self.send(text_data=event["json"])
        self._check_outbox()

    def _check_outbox(self) -> None:
        """Close a client that stopped reading before its unsent frames pile up in memory."""
        if self.transport is None:
            return
        pending = outbox.pending_bytes(self.transport)
        if pending is not None and pending > self.outbox_limit:
            self.closing = True
            log.warning(
                "closing slow consumer of person %s: %s bytes unsent", self.actor.person_id, pending
            )
            self._spawn(self.close(code=protocol.CLOSE_SLOW_CONSUMER))

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

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
                frames = await db(reading.gap)(self.actor, room_id, after, upto)
            except (ActionError, DatabaseError):
                # The client sees the gap in seq and syncs: let that sync reach over the gap.
                self.live_from[room_id] = max(self.live_from.get(room_id, 0), upto)
                frames = []
        if room_id in self.ceilings:
            try:
                await self.send_frames(frames)
            except Exception:
                log.debug("socket closed while filling a gap", exc_info=True)
                return  # closing: nothing more to write
            self.ceilings[room_id] = max(self.ceilings[room_id], upto)
        waiting = self.filling.pop(room_id, [])
        for event in sorted(waiting, key=_in_seq_order):
            pending = self.deliver(event)
            if pending is not None:
                await pending

    async def linli_control(self, event: dict[str, Any]) -> None:
        op = event.get("op")
        if op == "join":
            await self._open_room(event["room"])
        elif op == "leave":
            await self._close_room(event["room"])
        elif op == "revoke" and self.token_id is not None and event.get("token") == self.token_id:
            await self.close(code=protocol.CLOSE_TOKEN_REVOKED)
        elif op == "refresh":
            await self._reload_actor()

    async def _open_room(self, room_id: int) -> None:
        if room_id in self.ceilings:
            return
        await self.hub.join(room_id, self)
        self.joined.add(room_id)
        entries = await db(reading.room_entries)(self.actor, [room_id])
        if not entries:
            self.joined.discard(room_id)
            await self.hub.leave(room_id, self)
            return
        self.ceilings[room_id] = self.live_from[room_id] = entries[0]["last_seq"]
        await presence.room_opened(self.connection_id, self.actor, entries[0])
        await self.send_frame({"type": "room_joined", "room": entries[0]})

    async def _close_room(self, room_id: int) -> None:
        self.live_from.pop(room_id, None)
        self.filling.pop(room_id, None)
        if room_id in self.joined:
            self.joined.discard(room_id)
            await self.hub.leave(room_id, self)
        if self.ceilings.pop(room_id, None) is None:
            return
        await presence.room_closed(self.connection_id, self.actor, room_id)
        await self.send_frame({"type": "room_left", "room": room_id})

    async def _reload_actor(self) -> None:
        self.actor = await db(actor_of)(self.actor.person_id)


def _in_seq_order(event: dict[str, Any]) -> float:
    """Messages by seq; events without one (edits, typing) after them, in arrival order."""
    seq = event.get("seq")
    return float("inf") if seq is None else seq


def frame_name(frame) -> str:
    return _FRAME_NAMES[type(frame)]


def _with_ref(frame: dict[str, Any], ref: str | None) -> dict[str, Any]:
    if ref is not None:
        frame["ref"] = ref
    return frame


def _ack(msg, ref: str | None) -> dict[str, Any]:
    return events.ack(msg, ref)


#: Frame type → handler: an explicit table, never ``getattr`` on what a client sent.
HANDLERS = {
    "send": ChatConsumer.on_send,
    "sync": ChatConsumer.on_sync,
    "history": ChatConsumer.on_history,
    "read": ChatConsumer.on_read,
    "typing": ChatConsumer.on_typing,
    "ping": ChatConsumer.on_ping,
    "edit": ChatConsumer.on_edit,
    "delete": ChatConsumer.on_delete,
    "pin": ChatConsumer.on_pin,
    "unpin": ChatConsumer.on_unpin,
    "mute": ChatConsumer.on_mute,
    "unmute": ChatConsumer.on_unmute,
    "knock": ChatConsumer.on_knock,
    "knock_answer": ChatConsumer.on_knock_answer,
    "block": ChatConsumer.on_block,
    "unblock": ChatConsumer.on_unblock,
    "join": ChatConsumer.on_join,
    "leave": ChatConsumer.on_leave,
    "join_answer": ChatConsumer.on_join_answer,
    "remove": ChatConsumer.on_remove,
    "promote": ChatConsumer.on_promote,
}

_FRAME_NAMES = {cls: name for name, cls in protocol.FRAME_TYPES.items()}
