"""Tools for the fault tests (tests/e2e/test_faults.py): seeding a cluster, and a client that
keeps every frame it receives across reconnects, so a test can prove "each message exactly once".

A helper, not a test module.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 10

#: Run in a subprocess with the cluster's environment (its database, not the test database):
#: the standard cast, a token per person, the 小区 A room. MD5 hashing only for speed.
SEED = """
import json, django
django.setup()
from django.conf import settings
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
from chat.models import Room
from community.tokens import issue_token
from tests.factories import make_cast
cast = make_cast()
people = ("resident", "neighbour", "party_member", "moderator", "resident_b")
room = Room.objects.get(neighbourhood=cast.garden)
print("SEED " + json.dumps({
    "room": room.pk,
    "last_seq": room.last_seq,
    "tokens": {name: issue_token(getattr(cast, name)) for name in people},
    "ids": {name: getattr(cast, name).pk for name in people},
}))
"""


@dataclass
class Seed:
    room: int
    last_seq: int
    tokens: dict[str, str]
    ids: dict[str, int]


def seed(env: dict[str, str]) -> Seed:
    """Create the cast in the database ``env`` names (a cluster's ``env``)."""
    result = subprocess.run(
        [sys.executable, "-c", SEED],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("SEED ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"seeding failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return Seed(**json.loads(line[5:]))


def http_json(url: str, token: str | None = None, timeout: float = 30) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body or b"null")
        except ValueError:
            return error.code, body.decode(errors="replace")


def all_messages(base_url: str, token: str, room: int) -> list[dict]:
    """Every message of a room, by paging back through GET /api/v1/rooms/<id>/messages."""
    pages: list[list[dict]] = []
    before = None
    for _ in range(1000):  # bounded: 100 per page
        query = "limit=100" + (f"&before={before}" if before else "")
        status, page = http_json(f"{base_url}/api/v1/rooms/{room}/messages?{query}", token)
        assert status == 200, (status, page)
        if not page:
            break
        pages.append(page)
        before = page[0]["seq"]
        if before <= 1:
            break
    return [m for page in reversed(pages) for m in page]


class Disconnected(Exception):
    """The socket closed before the answer came."""


@dataclass
class Socket:
    """What one socket of a client received: its welcome's last seq for the room, and the seqs
    of the room's messages in arrival order."""

    number: int
    url: str
    live_from: int
    seqs: list[int] = field(default_factory=list)
    close_code: int | None = None


class Client:
    """One person's client, across reconnects, watching one room.

    A reader task files every frame: answers (by ``ref``) to the waiting request, ``message``
    frames of the room into the current socket's record. Nothing is deduplicated: a seq received
    twice stays twice, for the test to see.
    """

    def __init__(self, name: str, token: str, room: int):
        self.name, self.token, self.room = name, token, room
        self.sockets: list[Socket] = []
        self.frames: dict[int, dict] = {}  # seq -> the first message frame with it
        self.errors: list[dict] = []  # error frames that were nobody's answer
        self.ws = None
        self._reader: asyncio.Task | None = None
        self._waiting: dict[str, asyncio.Future] = {}
        self._n = 0
        self._arrived = asyncio.Event()

    # --- connection -------------------------------------------------------------------------

    async def connect(self, ws_url: str) -> dict:
        await self.close()
        ws = await connect(
            f"{ws_url}?token={self.token}",
            subprotocols=["linli.v1.json"],
            open_timeout=TIMEOUT,
            max_queue=None,  # never push back on the server: the test reads everything
        )
        welcome = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        assert welcome["type"] == "welcome", welcome
        entry = next(r for r in welcome["rooms"] if r["id"] == self.room)
        self.ws = ws
        self.sockets.append(Socket(len(self.sockets) + 1, ws_url, entry["last_seq"]))
        self._reader = asyncio.create_task(self._read(ws, self.sockets[-1]))
        return welcome

    @property
    def socket(self) -> Socket:
        return self.sockets[-1]

    @property
    def connected(self) -> bool:
        return self._reader is not None and not self._reader.done()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        self.ws = self._reader = None

    async def wait_closed(self, timeout: float = TIMEOUT) -> None:
        if self._reader is not None:
            await asyncio.wait_for(asyncio.shield(self._reader), timeout)

    async def _read(self, ws, record: Socket) -> None:
        try:
            async for raw in ws:
                frame = json.loads(raw)
                kind, ref = frame.get("type"), frame.get("ref")
                if kind == "message" and frame.get("room") == self.room:
                    record.seqs.append(frame["seq"])
                    self.frames.setdefault(frame["seq"], frame)
                    self._arrived.set()
                if ref is not None and ref in self._waiting:
                    future = self._waiting.pop(ref)
                    if not future.done():
                        future.set_result(frame)
                elif kind == "error":
                    self.errors.append(frame)
        except ConnectionClosed:
            pass
        finally:
            record.close_code = ws.close_code
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(Disconnected(self.name))
            self._waiting.clear()

    # --- frames -----------------------------------------------------------------------------

    def _ref(self) -> str:
        self._n += 1
        return f"{self.name}-{self._n}"

    async def submit(self, frame: dict) -> asyncio.Future:
        """Send a frame with a fresh ref; the future resolves to its answer (or Disconnected)."""
        ref = self._ref()
        future = asyncio.get_running_loop().create_future()
        if not self.connected:
            future.set_exception(Disconnected(self.name))
            return future
        self._waiting[ref] = future
        try:
            await self.ws.send(json.dumps({**frame, "ref": ref}, ensure_ascii=False))
        except ConnectionClosed:
            self._waiting.pop(ref, None)
            if not future.done():
                future.set_exception(Disconnected(self.name))
        return future

    async def request(self, frame: dict, timeout: float = TIMEOUT) -> dict:
        return await asyncio.wait_for(await self.submit(frame), timeout)

    async def send_message(self, body: str, client_id: str, timeout: float = TIMEOUT) -> dict:
        frame = {"type": "send", "room": self.room, "body": body, "client_id": client_id}
        return await self.request(frame, timeout)

    async def sync(self, timeout: float = 30) -> int:
        """Sync the room from the highest seq seen until ``more`` is empty; frames land in the
        current socket's record. Returns how many sync rounds it took."""
        since = self.last_seen
        for rounds in range(1, 100):
            answer = await self.request({"type": "sync", "rooms": {str(self.room): since}}, timeout)
            assert answer["type"] == "synced", answer
            more = answer["more"].get(str(self.room))
            if more is None:
                return rounds
            since = more
        raise AssertionError("sync did not finish in 100 rounds")

    # --- what arrived -----------------------------------------------------------------------

    @property
    def all_seqs(self) -> list[int]:
        return [seq for s in self.sockets for seq in s.seqs]

    @property
    def last_seen(self) -> int:
        seen = self.all_seqs
        return max([*seen, self.sockets[0].live_from]) if self.sockets else 0

    async def wait_for_seq(self, seq: int, timeout: float) -> bool:
        """Wait until a message with ``seq`` has arrived (on any socket)."""
        deadline = time.monotonic() + timeout
        while seq not in self.frames:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._arrived.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(left, 0.5))
        return True


def check_streams(client: Client, first: int, last: int) -> None:
    """The client received every seq in first..last exactly once (no client-side dedup), and
    each socket's streams were in order: the live stream (seqs after the socket's welcome) is
    contiguous and ascending, the replay (seqs up to it) ascending."""
    seqs = client.all_seqs
    dupes = sorted({s for s in seqs if seqs.count(s) > 1})
    assert not dupes, f"{client.name} received seqs twice: {dupes[:20]}"
    missing = sorted(set(range(first, last + 1)) - set(seqs))
    assert not missing, f"{client.name} never received seqs {missing[:20]} (of {first}..{last})"
    extra = sorted(set(seqs) - set(range(first, last + 1)))
    assert not extra, f"{client.name} received seqs outside {first}..{last}: {extra[:20]}"
    for sock in client.sockets:
        live = [s for s in sock.seqs if s > sock.live_from]
        replay = [s for s in sock.seqs if s <= sock.live_from]
        expected_live = list(range(sock.live_from + 1, sock.live_from + 1 + len(live)))
        assert live == expected_live, (
            f"{client.name} socket {sock.number}: live stream not contiguous/in order: "
            f"{_first_difference(live, expected_live)}"
        )
        assert replay == sorted(replay), f"{client.name} socket {sock.number}: replay out of order"


def _first_difference(got: list[int], want: list[int]) -> str:
    for i, (a, b) in enumerate(zip(got, want, strict=False)):
        if a != b:
            return (
                f"at {i}: got {got[max(0, i - 3) : i + 5]}, expected {want[max(0, i - 3) : i + 5]}"
            )
    return f"lengths {len(got)} and {len(want)}"
