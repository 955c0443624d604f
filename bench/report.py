"""Render docs/benchmarks.md from bench/results/: the latest run of each scenario, and one before.

    python bench/report.py            # re-render from the JSON files, measuring nothing

run.py calls this at the end of every run. The text around the tables lives here; the figures
come only from the JSON files, so nothing in the document is typed in by hand.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PEERS = ["linli", "channels-naive", "socketio", "ws-node"]
LOWER, HIGHER, NONE = "↓", "↑", ""


def _get(d, *path):
    for k in path:
        if d is None:
            return None
        if isinstance(k, int):
            d = d[k] if isinstance(d, list) and len(d) > k else None
        else:
            d = d.get(k) if isinstance(d, dict) else None
    return d


def _phase(res, i, *path):
    return _get(res, "phases", i, *path)


def _step_best(res, key):
    return _get(res, "summary", key)


def _acc(res, key="accounting"):
    a = res.get(key) or {}
    if not a:
        return None
    return f"{a.get('lost', 0)}/{a.get('duplicates', 0)}/{a.get('reordered', 0)}"


# (figure, extractor, better) per scenario. Extractors take a run's `result`.
FIGURES = {
    "S1a": [
        (
            "p50 / p99 / max at 1 msg/s (ms; ratio of p99)",
            lambda r: _triple(_phase(r, 0, "latency")),
            LOWER,
        ),
        (
            "p50 / p99 / max at 5 msg/s (ms; ratio of p99)",
            lambda r: _triple(_phase(r, 1, "latency")),
            LOWER,
        ),
        (
            "server CPU per message at 1 msg/s (ms)",
            lambda r: _phase(r, 0, "server_cpu_per_msg_ms"),
            LOWER,
        ),
        (
            "server CPU per message at 5 msg/s (ms)",
            lambda r: _phase(r, 1, "server_cpu_per_msg_ms"),
            LOWER,
        ),
        (
            "server CPU per delivery at 5 msg/s (µs)",
            lambda r: _phase(r, 1, "server_cpu_per_delivery_us"),
            LOWER,
        ),
        (
            "Redis CPU at 5 msg/s (whole Redis, shared)",
            lambda r: _pct(_phase(r, 1, "window", "redis_cpu_util")),
            NONE,
        ),
        ("deliveries missing after drain", lambda r: _sum_phases(r, "deliveries_missing"), LOWER),
        ("lost (undelivered at the end) / duplicated / reordered", _acc, NONE),
        (
            "load generator CPU, busiest phase",
            lambda r: _max_phases(r, "window", "loadgen_cpu_util", pct=True),
            NONE,
        ),
        (
            "server runnable but waiting for its core (other work), worst phase",
            lambda r: _max_phases(r, "window", "server_runq_wait_util", pct=True),
            NONE,
        ),
    ],
    "S1b": [
        (
            "highest sustained deliveries/s (p99 ≤ 250 ms, 0 loss)",
            lambda r: _step_best(r, "sustained_deliveries_per_s"),
            HIGHER,
        ),
        (
            "… server CPU use at that rate",
            lambda r: _pct(_step_best(r, "sustained_server_cpu_util")),
            NONE,
        ),
        (
            "… server waiting for its core at that rate (other work)",
            lambda r: _pct(_step_best(r, "sustained_server_runq_wait_util")),
            NONE,
        ),
        (
            "… Redis CPU at that rate (whole Redis, shared)",
            lambda r: _pct(_step_best(r, "sustained_redis_cpu_util")),
            NONE,
        ),
        (
            "… per server core (deliveries/s ÷ CPU use)",
            lambda r: _step_best(r, "sustained_per_core"),
            HIGHER,
        ),
        (
            "peak deliveries/s received (any latency)",
            lambda r: _step_best(r, "max_received_per_s"),
            HIGHER,
        ),
        (
            "server CPU per delivery at the peak (µs)",
            lambda r: _step_best(r, "cpu_per_delivery_us_at_max"),
            LOWER,
        ),
        ("first failing step", lambda r: _step_best(r, "first_failing_step"), NONE),
        ("lost (undelivered at the end) / dup. / reordered, whole ramp", _acc, NONE),
        (
            "load generator CPU, busiest step",
            lambda r: _pct(_step_best(r, "loadgen_cpu_util_max")),
            NONE,
        ),
    ],
    "S2": [
        ("base rate (msg/s)", lambda r: _step_best(r, "base_rate_msgs_per_s"), NONE),
        ("delivery p99 at base (ms)", lambda r: _step_best(r, "base_delivery_p99_ms"), LOWER),
        ("ack (stored) p99 at base (ms)", lambda r: _step_best(r, "base_ack_p99_ms"), LOWER),
        ("server CPU at base", lambda r: _pct(_step_best(r, "base_server_cpu_util")), LOWER),
        ("database transactions/s at base", lambda r: _step_best(r, "base_db_xact_per_s"), NONE),
        (
            "knee: msg/s (last step with p99s met, 0 loss)",
            lambda r: _step_best(r, "knee_msgs_per_s"),
            HIGHER,
        ),
        ("knee: durable (acked) msg/s", lambda r: _step_best(r, "knee_durable_msgs_per_s"), HIGHER),
        ("lost (undelivered at the end) / duplicated / reordered", _acc, NONE),
    ],
    "S3": [
        (
            "connections welcomed / failures",
            lambda r: _pair(_get(r, "summary", "connections"), _get(r, "summary", "failures")),
            NONE,
        ),
        ("connects/s", lambda r: _get(r, "summary", "connects_per_s"), HIGHER),
        ("time until all welcomed (s)", lambda r: _get(r, "summary", "time_to_all_ready_s"), LOWER),
        ("handshake→ready p99 (ms)", lambda r: _get(r, "summary", "connect_p99_ms"), LOWER),
        (
            "server RSS per connection (KiB)",
            lambda r: _get(r, "summary", "rss_per_connection_kib"),
            LOWER,
        ),
        (
            "server CPU while idle",
            lambda r: _pct(_get(r, "summary", "idle_server_cpu_util")),
            LOWER,
        ),
        ("dropped while idle", lambda r: _get(r, "summary", "dropped_during_idle"), LOWER),
        (
            "load generator CPU during the storm",
            lambda r: _pct(_get(r, "summary", "loadgen_cpu_util_storm")),
            NONE,
        ),
    ],
    "S4": [
        ("messages missed", lambda r: _get(r, "summary", "missed"), NONE),
        ("sync → synced (ms)", lambda r: _get(r, "summary", "sync_to_synced_ms"), LOWER),
        ("connect → synced (ms)", lambda r: _get(r, "summary", "connect_to_synced_ms"), LOWER),
        ("sync rounds", lambda r: _get(r, "summary", "sync_rounds"), NONE),
        (
            "every missed message once, in order",
            lambda r: _get(r, "summary", "exactly_once_in_order"),
            NONE,
        ),
        (
            "index scans on chat_message during catch-up",
            lambda r: _get(r, "summary", "db", "message_idx_scan"),
            LOWER,
        ),
        ("… by index", lambda r: _by_index(_get(r, "summary", "db")), NONE),
        (
            "database transactions during catch-up",
            lambda r: _get(r, "summary", "db", "xact_commit"),
            LOWER,
        ),
    ],
    "S5": [
        (
            "99 % current, from restart (s)",
            lambda r: _get(r, "summary", "time_to_99pct_current_from_restart_s"),
            LOWER,
        ),
        (
            "99 % current, from kill (s)",
            lambda r: _get(r, "summary", "time_to_99pct_current_from_kill_s"),
            LOWER,
        ),
        (
            "clients current at the end / of",
            lambda r: _pair(_get(r, "summary", "current"), _get(r, "summary", "clients")),
            NONE,
        ),
        (
            "reconnect attempts / failures",
            lambda r: _pair(
                _get(r, "summary", "reconnect_attempts"), _get(r, "summary", "reconnect_failures")
            ),
            NONE,
        ),
        (
            "all current, from restart (s)",
            lambda r: _get(r, "summary", "time_to_all_current_from_restart_s"),
            LOWER,
        ),
        (
            "duplicates / lost",
            lambda r: _pair(_get(r, "summary", "duplicates"), _get(r, "summary", "lost")),
            NONE,
        ),
        (
            "index scans on chat_message during reconnect",
            lambda r: _get(r, "summary", "db_during_reconnect", "message_idx_scan"),
            LOWER,
        ),
        ("… by index", lambda r: _by_index(_get(r, "summary", "db_during_reconnect")), NONE),
        (
            "database transactions during reconnect",
            lambda r: _get(r, "summary", "db_during_reconnect", "xact_commit"),
            LOWER,
        ),
        (
            "peak RSS of the restarted server (MiB)",
            lambda r: _mib(_get(r, "summary", "peak_rss_kib")),
            LOWER,
        ),
    ],
    "S6": [
        (
            "highest sustained deliveries/s",
            lambda r: _step_best(r, "sustained_deliveries_per_s"),
            HIGHER,
        ),
        ("peak deliveries/s received", lambda r: _step_best(r, "max_received_per_s"), HIGHER),
        ("p99 at the sustained step (ms)", lambda r: _step_best(r, "sustained_p99_ms"), LOWER),
        (
            "p99 same process / across processes (ms; direct mode only)",
            lambda r: _pair(
                _step_best(r, "same_process_p99_ms"), _step_best(r, "cross_process_p99_ms")
            ),
            NONE,
        ),
        (
            "Redis PUBLISH per message (whole Redis, shared)",
            lambda r: _step_best(r, "redis_publishes_per_msg"),
            LOWER,
        ),
        (
            "Redis commands per message (whole Redis, shared: noisy)",
            lambda r: _step_best(r, "redis_cmds_per_msg"),
            LOWER,
        ),
        ("lost (undelivered at the end) / duplicated / reordered", _acc, NONE),
    ],
    "S7": [
        (
            "healthy p99, all reading (ms)",
            lambda r: _get(r, "summary", "healthy_p99_control_ms"),
            LOWER,
        ),
        (
            "healthy p99, 5 % not reading (ms)",
            lambda r: _get(r, "summary", "healthy_p99_with_slow_ms"),
            LOWER,
        ),
        ("… ratio", lambda r: _get(r, "summary", "healthy_p99_ratio"), LOWER),
        (
            "server RSS growth (MiB)",
            lambda r: _mib(_get(r, "summary", "server_rss_growth_kib")),
            LOWER,
        ),
        (
            "slow clients closed by the server / of",
            lambda r: _pair(
                _get(r, "summary", "slow_closed_by_server"), _get(r, "summary", "slow_clients")
            ),
            NONE,
        ),
        (
            "close codes",
            lambda r: (
                ", ".join(
                    f"{k}×{v}" for k, v in (_get(r, "summary", "slow_close_reasons") or {}).items()
                )
                or None
            ),
            NONE,
        ),
        (
            "slow clients fully recovered",
            lambda r: _get(r, "summary", "slow_fully_recovered"),
            HIGHER,
        ),
        (
            "healthy lost / slow lost",
            lambda r: _pair(_get(r, "summary", "healthy_lost"), _get(r, "summary", "slow_lost")),
            NONE,
        ),
    ],
    "S8": [
        (
            "presence frames per client per minute, churn",
            lambda r: _get(r, "summary", "presence_per_client_per_min_churn"),
            LOWER,
        ),
        (
            "chat p99 base / churn (ms)",
            lambda r: _pair(
                _get(r, "summary", "chat_p99_base_ms"), _get(r, "summary", "chat_p99_churn_ms")
            ),
            NONE,
        ),
        ("chat p99 under churn (ms)", lambda r: _get(r, "summary", "chat_p99_churn_ms"), LOWER),
        (
            "server CPU base / churn",
            lambda r: _pair(
                _pct(_get(r, "summary", "server_cpu_util_base")),
                _pct(_get(r, "summary", "server_cpu_util_churn")),
            ),
            NONE,
        ),
        (
            "churn's share of server CPU",
            lambda r: _pct(_get(r, "summary", "churn_share_of_cpu")),
            LOWER,
        ),
        (
            "reconnects / failures",
            lambda r: _pair(
                _get(r, "summary", "reconnects"), _get(r, "summary", "reconnect_failures")
            ),
            NONE,
        ),
        ("lost (undelivered at the end) / duplicated / reordered", _acc, NONE),
    ],
}


# Beside every scenario's latencies: how long the worker's event loop stood still at worst
# (serving/loopwatch.py; Linli only, the peers have no probe).
for _figures in FIGURES.values():
    _figures.append(
        ("longest event-loop stall (ms)", lambda r: r.get("loop_stall_max_ms"), LOWER)
    )

def _triple(lat):
    """Shown as p50 / p99 / max; the ratio columns use p99."""
    if not lat:
        return None
    return (
        f"{_fmt(lat.get('p50_ms'))} / {_fmt(lat.get('p99_ms'))} / {_fmt(lat.get('max_ms'))}",
        lat.get("p99_ms"),
    )


def _by_index(db):
    if not db:
        return None
    parts = [f"{k[4:]} {v}" for k, v in sorted(db.items()) if k.startswith("idx:") and v]
    return ", ".join(parts) or "0"


def _pair(a, b):
    if a is None and b is None:
        return None
    return f"{_fmt(a)} / {_fmt(b)}"


def _pct(v):
    return None if v is None else f"{v * 100:.0f} %"


def _mib(v):
    return None if v is None else round(v / 1024, 1)


def _sum_phases(res, key):
    ph = res.get("phases") or []
    return sum(p.get(key) or 0 for p in ph) if ph else None


def _max_phases(res, *path, pct=False):
    vals = [_get(p, *path) for p in res.get("phases") or []]
    vals = [v for v in vals if isinstance(v, int | float)]
    if not vals:
        return None
    return _pct(max(vals)) if pct else max(vals)


def _fmt(v):
    if v is None:
        return "–"
    if v is True:
        return "yes"
    if v is False:
        return "**no**"
    if isinstance(v, str):
        return v
    if isinstance(v, float) and (math.isinf(v) or math.isnan(v)):
        return "∞"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) >= 100):
        return f"{int(v):,}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}".rstrip("0").rstrip(".") if v else "0"


def _num(v):
    return (
        v if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) else None
    )


def _cell(results):
    """'rep 1 / rep 2' for one peer (or the error)."""
    if not results:
        return "n/a", []
    vals, shown = [], []
    for res, fn in results:
        if res.get("error") and not res.get("summary") and not res.get("phases"):
            shown.append(
                "not measured" if str(res["error"]).startswith("not measured") else "error"
            )
            continue
        try:
            v = fn(res)
        except Exception:
            v = None
        if isinstance(v, tuple):  # (shown, value for the ratio)
            shown.append(v[0])
            vals.append(v[1])
        else:
            vals.append(v)
            shown.append(_fmt(v))
    if len(set(shown)) == 1 and shown[0] in ("not measured", "error"):
        return shown[0], vals
    return " ; ".join(shown), vals


def _ratio(a_vals, b_vals):
    a = [x for x in map(_num, a_vals) if x is not None]
    b = [x for x in map(_num, b_vals) if x is not None]
    if not a or not b:
        return "–"
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    if mb == 0:
        return "–"
    return f"{ma / mb:.2f}×"


def render_run(doc: dict, only: list[str] | None = None) -> str:
    runs = [r for r in doc.get("runs", []) if only is None or r["scenario"] in only]
    peers = [p for p in PEERS if p in doc.get("peers", PEERS)]
    labels = []
    for r in runs:
        if r["label"] not in labels:
            labels.append(r["label"])
    out = []
    by_scn = {}
    for label in labels:
        scn = next(r["scenario"] for r in runs if r["label"] == label)
        by_scn.setdefault(scn, []).append(label)
    others = [p for p in peers if p != "linli"]
    show_ratio = "linli" in peers and others
    for scn, lbls in by_scn.items():
        out.append(f"\n#### {scn}\n")
        head = "| run | figure | " + " | ".join(peers) + " |"
        sep = "|---|---|" + "---|" * len(peers)
        if show_ratio:
            head += " " + " | ".join(f"Linli ÷ {p}" for p in others) + " |"
            sep += "---|" * len(others)
        out += [head, sep]
        for label in lbls:
            for name, fn, better in FIGURES.get(scn, []):
                cells, vals = [], {}
                for p in peers:
                    rs = [(r["result"], fn) for r in runs if r["label"] == label and r["peer"] == p]
                    c, v = _cell(rs)
                    cells.append(c)
                    vals[p] = v
                if all(c in ("n/a", "– ; –", "–") for c in cells):
                    continue
                row = f"| {label} | {name} {better}".rstrip() + " | " + " | ".join(cells) + " |"
                if show_ratio:
                    row += (
                        " "
                        + " | ".join(
                            _ratio(vals["linli"], vals[p]) if better else "" for p in others
                        )
                        + " |"
                    )
                out.append(row)
        notes = sorted(
            {
                re.sub(r"nginx on \d+ and", "nginx and", n)
                for r in runs
                if r["scenario"] == scn
                for n in (r["result"].get("notes") or [])
            }
        )
        errs = sorted(
            {
                f"{r['peer']}: {str(r['result']['error']).splitlines()[0][:200]}"
                for r in runs
                if r["scenario"] == scn and r["result"].get("error")
            }
        )
        for n in notes:
            out.append(f"\n- note: {n}")
        for e in errs:
            out.append(f"\n- {e}")
    return "\n".join(out) + "\n"


def render_header(doc: dict) -> str:
    m, v = doc.get("machine", {}), doc.get("versions", {})
    kind = (
        "smoke run (`--quick`: at most 300 sockets, phases of seconds; "
        "not the specification's sizes)"
        if doc.get("quick")
        else "full run (the sizes of BENCHMARK.md)"
    )
    load = ", ".join(f"{x:.2f}" for x in m.get("loadavg_at_start", []))
    when = f"{doc.get('started')} → {doc.get('finished')}"
    versions = (
        f"Python {v.get('python')}, Node {v.get('node')} with ws {v.get('ws')}, "
        f"Django {v.get('django')}, Channels {v.get('channels')}, "
        f"daphne {v.get('daphne')} (Twisted {v.get('twisted')}), "
        f"channels-redis {v.get('channels-redis')}, redis-py {v.get('redis-py')}, "
        f"python-socketio {v.get('python-socketio')} (engineio {v.get('python-engineio')}), "
        f"uvicorn {v.get('uvicorn')} with uvloop {v.get('uvloop')} and httptools "
        f"{v.get('httptools')}, websockets {v.get('websockets')}; "
        f"{v.get('redis-server')}; {v.get('postgresql')}"
    )
    lines = [
        f"- when: {when}; {kind}; {doc.get('reps')} repetition(s), shown as `run 1 ; run 2`",
        f"- command: `{doc.get('command')}`",
        f"- machine: {m.get('nproc')} cores, {m.get('cpu_model')}, {m.get('mem_mib')} MiB, "
        f"Linux {m.get('kernel')}; load average at start {load} (the machine is shared)",
        f"- pinning: servers on core {doc.get('server_core')}, load generator (and run.py) on "
        f"core {doc.get('loadgen_core')}; PostgreSQL and Redis are shared services and float",
        f"- versions: {versions}",
    ]
    if doc.get("linli_status") is not None:
        lines.append(f"- Linli: {doc.get('linli_status')}")
    for n in doc.get("notes", []):
        lines.append(f"- **{n}**")
    return "\n".join(lines) + "\n"


#: The text around the tables (how to run, what each scenario measures, caveats).
INTRO = (BENCH / "report_intro.md").read_text()


def results_files(results_dir: Path) -> list[Path]:
    return sorted(results_dir.glob("*.json"), key=lambda p: p.name[:15])


def latest_by_scenario(files: list[Path]) -> list[tuple[Path, dict, list[str]]]:
    """For each scenario, the newest run that measured it (at the newest run's size: full or
    quick), so a benchmark run in parts is shown whole. Newest file first."""
    picked: list[tuple[Path, dict, list[str]]] = []
    covered: set[str] = set()
    quick = None
    for path in reversed(files):
        doc = json.loads(path.read_text())
        quick = doc.get("quick") if quick is None else quick
        if doc.get("quick") != quick:
            continue
        measured = {r["scenario"] for r in doc.get("runs", [])}
        new = [s for s in doc.get("scenarios", []) if s in measured and s not in covered]
        if new:
            picked.append((path, doc, new))
            covered.update(new)
    return picked


def write_doc(doc_path: Path, results_dir: Path) -> None:
    files = results_files(results_dir)
    parts = [INTRO]
    if not files:
        parts.append("\n## Results\n\nNo run yet.\n")
    else:
        picked = latest_by_scenario(files)
        parts.append("\n## Results: the latest run of each scenario\n")
        for path, doc, scenarios in picked:
            parts.append(f"\n### `bench/results/{path.name}`: {', '.join(scenarios)}\n")
            parts.append(render_header(doc))
            parts.append(render_run(doc, only=scenarios))
        shown = {path for path, _doc, _s in picked}
        older = [f for f in files if f not in shown and f.name < picked[-1][0].name]
        if older:
            prev = json.loads(older[-1].read_text())
            parts.append(f"\n## Previous run, for comparison (`bench/results/{older[-1].name}`)\n")
            parts.append(render_header(prev))
            parts.append(render_run(prev))
    browser = BENCH / "browser_results.md"  # written by bench/browser.py
    if browser.exists():
        parts.append("\n" + browser.read_text())
    doc_path.parent.mkdir(parents=True, exist_ok=True)
    doc_path.write_text("".join(parts))


if __name__ == "__main__":
    results = Path(sys.argv[1]) if len(sys.argv) > 1 else BENCH / "results"
    write_doc(ROOT / "docs" / "benchmarks.md", results)
    print(f"wrote {ROOT / 'docs' / 'benchmarks.md'}")
