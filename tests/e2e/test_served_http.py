"""Plain HTTP on a worker that faces clients itself (``linli serve``, serving/http_guard.py), and
``linli serve`` safe by default (no debug pages).

Each test talks to a real ``linli serve`` process over raw sockets, as an attacker would. Waits
are on that process (its header timer runs on its own clock), bounded by ``WAIT_S``.
"""

from __future__ import annotations

import contextlib
import socket
import time
import urllib.error
import urllib.request

import pytest

from tests.e2e.servers import served

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

#: The largest file among the collected static files (about 1.5 MB).
BIG_STATIC = "/static/ninja/swagger-ui-bundle.js"
#: The longest any test waits for the server to act.
WAIT_S = 20


@pytest.fixture
def worker(tmp_path):
    with served(tmp_path, LINLI_HEADER_TIMEOUT="1", LINLI_UNFINISHED_PER_ADDRESS="4") as found:
        yield found


@pytest.fixture
def connect(worker):
    """Opens raw connections to the worker (closed after the test)."""
    opened: list[socket.socket] = []

    def open_one() -> socket.socket:
        opened.append(socket.create_connection(("127.0.0.1", worker.port), timeout=WAIT_S))
        return opened[-1]

    yield open_one
    for sock in opened:
        sock.close()


def answer(request: urllib.request.Request | str) -> tuple[int, bytes]:
    """The status and body of an HTTP request."""
    try:
        with urllib.request.urlopen(request, timeout=WAIT_S) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read()


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closes the connection (within WAIT_S), reading past any answer."""
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


def still_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except ConnectionResetError:
        return False


def answered(worker, path: str) -> int:
    """Requests for ``path`` in the worker's access log so far."""
    return worker.log_path.read_text().count(f'"GET {path}"')


def test_a_body_over_the_limit_is_refused_413_without_being_read(connect):
    sock = connect()
    sock.sendall(
        b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 209715200\r\n\r\n" + b"x" * 65536
    )
    assert sock.recv(100).startswith(b"HTTP/1.1 413 ")
    assert closed_by_server(sock)


def test_a_body_of_unknown_length_is_refused_411(connect):
    sock = connect()
    sock.sendall(
        b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n10\r\n"
    )
    assert sock.recv(100).startswith(b"HTTP/1.1 411 ")


def test_a_body_within_the_limit_reaches_the_application(worker):
    request = urllib.request.Request(
        f"{worker.url}/api/v1/auth/token",
        data=b'{"username": "nobody", "password": "wrong"}',
        headers={"Content-Type": "application/json"},
    )
    assert answer(request)[0] == 401


def test_an_upgrade_request_whose_headers_never_finish_is_cut_off(connect):
    sock = connect()
    sock.sendall(b"GET /ws/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
    assert closed_by_server(sock)


def test_one_address_holds_no_more_unfinished_requests_than_its_limit(connect):
    held = []
    for _ in range(4):
        sock = connect()
        sock.sendall(b"GET / HTTP/1.1\r\n")
        held.append(sock)
    one_more = connect()
    one_more.sendall(b"GET / HTTP/1.1\r\n")
    assert closed_by_server(one_more)
    assert all(still_open(sock) for sock in held)


def test_pipelined_requests_wait_while_the_client_reads_no_answer(worker, connect):
    sock = connect()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.sendall(f"GET {BIG_STATIC} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() * 20)
    deadline = time.monotonic() + WAIT_S
    while answered(worker, BIG_STATIC) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)  # the worker's chance to start more answers, if it would
    assert 1 <= answered(worker, BIG_STATIC) < 20


def test_pipelined_requests_are_all_answered_as_the_client_reads(connect):
    sock = connect()
    paths = [f"/api/v1/health?n={n}" for n in range(5)]
    sock.sendall(b"".join(f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() for p in paths))
    received = b""
    with contextlib.suppress(TimeoutError):
        while received.count(b"HTTP/1.1 200") < len(paths):
            received += sock.recv(65536)
    assert received.count(b"HTTP/1.1 200") == len(paths)


def test_serve_answers_a_foreign_host_400_without_a_debug_page(worker):
    request = urllib.request.Request(f"{worker.url}/", headers={"Host": "evil.example"})
    status, body = answer(request)
    assert status == 400
    assert b"Traceback" not in body and b"DisallowedHost" not in body and b"SECRET" not in body


def test_a_missing_static_file_is_404(worker):
    assert answer(f"{worker.url}/static/nope.js")[0] == 404
