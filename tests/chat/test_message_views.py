"""One message, every way it is read: the live event, socket and HTTP history, and sync (from the
kept frames and from the database) carry the same fields with the same values."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client as HttpClient

from chat.fanout import hub
from community.models import Person
from community.tokens import issue_token
from tests.chat.conftest import connect, room_id

pytestmark = pytest.mark.django_db(transaction=True)
GARDEN = "翠湖苑小区群"


@database_sync_to_async
def http_history(person, room: int) -> list[dict]:
    headers = {"Authorization": f"Bearer {issue_token(person)}"}
    return HttpClient().get(f"/api/v1/rooms/{room}/messages", headers=headers).json()


@database_sync_to_async
def show_building(person, building: str) -> None:
    Person.objects.filter(pk=person.pk).update(show_building=True, building=building)


async def synced(person, room: int, after: int) -> list[dict]:
    client = await connect(person)
    await client.send({"type": "sync", "ref": "s", "rooms": {str(room): after}})
    frames = []
    while (frame := await client.recv())["type"] != "synced":
        frames.append(frame)
    await client.close()
    return frames


@pytest.fixture
async def reply_with_mention(tcast):
    """The neighbour (showing their building) answers the resident's message and mentions them;
    the resident's socket receives it live."""
    await show_building(tcast.neighbour, "7号楼")
    resident, neighbour = await connect(tcast.resident), await connect(tcast.neighbour)
    room = room_id(resident, GARDEN)
    first = await resident.request(
        {"type": "send", "room": room, "body": "谁的快递放错门口了？", "client_id": "q1"}
    )
    await neighbour.request(
        {
            "type": "send",
            "room": room,
            "body": "是我的，谢谢提醒 @小王",
            "client_id": "a1",
            "reply_to": first["seq"],
            "mentions": [tcast.resident.pk],
        }
    )
    while (live := await resident.recv_until("message"))["client_id"] != "a1":
        pass
    await resident.close(), await neighbour.close()
    return room, live


async def test_the_live_message_carries_mentions_reply_and_building(tcast, reply_with_mention):
    _room, live = reply_with_mention
    assert live["mentions"] == [tcast.resident.pk]
    assert live["reply_to"] == live["seq"] - 1
    assert live["author"]["building"] == "7号楼"


async def test_socket_history_shows_the_message_as_it_was_delivered(tcast, reply_with_mention):
    room, live = reply_with_mention
    client = await connect(tcast.resident)
    page = await client.request({"type": "history", "room": room})
    await client.close()
    assert page["messages"][-1] == live


async def test_http_history_shows_the_message_as_it_was_delivered(tcast, reply_with_mention):
    room, live = reply_with_mention
    page = await http_history(tcast.resident, room)
    assert {**page[-1], "type": "message"} == live


async def test_sync_from_kept_frames_shows_the_message_as_it_was_delivered(
    tcast, reply_with_mention
):
    room, live = reply_with_mention
    assert await synced(tcast.resident, room, live["seq"] - 1) == [live]


async def test_sync_from_the_database_shows_the_message_as_it_was_delivered(
    tcast, reply_with_mention
):
    room, live = reply_with_mention
    hub().recent.forget(room)
    assert await synced(tcast.resident, room, live["seq"] - 1) == [live]
