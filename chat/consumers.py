"""The WebSocket consumer: frames in, actions called, answers out — and nothing else.

Each client frame is decoded (``chat.protocol``), looked up by its class in ``HANDLERS`` and
answered by one handler that makes one database hop (``core.dbthreads``) into an action; an
``ActionError`` becomes an ``error`` frame that echoes ``ref``. The consumer holds no business rules
and runs no ORM of its own. A bad frame never closes the socket; only abuse does (a frame over the
hard cap, sustained flooding), with a 4xxx code.

How events and answers reach the client — room ceilings, gap filling, events kept until the
welcome, the writer and the slow-consumer guard — is the socket's ``Delivery``
(``chat.delivery``), which the process's hub (``chat.fanout``) hands each room event and each
event for this person. A socket has no channel-layer channel of its own.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from chat import broadcast, events, fanout, protocol
from chat.actions import knocks, messages, moderation, reading, rooms
from chat.actions.access import actor_of, readable_room_ids
from chat.delivery import Delivery
from chat.protocol import frames as wire
from chat.ratelimit import BAD_FRAME_COST, FRAME_COSTS, too_many_sockets
from community.ws_auth import Visitor, identify
from core.dbthreads import db
from core.errors import ActionError, ErrorCode
from core.policy import Actor
from presence import online as presence
from presence.actions import TypingThrottle, relay_typing
from serving import admission, heap, shutdown, transport

log = logging.getLogger(__name__)


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
    """One chat socket: the person it acts for, and a handler per client frame class."""

    #: No groups of Channels' own: the hub delivers (and no list per instance for them).
    groups = ()
    #: Who the socket acts for; None until the handshake is identified and accepted.
    actor: Actor | None = None

    async def __call__(self, scope, receive, send) -> None:
        """The socket's life: each message from the serving layer, handled in turn, until close.

        Channels' ``AsyncConsumer.__call__`` waits through ``await_many_dispatch``: a task per
        receive callable and an ``asyncio.wait``, with their futures and contexts, held by
        every socket for as long as it is open. A socket here has one source (the hub calls
        its ``Delivery`` directly; there is no layer channel per socket, which would cost a
        Redis subscription, a queue and a waiting task each), so it awaits ``receive`` itself,
        in the same order Channels would.
        """
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass
        finally:
            delivery = getattr(self, "delivery", None)
            if delivery is not None:
                delivery.detach()  # no cycle left: the closed connection goes by refcount

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
        subprotocol, encoding = protocol.choose_subprotocol(offered)
        self.delivery = Delivery(self, encoding)
        self.typing = TypingThrottle()
        self.connection_id = presence.new_connection_id()
        self.joined: set[int] = set()
        self.hub = fanout.hub()
        heap.start()
        if self.delivery.raw is not None:  # a real daphne worker: say goodbye on SIGTERM
            shutdown.install(self.hub.restart)
        async with admission.turn():
            if transport.closed(self.delivery.transport):
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
        self.meter = self.hub.budgets.meter(self.actor.person_id)
        await self.accept(subprotocol)
        if too_many_sockets(await self.hub.join_person(self.actor.person_id, self.delivery)):
            await self.close(code=protocol.CLOSE_TOO_MANY_SOCKETS)
            return
        # Join the rooms before reading last_seq, so no message falls between the two.
        self.joined = set(await db(readable_room_ids)(self.actor))
        for room_id in self.joined:
            await self.hub.join(room_id, self.delivery)
        welcome = await db(reading.welcome)(self.actor, visitor.person)
        self.delivery.counting_from_here()
        await presence.connected(self.connection_id, self.actor, welcome)  # fills "online"
        await self.delivery.welcome(welcome)

    async def disconnect(self, code: int) -> None:
        if self.actor is None:
            return
        self.delivery.closed()
        self.hub.budgets.release(self.actor.person_id)
        await presence.disconnected(self.connection_id, self.actor)
        for room_id in list(self.joined):
            await self.hub.leave(room_id, self.delivery)
        await self.hub.leave_person(self.actor.person_id, self.delivery)

    async def restart(self) -> None:
        """The worker is stopping: tell the client when to come back (spread, so thousands do
        not reconnect in the same instant), then close with 4012 ``server_restart``."""
        if self.delivery.closing:
            return
        wait = round(random.uniform(1.0, settings.LINLI_RESTART_SPREAD_S), 1)  # noqa: S311  (jitter)
        await self.send_frame({"type": "restart", "retry_after": wait})
        await self.close(code=protocol.CLOSE_SERVER_RESTART)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        """Close the socket with the code's documented reason (docs/protocol.md, Close codes);
        from here on nothing more is delivered to it. Where autobahn is reached, it writes the
        close itself: daphne passes a close's code on but not its reason."""
        delivery = getattr(self, "delivery", None)
        if delivery is not None:
            delivery.close_decided()
        if isinstance(code, bool):
            code = None  # Channels: True means "no code"
        reason = reason or protocol.CLOSE_REASONS.get(code)
        raw = delivery.raw if delivery is not None else None
        if code is not None and raw is not None and raw.close(code, reason):
            return
        await super().close(code=code, reason=reason)

    # --- Client frames -------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        data = text_data if text_data is not None else bytes_data
        try:
            frame = protocol.decode(data if data is not None else "", self.delivery.encoding)
        except protocol.ProtocolError as err:
            if err.close_code:
                await self.send_error(err, err.ref)
                await self.close(code=err.close_code)
            elif await self._within_rate(BAD_FRAME_COST, err.ref):
                await self.send_error(err, err.ref)
            return
        handler = HANDLERS.get(type(frame))
        if handler is None:
            err = ActionError(ErrorCode.UNKNOWN_TYPE, _("这个服务器还不支持这种操作。"))
            await self.send_error(err, frame.ref)
            return
        if not await self._within_rate(FRAME_COSTS[type(frame)], frame.ref):
            return
        try:
            await handler(self, frame)
        except ActionError as err:
            await self.send_error(err, frame.ref)
        except DatabaseError:
            log.warning("database unavailable for %s", frame.type, exc_info=True)
            await self.send_error(
                ActionError(
                    ErrorCode.UNAVAILABLE,
                    _("暂时无法保存，请用同一 client_id 重试。"),
                    retry_after=1,
                ),
                frame.ref,
            )
        except Exception:
            log.exception("unexpected error handling %s", frame.type)
            await self.send_error(ActionError(ErrorCode.INTERNAL, _("服务器出错了。")), frame.ref)

    async def _within_rate(self, cost: float, ref: str | None) -> bool:
        """Charge the frame to the socket's and the person's budgets; refuse it if over."""
        wait = self.meter.charge(cost)
        if not wait:
            return True
        await self.send_error(
            ActionError(
                ErrorCode.RATE_LIMITED, _("发得太快了，请稍后再试。"), retry_after=round(wait, 2)
            ),
            ref,
        )
        if self.meter.flood.refused():
            await self.close(code=protocol.CLOSE_FLOOD)
        return False

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.delivery.send_frame(frame)

    async def send_error(self, err: ActionError | protocol.ProtocolError, ref: str | None) -> None:
        language = self.actor.language if self.actor is not None else None
        with translation.override(language):
            await self.delivery.send_frame(protocol.error_from(err, ref))

    async def on_send(self, f: wire.Send) -> None:
        sent = await act(
            messages.do_send, self.actor, f.room, f.body, f.client_id, f.reply_to, list(f.mentions)
        )
        await self.send_frame(events.ack(sent.message, f.ref))

    async def on_sync(self, f: wire.Sync) -> None:
        """Replay what the client missed: from this process's kept frames where they reach
        (``chat.recent``: no range query, no encoding), from the database where not."""
        delivery = self.delivery
        ranges, more = reading.sync_ranges(dict(f.rooms), delivery.live_from)
        recent = self.hub.recent
        kept = {}
        for room_id, (low, high) in ranges.items():
            revision = recent.kept(room_id, low, high)
            if revision is not None:
                kept[room_id] = revision
        answers = await db(reading.sync_ready)(self.actor, ranges, kept)
        replies = []
        for room_id, (revision, pages) in answers.items():
            low, high = ranges[room_id]
            if pages is None:
                ready = recent.frames(room_id, low, high, binary=delivery.binary)
            else:
                recent.learn(room_id, low, pages, revision)
                ready = [page[delivery.binary] for page in pages]
            replies.append((room_id, low, ready))
        await delivery.write_sync(replies, more, f.ref)

    async def on_history(self, f: wire.History) -> None:
        page = await db(reading.history)(self.actor, f.room, f.before, f.limit)
        await self.send_frame(
            _with_ref({"type": "history", "room": f.room, "messages": page}, f.ref)
        )

    async def on_read(self, f: wire.Read) -> None:
        await act(messages.do_read, self.actor, f.room, f.seq)

    async def on_typing(self, f: wire.Typing) -> None:
        await relay_typing(self.actor, f.room, self.delivery.ceilings, self.typing)

    async def on_ping(self, f: wire.Ping) -> None:
        await self.send_frame(_with_ref({"type": "pong"}, f.ref))

    async def on_edit(self, f: wire.Edit) -> None:
        msg = await act(messages.do_edit, self.actor, f.room, f.seq, f.body)
        await self.send_frame(events.ack(msg, f.ref))

    async def on_delete(self, f: wire.Delete) -> None:
        msg = await act(messages.do_delete, self.actor, f.room, f.seq)
        await self.send_frame(events.ack(msg, f.ref))

    async def on_pin(self, f: wire.Pin) -> None:
        await act(moderation.do_pin, self.actor, f.room, f.seq, f.title)
        await self._done(f)

    async def on_unpin(self, f: wire.Unpin) -> None:
        await act(moderation.do_unpin, self.actor, f.room, f.seq)
        await self._done(f)

    async def on_mute(self, f: wire.Mute) -> None:
        until = await act(moderation.do_mute, self.actor, f.room, f.user, f.minutes)
        await self._done(f, until=until)

    async def on_unmute(self, f: wire.Unmute) -> None:
        await act(moderation.do_unmute, self.actor, f.room, f.user)
        await self._done(f)

    async def on_knock(self, f: wire.Knock) -> None:
        result = await act(knocks.do_knock, self.actor, f.user, f.body, f.client_id)
        if "knock" in result:
            await self.send_frame(_with_ref({"type": "knocked", "knock": result["knock"]}, f.ref))
        else:
            await self.send_frame(_with_ref({"type": "ack", **result}, f.ref))

    async def on_knock_answer(self, f: wire.KnockAnswer) -> None:
        result = await act(knocks.do_answer_knock, self.actor, f.knock, f.accept)
        await self._done(f, **result)

    async def on_block(self, f: wire.Block) -> None:
        await act(knocks.do_block, self.actor, f.user)
        await self._done(f)

    async def on_unblock(self, f: wire.Unblock) -> None:
        await act(knocks.do_unblock, self.actor, f.user)
        await self._done(f)

    async def on_join(self, f: wire.Join) -> None:
        outcome = await act(rooms.do_join_topic, self.actor, f.room)
        await self._done(f, room=f.room, outcome=outcome)

    async def on_leave(self, f: wire.Leave) -> None:
        await act(rooms.do_leave_topic, self.actor, f.room)
        await self._done(f, room=f.room)

    async def on_join_answer(self, f: wire.JoinAnswer) -> None:
        status = await act(rooms.do_answer_join, self.actor, f.room, f.user, f.accept)
        await self._done(f, room=f.room, user=f.user, status=status)

    async def on_remove(self, f: wire.Remove) -> None:
        await act(rooms.do_remove_member, self.actor, f.room, f.user)
        await self._done(f)

    async def on_promote(self, f: wire.Promote) -> None:
        await act(moderation.check_promote, self.actor, f.room, f.seq)

    async def _done(self, f: wire.Frame, **fields: Any) -> None:
        """The generic answer to a moderation or room frame: ``{"type": "ok", "ref", …}``."""
        await self.send_frame(_with_ref({"type": "ok", "for": f.type, **fields}, f.ref))

    # --- Control events for this person (from ``Delivery``, in publication order) ---------------

    async def control(self, event: dict[str, Any]) -> None:
        """Act on a control event: a room joined or left, a token revoked, the person changed."""
        op = event.get("op")
        if op == "join":
            await self._open_room(event["room"])
        elif op == "leave":
            await self._close_room(event["room"])
        elif op == "revoke" and self.token_id is not None and event.get("token") == self.token_id:
            await self.close(code=protocol.CLOSE_TOKEN_REVOKED)
        elif op == "sign_out" and (self.token_id is None or event.get("tokens")):
            await self.close(code=protocol.CLOSE_TOKEN_REVOKED)  # logout, password change
        elif op == "remove":
            await self.close(code=protocol.CLOSE_REMOVED)  # deactivated
        elif op == "refresh":
            await self._reload_actor()

    async def _open_room(self, room_id: int) -> None:
        if room_id in self.delivery.ceilings:
            return
        await self.hub.join(room_id, self.delivery)
        self.joined.add(room_id)
        entries = await db(reading.room_entries)(self.actor, [room_id])
        if not entries:
            self.joined.discard(room_id)
            await self.hub.leave(room_id, self.delivery)
            return
        self.delivery.open_room(room_id, entries[0]["last_seq"])
        await presence.room_opened(self.connection_id, self.actor, entries[0])
        await self.send_frame({"type": "room_joined", "room": entries[0]})

    async def _close_room(self, room_id: int) -> None:
        delivered = self.delivery.close_room(room_id)
        if room_id in self.joined:
            self.joined.discard(room_id)
            await self.hub.leave(room_id, self.delivery)
        if not delivered:
            return
        await presence.room_closed(self.connection_id, self.actor, room_id)
        await self.send_frame({"type": "room_left", "room": room_id})

    async def _reload_actor(self) -> None:
        """Who the person is now (role, 小区, community), and the rooms that follow from it:
        those lost are left, those gained opened, as ``room_left`` / ``room_joined``."""
        self.actor = await db(actor_of)(self.actor.person_id)
        if not self.actor.approved:
            await self.close(code=protocol.CLOSE_REMOVED)
            return
        readable = set(await db(readable_room_ids)(self.actor))
        held = self.joined | set(self.delivery.ceilings)
        for room_id in sorted(held - readable):
            await self._close_room(room_id)
        for room_id in sorted(readable - held):
            await self._open_room(room_id)


