"""Screenshots of the web client's main screens, in Chinese, phone and desktop (docs/screenshots/).

On demand, against `linli demo` data in a fresh data directory, with a short conversation added
through the actions (a notice the cadre pins, questions, a reply, a knock):

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


def converse() -> None:
    """The conversation on the screenshots, stored through the actions (run with Django set up)."""
    from chat.actions import knocks, messages, moderation
    from chat.models import Room
    from community.models import Person
    from core.policy import Actor

    people = {p.username: Actor.of(p) for p in Person.objects.all()}
    room = Room.objects.get(name=ROOM).pk

    def say(who: str, body: str, reply_to: int | None = None) -> int:
        sent = messages.do_send(people[who], room, body, f"shot-{time.monotonic_ns()}", reply_to)
        return sent.message.seq

    notice = say("cadre1", "各位邻居好！3号楼电梯本周六上午9点到12点停运检修，请大家提前安排出行。")
    moderation.do_pin(people["cadre1"], room, notice, "3号楼电梯周六检修")
    say("resident3", "收到，谢谢居委通知！")
    question = say("resident5", "请问停运期间，楼里行动不便的老人上下楼有人帮忙吗？")
    say("cadre1", "有的，志愿者周六8点半起在3号楼大厅等候，需要帮忙的请在群里说一声。", question)
    say("resident7", "我家在12楼，周六上午需要帮忙推一下轮椅，先谢谢大家了。")
    say("resident1", "我周六上午有空，可以来帮忙！")
    say("resident9", "小区东门的快递柜什么时候修好呀？已经坏了三天了。")
    knocks.do_knock(
        people["resident11"],
        people["resident1"].person_id,
        "王阿姨您好，我是11号楼的徐阿婆，想请教一下老年卡怎么办理。",
        "shot-knock",
    )


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
        phone.goto(f"{url}/#/knock")
        phone.get_by_text("徐阿婆").first.wait_for()
        phone.wait_for_timeout(500)
        phone.screenshot(path=out / "phone-knock.png")

        cadre = login("cadre1", PHONE)
        room(cadre)
        article = cadre.get_by_role("article").filter(has_text="快递柜")
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
    subprocess.run([sys.executable, __file__, "--converse"], cwd=ROOT, env=env, check=True)
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
    if sys.argv[1:] == ["--converse"]:
        import django

        django.setup()
        converse()
    else:
        main()
