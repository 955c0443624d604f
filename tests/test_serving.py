"""Autobahn's debug-log text is made only when a line is written (server.serving)."""

import pprint

import autobahn.twisted.websocket as twisted_websocket
import autobahn.websocket.protocol as protocol
import pytest
from autobahn import util

from server import serving


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
