"""A closed connection leaves nothing for the garbage collector (serving.teardown).

Full collections walk every object of a worker, frozen or not (150–200 ms with thousands of
sockets); they are needed only for what reference counting cannot free: cycles. These tests
count the objects in cycles inside a real daphne worker after thirty sockets have connected,
talked and closed.
"""

import json
import subprocess
import sys

import pytest

from chat.models import Room
from community.tokens import issue_token
from tests.e2e.servers import ROOT, free_port, server_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

#: The libraries and apps whose objects make up a connection.
CENSUS = "tests.e2e.teardown_census"
CONNECTION_MODULES = ("daphne.", "autobahn.", "twisted.", "chat.", "channels.", "asyncio.")


def run_census(cast, **env: str) -> dict[str, dict[str, int]]:
    room = Room.objects.get(neighbourhood=cast.garden)
    tokens = [issue_token(p) for p in (cast.resident, cast.neighbour, cast.moderator)]
    done = subprocess.run(
        [sys.executable, "-m", CENSUS, str(free_port()), str(room.pk), *tokens],
        cwd=ROOT,
        env=server_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def left_by_connections(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    """Objects of a connection's kinds in cycles after the sockets, beyond those before them."""
    before, after = counts["before"], counts["after"]
    return {
        name: after[name] - before.get(name, 0)
        for name in after
        if name.startswith(CONNECTION_MODULES) and after[name] > before.get(name, 0)
    }


def test_closed_sockets_leave_no_connection_object_in_a_cycle(tcast):
    assert left_by_connections(run_census(tcast)) == {}


def test_without_the_teardown_closed_sockets_leave_their_protocols_in_cycles(tcast):
    """What serving.teardown removes (young collections free some of them before the census);
    when the libraries stop making these cycles, this fails and the teardown can go."""
    left = left_by_connections(run_census(tcast, LINLI_TEARDOWN="0"))
    assert left.get("daphne.ws_protocol.WebSocketProtocol", 0) > 0
