"""A real Linli cluster for end-to-end tests: nginx → N daphne workers → Redis + PostgreSQL.

A helper, not a test module. It drives ``deploy/local-cluster`` (see docs/deploy.md)::

    from tests.e2e.cluster import have_nginx, have_services, local_cluster

    pytestmark = [pytest.mark.e2e, pytest.mark.skipif(
        not (have_services() and have_nginx()), reason="needs PostgreSQL, Redis and nginx")]

    def test_fan_out_across_workers():
        with local_cluster(workers=2) as cluster:
            ...  # cluster.url, cluster.ws_url, cluster.worker_urls
            cluster.kill_worker(1)
            cluster.restart_worker(1)

Workers are numbered 1..N, as in the script: ``kill_worker(k)`` and ``restart_worker(k)`` take that
number and ``worker_urls[k - 1]`` is worker k's own address (bypassing nginx).

Each cluster gets free ports, its own directory, its own PostgreSQL database (``linli_e2e_<port>``,
created by the script, dropped on exit unless ``keep_database=True``) and its own channel-layer
prefix, so clusters never see each other's data. ``cluster.env`` is the environment its workers
run with: run Django code against the cluster's database with it in a subprocess (e.g. to seed
people and tokens), not in the test process, whose settings point elsewhere.

Defaults come from LINLI_CLUSTER_DATABASE_URL (the *server*; the database name is replaced) and
LINLI_CLUSTER_REDIS_URL, else postgres://root@127.0.0.1:5432 and redis://127.0.0.1:6379/2.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "local-cluster"
DATABASE_SERVER = os.environ.get(
    "LINLI_CLUSTER_DATABASE_URL", "postgres://root@127.0.0.1:5432/linli_cluster"
)
REDIS_URL = os.environ.get("LINLI_CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/2")
#: The script's "a port is taken" exit status: the helper then retries on other ports.
EXIT_PORT = 3


class ClusterError(RuntimeError):
    """The script failed; the message carries its output (and so the tails of the logs)."""


@dataclass
class Cluster:
    url: str  # http://127.0.0.1:PORT — nginx
    ws_url: str  # ws://127.0.0.1:PORT/ws/v1 — through nginx
    worker_urls: list[str]  # http://127.0.0.1:PORT+k for worker k = 1..N (index k - 1)
    dir: Path
    database_url: str
    redis_urls: list[str]
    env: dict[str, str] = field(repr=False)

    @property
    def workers(self) -> int:
        return len(self.worker_urls)

    def worker_ws_url(self, k: int) -> str:
        """Worker k's own WebSocket URL (bypassing nginx)."""
        return self.worker_urls[self._index(k)].replace("http://", "ws://", 1) + "/ws/v1"

    def kill_worker(self, k: int) -> None:
        """SIGKILL worker k: its sockets drop without a close frame, as in a crash."""
        self._index(k)
        _run(["kill-worker", str(k), "--dir", str(self.dir)])

    def restart_worker(self, k: int, timeout: float = 60) -> None:
        """Start worker k again (stopping it first if it runs) and wait until it answers HTTP."""
        self._index(k)
        _run(
            ["restart-worker", str(k), "--dir", str(self.dir), "--timeout", str(timeout)],
            timeout=timeout + 30,
        )

    def status(self) -> str:
        return _run(["status", "--dir", str(self.dir)], check=False)

    def log(self, name: str) -> str:
        """A log of the cluster: ``worker-1``, ``nginx-access``, ``nginx-error``, ``manage`` …"""
        path = self.dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _index(self, k: int) -> int:
        if not 1 <= k <= len(self.worker_urls):
            raise ValueError(f"workers are numbered 1..{len(self.worker_urls)}, not {k}")
        return k - 1


class _PortTaken(ClusterError):
    """Another program took one of the chosen ports between choosing and binding."""


def _run(args: list[str], *, check: bool = True, timeout: float = 180) -> str:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=REPO,
        env=_script_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = result.stdout + result.stderr
    if check and result.returncode == EXIT_PORT:
        raise _PortTaken(output)
    if check and result.returncode != 0:
        raise ClusterError(
            f"deploy/local-cluster {' '.join(args)} exited {result.returncode}:\n{output}"
        )
    return output


def _script_env() -> dict[str, str]:
    # The test process's Django settings must not leak into the cluster's workers.
    env = dict(os.environ)
    for name in (
        "DJANGO_SETTINGS_MODULE",
        "DATABASE_URL",
        "REDIS_URL",
        "LINLI_DATA_DIR",
        "LINLI_STATIC_ROOT",
    ):
        env.pop(name, None)
    env["LINLI_PYTHON"] = sys.executable
    return env


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_block(size: int, avoid: set[int] = frozenset()) -> int:
    """A base port P with P..P+size-1 all free (a race remains; the caller retries)."""
    for _ in range(500):
        base = random.randrange(20000, 60000 - size)
        ports = range(base, base + size)
        if not avoid.intersection(ports) and all(_port_free(p) for p in ports):
            return base
    raise ClusterError("no block of free ports found")


