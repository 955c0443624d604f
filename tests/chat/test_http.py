"""The chat's HTTP side (docs/protocol.md: rooms and history pages), and concurrent writers."""

import threading

import pytest
from django.db import connection

from chat.actions import messages
from community.tokens import issue_token
from tests.chat.conftest import actor


@pytest.fixture
def as_person(client):
    def call(person, method, path, **kw):
        headers = {"Authorization": f"Bearer {issue_token(person)}"}
        return getattr(client, method)(path, headers=headers, content_type="application/json", **kw)

    return call


def fill(person, room, n):
    for i in range(n):
        messages.do_send(actor(person), room.pk, f"第{i}条", f"h-{room.pk}-{i}")
    room.refresh_from_db()
    return room.last_seq


def test_rooms_lists_the_callers_rooms_with_last_seq(cast, garden_room, as_person):
    fill(cast.neighbour, garden_room, 2)
    rooms = as_person(cast.resident, "get", "/api/v1/rooms").json()
    mine = next(r for r in rooms if r["id"] == garden_room.pk)
    assert (mine["kind"], mine["last_seq"]) == ("neighbourhood", garden_room.last_seq)


def test_rooms_needs_credentials(cast, client):
    assert client.get("/api/v1/rooms").status_code == 401


def test_messages_page_back_by_seq_ascending(cast, garden_room, as_person):
    last = fill(cast.neighbour, garden_room, 8)
    path = f"/api/v1/rooms/{garden_room.pk}/messages?before={last - 1}&limit=3"
    page = as_person(cast.resident, "get", path).json()
    assert [m["seq"] for m in page] == [last - 4, last - 3, last - 2]


def test_messages_of_a_room_one_is_not_in_are_refused(cast, coordination_room, as_person):
    response = as_person(cast.resident, "get", f"/api/v1/rooms/{coordination_room.pk}/messages")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_member"


def test_messages_limit_over_100_is_invalid(cast, garden_room, as_person):
    response = as_person(
        cast.resident, "get", f"/api/v1/rooms/{garden_room.pk}/messages?limit=1000"
    )
    assert response.status_code == 400


def test_moderator_creates_a_topic_room_and_a_resident_joins_it(cast, as_person):
    made = as_person(
        cast.moderator, "post", "/api/v1/topics", data={"name": "旧物交换", "category": "闲置物品"}
    )
    assert made.status_code == 201
    joined = as_person(cast.resident, "post", f"/api/v1/topics/{made.json()['id']}/join")
    assert joined.json() == {"outcome": "joined"}


def test_resident_cannot_create_a_topic_room(cast, as_person):
    made = as_person(
        cast.resident, "post", "/api/v1/topics", data={"name": "x", "category": "兴趣"}
    )
    assert made.status_code == 403


def test_members_of_a_room_are_found_by_display_name(cast, garden_room, as_person):
    name = cast.neighbour.display_name
    found = as_person(cast.resident, "get", f"/api/v1/rooms/{garden_room.pk}/members?q={name}")
    assert found.json() == [
        {"id": cast.neighbour.pk, "display_name": name, "role": "resident", "badges": []}
    ]


def test_members_show_no_personal_data(cast, garden_room, as_person):
    members = as_person(cast.resident, "get", f"/api/v1/rooms/{garden_room.pk}/members").json()
    assert {cast.resident.pk, cast.party_member.pk} <= {m["id"] for m in members}
    assert all(set(m) == {"id", "display_name", "role", "badges"} for m in members)


def test_members_of_a_room_one_is_not_in_are_refused(cast, coordination_room, as_person):
    response = as_person(cast.resident, "get", f"/api/v1/rooms/{coordination_room.pk}/members")
    assert response.json()["error"]["code"] == "not_member"


def test_openapi_schema_lists_the_chat_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/rooms" in paths and "/api/v1/rooms/{room_id}/messages" in paths


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_leave_a_gapless_sequence(tcast):
    """Four threads, each with its own database connection, send to one room at once."""
    from chat.models import Message, Room

    room = Room.objects.get(neighbourhood=tcast.garden)
    start = room.last_seq
    people = [tcast.resident, tcast.neighbour, tcast.party_member, tcast.moderator]
    errors = []

    def burst(person):
        try:
            me = actor(person)
            for i in range(15):
                messages.do_send(me, room.pk, f"{person.pk}-{i}", f"cc-{person.pk}-{i}")
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=burst, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    seqs = sorted(Message.objects.filter(room=room, seq__gt=start).values_list("seq", flat=True))
    assert seqs == list(range(start + 1, start + 61))
