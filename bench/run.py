#!/usr/bin/env python3
"""Linli's benchmark: one command.

    python bench/run.py [--scenarios S1a,S1b,...] [--quick]
                        [--peers linli,channels-naive,socketio,ws-node]

For every scenario of shared/BENCHMARK.md, twice, and for every peer it applies to, this starts a
fresh server pinned to core 0 (taskset), runs the Node load generator pinned to core 1, answers the
load generator's requests for snapshots (server CPU from /proc/<pid>/stat, RSS, Redis and
PostgreSQL counters) and for killing or restarting the server, stops everything, and writes the
results to bench/results/<timestamp>.json and the table to docs/benchmarks.md.

Prerequisites (once): ``pip install -r bench/requirements.txt`` and ``npm ci --prefix bench``;
PostgreSQL and Redis on 127.0.0.1. Nothing is downloaded during a run. Every server, load
generator and scenario has a hard time limit.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
STATE = BENCH / ".state"
RESULTS = BENCH / "results"
DOC = ROOT / "docs" / "benchmarks.md"
PEERS = ["linli", "channels-naive", "socketio", "ws-node"]
ORDER = ["S1a", "S1b", "S2", "S3", "S4", "S5", "S6", "S7", "S8"]
LINLI_ONLY = {
    "S4",
    "S5",
    "S6",
}  # the peers store nothing: no sync, no restart recovery, one process
NAIVE_REDIS_URL = "redis://127.0.0.1:6379/7"
NAIVE_REDIS_PREFIX = "linli_bench_naive"
CLK_TCK = os.sysconf("SC_CLK_TCK")
#: What serving/loopwatch.py logs: each period's longest stall, and every stall past 20 ms.
STALL_LINE = re.compile(r"event loop(?:: longest stall| stalled) ([0-9.]+) ms")

# ---- scenario parameters -------------------------------------------------------------------------
# Full: the sizes of BENCHMARK.md. Quick: a smoke version (<= 300 sockets, <= ~20 s of traffic
# each).
#: S1b's ramp: the rate rises by ``factor`` every ``step_s`` until p99 or loss fails.
RAMP = {
    "n": 3000,
    "start_rate": 0.5,
    "factor": 1.25,
    "step_s": 2,
    "p99_limit_ms": 250,
    "max_steps": 40,
    "senders": 20,
    "confirm_fails": 2,
    "hold_steps": 2,
    "drain_s": 5,
    "settle_ms": 3000,
    "in_flight": 200,
}

FULL = {
    "S1a": {
        "sizes": [100, 1000, 3000],
        "rates": [1, 5],
        "warmup_s": 5,
        "phase_s": 30,
        "drain_s": 15,
        "settle_ms": 3000,
        "in_flight": 200,
        "connect_budget_s": 240,
        "reserve_s": 85,
        "hard_limit_s": 340,
    },
    "S1b": {**RAMP, "connect_budget_s": 240, "reserve_s": 100, "hard_limit_s": 360},
    "S2": {
        "rooms": 200,
        "members": 50,
        "mean_interval_s": 100,
        "base_s": 60,
        "ramp_step_s": 20,
        "factor": 1.5,
        "max_ramp_steps": 8,
        "typing": True,
        "ping_every_s": 30,
        "read_every_s": 60,
        "history_frac": 0.01,
        "ack_p99_limit_ms": 100,
        "delivery_p99_limit_ms": 250,
        "drain_s": 10,
        "settle_ms": 5000,
        "in_flight": 200,
        "connect_budget_s": 400,
        "reserve_s": 250,
        "hard_limit_s": 680,
    },
    "S3": {
        "layout": "many",
        "rooms": 200,
        "members": 50,
        "n": 10000,
        "in_flight": 500,
        "connect_timeout_s": 60,
        "idle_s": 60,
        "connect_budget_s": 400,
        "reserve_s": 70,
        "hard_limit_s": 480,
    },
    "S4": {
        "online": 0,
        "senders": 20,
        "missed": 1000,
        "window": 20,
        "settle_ms": 1000,
        "stats_wait_ms": 11000,
        "in_flight": 10,
        "hard_limit_s": 200,
    },
    "S5": {
        "n": 3000,
        "missed": 100,
        "writers": 10,
        "window": 10,
        "backoff_base_ms": 500,
        "backoff_cap_ms": 4000,
        "recover_timeout_s": 60,
        "stats_wait_ms": 11000,
        "settle_ms": 3000,
        "in_flight": 200,
        "connect_budget_s": 240,
        "reserve_s": 100,
        "hard_limit_s": 400,
    },
    # S6 is S1b's ramp, run on one worker process and then on two.
    "S6": {
        **RAMP,
        "procs": [1, 2],
        "redis": True,
        "connect_budget_s": 240,
        "reserve_s": 100,
        "hard_limit_s": 360,
    },
    "S7": {
        "n": 1000,
        "rate": 10,
        "senders": 4,
        "control_s": 20,
        "duration_s": 60,
        "slow_frac": 0.05,
        "recover_s": 30,
        "drain_s": 10,
        "settle_ms": 3000,
        "in_flight": 200,
        "connect_budget_s": 120,
        "reserve_s": 130,
        "hard_limit_s": 280,
    },
    "S8": {
        "n": 3000,
        "chat_rate": 1,
        "churn_frac": 0.10,
        "churn_period_s": 60,
        "base_s": 30,
        "churn_s": 120,
        "drain_s": 10,
        "settle_ms": 3000,
        "in_flight": 200,
        "connect_budget_s": 240,
        "reserve_s": 180,
        "hard_limit_s": 440,
    },
}
QUICK = {
    "S1a": {
        **FULL["S1a"],
        "sizes": [100, 300],
        "phase_s": 5,
        "drain_s": 5,
        "settle_ms": 1000,
        "connect_budget_s": 30,
        "reserve_s": 20,
        "hard_limit_s": 60,
    },
    "S1b": {
        **FULL["S1b"],
        "n": 300,
        "start_rate": 2,
        "factor": 1.6,
        "max_steps": 9,
        "hold_steps": 1,
        "drain_s": 3,
        "settle_ms": 1000,
        "senders": 40,
        "connect_budget_s": 30,
        "reserve_s": 30,
        "hard_limit_s": 70,
    },
    "S2": {
        **FULL["S2"],
        "rooms": 20,
        "members": 15,
        "mean_interval_s": 10,
        "base_s": 8,
        "ramp_step_s": 4,
        "max_ramp_steps": 2,
        "ping_every_s": 10,
        "read_every_s": 10,
        "history_frac": 0.05,
        "drain_s": 3,
        "settle_ms": 1000,
        "connect_budget_s": 30,
        "reserve_s": 28,
        "hard_limit_s": 70,
    },
    "S3": {
        **FULL["S3"],
        "rooms": 20,
        "members": 15,
        "n": 300,
        "in_flight": 50,
        "idle_s": 5,
        "connect_budget_s": 40,
        "reserve_s": 8,
        "hard_limit_s": 60,
    },
    "S4": {**FULL["S4"], "missed": 200, "window": 10, "hard_limit_s": 80},
    "S5": {
        **FULL["S5"],
        "n": 300,
        "missed": 20,
        "backoff_base_ms": 300,
        "backoff_cap_ms": 2000,
        "recover_timeout_s": 20,
        "settle_ms": 1000,
        "connect_budget_s": 30,
        "reserve_s": 60,
        "hard_limit_s": 110,
    },
    "S6": {
        **FULL["S6"],
        "n": 300,
        "start_rate": 2,
        "factor": 1.6,
        "max_steps": 9,
        "hold_steps": 1,
        "drain_s": 3,
        "settle_ms": 1000,
        "senders": 40,
        "connect_budget_s": 30,
        "reserve_s": 30,
        "hard_limit_s": 70,
    },
    "S7": {
        **FULL["S7"],
        "n": 300,
        "control_s": 4,
        "duration_s": 10,
        "recover_s": 5,
        "drain_s": 5,
        "settle_ms": 1000,
        "connect_budget_s": 30,
        "reserve_s": 30,
        "hard_limit_s": 70,
    },
    "S8": {
        **FULL["S8"],
        "n": 300,
        "churn_period_s": 10,
        "base_s": 5,
        "churn_s": 10,
        "drain_s": 3,
        "settle_ms": 1000,
        "connect_budget_s": 30,
        "reserve_s": 25,
        "hard_limit_s": 65,
    },
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            return False
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=0.5),
        ):
            return True
        time.sleep(0.1)
    return False


def raise_nofile() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# ---- /proc, Redis and PostgreSQL -----------------------------------------------------------------
def proc_stat(pid: int) -> dict:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
        status = Path(f"/proc/{pid}/status").read_text()
        mem = {}
        for line in status.splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                mem[line.split(":")[0]] = int(line.split()[1])
        # Time the process' threads spent runnable but waiting for a CPU (other work on the core).
        wait_ns = 0
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError, IndexError):
                wait_ns += int((task / "schedstat").read_text().split()[1])
        return {
            "pid": pid,
            "alive": fields[0] != "Z",
            "cpu_s": cpu,
            "rss_kib": mem.get("VmRSS", 0),
            "hwm_kib": mem.get("VmHWM", 0),
            "runq_wait_s": wait_ns / 1e9,
        }
    except (OSError, ValueError, IndexError):
        return {"pid": pid, "alive": False, "cpu_s": 0.0, "rss_kib": 0, "hwm_kib": 0}


class Stats:
    """Redis and PostgreSQL counters for snapshots (both are shared: see the docs' caveats)."""

    def __init__(self, redis_url: str, pg_dsn: str | None):
        self.redis_url = redis_url
        self.pg_dsn = pg_dsn
        self._redis = None
        self._pg = None

    def redis(self) -> dict | None:
        try:
            if self._redis is None:
                import redis

                self._redis = redis.Redis.from_url(self.redis_url, socket_timeout=2)
            stats = self._redis.info("stats")
            cpu = self._redis.info("cpu")
            cmdstats = self._redis.info("commandstats")
            return {
                "publishes": cmdstats.get("cmdstat_publish", {}).get("calls", 0),
                "cmds": stats["total_commands_processed"],
                "cpu_s": cpu["used_cpu_sys"] + cpu["used_cpu_user"],
            }
        except Exception as e:
            return {"error": str(e)}

    def pg(self) -> dict | None:
        if not self.pg_dsn:
            return None
        try:
            if self._pg is None:
                import psycopg

                self._pg = psycopg.connect(self.pg_dsn, autocommit=True)
            cur = self._pg.cursor()
            cur.execute(
                "select xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, "
                "tup_updated "
                "from pg_stat_database where datname = current_database()"
            )
            row = cur.fetchone()
            out = dict(
                zip(
                    [
                        "xact_commit",
                        "xact_rollback",
                        "tup_returned",
                        "tup_fetched",
                        "tup_inserted",
                        "tup_updated",
                    ],
                    row,
                    strict=True,
                )
            )
            cur.execute(
                "select coalesce(sum(idx_scan),0), coalesce(sum(seq_scan),0) "
                "from pg_stat_user_tables"
            )
            out["idx_scan_all"], out["seq_scan_all"] = (int(x) for x in cur.fetchone())
            cur.execute(
                "select coalesce(idx_scan,0), coalesce(seq_scan,0), n_tup_ins "
                "from pg_stat_user_tables where relname = 'chat_message'"
            )
            row = cur.fetchone()
            if row:
                out["message_idx_scan"], out["message_seq_scan"], out["message_inserts"] = (
                    int(x) for x in row
                )
            cur.execute(
                "select indexrelname, coalesce(idx_scan,0) "
                "from pg_stat_user_indexes where relname = 'chat_message'"
            )
            for name, n in cur.fetchall():
                out[f"idx:{name}"] = int(n)
            return out
        except Exception as e:
            self._pg = None
            return {"error": str(e)}

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self._pg is not None:
                self._pg.close()


# ---- servers -------------------------------------------------------------------------------------
class Server:
    """One server process, pinned with taskset, its output in a log file."""

    def __init__(
        self, name: str, argv: list[str], cwd: Path, env: dict, port: int, core: int, logdir: Path
    ):
        self.name, self.argv, self.cwd, self.env, self.port, self.core = (
            name,
            argv,
            cwd,
            env,
            port,
            core,
        )
        self.logdir = logdir
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        logf = open(self.logdir / f"{self.name}-{self.port}-{self.starts}.log", "wb")  # noqa: SIM115
        cmd = ["taskset", "-c", str(self.core), *self.argv]
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.cwd,
            env=self.env,
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=raise_nofile,
        )
        logf.close()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, grace: float = 8.0) -> None:
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def longest_stall_ms(self) -> float | None:
        """The longest event-loop stall a Linli worker logged, all starts (None: no probe)."""
        found = None
        for start in range(1, self.starts + 1):
            path = self.logdir / f"{self.name}-{self.port}-{start}.log"
            with contextlib.suppress(OSError):
                for m in STALL_LINE.finditer(path.read_text(errors="replace")):
                    found = max(found or 0.0, float(m.group(1)))
        return found

    def log_tail(self, n: int = 20) -> str:
        path = self.logdir / f"{self.name}-{self.port}-{self.starts}.log"
        try:
            return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def server_for(peer: str, port: int, core: int, args, logdir: Path) -> Server:
    env = dict(os.environ)
    py = sys.executable
    if peer == "linli":
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "server.settings",
                "DATABASE_URL": args.linli_database_url,
                "REDIS_URL": args.linli_redis_url,
                "LINLI_DB_POOL_SIZE": "8",
                "LINLI_LOG_LEVEL": "WARNING",
                # Its own layer prefix: nobody else's server on the same Redis hears the bench.
                "LINLI_CHANNEL_PREFIX": "linli_bench",
                # Production settings: DEBUG would record every SQL query in memory.
                "DEBUG": "0",
                # The longest event-loop stall of every second, for the report, and every
                # stall past the 20 ms that a scenario must stay under.
                "LINLI_LOOP_REPORT_S": "1",
                "LINLI_STALL_LOG_MS": "20",
            }
        )
        env.update(dict(item.partition("=")[::2] for item in args.linli_env))
        if args.linli_server == "uvicorn":
            # The other serving layer measured: uvloop, httptools, websockets.
            argv = [py, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port)]
            argv += ["--loop", "uvloop", "--http", "httptools", "--ws", "websockets"]
            argv += ["--no-access-log", "--log-level", "warning"]
        else:
            # As `linli serve` runs it: verbosity 0, so no access-log line per connection.
            # (And its listen backlog: see server/management/commands/serve.py.)
            endpoint = f"tcp:port={port}:interface=127.0.0.1:backlog=1024"
            argv = [py, "-m", "daphne", "-v", "0", "-e", endpoint]
            argv += ["--websocket_connect_timeout", "30"]
        argv.append("server.asgi:application")
        return Server("linli", argv, ROOT, env, port, core, logdir)
    if peer == "channels-naive":
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "naive_site.settings",
                "NAIVE_REDIS_URL": NAIVE_REDIS_URL,
                "NAIVE_REDIS_PREFIX": NAIVE_REDIS_PREFIX,
            }
        )
        argv = [
            py,
            "-m",
            "daphne",
            "-v",
            "0",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "naive_site.asgi:application",
        ]
        return Server(
            "channels-naive", argv, BENCH / "peers" / "channels_naive", env, port, core, logdir
        )
    if peer == "socketio":
        argv = [
            py,
            "-m",
            "uvicorn",
            "socketio_peer:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        return Server("socketio", argv, BENCH / "peers", env, port, core, logdir)
    if peer == "ws-node":
        argv = ["node", str(BENCH / "peers" / "ws_node" / "server.mjs"), "--port", str(port)]
        return Server("ws-node", argv, BENCH, env, port, core, logdir)
    raise ValueError(peer)


class Attached:
    """A process started by someone else (the local cluster), measured and pinned by pid."""

    def __init__(self, name: str, pid: int, port: int | None = None):
        self.name, self.pid, self.port, self.proc = name, pid, port, None

    def start(self) -> None:
        pass

    def stop(self, grace: float = 0) -> None:
        pass

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)

    def log_tail(self, n: int = 20) -> str:
        return ""


