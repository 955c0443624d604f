"""Who gets a socket (docs/protocol.md: authenticated at the handshake; BAD-INPUTS E1–E4)."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import SESSION_KEY
from django.test import Client as HttpClient

from community.tokens import issue_token, revoke_token
from server.asgi import application
from serving import admission
from tests.chat.conftest import connect
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


async def handshake(path="/ws/v1", headers=None, subprotocols=None):
    communicator = WebsocketCommunicator(
        application, path, headers=headers or [], subprotocols=subprotocols
    )
    connected, detail = await communicator.connect(timeout=5)
    if connected:
        await communicator.disconnect()
    return connected, detail


#: What a browser on the page http://localhost:8000/ sends with its handshake.
SAME_SITE = [(b"host", b"localhost:8000"), (b"origin", b"http://localhost:8000")]


def session_cookie(person) -> bytes:
    client = HttpClient()
    assert client.login(username=person.username, password=PASSWORD)
    assert client.session[SESSION_KEY] == str(person.pk)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def test_no_credentials_is_refused(tcast):
    assert (await handshake())[0] is False


async def test_a_bad_token_is_refused(tcast):
    assert (await handshake("/ws/v1?token=not-a-token"))[0] is False


async def test_a_revoked_token_is_refused(tcast):
    token = await database_sync_to_async(issue_token)(tcast.resident)
    await database_sync_to_async(revoke_token)(token)
    assert (await handshake(f"/ws/v1?token={token}"))[0] is False


async def test_an_expired_token_is_refused(tcast, settings):
    token = await database_sync_to_async(issue_token)(tcast.resident)
    settings.LINLI_TOKEN_TTL_DAYS = 0
    assert (await handshake(f"/ws/v1?token={token}"))[0] is False


async def test_bearer_header_without_origin_is_accepted(tcast):
    token = await database_sync_to_async(issue_token)(tcast.resident)
    assert (await handshake(headers=[(b"authorization", f"Bearer {token}".encode())]))[0]


async def test_session_cookie_with_our_origin_is_accepted(tcast):
    cookie = await database_sync_to_async(session_cookie)(tcast.resident)
    headers = [(b"cookie", cookie), *SAME_SITE]
    assert (await handshake(headers=headers))[0]


async def test_a_session_whose_password_changed_since_login_is_refused(tcast):
    cookie = await database_sync_to_async(session_cookie)(tcast.resident)

    def change_password():
        tcast.resident.set_password("a-new-password-1")
        tcast.resident.save()

    await database_sync_to_async(change_password)()
    headers = [(b"cookie", cookie), *SAME_SITE]
    assert (await handshake(headers=headers))[0] is False


async def test_a_bad_token_does_not_fall_back_to_the_session_cookie(tcast):
    cookie = await database_sync_to_async(session_cookie)(tcast.resident)
    headers = [(b"cookie", cookie), *SAME_SITE]
    assert (await handshake("/ws/v1?token=not-a-token", headers=headers))[0] is False


async def test_a_websocket_on_any_other_path_is_refused(tcast):
    token = await database_sync_to_async(issue_token)(tcast.resident)
    assert (await handshake(f"/ws/v2?token={token}"))[0] is False


async def test_the_chat_path_is_found_below_the_servers_root_path(tcast):
    token = await database_sync_to_async(issue_token)(tcast.resident)
    communicator = WebsocketCommunicator(application, f"/linli/ws/v1?token={token}")
    communicator.scope["root_path"] = "/linli"
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    await communicator.disconnect()


@pytest.mark.parametrize(
    "origin",
    [
        b"https://evil.example",
        b"null",
        None,
        b"http://localhost:1",  # the same host on another port is another site
        b"https://localhost:8000",  # and so is another scheme
        b"http://localhost",
    ],
)
async def test_session_cookie_with_a_foreign_null_or_missing_origin_is_refused(tcast, origin):
    cookie = await database_sync_to_async(session_cookie)(tcast.resident)
    headers = [(b"cookie", cookie), (b"host", b"localhost:8000")]
    headers += [(b"origin", origin)] if origin else []
    assert (await handshake(headers=headers))[0] is False


async def test_session_cookie_with_a_host_outside_allowed_hosts_is_refused(tcast):
    cookie = await database_sync_to_async(session_cookie)(tcast.resident)
    headers = [(b"cookie", cookie), (b"host", b"evil.example"), (b"origin", b"http://evil.example")]
    assert (await handshake(headers=headers))[0] is False


async def test_session_cookie_from_a_csrf_trusted_origin_is_accepted(tcast, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://linli.example.cn"]
    settings.ALLOWED_HOSTS = ["linli.example.cn", "127.0.0.1"]
    cookie = await database_sync_to_async(session_cookie)(tcast.resident)
    headers = [
        (b"cookie", cookie),
        (b"host", b"linli.example.cn"),
        (b"origin", b"https://linli.example.cn"),
    ]
    assert (await handshake(headers=headers))[0]


async def test_session_cookie_through_a_tls_proxy_matches_the_https_origin(tcast, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    cookie = await database_sync_to_async(session_cookie)(tcast.resident)
    headers = [
        (b"cookie", cookie),
        (b"host", b"localhost"),
        (b"x-forwarded-proto", b"https"),
        (b"origin", b"https://localhost"),
    ]
    assert (await handshake(headers=headers))[0]


async def test_a_pending_applicant_gets_no_socket(tcast):
    from community.models import Person

    pending = await database_sync_to_async(Person.objects.create)(
        username="waiting", display_name="等审核", community=tcast.community
    )
    token = await database_sync_to_async(issue_token)(pending)
    assert (await handshake(f"/ws/v1?token={token}"))[0] is False


async def test_msgpack_is_chosen_when_offered_first(tcast):
    token = await database_sync_to_async(issue_token)(tcast.resident)
    communicator = WebsocketCommunicator(
        application,
        f"/ws/v1?token={token}",
        subprotocols=["x-unknown", "linli.v1.msgpack", "linli.v1.json"],
    )
    connected, subprotocol = await communicator.connect(timeout=5)
    assert connected and subprotocol == "linli.v1.msgpack"
    await communicator.disconnect()


async def test_revoking_the_token_closes_its_open_socket(tcast):
    token = await database_sync_to_async(issue_token)(tcast.resident)
    alice = await connect(tcast.resident, path=f"/ws/v1?token={token}")
    await database_sync_to_async(revoke_token)(token)
    closed = await alice.recv_until("__closed__", timeout=1)
    assert (closed["code"], closed["reason"]) == (4001, "token_revoked")


async def test_a_burst_of_handshakes_beyond_the_turn_limit_all_open(tcast, settings):
    settings.LINLI_CONNECT_CONCURRENCY = 1
    admission._gates.clear()
    clients = await asyncio.gather(*(connect(tcast.resident) for _ in range(6)))
    assert all(c.welcome["type"] == "welcome" for c in clients)
    await asyncio.gather(*(c.close() for c in clients))
    admission._gates.clear()


async def open_one_more(person) -> dict:
    """Open a socket as ``person`` and return the first thing the server sends on it."""
    token = await database_sync_to_async(issue_token)(person)
    communicator = WebsocketCommunicator(application, f"/ws/v1?token={token}")
    connected, _ = await communicator.connect()
    assert connected
    first = await communicator.receive_output()
    await communicator.wait()
    return first


async def test_one_socket_more_than_a_person_may_hold_is_closed_with_4029(tcast, settings):
    settings.LINLI_SOCKETS_PER_PERSON = 2
    held = [await connect(tcast.resident), await connect(tcast.resident)]
    assert await open_one_more(tcast.resident) == {
        "type": "websocket.close",
        "code": 4029,
        "reason": "too_many_sockets",
    }
    for client in held:
        await client.close()


async def test_another_person_is_not_held_to_someone_elses_sockets(tcast, settings):
    settings.LINLI_SOCKETS_PER_PERSON = 1
    mine, theirs = await connect(tcast.resident), await connect(tcast.neighbour)
    assert theirs.welcome["user"]["id"] == tcast.neighbour.pk
    await mine.close(), await theirs.close()


async def test_a_closed_socket_frees_its_place(tcast, settings):
    settings.LINLI_SOCKETS_PER_PERSON = 1
    await (await connect(tcast.resident)).close()
    again = await connect(tcast.resident)
    assert again.welcome["type"] == "welcome"
    await again.close()
