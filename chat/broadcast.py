"""The only module that talks to the channel layer.

The layer is a doorbell, not a mailbox: it is at-most-once, a full channel drops silently, and
channels-redis forgets a group member after ``group_expiry``. So every event is published only
after the transaction that made it commits, every ``message`` carries its room's seq, and a client
that sees a gap (or reconnects) asks the database through ``sync``.

Each event is encoded once per message — JSON text and msgpack bytes — and each process's hub
(``chat.fanout``), which listens through the functions here, hands those bytes to its sockets as
they are, with no per-recipient encoding.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
import weakref
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer  # noqa: TID251  (this module is the exception)
from django.db import transaction

from chat import protocol

log = logging.getLogger(__name__)

#: Layer message types the consumer handles. Two types only, so a new kind of event never meets
#: an old worker's "No handler for message type" during a rolling deploy.
EVENT = "linli.event"
CONTROL = "linli.control"


def room_group(room_id: int) -> str:
    """The layer group of a room's sockets (ASCII, from the id: never from a room name)."""
    return f"room.{int(room_id)}"


def user_group(person_id: int) -> str:
    """The layer group of all of one person's sockets, on every worker."""
    return f"user.{int(person_id)}"


def _layer():
    return get_channel_layer()


# --- Listening: the process's hub (chat.fanout) subscribes through these ----------------------


async def new_channel() -> str:
    """A channel of this process to hear groups on.

    The default prefix: channels-redis' core layer reads all of a process's channels from one
    list named by it; another prefix would never be read.
    """
    return await _layer().new_channel()


async def subscribe(group: str, channel: str) -> None:
    """Hear ``group``'s events on ``channel`` (again: the layer forgets members after a day)."""
    await _layer().group_add(group, channel)


async def unsubscribe(group: str, channel: str) -> None:
    await _layer().group_discard(group, channel)


async def next_event(channel: str) -> dict[str, Any]:
    """The next event heard on ``channel`` (waits for one)."""
    return await _layer().receive(channel)


def event_message(
    frame: dict[str, Any],
    room_id: int | None = None,
    seq: int | None = None,
    private: tuple[str, ...] = (),
    person: int | None = None,
    soft: bool = False,
    revision: int | None = None,
) -> dict[str, Any]:
    """A layer message carrying one frame pre-encoded in both encodings (msgpack-safe).

    ``seq`` is set only for a new message in a room: the consumer uses it to drop what it already
    sent and to fill a gap from the database. Other room events (tombstones, edits, pins) carry
    none. ``private`` names fields observers must not see (see ``observer_view``). ``person``
    addresses an event to one person's sockets instead of a room's. ``soft`` marks soft state
    (presence, typing), which a newer snapshot supersedes: a socket drops what it heard
    before its welcome's online counts were read. ``revision`` goes with a new message: the
    room's revision (``Room.revision``) when it was stored, or earlier (see ``chat.recent``).
    """
    text, binary = protocol.encode_both(frame)
    message = {"type": EVENT, "json": text, "msgpack": binary, "room": room_id, "seq": seq}
    if private:
        message["private"] = list(private)
    if person is not None:
        message["person"] = person
    if soft:
        message["soft"] = True
    if revision is not None:
        message["revision"] = revision
    return message


def observer_view(message: dict[str, Any]) -> dict[str, Any]:
    """The frame of an event without its ``private`` fields: what an observer's socket gets
    (presence counts, never who)."""
    frame = json.loads(message["json"])
    for name in message.get("private") or ():
        frame.pop(name, None)
    return frame


#: Where events published inside ``collected`` wait for the event loop, per database thread.
_collecting = threading.local()

Published = list[tuple[str, dict[str, Any]]]


