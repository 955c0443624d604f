"""The browser pages: landing, login (rate limited), logout, and the join form."""

import pytest

from community import actions
from community.models import Person, Verification
from core.policy import Actor
from tests.community.conftest import form_body
from tests.factories import PASSWORD


def test_the_landing_page_explains_linli(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "邻里" in response.content.decode()


def test_the_login_page_shows_a_form(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_logging_in_leads_to_the_web_client(client, cast):
    response = client.post(
        "/accounts/login/", {"username": "resident", "password": PASSWORD}, follow=True
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/"
    assert "app/main.js" in page
    assert 'id="linli-boot"' in page


def test_the_web_client_boots_with_the_language_and_the_csrf_token(client, cast):
    client.force_login(cast.resident)
    response = client.get("/", headers={"accept-language": "en"})
    boot = response.context["boot"]
    assert boot["language"] == "en"
    assert boot["csrf_token"]
    assert boot["urls"]["socket"] == "/ws/v1"


def test_the_application_status_says_pending_until_approved(client, cast, join_input):
    person = actions.do_apply(**join_input())
    client.force_login(person)
    assert client.get("/application").json() == {"status": "pending"}
    actions.do_approve(Actor.of(cast.cadre), person.pk)
    assert client.get("/application").json() == {"status": "approved"}


def test_the_application_status_needs_a_login(client, db):
    assert client.get("/application").status_code == 401


def test_a_wrong_password_shows_the_form_again(client, cast):
    response = client.post("/accounts/login/", {"username": "resident", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_login_page_is_429_after_five_failures(client, cast):
    for _attempt in range(5):
        client.post("/accounts/login/", {"username": "resident", "password": "nope"})
    response = client.post("/accounts/login/", {"username": "resident", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_the_login_page_and_the_token_endpoint_share_the_limit(client, cast):
    for _attempt in range(5):
        client.post(
            "/api/v1/auth/token",
            {"username": "resident", "password": "nope"},
            content_type="application/json",
        )
    response = client.post("/accounts/login/", {"username": "resident", "password": PASSWORD})
    assert response.status_code == 429


def test_logging_out(client, cast):
    client.force_login(cast.resident)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_pending_person_sees_the_application_status(client, cast, join_input):
    person = actions.do_apply(**join_input())
    client.force_login(person)
    assert "正在等待居委干部审核" in client.get("/").content.decode()


def test_a_rejected_person_sees_the_reason(client, cast, join_input):
    person = actions.do_apply(**join_input())
    actions.do_reject(Actor.of(cast.cadre), person.pk, "楼号填写有误")
    client.force_login(person)
    page = client.get("/").content.decode()
    assert "未通过" in page and "楼号填写有误" in page


def test_the_join_page_lists_the_neighbourhoods(client, cast, invite):
    page = client.get(f"/join/{invite.code}").content.decode()
    assert "长江路居委" in page and "翠湖苑" in page and "江湾华庭" in page


def test_an_unknown_join_code_shows_a_404_page(client, db):
    response = client.get("/join/NOSUCHCODE234567")
    assert response.status_code == 404
    assert "邀请码无效" in response.content.decode()


def test_the_join_form_creates_a_pending_application_and_logs_in(client, cast, invite, join_input):
    values = join_input(username="xiaolin")
    response = client.post(f"/join/{invite.code}", form_body(values), follow=True)
    person = Person.objects.get(username="xiaolin")
    assert person.verification == Verification.PENDING
    assert int(client.session["_auth_user_id"]) == person.pk
    assert "正在等待居委干部审核" in response.content.decode()


def test_the_join_form_shows_the_error_and_creates_nothing(client, cast, invite, join_input):
    values = join_input(username="xiaolin", phone="12345")
    response = client.post(f"/join/{invite.code}", form_body(values))
    assert response.status_code == 200
    assert "手机号码" in response.content.decode()
    assert not Person.objects.filter(username="xiaolin").exists()


def test_the_join_form_is_rate_limited_per_address(client, cast, invite, join_input, settings):
    settings.LINLI_JOIN_MAX_APPLICATIONS = 1
    client.post(f"/join/{invite.code}", form_body(join_input()))
    response = client.post(f"/join/{invite.code}", form_body(join_input(username="second")))
    assert response.status_code == 429
    assert not Person.objects.filter(username="second").exists()


def test_the_pages_speak_english_to_an_english_browser(client, cast, invite):
    page = client.get(f"/join/{invite.code}", headers={"Accept-Language": "en"}).content.decode()
    assert "Real name" in page and "Submit" in page


def landing_as(client, person, language: str = "zh-hans") -> str:
    client.force_login(person)
    return client.get("/", headers={"Accept-Language": language}).content.decode()


def test_the_english_brand_says_linli_once(client, db):
    page = client.get("/", headers={"Accept-Language": "en"}).content.decode()
    assert "Linli Linli" not in page and "Linli · Linli" not in page


def test_the_chinese_brand_names_both(client, db):
    assert "邻里 Linli" in client.get("/").content.decode()


@pytest.mark.parametrize("who", ["cadre", "property", "observer"])
def test_officials_and_observers_get_the_web_client_too(client, cast, who):
    page = landing_as(client, getattr(cast, who))
    assert "app/main.js" in page
