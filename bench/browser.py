"""The web client's speed in Debian's chromium: first load over the wire, time to a usable chat,
smoothness while a room receives 100 messages a second, and the DOM's size however far one
scrolls back. Not a test: figures, printed and written to ``bench/browser_results.md`` (which
``bench/report.py`` puts at the end of docs/benchmarks.md).

    python bench/browser.py [--rate 100] [--seconds 10]

A fresh `linli demo` data directory (SQLite, in-memory layer), one server process, the browser
on the same machine; `resident1` reads 海滨一村小区群 while `resident3` sends into it over a
token socket. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from screenshots import CHROMIUM_ARGS, PASSWORD, PHONE, ROOM, free_port, linli, wait_ready

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "browser_results.md"


def token(url: str, username: str) -> str:
    body = json.dumps({"username": username, "password": PASSWORD}).encode()
    request = urllib.request.Request(
        f"{url}/api/v1/auth/token", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as r:
        return json.load(r)["token"]


async def flood(ws_url: str, key: str, room: int, rate: int, seconds: float) -> int:
    """Send ``rate`` messages a second for ``seconds`` and wait for every ack."""
    from websockets.asyncio.client import connect

    async with connect(f"{ws_url}?token={key}", subprotocols=["linli.v1.json"]) as ws:
        await ws.recv()  # welcome
        total = int(rate * seconds)
        start = time.monotonic()
        acks = 0

        async def read() -> None:
            nonlocal acks
            while acks < total:
                if json.loads(await ws.recv()).get("type") == "ack":
                    acks += 1

        reader = asyncio.create_task(read())
        for i in range(total):
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            frame = {
                "type": "send",
                "room": room,
                "body": f"第{i}条：楼道灯坏了，已报修",
                "client_id": f"b{i}-{start}",
            }
            await ws.send(json.dumps(frame, ensure_ascii=False))
        await asyncio.wait_for(reader, 60)
        return acks


def measure(url: str, rate: int, seconds: float) -> dict:
    from playwright.sync_api import sync_playwright

    figures: dict = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{url}/accounts/login/")
        page.fill("#id_username", "resident1")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.get_by_role("navigation").wait_for()
        room = int(
            page.get_by_role("link", name=ROOM, exact=True).get_attribute("href").split("/")[-1]
        )

        # 1. First load, cold cache: every HTTP response of the page, as sent and gzipped.
        fresh = context.new_page()
        cdp = context.new_cdp_session(fresh)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        wire: dict[str, int] = {}
        urls: dict[str, str] = {}
        cdp.on(
            "Network.responseReceived",
            lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]),
        )
        cdp.on(
            "Network.loadingFinished",
            lambda e: wire.__setitem__(e["requestId"], e["encodedDataLength"]),
        )
        fresh.goto(f"{url}/#/room/{room}")
        fresh.get_by_role("log").get_by_role("article").last.wait_for()
        usable_ms = fresh.evaluate("performance.now()")
        resources = []
        for request_id, size in wire.items():
            address = urls.get(request_id, "")
            if not address.startswith("http"):
                continue
            with urllib.request.urlopen(
                urllib.request.Request(address, headers={"Cookie": cookie(context)})
            ) as r:
                body = r.read()
            resources.append(
                (address.replace(url, ""), size, len(body), len(gzip.compress(body, 6)))
            )
        figures["resources"] = sorted(resources)
        figures["wire_bytes"] = sum(r[1] for r in resources)
        figures["gzip_bytes"] = sum(r[3] for r in resources)
        figures["usable_ms"] = usable_ms
        fresh.close()

        # 2. A room receiving `rate` messages a second, read by the open chat.
        page.goto(f"{url}/#/room/{room}")
        page.get_by_role("log").get_by_role("article").last.wait_for()
        page.evaluate(
            """() => { window.longTasks = []; window.domMax = 0;
              new PerformanceObserver(list => {
                  for (const e of list.getEntries()) window.longTasks.push(e.duration); })
                .observe({type: 'longtask', buffered: false});
              setInterval(() => { window.domMax = Math.max(window.domMax,
                document.querySelectorAll('[role=log] article').length); }, 100); }"""
        )
        key = token(url, "resident3")
        ws_url = url.replace("http", "ws") + "/ws/v1"
        started = time.monotonic()
        # Playwright's sync API holds this thread's event loop: the sender runs on its own.
        with ThreadPoolExecutor(1) as pool:
            acks = pool.submit(asyncio.run, flood(ws_url, key, room, rate, seconds)).result()
        figures["flood_seconds"] = time.monotonic() - started
        page.get_by_role("log").get_by_text(f"第{acks - 1}条").wait_for(timeout=30000)
        figures["acks"] = acks
        figures["long_tasks"] = page.evaluate("window.longTasks")
        figures["dom_max_live"] = page.evaluate("window.domMax")

        # 3. Scroll back through the whole history: the DOM stays bounded.
        dom_max = 0
        for _ in range(200):
            page.evaluate("document.querySelector('[role=log]').scrollTop = 0")
            page.wait_for_timeout(60)
            dom_max = max(
                dom_max, page.evaluate("document.querySelectorAll('[role=log] article').length")
            )
            if page.get_by_text("没有更早的消息了").count():
                break
        figures["dom_max_scrolled"] = dom_max
        figures["oldest_seq_reached"] = page.evaluate(
            "Math.min(...[...document.querySelectorAll('[data-seq]')].map(e => +e.dataset.seq))"
        )
        browser.close()
    return figures


def cookie(context) -> str:
    return "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    chromium = subprocess.run(
        ["/usr/bin/chromium", "--version"], capture_output=True, text=True
    ).stdout.strip()
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores, {model}; {chromium}; load average {load:.2f} at start"


def report(figures: dict, rate: int, seconds: float, command: str) -> str:
    kib = lambda n: f"{n / 1024:.1f} KiB"  # noqa: E731
    tasks = figures["long_tasks"]
    rows = "\n".join(
        f"| `{path}` | {kib(wire)} | {kib(raw)} | {kib(gz)} |"
        for path, wire, raw, gz in figures["resources"]
    )
    longest = f" (longest {max(tasks):.0f} ms)" if tasks else ""
    table = [
        ("first load, as served (HTML + CSS + JS, uncompressed)", kib(figures["wire_bytes"]), "—"),
        ("first load, gzip-compressed", kib(figures["gzip_bytes"]), "≤ 100 KB"),
        (
            "chat usable after navigation (messages shown)",
            f"{figures['usable_ms']:.0f} ms",
            "≤ 1 s",
        ),
        (f"messages received while reading ({rate}/s for {seconds:.0f} s)", figures["acks"], "—"),
        ("long tasks over 50 ms while receiving", f"{len(tasks)}{longest}", "0"),
        ("messages in the DOM at most, while receiving", figures["dom_max_live"], "bounded"),
        (
            f"messages in the DOM at most, scrolling back to seq {figures['oldest_seq_reached']}",
            figures["dom_max_scrolled"],
            "bounded",
        ),
    ]
    figures_rows = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in table)
    return f"""## The web client in the browser (`bench/browser.py`)

- when: {time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}; command: `{command}`
- machine: {machine()}
- setup: one `linli serve` process (embedded: SQLite, in-memory layer, `DEBUG` on, as after
  `linli demo`), its data; chromium headless on the same machine, phone viewport 390×844
- the machine may be shared: with a load average far above its cores, the timings (time to
  usable, long tasks) are the machine's as much as the client's; sizes and DOM counts are not

| figure | measured | target |
|---|---|---|
{figures_rows}

Resources of the first load (over the wire: body and headers as served; gzip at level 6):

| resource | over the wire | body | gzipped body |
|---|---|---|---|
{rows}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="linli-browser-bench-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        LINLI_DATA_DIR=str(data),
        DJANGO_SETTINGS_MODULE="server.settings",
        PYTHONPATH=str(ROOT),
        LINLI_SEND_RATE="1000",
        LINLI_SEND_BURST="1000",
    )
    linli(env, "migrate", "-v", "0")
    linli(env, "seed_demo")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url)
        figures = measure(url, args.rate, args.seconds)
    finally:
        server.terminate()
        server.wait(10)
    text = report(figures, args.rate, args.seconds, "python " + " ".join(sys.argv))
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
