"""``linli serve``: daphne's arguments, and no tokens in the access log (BAD-INPUTS E4)."""

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from server.management.commands.serve import daphne_args
from serving.accesslog import RedactingAccessLog, redact

ROOT = Path(__file__).resolve().parents[2]


def test_the_access_log_is_off_by_default():
    args = daphne_args("127.0.0.1", 8000, access_log=False, proxy_headers=False)
    assert "--access-log" not in args
    # Daphne turns its access log on at verbosity 1: it must stay at 0.
    assert args[args.index("-v") + 1] == "0"
    assert args[-1] == "server.asgi:application"


def test_the_access_log_goes_to_stdout_when_asked():
    args = daphne_args("0.0.0.0", 9000, access_log=True, proxy_headers=False)
    assert args[args.index("--access-log") + 1] == "-"


def test_the_worker_listens_with_a_deep_accept_queue():
    args = daphne_args("0.0.0.0", 9000, access_log=False, proxy_headers=False)
    assert args[args.index("-e") + 1] == "tcp:port=9000:interface=0.0.0.0:backlog=1024"


def test_a_handshake_may_wait_its_turn_for_half_a_minute():
    args = daphne_args("127.0.0.1", 9000, access_log=False, proxy_headers=False)
    assert args[args.index("--websocket_connect_timeout") + 1] == "30"


def test_an_ipv6_address_is_escaped_in_the_listen_endpoint():
    args = daphne_args("::1", 9000, access_log=False, proxy_headers=False)
    assert args[args.index("-e") + 1] == "tcp:port=9000:interface=\\:\\:1:backlog=1024"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/ws/v1?token=abc123", "/ws/v1?token=[redacted]"),
        ("/ws/v1?x=1&token=abc&y=2", "/ws/v1?x=1&token=[redacted]&y=2"),
        ("/ws/v1?TOKEN=abc", "/ws/v1?TOKEN=[redacted]"),
        ("/api/v1/rooms?mytoken=1", "/api/v1/rooms?mytoken=1"),
        ("/join/ABCDEF", "/join/ABCDEF"),
    ],
)
def test_redact_hides_credential_query_values(path, expected):
    assert redact(path) == expected


def test_the_access_log_writes_redacted_lines():
    stream = io.StringIO()
    RedactingAccessLog(stream)(
        "websocket", "connecting", {"path": "/ws/v1?token=s3cret", "client": "127.0.0.1:5"}
    )
    assert "s3cret" not in stream.getvalue() and "WSCONNECTING /ws/v1?token=" in stream.getvalue()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running(tmp_path, *args: str):
    """``linli <args> --port P`` in a fresh data dir; yields (base URL, path of its output)."""
    port = _free_port()
    env = {
        **os.environ,
        "LINLI_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "server.settings",
    }
    for name in ("DATABASE_URL", "REDIS_URL", "LINLI_PUBLIC_URL"):
        env.pop(name, None)
    log = tmp_path / "out.log"
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "server.cli", *args, "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{base}/api/v1/health", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise AssertionError(log.read_text(errors="replace")) from None
                    time.sleep(0.2)
            yield base, log
        finally:
            server.terminate()
            server.wait(timeout=10)


@pytest.mark.e2e
def test_a_real_server_never_logs_a_token(tmp_path):
    with running(tmp_path, "serve", "--access-log") as (base, log):
        urllib.request.urlopen(f"{base}/api/v1/health?token=s3cret-token-value").read()
        time.sleep(0.3)
    text = log.read_text(errors="replace")
    assert "/api/v1/health?token=[redacted]" in text
    assert "s3cret-token-value" not in text


@pytest.mark.e2e
def test_without_access_log_nothing_is_logged_per_request(tmp_path):
    with running(tmp_path, "serve") as (base, log):
        urllib.request.urlopen(f"{base}/api/v1/health?token=s3cret-token-value").read()
        time.sleep(0.3)
    assert "/api/v1/health" not in log.read_text(errors="replace")


@pytest.mark.e2e
def test_demo_migrates_seeds_prints_the_accounts_and_serves(tmp_path):
    with running(tmp_path, "demo") as (base, log):
        body = json.dumps({"username": "cadre1", "password": "linli-demo"}).encode()
        request = urllib.request.Request(
            f"{base}/api/v1/auth/token", body, {"Content-Type": "application/json"}
        )
        token = json.loads(urllib.request.urlopen(request).read())["token"]
        assert token
    text = log.read_text(errors="replace")
    assert "cadre1" in text and "resident20" in text and "pending1" in text
    assert f"{base}/join/" in text
