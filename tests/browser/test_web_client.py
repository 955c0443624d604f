"""The web client in a real browser, against a real server: several people at once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP
from tests.browser.seed import GARDEN_ROOM, XSS_NAME, XSS_ROOM

pytestmark = pytest.mark.e2e
#: A reconnect after a restart waits out the backoff (1, 2, 4 … s with jitter) and the start.
RECONNECT_MS = 40_000


def composer(page: Page):
    return page.get_by_role("textbox", name="消息", exact=True)


def say(page: Page, text: str) -> None:
    composer(page).fill(text)
    composer(page).press("Enter")


def message(page: Page, text: str):
    return page.get_by_role("log").get_by_role("article").filter(has_text=text)


def test_two_residents_see_each_others_messages_live(site):
    wang, li = site.page("wang"), site.page("li")
    for page in (wang, li):
        site.open_room(page, GARDEN_ROOM)

    say(wang, "今晚七点花园见")
    expect(message(li, "今晚七点花园见")).to_be_visible()
    say(li, "好的，我带凳子")
    expect(message(wang, "好的，我带凳子")).to_be_visible()

    expect(message(wang, "今晚七点花园见")).to_have_count(1)
    site.clean(wang)
    site.clean(li)


def test_a_muted_resident_sees_the_mute_and_its_end_in_the_composer(site):
    cadre, zhang = site.page("cadre", viewport=DESKTOP), site.page("zhang")
    for page in (cadre, zhang):
        site.open_room(page, GARDEN_ROOM)
    say(zhang, "楼下的车能挪一下吗")

    message(cadre, "楼下的车能挪一下吗").get_by_role("button", name="消息操作").click()
    cadre.get_by_role("menuitem", name="禁言").click()
    cadre.get_by_role("button", name="1 小时").click()

    note = zhang.get_by_role("status").filter(has_text="你已被禁言")
    expect(note).to_have_text(re.compile(r"你已被禁言，.*\d\d:\d\d 解除"))
    expect(composer(zhang)).to_be_disabled()
    shown = re.search(r"(\d\d):(\d\d) 解除", note.inner_text())
    expected = zhang.evaluate(
        "(() => { const d = new Date(Date.now() + 3600e3);"
        " return [d.getHours(), d.getMinutes()]; })()"
    )
    minutes = lambda h, m: h * 60 + m  # noqa: E731
    gap = (minutes(*map(int, shown.groups())) - minutes(*expected)) % 1440
    assert gap in (0, 1, 1439)  # the end a mute of one hour has, to the minute
    site.clean(cadre)
    site.clean(zhang)


def test_a_knock_sent_and_accepted_opens_a_direct_room_for_both(site):
    wang, li = site.page("wang"), site.page("li")
    wang.get_by_role("link", name="敲门").click()
    wang.get_by_label("按昵称搜索").fill("老李")
    wang.get_by_role("button", name="搜索").click()
    wang.get_by_role("button", name="敲门 老李").click()
    dialog = wang.get_by_role("dialog")
    dialog.get_by_label("敲门留言").fill("李叔，借一下梯子")
    dialog.get_by_role("button", name="敲门", exact=True).click()
    expect(wang.get_by_role("status").filter(has_text="已敲门")).to_be_visible()

    li.get_by_role("link", name="敲门").click()
    knock = li.get_by_role("article", name="小王")
    expect(knock).to_contain_text("李叔，借一下梯子")
    knock.get_by_role("button", name="开门").click()

    expect(message(li, "李叔，借一下梯子")).to_be_visible()
    wang.goto(f"{site.url}/#/")
    site.open_room(wang, "老李")
    expect(message(wang, "李叔，借一下梯子")).to_be_visible()
    say(li, "没问题，下楼来拿")
    expect(message(wang, "没问题，下楼来拿")).to_be_visible()
    site.clean(wang)
    site.clean(li)


def test_a_burst_of_messages_keeps_the_reader_on_the_newest(site):
    li = site.page("li")
    site.open_room(li, GARDEN_ROOM)
    room = int(li.url.rsplit("/", 1)[-1])  # …/#/room/<id>
    burst = [f"第{i}条：楼下停车位的通知" for i in range(150)]
    site.send_burst("wang", room, burst)  # faster than the page renders
    expect(message(li, burst[-1])).to_be_visible()
    expect(li.get_by_role("button", name=re.compile("条新消息"))).to_have_count(0)
    site.clean(li)


def test_a_server_restart_loses_and_duplicates_nothing(site):
    wang, li = site.page("wang"), site.page("li")
    for page in (wang, li):
        site.open_room(page, GARDEN_ROOM)
    say(wang, "重启前的消息")
    expect(message(li, "重启前的消息")).to_be_visible()

    site.worker.stop()
    expect(wang.get_by_role("status").filter(has_text="网络已断开")).to_be_visible()
    say(wang, "断线时写的消息")  # queued, sent with its client_id once back
    expect(message(wang, "断线时写的消息")).to_contain_text("等待发送")
    site.worker.start()

    expect(message(li, "断线时写的消息")).to_be_visible(timeout=RECONNECT_MS)
    expect(message(wang, "断线时写的消息")).not_to_contain_text("等待发送", timeout=RECONNECT_MS)
    say(li, "重启后的消息")
    expect(message(wang, "重启后的消息")).to_be_visible(timeout=RECONNECT_MS)
    for page in (wang, li):
        for text in ("重启前的消息", "断线时写的消息", "重启后的消息"):
            expect(message(page, text)).to_have_count(1)
    site.clean(wang)
    site.clean(li)


def test_markup_in_a_message_a_display_name_and_a_room_name_is_shown_as_text(site):
    payload = '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>'
    xss, wang = site.page("xss"), site.page("wang")
    expect(xss.get_by_role("navigation").get_by_role("link", name=XSS_ROOM)).to_be_visible()
    site.open_room(xss, GARDEN_ROOM)
    say(xss, payload)

    site.open_room(wang, GARDEN_ROOM)
    sent = message(wang, payload)
    expect(sent).to_be_visible()
    expect(wang.get_by_role("log").get_by_role("article", name=XSS_NAME).last).to_contain_text(
        payload
    )
    for page in (xss, wang):
        assert page.evaluate("window.pwned") is None
        assert page.locator("#app img, #app script").count() == 0
        site.clean(page)


def test_the_phone_layout_has_no_horizontal_scroll(site):
    page = site.page("wang")
    site.open_room(page, GARDEN_ROOM)
    say(page, "https://example.org/" + "很长的链接" * 40 + "x" * 200)
    expect(message(page, "很长的链接")).not_to_contain_text("等待发送")
    # Each screen once its content (loaded over HTTP for some) shows.
    screens = {"": GARDEN_ROOM, "knock": "陈书记", "topics": "遛狗群", "me": "退出登录"}
    overflow = {"room": horizontal_overflow(page)}
    for screen, shown in screens.items():
        page.goto(f"{site.url}/#/{screen}")
        expect(page.get_by_text(shown).first).to_be_visible()
        overflow[screen or "rooms"] = horizontal_overflow(page)
    assert all(px <= 0 for px in overflow.values()), overflow
    site.clean(page)


def horizontal_overflow(page: Page) -> int:
    """How far the page, or any scrolling part of it, is wider than what shows (px)."""
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth - window.innerWidth,"
        " ...[...document.querySelectorAll('.log, .screen-body, .rooms')]"
        ".map(e => e.scrollWidth - e.clientWidth))"
    )


def test_the_landmarks_and_names_a_screen_reader_needs(site):
    page = site.page("wang", viewport=DESKTOP)
    rooms = page.get_by_role("navigation")
    expect(rooms.get_by_role("link", name=GARDEN_ROOM, exact=True)).to_have_count(1)
    names = rooms.get_by_role("link").evaluate_all("links => links.map(a => a.ariaLabel)")
    assert GARDEN_ROOM in names and all(names)

    site.open_room(page, GARDEN_ROOM)
    say(page, "无障碍检查")
    expect(page.get_by_role("log")).to_have_count(1)
    expect(page.get_by_role("log").get_by_role("article").filter(has_text="无障碍检查")).to_be_visible()
    assert composer(page).evaluate("e => e.tagName") == "TEXTAREA"
    unnamed = page.locator("button").evaluate_all(
        "buttons => buttons.filter(b => !(b.ariaLabel || b.textContent.trim())).length"
    )
    assert unnamed == 0
    site.clean(page)


def test_the_english_switch_changes_the_client_language(site):
    page = site.page("li")
    page.get_by_role("link", name="我").click()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Me")).to_be_visible()
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_role("navigation", name="Chats")).to_be_visible()
    site.open_room(page, GARDEN_ROOM)
    expect(page.get_by_role("textbox", name="Message", exact=True)).to_be_visible()
    site.clean(page)
