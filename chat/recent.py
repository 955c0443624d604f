"""Each room's latest messages as this process delivered them, ready to write again for ``sync``.

After a worker restarts or a network comes back, thousands of sockets of the same 小区群 send
``sync`` for the same few messages. Read and encoded for each of them, that was most of a
restart storm's work (measured with 3,000 clients each missing 100 messages: a range query, a
hundred rows made into frames and a hundred encodings, per client). So the process keeps, per
room, the ready WebSocket frames of a contiguous run of its latest messages in both encodings,
and a ``sync`` whose range is all here is written from them: no range query, no encoding.

A run is fed by every new message the hub hands to the room's sockets (``heard``) and by the
pages a ``sync`` had to read from the database (``learn``). Whether it is still current is
decided by the database, not by the channel layer (which may drop an event): every edit or
deletion bumps the room's ``revision`` (``Room.revision``), each frame is kept with the revision
the room had when it was stored or read — or an earlier one — and a run is used only while the
room is still at the run's lowest revision (``chat.actions.reading.sync_pages`` checks it, with
the access check every ``sync`` makes anyway). An edit or tombstone the hub hears drops the run
at once.

A run is at most ``protocol.SYNC_BATCH`` long; when all runs together pass ``LINLI_RECENT_BYTES``
the least recently used are dropped. Frames are kept as delivered: an author who renames
themselves later shows under the new name in pages read from the database, under the old one
here (as in everything the open sockets already received).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from itertools import islice
from typing import Any

from chat import protocol
from chat.outbox import frame, framed

#: What one kept message costs besides its two frames (the pair, the deque's slot).
_OVERHEAD = 100

Ready = tuple[bytes, bytes]  # one message as a ready WebSocket frame: (JSON, msgpack)


class _Run:
    __slots__ = ("frames", "last", "revision", "size")

    def __init__(self, last: int, frames: deque[Ready], revision: int):
        self.last, self.frames, self.revision = last, frames, revision
        self.size = sum(_cost(f) for f in frames)

    @property
    def first(self) -> int:
        return self.last - len(self.frames) + 1


class RecentMessages:
    """The runs of one process (owned by its ``chat.fanout.Hub``)."""

    def __init__(self, budget_bytes: int, per_room: int = protocol.SYNC_BATCH):
        self.budget, self.per_room = budget_bytes, per_room
        self.runs: OrderedDict[int, _Run] = OrderedDict()  # least recently used first
        self.size = 0

    # --- Fed by the hub and by sync ------------------------------------------------------------

    def heard(self, event: dict[str, Any]) -> None:
        """A room event the hub is about to hand to the room's sockets."""
        room_id = event.get("room")
        if room_id is None or event.get("soft"):
            return
        seq, revision = event.get("seq"), event.get("revision")
        if seq is None or revision is None:
            # An edit or a tombstone (or a new message from a worker that sends no revision):
            # what is kept may be stale.
            self.forget(room_id)
            return
        run = self.runs.get(room_id)
        if run is not None and seq <= run.last:
            return  # heard already
        ready = (framed(event, binary=False), framed(event, binary=True))
        if run is None or seq != run.last + 1:
            self._replace(room_id, _Run(seq, deque([ready], self.per_room), revision))
        else:
            self._append(room_id, run, ready, revision)

    def learn(self, room_id: int, low: int, pages: list[Ready], revision: int) -> None:
        """Keep ``pages`` (seqs ``low + 1`` …, read at ``revision``) where they fit a run."""
        if not pages:
            return
        high = low + len(pages)
        run = self.runs.get(room_id)
        if run is None or run.revision != revision or run.last <= high:
            self._replace(
                room_id, _Run(high, deque(pages[-self.per_room :], self.per_room), revision)
            )
        elif run.first == high + 1 and len(run.frames) + len(pages) <= self.per_room:
            run.frames.extendleft(reversed(pages))
            added = sum(_cost(p) for p in pages)
            run.size += added
            self.size += added
            self._trim()

    def forget(self, room_id: int) -> None:
        run = self.runs.pop(room_id, None)
        if run is not None:
            self.size -= run.size

    # --- Read by sync --------------------------------------------------------------------------

    def kept(self, room_id: int, low: int, high: int) -> int | None:
        """The revision at which all of ``low < seq ≤ high`` is kept, or None if it is not."""
        run = self.runs.get(room_id)
        if run is None or low + 1 < run.first or high > run.last or high <= low:
            return None
        return run.revision

    def span(self, room_id: int, low: int, high: int, *, binary: bool) -> bytes:
        """The kept frames of ``low < seq ≤ high`` (see ``kept``), joined, in one encoding."""
        return b"".join(self.frames(room_id, low, high, binary=binary))

    def frames(self, room_id: int, low: int, high: int, *, binary: bool) -> list[bytes]:
        """The kept frames of ``low < seq ≤ high`` (see ``kept``), in seq order, one encoding."""
        run = self.runs[room_id]
        self.runs.move_to_end(room_id)
        start = low + 1 - run.first
        return [ready[binary] for ready in islice(run.frames, start, start + high - low)]

    # --- Bookkeeping -----------------------------------------------------------------------------

    def _replace(self, room_id: int, run: _Run) -> None:
        self.forget(room_id)
        self.runs[room_id] = run
        self.size += run.size
        self._trim()

    def _append(self, room_id: int, run: _Run, ready: Ready, revision: int) -> None:
        if len(run.frames) == self.per_room:  # the deque drops the oldest
            dropped = _cost(run.frames[0])
            run.size -= dropped
            self.size -= dropped
        run.frames.append(ready)
        run.last += 1
        run.revision = min(run.revision, revision)
        cost = _cost(ready)
        run.size += cost
        self.size += cost
        self.runs.move_to_end(room_id)
        self._trim()

    def _trim(self) -> None:
        while self.size > self.budget and self.runs:
            _room, run = self.runs.popitem(last=False)
            self.size -= run.size


def ready_pair(message: dict[str, Any]) -> Ready:
    """One ``message`` frame as a ready WebSocket frame in both encodings."""
    text, packed = protocol.encode_both(message)
    return frame(text.encode(), binary=False), frame(packed, binary=True)


def _cost(ready: Ready) -> int:
    return len(ready[0]) + len(ready[1]) + _OVERHEAD