def _with_ref(frame: dict[str, Any], ref: str | None) -> dict[str, Any]:
    if ref is not None:
        frame["ref"] = ref
    return frame


Handler = Callable[[ChatConsumer, Any], Awaitable[None]]

#: Frame class → handler: an explicit table, never ``getattr`` on what a client sent.
HANDLERS: dict[type[wire.Frame], Handler] = {
    wire.Send: ChatConsumer.on_send,
    wire.Sync: ChatConsumer.on_sync,
    wire.History: ChatConsumer.on_history,
    wire.Read: ChatConsumer.on_read,
    wire.Typing: ChatConsumer.on_typing,
    wire.Ping: ChatConsumer.on_ping,
    wire.Edit: ChatConsumer.on_edit,
    wire.Delete: ChatConsumer.on_delete,
    wire.Pin: ChatConsumer.on_pin,
    wire.Unpin: ChatConsumer.on_unpin,
    wire.Mute: ChatConsumer.on_mute,
    wire.Unmute: ChatConsumer.on_unmute,
    wire.Knock: ChatConsumer.on_knock,
    wire.KnockAnswer: ChatConsumer.on_knock_answer,
    wire.Block: ChatConsumer.on_block,
    wire.Unblock: ChatConsumer.on_unblock,
    wire.Join: ChatConsumer.on_join,
    wire.Leave: ChatConsumer.on_leave,
    wire.JoinAnswer: ChatConsumer.on_join_answer,
    wire.Remove: ChatConsumer.on_remove,
    wire.Promote: ChatConsumer.on_promote,
}
