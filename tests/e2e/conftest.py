import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from websockets.asyncio.client import connect

from community.tokens import issue_token
from tests.e2e.servers import workers

TIMEOUT = 10


class Peer:
    """A real WebSocket client on a real server process."""

    def __init__(self, ws, welcome):
        self.ws, self.welcome = ws, welcome
        self.n = 0

    @classmethod
    async def open(cls, worker, person, **kw):
        token = await database_sync_to_async(issue_token)(person)
        ws = await connect(
            f"{worker.ws_url}?token={token}",
            subprotocols=["linli.v1.json"],
            open_timeout=TIMEOUT,
            **kw,
        )
        welcome = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        assert welcome["type"] == "welcome"
        return cls(ws, welcome)

    def room(self, name: str) -> int:
        return next(r["id"] for r in self.welcome["rooms"] if r["name"] == name)

    async def send(self, frame):
        await self.ws.send(json.dumps(frame, ensure_ascii=False))

    async def recv(self):
        return json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))

    async def request(self, frame):
        self.n += 1
        ref = f"e{self.n}"
        await self.send({**frame, "ref": ref})
        while (got := await self.recv()).get("ref") != ref:
            pass
        return got

    async def sync_all(self, rooms: dict[int, int]) -> list[dict]:
        """Sync until ``more`` is empty; return every replayed message."""
        got, pending = [], dict(rooms)
        while pending:
            await self.send(
                {"type": "sync", "rooms": {str(k): v for k, v in pending.items()}, "ref": "s"}
            )
            while (frame := await self.recv())["type"] != "synced":
                if frame["type"] == "message":
                    got.append(frame)
            pending = {int(k): v for k, v in frame["more"].items()}
        return got


@pytest.fixture
def two_workers(transactional_db, tmp_path):
    with workers(2, tmp_path) as pair:
        yield pair


@pytest.fixture
def one_worker(transactional_db, tmp_path):
    with workers(1, tmp_path, LINLI_OUTBOX_LIMIT="65536") as (worker,):
        yield worker
