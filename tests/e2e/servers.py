"""Real server processes for end-to-end tests: daphne on loopback, on the test database."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
#: A worker that is not answering /api/v1/health this long after its start has failed to start.
START_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """The URL of the database the tests are using right now (the test database)."""
    cfg = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{cfg['NAME']}"
    user = cfg.get("USER") or ""
    host = cfg.get("HOST") or "127.0.0.1"
    port = cfg.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{cfg['NAME']}"


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="server.settings",
        DATABASE_URL=database_url(),
        LINLI_DB_POOL="0",
        LINLI_SEND_RATE="1000",
        LINLI_SEND_BURST="1000",
    )
    if os.environ.get("LINLI_TEST_REDIS_URL"):
        env["REDIS_URL"] = os.environ["LINLI_TEST_REDIS_URL"]
    else:
        env.pop("REDIS_URL", None)
    env.update(extra)
    return env


class Worker:
    """One daphne process serving Linli on 127.0.0.1."""

    def __init__(self, port: int, env: dict[str, str], log_path: Path, args: Sequence[str] = ()):
        self.port = port
        self.env = env
        self.log_path = log_path
        self.args = list(args)  # daphne's own options
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/v1"

    def command(self) -> list[str]:
        """daphne itself, as deploy/ runs it behind nginx."""
        port = str(self.port)
        daphne = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", port, *self.args]
        return [*daphne, "server.asgi:application"]

    def start(self) -> Worker:
        self._log = open(self.log_path, "ab")  # noqa: SIM115  (closed in stop)
        self.proc = subprocess.Popen(
            self.command(),
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_path.read_text()[-2000:]}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/api/v1/health", timeout=2) as r,
            ):
                if r.status == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"worker did not start: {self.log_path.read_text()[-2000:]}")

    def kill(self) -> None:
        """kill -9: no goodbye to anyone."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log", None):
            self._log.close()

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0


class ServedWorker(Worker):
    """``linli serve``: daphne facing clients itself, as ``linli serve`` and ``linli demo`` run."""

    def command(self) -> list[str]:
        port = str(self.port)
        return [sys.executable, "-m", "server.cli", "serve", "--port", port, "--access-log"]


@contextlib.contextmanager
def served(tmp_path: Path, **env: str) -> Iterator[Worker]:
    """One ``linli serve`` process on the test database."""
    worker = ServedWorker(free_port(), server_env(**env), tmp_path / "served.log")
    try:
        yield worker.start()
    finally:
        worker.stop()


@contextlib.contextmanager
def workers(
    count: int, tmp_path: Path, args: Sequence[str] = (), **env: str
) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    try:
        for i in range(count):
            log = tmp_path / f"worker{i}.log"
            started.append(Worker(free_port(), server_env(**env), log, args).start())
        yield started
    finally:
        for w in started:
            w.stop()
