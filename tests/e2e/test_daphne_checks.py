"""Daphne's timeout checks still happen under Linli's sliced checker (serving.daphne_server)."""

import asyncio

import pytest
from websockets.exceptions import ConnectionClosed

from serving import daphne_server as serving
from tests.e2e.conftest import Peer
from tests.e2e.servers import workers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

#: daphne's --websocket_timeout for this worker: a socket open longer is closed by the checks.
SOCKET_LIFETIME_S = 1


@pytest.fixture
def short_lived_sockets(transactional_db, tmp_path):
    with workers(1, tmp_path, args=["--websocket_timeout", str(SOCKET_LIFETIME_S)]) as (worker,):
        yield worker


async def test_a_socket_past_daphnes_timeout_is_closed_within_two_check_periods(
    tcast, short_lived_sockets
):
    peer = await Peer.open(short_lived_sockets, tcast.resident)
    deadline = SOCKET_LIFETIME_S + 2 * serving.CHECK_PERIOD_S + 1
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(deadline):
            while True:
                await peer.ws.recv()
