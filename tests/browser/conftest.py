"""A real server and a real browser: Debian's chromium driven by Playwright.

One server per test module (daphne on a free loopback port, with a database of its own seeded
with ``tests.browser.seed``) and one browser; each test opens a browser context per person.
Skipped, with the reason, only where chromium or Playwright is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.servers import ROOT, Worker, free_port, server_env
from tests.factories import PASSWORD

CHROMIUM = os.environ.get("LINLI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
#: How long a browser assertion waits for the page to catch up (Playwright's expect).
WAIT_MS = 10_000

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - the test extras install it
    sync_playwright = None

pytestmark = pytest.mark.e2e
if sync_playwright is not None:
    expect.set_options(timeout=WAIT_MS)


def _skip_reason() -> str | None:
    if sync_playwright is None:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return f"chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _skip_reason()
    if reason is None:
        return
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.skip(reason=reason))


class Site:
    """The server a module's tests share, and how to log people in to it."""

    def __init__(self, worker: Worker, browser: Browser):
        self.worker = worker
        self.browser = browser
        self.url = worker.url

    def page(self, username: str | None, *, viewport=PHONE, locale="zh-CN") -> Page:
        """A new browser context (its own cookies) with ``username`` logged in, on ``/``."""
        context = self.browser.new_context(viewport=viewport, locale=locale)
        context.set_default_timeout(WAIT_MS)
        # Content-Security-Policy violations and uncaught errors are collected for `clean()`.
        context.add_init_script(
            "document.addEventListener('securitypolicyviolation', e =>"
            " (window.cspViolations = window.cspViolations || []).push(e.violatedDirective));"
        )
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        if username is None:
            return page
        page.goto(f"{self.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.get_by_role("navigation")).to_be_visible()
        return page

    def open_room(self, page: Page, name: str) -> None:
        page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()
        expect(page.get_by_role("log")).to_be_visible()

    @staticmethod
    def clean(page: Page) -> None:
        """The page ran without an uncaught error or a Content-Security-Policy violation."""
        assert page.errors == [], page.errors
        violations = page.evaluate("window.cspViolations || []")
        assert violations == [], violations

    def send_burst(self, username: str, room: int, bodies: list[str]) -> None:
        """Send messages as fast as the socket takes them (a token client, not a browser)."""
        import json
        import urllib.request

        from websockets.sync.client import connect

        login = json.dumps({"username": username, "password": PASSWORD}).encode()
        request = urllib.request.Request(
            f"{self.url}/api/v1/auth/token", login, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request) as answer:
            token = json.load(answer)["token"]
        ws_url = f"{self.url.replace('http', 'ws', 1)}/ws/v1?token={token}"
        with connect(ws_url, subprotocols=["linli.v1.json"]) as ws:
            ws.recv()  # welcome
            for i, body in enumerate(bodies):
                frame = {"type": "send", "room": room, "body": body, "client_id": f"burst-{i}"}
                ws.send(json.dumps(frame, ensure_ascii=False))
            acks = 0
            while acks < len(bodies):
                acks += json.loads(ws.recv(timeout=WAIT_MS / 1000)).get("type") == "ack"

    def restart(self) -> None:
        """Stop the server and start it again on the same port (sockets drop, clients return)."""
        self.worker.stop()
        self.worker.start()


def _prepare_database(data_dir: Path) -> dict[str, str]:
    env = server_env(
        LINLI_DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{data_dir / 'browser.sqlite3'}",
        PYTHONPATH=str(ROOT),
    )
    setup = (
        ["-m", "django", "migrate", "-v", "0"],
        ["-m", "tests.browser.seed"],
        # Served as in production (DEBUG off): the web client's files from STATIC_ROOT.
        ["-m", "django", "collectstatic", "--noinput", "-v", "0"],
    )
    for args in setup:
        subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True, timeout=120)
    return env


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("browser")
    env = _prepare_database(data_dir)
    worker = Worker(free_port(), env, data_dir / "server.log").start()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield Site(worker, browser)
        finally:
            browser.close()
            worker.stop()
