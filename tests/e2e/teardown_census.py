"""A worker in this process, clients in a thread, and a census of what closed sockets left.

Run by tests/e2e/test_teardown.py as ``python -m tests.e2e.teardown_census PORT ROOM TOKEN…``
with the environment of a real worker (``servers.server_env``): daphne serves Linli on PORT,
each token's socket opens, pings, sends a message to ROOM, reads history, syncs, sends a frame
of an unknown type and closes; then every object in a reference cycle is counted by type
(``gc.DEBUG_SAVEALL``) and printed as JSON. ``LINLI_TEARDOWN=0`` serves without
``serving.teardown`` to show what it removes.
"""

from __future__ import annotations

import collections
import gc
import json
import os
import sys
import threading


def census() -> dict[str, int]:
    """Every object the collector would free now, by module-qualified type name."""
    gc.unfreeze()
    gc.set_debug(gc.DEBUG_SAVEALL)
    gc.collect()
    gc.set_debug(0)
    found = collections.Counter(
        f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage
    )
    gc.garbage.clear()
    gc.collect()
    return dict(found)


def session(port: int, room: int, token: str, n: int) -> None:
    from websockets.sync.client import connect

    def request(ws, frame: dict) -> None:
        ws.send(json.dumps({**frame, "ref": "r"}))
        while json.loads(ws.recv(timeout=10)).get("ref") != "r":
            pass

    with connect(f"ws://127.0.0.1:{port}/ws/v1?token={token}") as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        request(ws, {"type": "ping"})
        request(ws, {"type": "send", "room": room, "body": f"第{n}条", "client_id": f"t{n}"})
        request(ws, {"type": "history", "room": room})
        request(ws, {"type": "sync", "rooms": {str(room): 0}})
        request(ws, {"type": "no_such_frame"})


def main() -> None:
    port, room, tokens = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server.settings")
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server

    if os.environ.get("LINLI_TEARDOWN") == "0":
        import serving.teardown

        serving.teardown.install = lambda: None
    from twisted.internet import reactor

    import server.asgi

    counts: dict[str, dict[str, int]] = {}

    def count(label: str, done: threading.Event) -> None:
        counts[label] = census()
        done.set()

    def clients() -> None:
        try:
            for phase, how_many in (("before", 3), ("after", 30)):
                for i in range(how_many):
                    session(port, room, tokens[i % len(tokens)], len(counts) * 1000 + i)
                done = threading.Event()
                reactor.callFromThread(count, phase, done)
                done.wait(30)
        finally:
            reactor.callFromThread(reactor.stop)

    worker = Server(
        application=server.asgi.application,
        endpoints=build_endpoint_description_strings(host="127.0.0.1", port=port),
        signal_handlers=False,
    )
    reactor.callLater(0.5, threading.Thread(target=clients, daemon=True).start)
    worker.run()
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
