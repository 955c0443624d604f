"""Screenshots of the web client's main screens, in Chinese, phone and desktop (docs/screenshots/).

On demand, against `linli demo`'s data (``seed_demo`` and ``seed_demo_chat``: the morning's
conversation, the pinned 议题, a knock at the cadre's door) in a fresh data directory:

    python bench/screenshots.py [--out docs/screenshots]

Needs Playwright for Python and Debian's chromium (/usr/bin/chromium), as the browser tests do.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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
ROOM = "海滨一村小区群"
PASSWORD = "linli-demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def linli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, env=env, check=True)


def wait_ready(url: str) -> None:
    for _ in range(150):
        try:
            with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def shoot(url: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)

        def login(username: str, viewport: dict):
            context = browser.new_context(
                viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai"
            )
            page = context.new_page()
            page.goto(f"{url}/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.get_by_role("navigation").wait_for()
            page.wait_for_timeout(1500)  # every room's newest page (previews) arrives
            return page

        def room(page, name: str = ROOM):
            page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()
            page.get_by_role("log").get_by_role("article").last.wait_for()
            page.wait_for_timeout(500)

        phone = login("resident1", PHONE)
        phone.screenshot(path=out / "phone-rooms.png")
        room(phone)
        phone.screenshot(path=out / "phone-chat.png")

        cadre = login("cadre1", PHONE)
        cadre.goto(f"{url}/#/knock")
        cadre.get_by_text("马大爷").first.wait_for()  # resident19, knocking at the cadre's door
        cadre.wait_for_timeout(500)
        cadre.screenshot(path=out / "phone-knock.png")
        cadre.goto(f"{url}/#/")
        room(cadre)
        article = cadre.get_by_role("article").filter(has_text="快递").last
        article.get_by_role("button", name="消息操作").click()
        cadre.get_by_role("dialog").wait_for()
        cadre.screenshot(path=out / "phone-moderation.png")
        cadre.get_by_role("menuitem", name="禁言").click()
        cadre.wait_for_timeout(300)
        cadre.screenshot(path=out / "phone-mute.png")

        desk = login("cadre1", DESKTOP)
        room(desk)
        desk.screenshot(path=out / "desktop-chat.png")
        desk.goto(f"{url}/#/review")
        desk.get_by_text("新邻居小林").first.wait_for()
        desk.wait_for_timeout(300)
        desk.screenshot(path=out / "desktop-review.png")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="linli-shots-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        LINLI_DATA_DIR=str(data), DJANGO_SETTINGS_MODULE="server.settings", PYTHONPATH=str(ROOT)
    )
    linli(env, "migrate", "-v", "0")
    linli(env, "seed_demo")
    linli(env, "seed_demo_chat")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}")
        shoot(f"http://127.0.0.1:{port}", args.out)
    finally:
        server.terminate()
        server.wait(10)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