def collected(
    action: Callable[..., Any],
) -> Callable[..., tuple[Any, BaseException | None, Published]]:
    """Wrap an action so that what it publishes is returned, to be sent by ``send_collected``.

    A socket's frames run their action on the database thread. Publishing from there would
    hop back to the event loop and wait for it (``async_to_sync``) while the database thread —
    which every socket of the worker shares — stands idle; under load that wait was most of a
    send's time to ack. The wrapped action returns ``(result, error, events)``: events whose
    transaction committed are sent even when the action then failed.
    """

    def run(*args: Any, **kwargs: Any) -> tuple[Any, BaseException | None, Published]:
        outer = getattr(_collecting, "events", None)
        events: Published = []
        _collecting.events = events
        try:
            return action(*args, **kwargs), None, events
        except Exception as err:
            return None, err, events
        finally:
            _collecting.events = outer

    return run


async def send_collected(events: Published) -> None:
    """Send, in order, the events an action published (see ``collected``)."""
    for group, message in events:
        try:
            await _layer().group_send(group, message)
        except Exception:
            log.warning("channel layer publish to %s failed", group, exc_info=True)


def _send_now(group: str, message: dict[str, Any]) -> None:
    events = getattr(_collecting, "events", None)
    if events is not None:
        events.append((group, message))
        return
    try:
        async_to_sync(_layer().group_send)(group, message)
    except Exception:
        # The database already holds the change; clients fill the gap through sync.
        log.warning("channel layer publish to %s failed", group, exc_info=True)


def publish_room_event(
    room_id: int, frame: dict[str, Any], seq: int | None = None, revision: int | None = None
) -> None:
    """Publish ``frame`` to a room's sockets once the current transaction commits."""
    message = event_message(frame, room_id, seq, revision=revision)
    transaction.on_commit(lambda: _send_now(room_group(room_id), message))


def publish_user_event(person_id: int, frame: dict[str, Any]) -> None:
    """Publish ``frame`` to every socket of one person once the current transaction commits."""
    message = event_message(frame, person=person_id)
    transaction.on_commit(lambda: _send_now(user_group(person_id), message))


async def apublish_room_event_now(
    room_id: int, frame: dict[str, Any], private: tuple[str, ...] = ()
) -> None:
    """Publish soft state at once (typing; presence, whose ``users`` is ``private``): nothing is
    stored, so there is no commit to wait for."""
    try:
        message = event_message(frame, room_id, private=private, soft=True)
        await _layer().group_send(room_group(room_id), message)
    except Exception:
        log.warning("channel layer publish to room %s failed", room_id, exc_info=True)


def publish_user_control(person_id: int, op: str, **fields: Any) -> None:
    """Tell every socket of a person to change itself (join or leave a room group, close …)."""
    message = {"type": CONTROL, "op": op, "person": person_id, **fields}
    transaction.on_commit(lambda: _send_now(user_group(person_id), message))


class _Probe:
    """One reusable health-probe channel per event loop.

    On the pub/sub layer every new channel is a Redis subscription that only a cancelled receive
    ever ends: a fresh channel per probe would leak one subscription per health check.
    """

    def __init__(self) -> None:
        self.channel: str | None = None
        self.lock = asyncio.Lock()


_probes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Probe] = weakref.WeakKeyDictionary()


async def layer_round_trip() -> bool:
    """Ring a throwaway group and hear it on this loop's probe channel: the layer's health check.

    It goes through a group, as every chat event does (channels-redis' core layer spread over
    several Redis hosts loses direct sends to channels named on another host; groups are fine).
    Replies to earlier probes that timed out are skipped by their token.
    """
    probe = _probes.setdefault(asyncio.get_running_loop(), _Probe())
    channel_layer = _layer()
    async with probe.lock:
        if probe.channel is None:
            probe.channel = await new_channel()
        token = uuid.uuid4().hex
        group = f"health.{token}"
        await channel_layer.group_add(group, probe.channel)
        try:
            await channel_layer.group_send(group, {"type": "linli.health", "token": token})
            while (await channel_layer.receive(probe.channel)).get("token") != token:
                pass
        finally:
            await channel_layer.group_discard(group, probe.channel)
    return True
