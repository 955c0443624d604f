"""Private Redis and PostgreSQL servers that a fault test may stop, kill and start again.

A helper, not a test module. The shared servers on 127.0.0.1:5432 and :6379 belong to everyone
on the machine: a test that takes a service down does it to one of these instead::

    from tests.e2e.private_services import have_postgres_binaries, private_postgres, private_redis

    with private_redis() as redis:          # redis-server on a free port, no persistence
        redis.url                           # redis://127.0.0.1:PORT/0
        redis.kill(); redis.start()         # a crash and a restart on the same port

    with private_postgres() as pg:          # initdb in a temporary directory, trust auth, user root
        pg.server_url                       # postgres://root@127.0.0.1:PORT
        pg.url("linli")                     # … /linli (the cluster script creates it)
        pg.stop(); pg.start()               # pg_ctl stop -m fast / start: an outage

Both always clean up on the way out, the body's failure included: the process is stopped (SIGKILL
if it will not stop) and its directory deleted. PostgreSQL refuses to run as root, so as root its
directory belongs to ``postgres`` and every PostgreSQL command runs through ``runuser``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PG_BIN = Path(os.environ.get("LINLI_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"  # who runs the server when the tests run as root
START_TIMEOUT_S = 30


class ServiceError(RuntimeError):
    """A private service failed to start or stop; the message carries the tail of its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} is missing)"


def _answers(port: int, probe: bytes, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(probe)
            return bool(s.recv(64))
    except OSError:
        return False


def _wait(predicate, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


# --- Redis -----------------------------------------------------------------------------------


def have_redis_server() -> bool:
    return shutil.which("redis-server") is not None


class PrivateRedis:
    """One redis-server on 127.0.0.1:``port``, a child of the test process."""

    def __init__(self, port: int, directory: Path):
        self.port = port
        self.dir = directory
        self.log_path = directory / "redis.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ping(self) -> bool:
        return _answers(self.port, b"PING\r\n")

    def start(self) -> PrivateRedis:
        if self.running:
            return self
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    shutil.which("redis-server") or "redis-server",
                    "--port", str(self.port),
                    "--bind", "127.0.0.1",
                    "--save", "",
                    "--appendonly", "no",
                    "--daemonize", "no",
                    "--dir", str(self.dir),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a ^C to pytest is not a crash of "our" Redis
            )  # fmt: skip
        if not _wait(lambda: self.ping() or not self.running, START_TIMEOUT_S) or not self.running:
            self.kill()
            raise ServiceError(
                f"redis-server on {self.port} did not start:\n{_tail(self.log_path)}"
            )
        return self

    def kill(self) -> None:
        """SIGKILL: the server vanishes mid-conversation, as in a crash."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM, SIGKILL after 10 s."""
        self._signal(signal.SIGTERM)

    def _signal(self, sig: int) -> None:
        if not self.running:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        # Until the port is free again a restart on it would fail.
        _wait(lambda: not self.ping(), 5)

    def restart(self, down_for: float = 0.0) -> None:
        self.kill()
        time.sleep(down_for)
        self.start()


@contextlib.contextmanager
def private_redis(port: int | None = None) -> Iterator[PrivateRedis]:
    """A fresh redis-server on a free port (no persistence), killed and deleted on exit."""
    directory = Path(tempfile.mkdtemp(prefix="linli-redis-"))
    server = PrivateRedis(port or free_port(), directory)
    try:
        server.start()
        yield server
    finally:
        server.kill()
        shutil.rmtree(directory, ignore_errors=True)


# --- PostgreSQL ------------------------------------------------------------------------------


def have_postgres_binaries() -> bool:
    """initdb, pg_ctl and postgres; as root also the ``postgres`` account and ``runuser``."""
    if not all(os.access(PG_BIN / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
        return False
    if os.geteuid() != 0:
        return True
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        return False
    return shutil.which("runuser") is not None


class PrivatePostgres:
    """One PostgreSQL cluster (server) in ``directory``, on 127.0.0.1:``port``, trust auth."""

    def __init__(self, port: int, directory: Path, user: str = "root"):
        self.port = port
        self.dir = directory
        self.data = directory / "data"
        self.log_path = directory / "postgres.log"
        self.user = user  # the database superuser initdb creates; the URLs log in as it

    @property
    def server_url(self) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}"

    def url(self, database: str) -> str:
        return f"{self.server_url}/{database}"

    def _as_owner(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", PG_USER, "--", *command]
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            cwd=self.dir,
        )

    def _check(self, result: subprocess.CompletedProcess, what: str) -> None:
        if result.returncode != 0:
            raise ServiceError(
                f"{what} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}\n"
                f"{_tail(self.log_path)}"
            )

    def init(self) -> None:
        if os.geteuid() == 0:
            owner = pwd.getpwnam(PG_USER)
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        self._check(
            self._as_owner(
                str(PG_BIN / "initdb"),
                "-D", str(self.data),
                "-A", "trust",
                "-U", self.user,
                "-E", "UTF8",
                "--locale", "C",
                "--no-sync",  # a throwaway cluster: initdb's fsyncs only cost time
            ),
            "initdb",
        )  # fmt: skip

    @property
    def running(self) -> bool:
        return (
            self._as_owner(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status").returncode == 0
        )

    def accepts(self) -> bool:
        """The server answers a connection (an SSLRequest gets its one-byte answer)."""
        return _answers(self.port, b"\x00\x00\x00\x08\x04\xd2\x16\x2f")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            # Small and quick: a test cluster, not a benchmark. fsync stays on (an ack is durable).
            "-c max_connections=60 -c shared_buffers=32MB"
        )
        self._check(
            self._as_owner(
                str(PG_BIN / "pg_ctl"),
                "-D", str(self.data),
                "-l", str(self.log_path),
                "-o", options,
                "-w", "-t", str(START_TIMEOUT_S),
                "start",
            ),
            "pg_ctl start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m fast``: open sessions are ended and their transactions rolled back."""
        self._check(
            self._as_owner(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"),
            "pg_ctl stop",
        )

    def _force_stop(self) -> None:
        with contextlib.suppress(Exception):
            if self.data.exists() and self.running:
                result = self._as_owner(
                    str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"
                )
                if result.returncode != 0:
                    pid_file = self.data / "postmaster.pid"
                    pid = int(pid_file.read_text().split()[0])
                    os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def private_postgres(port: int | None = None) -> Iterator[PrivatePostgres]:
    """A fresh PostgreSQL 15 server on a free port, stopped and deleted on exit."""
    directory = Path(tempfile.mkdtemp(prefix="linli-pg-"))
    server = PrivatePostgres(port or free_port(), directory)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server._force_stop()
        shutil.rmtree(directory, ignore_errors=True)