def children_of(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (d / "stat").read_text()
                if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                    out.append(int(d.name))
    return out


class Cluster:
    """deploy/local-cluster: N daphne workers behind nginx, pinned to the server's core(s)."""

    SCRIPT = ROOT / "deploy" / "local-cluster"

    def __init__(self, workers: int, args, logdir: Path, cores: list[int]):
        self.workers, self.args, self.logdir, self.cores = workers, args, logdir, cores
        self.port = self._ports(workers)
        self.dir = STATE / f"cluster-{self.port}"
        self.servers: list[Attached] = []

    @staticmethod
    def _ports(workers: int) -> int:
        for _ in range(50):
            p = free_port()
            if p + workers < 65535 and all(port_free(p + k) for k in range(1, workers + 1)):
                return p
        raise RuntimeError("no free port range for the cluster")

    @staticmethod
    def available() -> bool:
        return Cluster.SCRIPT.exists() and (
            shutil.which("nginx") or Path("/usr/sbin/nginx").exists()
        )

    def start(self) -> None:
        cmd = [
            sys.executable,
            str(self.SCRIPT),
            "start",
            "--workers",
            str(self.workers),
            "--port",
            str(self.port),
            "--dir",
            str(self.dir),
            "--database-url",
            self.args.linli_database_url,
            "--redis-url",
            self.args.linli_redis_url,
            "--no-limits",
        ]
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=240)
        (self.logdir / f"cluster-{self.port}-start.log").write_text(out.stdout + out.stderr)
        if out.returncode:
            raise RuntimeError(
                "local-cluster start failed: " + (out.stderr or out.stdout).strip().splitlines()[-1]
            )
        pids = []
        for k in range(1, self.workers + 1):
            pid = int((self.dir / f"worker-{k}.pid").read_text().split()[0])
            pids.append((f"worker-{k}", pid, self.cores[(k - 1) % len(self.cores)]))
        nginx = int((self.dir / "nginx.pid").read_text().split()[0])
        pids.append(("nginx", nginx, self.cores[0]))
        pids += [("nginx-worker", c, self.cores[0]) for c in children_of(nginx)]
        for name, pid, core in pids:
            subprocess.run(
                ["taskset", "-a", "-p", "-c", str(core), str(pid)], capture_output=True, timeout=10
            )
            self.servers.append(Attached(name, pid, self.port))

    def stop(self) -> None:
        out = subprocess.run(
            [sys.executable, str(self.SCRIPT), "stop", "--dir", str(self.dir)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        (self.logdir / f"cluster-{self.port}-stop.log").write_text(out.stdout + out.stderr)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def clean_naive_redis() -> None:
    """channels-redis' core layer keeps group members of dead servers for a day: start clean."""
    import redis

    r = redis.Redis.from_url(NAIVE_REDIS_URL)
    keys = list(r.scan_iter(match=f"{NAIVE_REDIS_PREFIX}*", count=1000))
    for i in range(0, len(keys), 500):
        r.delete(*keys[i : i + 500])


# ---- one load-generator run ----------------------------------------------------------------------
def run_loadgen(
    cfg: dict, servers: list[Server], stats: Stats, args, restartable: dict, logdir: Path
) -> dict:
    cfg_path = (
        logdir
        / f"cfg-{cfg['label'].replace(' ', '_').replace('=', '')}-{cfg['peer']}-r{cfg['rep']}.json"
    )
    cfg_path.write_text(json.dumps(cfg))
    cmd = [
        "taskset",
        "-c",
        str(args.loadgen_core),
        "node",
        str(BENCH / "loadgen" / "main.mjs"),
        "--config",
        str(cfg_path),
    ]
    errlog = open(logdir / f"loadgen-{cfg_path.stem}.log", "wb")  # noqa: SIM115
    lg = subprocess.Popen(
        cmd,
        cwd=BENCH,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errlog,
        text=True,
        bufsize=1,
        start_new_session=True,
        preexec_fn=raise_nofile,
    )
    errlog.close()
    limit = cfg["hard_limit_s"] + 30
    timer = threading.Timer(limit, lambda: lg.poll() is None and lg.send_signal(signal.SIGKILL))
    timer.start()
    result = None
    try:
        assert lg.stdout is not None and lg.stdin is not None
        for line in lg.stdout:
            if line.startswith("CTRL "):
                req = json.loads(line[5:])
                reply = handle_ctrl(req, servers, stats, restartable)
                with contextlib.suppress(BrokenPipeError):
                    lg.stdin.write(json.dumps(reply) + "\n")
                    lg.stdin.flush()
            elif line.startswith("RESULT "):
                result = json.loads(line[7:])
        lg.wait(10)
    finally:
        timer.cancel()
        if lg.poll() is None:
            lg.send_signal(signal.SIGKILL)
            lg.wait(5)
    if result is None:
        tail = (
            (logdir / f"loadgen-{cfg_path.stem}.log").read_text(errors="replace").splitlines()[-15:]
        )
        result = {
            "error": f"load generator gave no result (exit {lg.returncode})",
            "loadgen_log_tail": tail,
        }
    return result


def handle_ctrl(req: dict, servers: list[Server], stats: Stats, restartable: dict) -> dict:
    op = req.get("op")
    reply = {"id": req.get("id")}
    try:
        if op == "snap":
            snap = {"servers": [proc_stat(s.pid) for s in servers if s.pid]}
            if req.get("redis"):
                snap["redis"] = stats.redis()
            if req.get("pg"):
                snap["pg"] = stats.pg()
            reply["snap"] = snap
        elif op == "kill":
            servers[req.get("which", 0)].kill()
            reply["ok"] = True
        elif op == "restart":
            s = servers[req.get("which", 0)]
            s.kill()
            s.start()
            reply.update(ok=True, pid=s.pid)
        else:
            reply["error"] = f"unknown op {op}"
    except Exception as e:
        reply["error"] = str(e)
    return reply


# ---- set-up --------------------------------------------------------------------------------------
def check_prereqs(peers: list[str]) -> None:
    if not (BENCH / "node_modules" / "ws" / "package.json").exists():
        sys.exit(
            "bench/node_modules is missing: run `npm ci --prefix bench` first "
            "(nothing downloads during a run)."
        )
    if shutil.which("taskset") is None or shutil.which("node") is None:
        sys.exit("taskset and node are required.")
    need = {
        "socketio": ["socketio", "uvicorn"],
        "channels-naive": ["daphne", "channels_redis"],
        "linli": ["daphne", "psycopg"],
    }
    for peer in peers:
        for mod in need.get(peer, []):
            try:
                __import__(mod)
            except ImportError:
                sys.exit(
                    f"python module {mod} missing for {peer}: pip install -r bench/requirements.txt"
                )


def sizes_needed(scenarios: list[str], prof: dict) -> tuple[int, int, int]:
    big = 2
    rooms = members = 0
    for s in scenarios:
        p = prof[s]
        if s == "S1a":
            big = max(big, max(p["sizes"]))
        elif s in ("S1b", "S6", "S7", "S8"):
            big = max(big, p["n"])
        elif s == "S4":
            big = max(big, p["online"] + p["senders"] + 1)
        elif s == "S5":
            big = max(big, p["n"] + p["writers"])
        elif s in ("S2", "S3"):
            rooms, members = max(rooms, p["rooms"]), max(members, p["members"])
    return big, rooms, members


def setup_linli(args, scenarios: list[str], prof: dict, logdir: Path) -> tuple[bool, str]:
    """Create the database if missing, migrate, create the people; then check for a `welcome`."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="server.settings",
        DATABASE_URL=args.linli_database_url,
        REDIS_URL=args.linli_redis_url,
        LINLI_CHANNEL_PREFIX="linli_bench",
    )
    dbname = args.linli_database_url.rsplit("/", 1)[-1]
    out = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "root",
            "-d",
            "postgres",
            "-Atc",
            f"select 1 from pg_database where datname = '{dbname}'",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if out.stdout.strip() != "1":
        log(f"creating database {dbname}")
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-U", "root", dbname], check=True, timeout=60
        )
    log("migrating Linli's bench database")
    mig = subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--settings=server.settings", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if mig.returncode:
        return False, "migrate failed: " + (mig.stderr or mig.stdout).strip().splitlines()[-1]
    big, rooms, members = sizes_needed(scenarios, prof)
    log(f"creating bench residents (big 小区 {big}, {rooms} 小区 × {members})")
    st = subprocess.run(
        [
            sys.executable,
            str(BENCH / "setup_linli.py"),
            "--big",
            str(big),
            "--many-rooms",
            str(rooms),
            "--many-members",
            str(members),
            "--out",
            str(args.tokens_file),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    (logdir / "setup_linli.log").write_text(st.stdout + st.stderr)
    if st.returncode:
        lines = (st.stderr or st.stdout).strip().splitlines()
        return False, "setup_linli failed: " + (lines[-1] if lines else f"exit {st.returncode}")
    return probe_linli(args, logdir)


def probe_linli(args, logdir: Path) -> tuple[bool, str]:
    """Start Linli once and see whether /ws/v1 answers a token with `welcome`."""
    tokens = json.loads(Path(args.tokens_file).read_text())
    token = tokens["big"]["tokens"][0]
    port = free_port()
    srv = server_for("linli", port, args.server_core, args, logdir)
    srv.start()
    try:
        if not wait_port(port, 30, srv.proc):
            return False, "server did not start: " + srv.log_tail(3).replace("\n", " | ")[-300:]
        import asyncio

        import websockets

        async def hello():
            async with websockets.connect(
                f"ws://127.0.0.1:{port}/ws/v1?token={token}",
                subprotocols=["linli.v1.json"],
                open_timeout=10,
            ) as ws:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                return frame.get("type")

        try:
            kind = asyncio.run(hello())
        except Exception as e:
            return False, f"/ws/v1 did not answer with welcome ({type(e).__name__}: {e})"
        return (kind == "welcome"), f"first frame: {kind}"
    finally:
        srv.stop()


# ---- the run -------------------------------------------------------------------------------------
def versions(args) -> dict:
    def pyver(mod):
        try:
            from importlib.metadata import version

            return version(mod)
        except Exception:
            return None

    def cmd(*argv):
        try:
            return (
                subprocess.run(argv, capture_output=True, text=True, timeout=10)
                .stdout.strip()
                .splitlines()[0]
            )
        except Exception:
            return None

    ws = json.loads((BENCH / "node_modules" / "ws" / "package.json").read_text())["version"]
    return {
        "python": platform.python_version(),
        "node": cmd("node", "--version"),
        "ws": ws,
        "django": pyver("django"),
        "channels": pyver("channels"),
        "daphne": pyver("daphne"),
        "channels-redis": pyver("channels-redis"),
        "redis-py": pyver("redis"),
        "twisted": pyver("twisted"),
        "python-socketio": pyver("python-socketio"),
        "python-engineio": pyver("python-engineio"),
        "uvicorn": pyver("uvicorn"),
        "uvloop": pyver("uvloop"),
        "httptools": pyver("httptools"),
        "websockets": pyver("websockets"),
        "redis-server": cmd("redis-server", "--version"),
        "postgresql": cmd("psql", "--version"),
    }


def machine() -> dict:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = None
    with contextlib.suppress(OSError):
        mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "mem_mib": mem,
        "kernel": platform.release(),
        "loadavg_at_start": os.getloadavg(),
    }


def plan(scenarios: list[str], peers: list[str], prof: dict) -> list[tuple[str, str, dict]]:
    """(label, scenario, params) for every sub-run of one repetition."""
    out = []
    for s in scenarios:
        p = {k: v for k, v in prof[s].items()}
        if s == "S1a":
            for n in p.pop("sizes"):
                out.append((f"S1a N={n}", s, {**p, "n": n}))
        elif s == "S6":
            for procs in p.pop("procs"):
                out.append((f"S6 procs={procs}", s, {**p, "procs": procs}))
        else:
            out.append((s, s, p))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="Linli's benchmark (see docs/benchmarks.md).")
    ap.add_argument("--scenarios", default=",".join(ORDER), help="comma list of " + ",".join(ORDER))
    ap.add_argument("--peers", default=",".join(PEERS), help="comma list of " + ",".join(PEERS))
    ap.add_argument(
        "--quick", action="store_true", help="smoke sizes: <= 300 sockets, short phases"
    )
    ap.add_argument(
        "--reps", type=int, default=2, help="repetitions of each scenario (BENCHMARK.md: 2)"
    )
    ap.add_argument("--server-core", type=int, default=0)
    ap.add_argument("--loadgen-core", type=int, default=1)
    ap.add_argument(
        "--linli-database-url",
        default=os.environ.get(
            "LINLI_BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/linli_bench"
        ),
    )
    ap.add_argument(
        "--linli-redis-url",
        default=os.environ.get("LINLI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/1"),
    )
    ap.add_argument("--tokens-file", default=str(STATE / "linli_tokens.json"))
    ap.add_argument(
        "--s6-mode",
        choices=["auto", "cluster", "direct"],
        default="auto",
        help="S6 through deploy/local-cluster (nginx) when it is there (auto), "
        "or daphne ports split directly",
    )
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="S.KEY=VALUE",
        help="override a scenario parameter, e.g. --set S1b.start_rate=5 (JSON); repeatable",
    )
    ap.add_argument(
        "--linli-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for Linli's server, e.g. LINLI_OUTBOX_LIMIT=65536; repeatable",
    )
    ap.add_argument(
        "--linli-server",
        choices=["daphne", "uvicorn"],
        default="daphne",
        help="the serving layer Linli runs under (`linli serve` uses daphne)",
    )
    ap.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = ap.parse_args()

    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    for s in scenarios:
        if s not in ORDER:
            sys.exit(f"unknown scenario {s}")
    for p in peers:
        if p not in PEERS:
            sys.exit(f"unknown peer {p}")
    scenarios = [s for s in ORDER if s in scenarios]
    prof = {k: dict(v) for k, v in (QUICK if args.quick else FULL).items()}
    for item in args.set:
        key, _, value = item.partition("=")
        scn, _, name = key.partition(".")
        if scn not in prof or not name:
            sys.exit(f"--set {item}: expected SCENARIO.KEY=VALUE")
        try:
            prof[scn][name] = json.loads(value)
        except json.JSONDecodeError:
            prof[scn][name] = value
    check_prereqs(peers)

    # run.py and the load generator stay off the server's core.
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {args.loadgen_core})
    raise_nofile()

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    logdir = STATE / "logs" / stamp
    logdir.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    command = "python bench/run.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    doc = {
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "command": command.strip(),
        "quick": args.quick,
        "reps": args.reps,
        "scenarios": scenarios,
        "peers": peers,
        "machine": machine(),
        "versions": versions(args),
        "params": {s: prof[s] for s in scenarios},
        "server_core": args.server_core,
        "loadgen_core": args.loadgen_core,
        "notes": [],
        "linli_env": args.linli_env,
        "linli_server": args.linli_server,
        "runs": [],
    }
    out_path = RESULTS / f"{stamp}{'-quick' if args.quick else ''}.json"

    linli_ok = "linli" not in peers
    if "linli" in peers:
        try:
            linli_ok, why = setup_linli(args, scenarios, prof, logdir)
        except Exception as e:
            linli_ok, why = False, f"set-up failed: {e}"
        doc["linli_status"] = (
            f"measured (the /ws/v1 probe answered: {why})" if linli_ok else f"not measured: {why}"
        )
        log(f"Linli: {'ready' if linli_ok else 'NOT measurable'} ({why})")
        if not linli_ok:
            doc["notes"].append(f"Linli could not be measured: {why}")

    stats = Stats(
        args.linli_redis_url,
        args.linli_database_url.replace("postgres://", "postgresql://")
        if "linli" in peers
        else None,
    )
    sub_runs = plan(scenarios, peers, prof)

    def save():
        doc["finished"] = dt.datetime.now().isoformat(timespec="seconds")
        out_path.write_text(json.dumps(doc, ensure_ascii=False, indent=1))

    try:
        for label, scenario, params in sub_runs:
            for rep in range(1, args.reps + 1):
                for peer in peers:
                    if scenario in LINLI_ONLY and peer != "linli":
                        continue
                    if peer == "linli" and not linli_ok:
                        doc["runs"].append(
                            {
                                "label": label,
                                "scenario": scenario,
                                "peer": peer,
                                "rep": rep,
                                "result": {"error": "not measured: " + doc.get("linli_status", "")},
                            }
                        )
                        continue
                    log(f"{label} · {peer} · run {rep}/{args.reps}")
                    res = one_run(label, scenario, params, peer, rep, args, stats, logdir)
                    doc["runs"].append(
                        {
                            "label": label,
                            "scenario": scenario,
                            "peer": peer,
                            "rep": rep,
                            "result": res,
                        }
                    )
                    brief = res.get("summary") or {
                        k: v
                        for k, v in (res.get("phases") or [{}])[-1].items()
                        if k in ("phase", "latency")
                    }
                    log(
                        f"  → {json.dumps(brief, ensure_ascii=False)[:400]}"
                        + (f" ERROR {res['error'][:300]}" if res.get("error") else "")
                    )
                    save()
    except KeyboardInterrupt:
        doc["notes"].append("interrupted")
        log("interrupted: writing what was measured")
    finally:
        stats.close()
        save()
    log(f"results: {out_path.relative_to(ROOT)}")
    if not args.no_docs:
        sys.path.insert(0, str(BENCH))
        import report

        report.write_doc(DOC, RESULTS)
        log(f"table: {DOC.relative_to(ROOT)}")


def one_run(
    label: str, scenario: str, params: dict, peer: str, rep: int, args, stats: Stats, logdir: Path
) -> dict:
    procs = params.get("procs", 1) if scenario == "S6" else 1
    if scenario == "S6" and args.s6_mode != "direct" and Cluster.available():
        return one_cluster_run(label, scenario, params, peer, rep, args, stats, logdir, procs)
    ports = [free_port() for _ in range(procs)]
    cores = [args.server_core] * procs
    note = None
    if procs > 1:
        ncpu = os.cpu_count() or 1
        if ncpu >= 3:
            cores = [args.server_core, 2]
        else:
            note = (
                f"{ncpu} cores: both worker processes share core {args.server_core} "
                "(the load generator has the other), so 1→2 processes cannot scale here; "
                "the figure shows the cost of crossing processes."
            )
    servers = [server_for(peer, p, c, args, logdir) for p, c in zip(ports, cores, strict=True)]
    aux = None
    if scenario == "S5":
        aux = server_for(peer, free_port(), args.server_core, args, logdir)
        servers_all = [*servers, aux]
    else:
        servers_all = servers
    if peer == "channels-naive":
        clean_naive_redis()
    try:
        for s in servers_all:
            s.start()
        for s in servers_all:
            if not wait_port(s.port, 40, s.proc):
                return {
                    "error": f"{s.name} did not listen on {s.port}",
                    "server_log_tail": s.log_tail(),
                }
        time.sleep(0.5)
        cfg = {
            "label": label,
            "scenario": scenario,
            "peer": peer,
            "rep": rep,
            "params": params,
            "ports": ports,
            "aux_port": aux.port if aux else None,
            "hard_limit_s": params["hard_limit_s"],
            "repairGaps": peer == "linli",
            "quick": args.quick,
        }
        if peer == "linli":
            cfg["tokens_file"] = str(args.tokens_file)
        res = run_loadgen(cfg, servers, stats, args, {}, logdir)
        if peer == "linli":
            stalls = [s.longest_stall_ms() for s in servers_all]
            res["loop_stall_max_ms"] = max((v for v in stalls if v is not None), default=None)
        if note:
            res.setdefault("notes", []).append(note)
        for s in servers_all:
            if s.proc and s.proc.poll() is not None and not (scenario == "S5" and s is servers[0]):
                res.setdefault("notes", []).append(
                    f"{s.name} exited with {s.proc.returncode} during the run"
                )
                res["server_log_tail"] = s.log_tail()
        return res
    finally:
        for s in servers_all:
            s.stop()


def one_cluster_run(label, scenario, params, peer, rep, args, stats, logdir, procs) -> dict:
    """S6 through deploy/local-cluster: nginx on one port, `procs` daphne workers behind it."""
    ncpu = os.cpu_count() or 1
    cores = [args.server_core] if ncpu < 3 else [args.server_core, 2]
    cluster = Cluster(procs, args, logdir, cores)
    try:
        cluster.start()
        cfg = {
            "label": label,
            "scenario": scenario,
            "peer": peer,
            "rep": rep,
            "params": params,
            "ports": [cluster.port],
            "aux_port": None,
            "hard_limit_s": params["hard_limit_s"],
            "repairGaps": True,
            "quick": args.quick,
            "tokens_file": str(args.tokens_file),
        }
        res = run_loadgen(cfg, cluster.servers, stats, args, {}, logdir)
        res.setdefault("notes", []).append(
            f"through deploy/local-cluster: nginx and {procs} daphne worker(s), "
            f"all pinned to core(s) "
            f"{','.join(map(str, cores))}; server CPU and RSS include nginx"
        )
        if procs > 1 and ncpu < 3:
            res["notes"].append(
                f"{ncpu} cores: the workers share core {args.server_core} "
                "(the load generator has the other), so 1→2 processes cannot scale here; "
                "the figure shows the cost of crossing processes."
            )
        return res
    except Exception as e:
        return {"error": f"S6 cluster: {e}"}
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
