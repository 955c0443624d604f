"""The serving libraries' internals Linli reaches into (serving/compat/), against the real
libraries: present in the pinned releases, and named loudly at start-up when a release lacks one."""

import functools
import os

import pytest
from daphne.server import Server
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from twisted.internet import abstract

from serving import compat
from serving.compat import autobahn, channels_redis, daphne, twisted
from serving.layers import PipelinedPubSubChannelLayer


def test_the_installed_libraries_have_everything_linli_reaches_for():
    assert compat.missing() == []


def test_a_renamed_twisted_attribute_fails_the_system_check_by_name(monkeypatch):
    monkeypatch.delattr(abstract.FileDescriptor, "_writeDisconnected")
    [error] = [e for e in run_checks() if e.id == "linli.E010"]
    assert error.obj == "twisted.internet.abstract.FileDescriptor._writeDisconnected"


def test_a_renamed_attribute_stops_the_worker_before_it_serves(monkeypatch):
    monkeypatch.delattr(Server, "timeout_checker")
    with pytest.raises(ImproperlyConfigured, match=r"daphne\.server\.Server\.timeout_checker"):
        compat.require()


def test_twisted_counts_what_waits_unsent_on_a_real_connection(tcp_connection):
    transport = tcp_connection.transport
    transport.write(b"x" * 100)
    assert twisted.unsent_bytes(transport) == 100 and not twisted.nothing_queued(transport)
    transport.doWrite()
    assert twisted.unsent_bytes(transport) == 0 and twisted.nothing_queued(transport)


def test_twisted_sees_a_closing_connection_as_not_writable(tcp_connection):
    transport = tcp_connection.transport
    assert twisted.writable(transport)
    transport.loseConnection()
    assert not twisted.writable(transport)


def test_daphne_send_leads_back_to_its_protocol():
    server = Server(application=None, endpoints=["tcp:port=0:interface=127.0.0.1"])
    protocol = object()
    assert daphne.protocol_behind(functools.partial(server.handle_reply, protocol)) is protocol


def test_another_servers_send_leads_nowhere():
    assert daphne.protocol_behind(functools.partial(print, object())) is None
    assert daphne.protocol_behind(None) is None


@pytest.mark.postgres_redis
async def test_a_channels_redis_shard_lends_its_connected_client():
    layer = PipelinedPubSubChannelLayer(hosts=[{"address": os.environ["LINLI_TEST_REDIS_URL"]}])
    loop_layer = channels_redis.loop_layer(layer, type(layer._get_layer()))
    try:
        [shard] = loop_layer._shards
        assert await channels_redis.redis_client(shard).ping()
    finally:
        await layer.flush()


def test_an_autobahn_protocol_is_open_once_its_real_handshake_is_made():
    assert autobahn.is_open(autobahn._opened_protocol())


def test_daphne_never_negotiates_compression_so_ready_frames_are_valid():
    assert autobahn.no_compression()
