"""What every response and the browser's session carry: the Content-Security-Policy, the
session cookie's flags, and CSRF on the API for session-authenticated calls."""

import pytest
from django.test import Client

from server.security import CONTENT_SECURITY_POLICY
from tests.factories import PASSWORD


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/api/v1/health", "/api/v1/openapi.json", "/admin/login/"]
)
def test_every_page_has_the_content_security_policy(client, db, path):
    assert client.get(path)["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_the_web_client_page_has_it_too(client, cast):
    client.force_login(cast.resident)
    assert client.get("/")["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_the_policy_allows_no_inline_script_or_style():
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_the_pages_carry_no_inline_script(client, cast):
    client.force_login(cast.resident)
    for path in ("/", "/accounts/logout/"):
        page = client.get(path).content.decode()
        scripts = page.split("<script")[1:]
        assert all(" src=" in s.split(">")[0] or "application/json" in s for s in scripts)
        assert " on" + "change=" not in page and "style=" not in page


def test_the_session_cookie_is_httponly_and_samesite(client, cast):
    response = client.post("/accounts/login/", {"username": "resident", "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_a_session_post_to_the_api_without_the_csrf_token_is_refused(cast, garden_topic):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.resident)
    response = browser.post(f"/api/v1/topics/{garden_topic.pk}/join")
    assert response.status_code == 403
    assert not garden_topic.memberships.filter(person=cast.resident).exists()


def test_a_session_post_to_the_api_with_the_csrf_token_goes_through(cast, garden_topic):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.resident)
    browser.get("/")  # the page sets the CSRF cookie, as the web client's page does
    token = browser.cookies["csrftoken"].value
    url = f"/api/v1/topics/{garden_topic.pk}/join"
    response = browser.post(url, headers={"X-CSRFToken": token})
    assert response.json() == {"outcome": "joined"}


@pytest.fixture
def garden_topic(cast):
    from chat.actions.rooms import create_topic_room
    from core.policy import Actor

    return create_topic_room(Actor.of(cast.cadre), name="遛狗群")
