"""docs/protocol.md's JSON examples, checked against the server so the two cannot drift apart.

Every object in a ```json block is read (``…`` stands for "more fields" and is dropped). Client
frames (after ``→``) must decode; server frames and HTTP bodies must have every documented field,
with the documented JSON type, in what the server really sends in a scripted conversation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.test import Client as HttpClient

from chat import protocol
from chat.actions import rooms
from community.tokens import issue_token
from tests.chat.conftest import actor, connect, room_id

DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"
GARDEN = "翠湖苑小区群"


def _objects(block: str) -> list[tuple[str, str]]:
    """(direction, text) for every top-level ``{…}`` in a block: ``client`` after an arrow →."""
    found, depth, start, in_string, escaped = [], 0, 0, False, False
    for i, ch in enumerate(block):
        if in_string:
            escaped = not escaped and ch == "\\"
            in_string = escaped or ch != '"'
            continue
        if ch == '"' and depth:
            in_string = True
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                line_start = block.rfind("\n", 0, start) + 1
                direction = "client" if "→" in block[line_start:start] else "server"
                found.append((direction, block[start : i + 1]))
    return found


def _examples() -> list[tuple[str, str]]:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)
    return [example for block in blocks for example in _objects(block)]


def _parse(text: str) -> dict:
    """The example as JSON, its ``…`` placeholders dropped."""
    text = re.sub(r",\s*…\s*(?=[}\]])", "", text).replace("{…}", "{}")
    return json.loads(text)


EXAMPLES = _examples()
CLIENT = [_parse(text) for direction, text in EXAMPLES if direction == "client"]
SERVER = [_parse(text) for direction, text in EXAMPLES if direction == "server"]


def _key(frame: dict) -> str:
    """What an example is matched by: its type, and for ``ok`` and ``error`` what it answers."""
    if "error" in frame and "type" not in frame:
        return f"http error {frame['error']['code']}"
    if frame["type"] == "ok":
        return f"ok {frame['for']}"
    if frame["type"] == "error":
        return f"error {frame['code']}"
    return frame["type"]


def _mismatches(doc, real, path: str = "") -> list[str]:
    """Where the documented value's shape is not what the server sent (extra fields are fine;
    an empty list or map sent matches any documented one)."""
    if isinstance(doc, dict):
        if not isinstance(real, dict):
            return [f"{path}: documented an object, sent {real!r}"]
        if doc and all(name.isdigit() for name in doc):  # a map keyed by room id
            if not real:
                return []
            return _mismatches(next(iter(doc.values())), next(iter(real.values())), path)
        return [
            problem
            for name, value in doc.items()
            for problem in (
                _mismatches(value, real[name], f"{path}.{name}")
                if name in real
                else [f"{path}.{name}: documented, not sent"]
            )
        ]
    if isinstance(doc, list):
        if not isinstance(real, list):
            return [f"{path}: documented a list, sent {real!r}"]
        return _mismatches(doc[0], real[0], f"{path}[0]") if doc and real else []
    if doc is None or real is None or type(doc) is type(real):
        return []
    return [f"{path}: documented {type(doc).__name__}, sent {type(real).__name__}"]


def test_the_page_has_examples_of_both_directions():
    assert len(CLIENT) >= 15 and len(SERVER) >= 20


@pytest.mark.parametrize("text", [text for _d, text in EXAMPLES], ids=lambda t: t[:40])
def test_every_example_is_json(text):
    assert isinstance(_parse(text), dict)


@pytest.mark.parametrize("frame", CLIENT, ids=lambda f: f"{f['type']}-{f.get('ref')}")
def test_every_documented_client_frame_decodes(frame):
    decoded = protocol.decode(json.dumps(frame, ensure_ascii=False), protocol.Encoding.JSON)
    assert decoded.ref == frame.get("ref")


# --- What the server really sends ------------------------------------------------------------


@database_sync_to_async
def _http_errors(person, room: int) -> list[dict]:
    http = HttpClient()
    wrong = {"username": person.username, "password": "not-the-password"}
    refused = http.post("/api/v1/auth/token", wrong, content_type="application/json")
    headers = {"Authorization": f"Bearer {issue_token(person)}"}
    outside = http.get(f"/api/v1/rooms/{room}/messages", headers=headers)
    return [refused.json(), outside.json()]


@database_sync_to_async
def _rooms(cast) -> tuple[int, int]:
    cadre = actor(cast.cadre)
    open_room = rooms.create_topic_room(cadre, name="遛狗群")
    approval = rooms.create_topic_room(cadre, name="合唱团", open_to_all=False)
    return open_room.pk, approval.pk


async def _conversation(cast) -> list[dict]:
    """A scripted conversation that makes every documented server frame once."""
    seen: list[dict] = []
    cadre, police = await connect(cast.cadre), await connect(cast.police)
    resident, neighbour = await connect(cast.resident), await connect(cast.neighbour)
    room = room_id(resident, GARDEN)

    async def ask(client, frame: dict) -> dict:
        seen.append(answer := await client.request(frame))
        return answer

    async def hear(client, kind: str) -> dict:
        seen.append(frame := await client.recv_until(kind))
        return frame

    first = await ask(resident, {"type": "send", "room": room, "body": "大家好", "client_id": "d1"})
    reply = {"room": room, "body": "电梯修好了", "reply_to": first["seq"], "mentions": [31]}
    sent = await ask(neighbour, {"type": "send", "client_id": "d2", **reply})
    await hear(cadre, "message")
    await ask(resident, {"type": "history", "room": room})
    await resident.send({"type": "sync", "ref": "s", "rooms": {str(room): 0}})
    await hear(resident, "synced")
    await ask(resident, {"type": "ping"})
    await ask(resident, {"type": "send", "room": room, "body": "长" * 5000, "client_id": "d3"})
    await ask(cadre, {"type": "pin", "room": room, "seq": sent["seq"], "title": "电梯维修议题"})
    await hear(resident, "pins")
    await ask(cadre, {"type": "mute", "room": room, "user": cast.resident.pk, "minutes": 60})
    await hear(resident, "muted")
    await ask(resident, {"type": "send", "room": room, "body": "喂", "client_id": "d4"})
    await ask(cadre, {"type": "unmute", "room": room, "user": cast.resident.pk})
    await hear(resident, "unmuted")
    await ask(resident, {"type": "edit", "room": room, "seq": first["seq"], "body": "大家早"})
    await hear(cadre, "edited")
    await ask(resident, {"type": "delete", "room": room, "seq": first["seq"]})
    await ask(resident, {"type": "promote", "room": room, "seq": sent["seq"], "title": "电梯"})
    await ask(cadre, {"type": "promote", "room": room, "seq": sent["seq"], "title": "电梯"})
    other = await connect(cast.resident_b)
    knock = await ask(
        resident, {"type": "knock", "user": cast.resident_b.pk, "body": "您好", "client_id": "k"}
    )
    await hear(other, "knock")
    await ask(resident, {"type": "block", "user": cast.owners.pk})
    await ask(other, {"type": "knock_answer", "knock": knock["knock"]["id"], "accept": True})
    await hear(resident, "knock_answered")
    open_room, approval = await _rooms(cast)
    await ask(resident, {"type": "join", "room": open_room})
    await hear(resident, "room_joined")
    await ask(resident, {"type": "join", "room": approval})
    answer = {"type": "join_answer", "room": approval, "user": cast.resident.pk, "accept": True}
    await ask(cadre, answer)
    await hear(resident, "join_answered")
    for n in range(30):  # past the burst of metered frames
        await neighbour.send({"type": "history", "room": room, "ref": f"h{n}"})
    seen.append(await neighbour.recv_until("error"))
    again = await connect(cast.cadre)  # a welcome with pins, unread counts and officials on duty
    seen.append(again.welcome)
    coordination = next(r["id"] for r in cadre.welcome["rooms"] if r["kind"] == "coordination")
    seen.extend(await _http_errors(cast.resident, coordination))
    for client in (cadre, police, resident, neighbour, other, again):
        await client.close()
    return seen


#: Documented frames the conversation cannot make yet, and why.
NOT_SERVED = {"issue": "tracked issues are not served yet"}


@pytest.mark.django_db(transaction=True)
async def test_every_documented_server_frame_is_what_the_server_sends(tcast):
    sent = {}
    for frame in await _conversation(tcast):
        sent.setdefault(_key(frame), frame)
    problems = []
    for example in SERVER:
        key = _key(example)
        if key in NOT_SERVED:
            continue
        if key not in sent:
            problems.append(f"{key}: documented, never sent")
            continue
        problems += [f"{key}{problem}" for problem in _mismatches(example, sent[key])]
    assert not problems, "\n".join(problems)
