"""Open sockets follow the person's rights at once: deactivation, logout, password change, a move
or a new role reach every socket of that person (issue: access that outlives its right)."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client as HttpClient

from community import actions
from community.models import ApiToken, Person, Role
from community.tokens import issue_token
from tests.chat.conftest import connect
from tests.chat.test_handshake import SAME_SITE, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)
GARDEN, COURT, COORDINATION = "翠湖苑小区群", "江湾华庭小区群", "五位一体协调群"


async def cookie_socket(person):
    cookie = await database_sync_to_async(session_cookie)(person)
    return await connect(person, path="/ws/v1", headers=[(b"cookie", cookie), *SAME_SITE])


async def moved_rooms(client) -> tuple[set[int], set[str]]:
    """The rooms a move took away and gave, whichever the socket heard of first."""
    left: set[int] = set()
    joined: set[str] = set()
    while not (left and joined):
        frame = await client.recv()
        if frame["type"] == "room_left":
            left.add(frame["room"])
        elif frame["type"] == "room_joined":
            joined.add(frame["room"]["name"])
    return left, joined


async def closed(client) -> tuple[int, str]:
    frame = await client.recv_until("__closed__", timeout=2)
    return frame["code"], frame["reason"]


@database_sync_to_async
def save_in_the_shell(person_id: int, **fields) -> None:
    """What an operator does in ``linli shell``: load the row, change it, save it."""
    person = Person.objects.get(pk=person_id)
    for name, value in fields.items():
        setattr(person, name, value)
    person.save()


async def test_deactivating_a_person_in_the_shell_closes_their_socket_with_4003(tcast):
    alice = await connect(tcast.resident)
    await save_in_the_shell(tcast.resident.pk, is_active=False)
    assert await closed(alice) == (4003, "removed")


async def test_deactivating_through_the_action_closes_every_socket_of_the_person(tcast):
    phone, browser = await connect(tcast.resident), await cookie_socket(tcast.resident)
    bob = await connect(tcast.neighbour)
    await database_sync_to_async(actions.deactivate_person)(None, tcast.resident.pk)
    assert await closed(phone) == (4003, "removed")
    assert await closed(browser) == (4003, "removed")
    assert (await bob.request({"type": "ping"}))["type"] == "pong"  # another person stays
    await bob.close()


async def test_a_password_change_closes_every_socket_and_revokes_every_token(tcast):
    phone, browser = await connect(tcast.resident), await cookie_socket(tcast.resident)

    def change_password():
        person = Person.objects.get(pk=tcast.resident.pk)
        person.set_password("a-new-password-1")
        person.save()

    await database_sync_to_async(change_password)()
    assert await closed(phone) == (4001, "token_revoked")
    assert await closed(browser) == (4001, "token_revoked")
    assert not await database_sync_to_async(ApiToken.objects.filter(person=tcast.resident).exists)()


async def test_logout_closes_the_persons_cookie_sockets(tcast):
    browser = await cookie_socket(tcast.resident)
    other_tab = await cookie_socket(tcast.resident)

    def log_out():
        web = HttpClient()
        web.force_login(Person.objects.get(pk=tcast.resident.pk))
        web.post("/accounts/logout/")

    await database_sync_to_async(log_out)()
    assert await closed(browser) == (4001, "token_revoked")
    assert await closed(other_tab) == (4001, "token_revoked")


async def test_logout_leaves_bearer_token_sockets_open(tcast):
    phone = await connect(tcast.resident)

    def log_out():
        web = HttpClient()
        web.force_login(Person.objects.get(pk=tcast.resident.pk))
        web.post("/accounts/logout/")

    await database_sync_to_async(log_out)()
    assert (await phone.request({"type": "ping"}))["type"] == "pong"
    await phone.close()


def test_logout_ends_every_other_session_of_the_person(cast):
    laptop, phone = HttpClient(), HttpClient()
    laptop.force_login(cast.resident)
    phone.force_login(cast.resident)
    laptop.post("/accounts/logout/")
    assert "_auth_user_id" not in phone.get("/").wsgi_request.session


async def test_a_person_moved_to_another_neighbourhood_leaves_its_room_and_joins_the_new(tcast):
    alice = await connect(tcast.resident)
    garden = next(r["id"] for r in alice.welcome["rooms"] if r["name"] == GARDEN)
    await save_in_the_shell(tcast.resident.pk, neighbourhood_id=tcast.court.pk)
    assert await moved_rooms(alice) == ({garden}, {COURT})
    await alice.close()


async def test_a_person_moved_to_another_community_leaves_every_room_of_the_old(tcast):
    alice = await connect(tcast.resident)
    old = {r["id"] for r in alice.welcome["rooms"]}
    other = await database_sync_to_async(lambda: tcast.outsider.neighbourhood)()
    await database_sync_to_async(actions.move_person)(
        None, tcast.resident.pk, tcast.other_community, other
    )
    left = {(await alice.recv_until("room_left"))["room"] for _room in old}
    assert left == old
    await alice.close()


async def test_a_new_role_opens_its_rooms_on_open_sockets(tcast):
    alice = await connect(tcast.resident)
    await database_sync_to_async(actions.change_role)(None, tcast.resident.pk, role=Role.POLICE)
    names = set()
    while COORDINATION not in names:
        frame = await alice.recv_until("room_joined")
        names.add(frame["room"]["name"])
    await alice.close()


async def test_a_socket_stops_receiving_a_room_it_lost_to_a_move(tcast):
    alice, bob = await connect(tcast.resident), await connect(tcast.neighbour)
    garden = next(r["id"] for r in bob.welcome["rooms"] if r["name"] == GARDEN)
    await save_in_the_shell(tcast.resident.pk, neighbourhood_id=tcast.court.pk)
    await moved_rooms(alice)
    await bob.request({"type": "send", "room": garden, "body": "只给翠湖苑", "client_id": "g1"})
    while not await alice.nothing():
        assert (await alice.recv()).get("room") != garden
    await alice.close(), await bob.close()


async def test_a_revoked_token_that_opened_no_socket_leaves_others_open(tcast):
    phone = await connect(tcast.resident)
    spare = await database_sync_to_async(issue_token)(tcast.resident)
    from community.tokens import revoke_token

    await database_sync_to_async(revoke_token)(spare)
    assert (await phone.request({"type": "ping"}))["type"] == "pong"
    await phone.close()