def _with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def _dropdb(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    args = [
        "dropdb",
        "--if-exists",
        "--force",
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
    ]
    if parts.username:
        args += ["-U", urllib.parse.unquote(parts.username)]
    env = dict(
        os.environ,
        **({"PGPASSWORD": urllib.parse.unquote(parts.password)} if parts.password else {}),
    )
    subprocess.run([*args, parts.path.lstrip("/")], env=env, capture_output=True, timeout=60)


@contextlib.contextmanager
def local_cluster(
    workers: int = 2,
    redis_shards: int = 1,
    *,
    layer: str | None = None,
    limits: bool = True,
    database_url: str | None = None,
    redis_url: str | None = None,
    keep_database: bool = False,
    keep_dir: bool = False,
    timeout: float = 120,
) -> Iterator[Cluster]:
    """Start a cluster on free ports, yield it, and stop it (every process) on the way out.

    ``layer`` is ``"core"`` or ``"pubsub"`` (default: the settings' default). ``limits=False``
    exempts loopback from nginx's per-address limits (load tests: every socket comes from
    127.0.0.1, and nginx allows 300 sockets and 5 handshakes/s per address). ``database_url``
    names an existing or new database to use instead of a fresh ``linli_e2e_<port>``; it is never
    dropped. ``redis_url`` replaces LINLI_CLUSTER_REDIS_URL (e.g. a private redis-server a fault
    test may kill). The directory (logs) is deleted afterwards unless ``keep_dir`` or the start
    failed.
    """
    directory = Path(tempfile.mkdtemp(prefix="linli-cluster-"))
    cluster: Cluster | None = None
    database = None
    try:
        for attempt in range(3):
            port = _free_block(workers + 1)
            shard_port = (
                _free_block(1, avoid=set(range(port, port + workers + 1)))
                if redis_shards == 2
                else None
            )
            database = database_url or _with_database(DATABASE_SERVER, f"linli_e2e_{port}")
            args = [
                "start",
                "--dir",
                str(directory),
                "--workers",
                str(workers),
                "--port",
                str(port),
                "--redis-shards",
                str(redis_shards),
                "--database-url",
                database,
                "--redis-url",
                redis_url or REDIS_URL,
                "--timeout",
                str(timeout),
            ]
            if shard_port:
                args += ["--shard-port", str(shard_port)]
            if layer:
                args += ["--layer", layer]
            if not limits:
                args.append("--no-limits")
            try:
                _run(args, timeout=timeout + 120)
                break
            except _PortTaken:
                _run(["stop", "--dir", str(directory)], check=False)
                if not database_url and not keep_database:
                    _dropdb(database)
                if attempt == 2:
                    raise
        state = json.loads((directory / "cluster.json").read_text())
        env = {**_script_env(), **state["env"]}  # exactly what the script gives its workers
        cluster = Cluster(
            url=f"http://127.0.0.1:{port}",
            ws_url=f"ws://127.0.0.1:{port}/ws/v1",
            worker_urls=[f"http://127.0.0.1:{port + k}" for k in range(1, workers + 1)],
            dir=directory,
            database_url=state["database_url"],
            redis_urls=state["redis_urls"],
            env=env,
        )
        yield cluster
    except BaseException:
        keep_dir = True  # a failed start or test: keep the logs for the report
        raise
    finally:
        _run(["stop", "--dir", str(directory)], check=False)
        if database and not database_url and not keep_database:
            _dropdb(database)
        if not keep_dir:
            shutil.rmtree(directory, ignore_errors=True)


def have_services() -> bool:
    """PostgreSQL (with createdb/dropdb) and Redis answer at the cluster defaults."""
    if not (shutil.which("createdb") and shutil.which("dropdb")):
        return False
    try:
        import psycopg
        import redis

        with psycopg.connect(
            _with_database(DATABASE_SERVER, "postgres"), connect_timeout=3
        ) as conn:
            conn.execute("SELECT 1")
        client = redis.Redis.from_url(REDIS_URL, socket_timeout=3, socket_connect_timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def have_nginx() -> bool:
    """An nginx binary the script can run (Debian: apt-get install -y nginx-light)."""
    return any(
        candidate and os.access(candidate, os.X_OK)
        for candidate in (os.environ.get("LINLI_NGINX"), shutil.which("nginx"), "/usr/sbin/nginx")
    )


def have_redis_server() -> bool:
    """A redis-server binary, needed for ``redis_shards=2``."""
    return shutil.which("redis-server") is not None
