"""How daphne serves (serving.daphne_server): autobahn's debug-log text made only when a line is
written; timeout checks a slice of the connections at a time."""

import pprint

import autobahn.twisted.websocket as twisted_websocket
import autobahn.websocket.protocol as protocol
import pytest
from autobahn import util
from daphne.server import Server

from serving import daphne_server as serving
from serving.compat import daphne as compat_daphne


@pytest.fixture(autouse=True)
def deferred():
    serving.defer_log_text()


class Counted:
    """An object that counts how often its text was asked for."""

    def __init__(self):
        self.asked = 0

    def __repr__(self):
        self.asked += 1
        return "<counted>"


def test_no_text_is_made_for_a_line_nobody_writes():
    thing = Counted()
    protocol.pformat([("option", thing, "factory")])
    protocol.hlval(thing)
    twisted_websocket.hlval(thing)
    assert thing.asked == 0


def test_a_written_line_reads_as_before():
    table = [("autoPingInterval", 0, "WebSocketFactory")]
    me = test_a_written_line_reads_as_before
    lazy = {"attrs": protocol.pformat(table), "func": twisted_websocket.hltype(me)}
    eager = {"attrs": pprint.pformat(table), "func": util.hltype(me)}
    line = "{attrs} {func} {n}"  # formatted as txaio formats a log event
    assert line.format(**lazy, n=protocol.hlval(42)) == line.format(**eager, n=util.hlval(42))


def test_deferring_twice_wraps_once():
    helper = protocol.hlval
    serving.defer_log_text()
    assert protocol.hlval is helper


def test_timings_still_print_as_a_table():
    timings = protocol.Timings()
    timings.track("start")
    assert str(timings).startswith("{'start':")


# --- daphne's timeout checks, a slice at a time ------------------------------------------------


class Connection:
    def __init__(self, checked):
        self.checked = checked

    def check_timeouts(self):
        self.checked.append(self)


@pytest.fixture
def scheduled(monkeypatch):
    """A real daphne server with the sliced checker; what it schedules on the reactor is kept."""
    later = []
    monkeypatch.setattr(Server, "timeout_checker", Server.timeout_checker)  # restored after
    monkeypatch.setattr(compat_daphne, "call_later", lambda delay, f: later.append((delay, f)))
    serving.spread_timeout_checks()
    return later


def serve_with(n):
    server = Server(application=None, endpoints=["tcp:port=0:interface=127.0.0.1"])
    server.connections = {}  # as daphne's ``run`` sets it
    checked = []
    for _ in range(n):
        server.connections[Connection(checked)] = {}
    return server, checked


def test_each_connection_is_checked_once_per_period(scheduled):
    server, checked = serve_with(1000)
    for _ in range(serving.SLICES):
        server.timeout_checker()
    assert sorted(map(id, checked)) == sorted(map(id, server.connections))


def test_one_call_checks_one_slice(scheduled):
    server, checked = serve_with(1000)
    server.timeout_checker()
    assert len(checked) == 1000 // serving.SLICES


def test_the_next_slice_is_scheduled_within_the_period(scheduled):
    server, _ = serve_with(10)
    server.timeout_checker()
    [(delay, func)] = scheduled
    assert delay == serving.CHECK_PERIOD_S / serving.SLICES
    assert func == server.timeout_checker


def test_a_connection_gone_since_the_round_began_is_not_checked(scheduled):
    server, checked = serve_with(40)
    server.timeout_checker()
    gone = next(c for c in server.connections if c not in checked)
    del server.connections[gone]
    for _ in range(serving.SLICES):
        server.timeout_checker()
    assert gone not in checked


def test_a_new_connection_is_checked_in_the_next_round(scheduled):
    server, checked = serve_with(40)
    server.timeout_checker()
    new = Connection(checked)
    server.connections[new] = {}
    for _ in range(2 * serving.SLICES):
        server.timeout_checker()
    assert checked.count(new) == 1


def test_a_failing_check_does_not_stop_the_round(scheduled):
    server, _ = serve_with(1)
    next(iter(server.connections)).check_timeouts = lambda: 1 / 0
    with pytest.raises(ZeroDivisionError):
        server.timeout_checker()
    assert len(scheduled) == 1
