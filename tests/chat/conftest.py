import pytest

from chat.models import Room, RoomKind
from chat.protocol import Encoding
from core.policy import Actor


def actor(person) -> Actor:
    person.refresh_from_db()
    return Actor.of(person)


@pytest.fixture(params=[Encoding.JSON, Encoding.MSGPACK], ids=["json", "msgpack"])
def wire(request) -> Encoding:
    """A wire test runs once per encoding: the same frame gets the same answer in both."""
    return request.param


@pytest.fixture
def garden_room(cast):
    return Room.objects.get(neighbourhood=cast.garden)


@pytest.fixture
def community_room(cast):
    return Room.objects.get(
        community=cast.community, kind=RoomKind.NEIGHBOURHOOD, neighbourhood=None
    )


@pytest.fixture
def coordination_room(cast):
    return Room.objects.get(community=cast.community, kind=RoomKind.COORDINATION)


# --- Live sockets through the full ASGI application (auth, origin check, consumer) ------------

import json  # noqa: E402

import msgpack  # noqa: E402
from channels.db import database_sync_to_async  # noqa: E402
from channels.testing import WebsocketCommunicator  # noqa: E402

from community.tokens import issue_token  # noqa: E402

TIMEOUT = 5


class Client:
    """A test client on one socket: sends frames, reads them back decoded."""

    def __init__(self, communicator: WebsocketCommunicator, encoding: str = "json"):
        self.ws = communicator
        self.encoding = encoding
        self.welcome: dict = {}

    async def send(self, frame: dict) -> None:
        if self.encoding == "msgpack":
            await self.ws.send_to(bytes_data=msgpack.packb(frame, use_bin_type=True))
        else:
            await self.ws.send_to(text_data=json.dumps(frame, ensure_ascii=False))

    async def raw(self, *, text: str | None = None, data: bytes | None = None) -> None:
        """Any frame at all, the empty one included (which ``send_to`` refuses)."""
        message = {"type": "websocket.receive"}
        message["text" if text is not None else "bytes"] = text if text is not None else data
        await self.ws.send_input(message)

    async def recv(self, timeout: float = TIMEOUT) -> dict:
        out = await self.ws.receive_output(timeout)
        if out["type"] == "websocket.close":
            return {"type": "__closed__", "code": out.get("code"), "reason": out.get("reason")}
        if out.get("bytes") is not None:
            return msgpack.unpackb(out["bytes"], raw=False)
        return json.loads(out["text"])

    async def recv_until(self, kind: str, timeout: float = TIMEOUT) -> dict:
        while True:
            frame = await self.recv(timeout)
            if frame["type"] in (kind, "__closed__"):
                return frame

    async def request(self, frame: dict) -> dict:
        """Send a frame with a ref and return the answer with that ref."""
        request.n = getattr(request, "n", 0) + 1
        ref = f"r{request.n}"
        await self.send({**frame, "ref": ref})
        while True:
            got = await self.recv()
            if got.get("ref") == ref or got["type"] == "__closed__":
                return got

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.ws.receive_nothing(timeout)

    async def close(self) -> None:
        await self.ws.disconnect()


def request(*a):  # counter holder for Client.request
    return None


async def connect(person, *, subprotocols=None, encoding="json", headers=None, path=None) -> Client:
    from server.asgi import application

    token = await database_sync_to_async(issue_token)(person)
    communicator = WebsocketCommunicator(
        application,
        path or f"/ws/v1?token={token}",
        headers=headers or [],
        subprotocols=subprotocols,
    )
    connected, _sub = await communicator.connect(timeout=TIMEOUT)
    assert connected, "handshake refused"
    client = Client(communicator, encoding)
    client.welcome = await client.recv()
    assert client.welcome["type"] == "welcome"
    return client


def room_id(client: Client, name: str) -> int:
    return next(r["id"] for r in client.welcome["rooms"] if r["name"] == name)
