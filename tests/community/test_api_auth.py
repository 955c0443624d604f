"""Tokens: issue, refuse, revoke, and rate-limit password guessing (BAD-INPUTS E6)."""

import pytest

from community.models import ApiToken
from tests.community.conftest import post_json
from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token"


def login(api, username="resident", password=PASSWORD, **kwargs):
    return post_json(api, TOKEN_URL, {"username": username, "password": password}, **kwargs)


def test_good_credentials_get_a_token_and_the_user(api, cast):
    response = login(api)
    assert response.status_code == 200
    body = response.json()
    assert body["token"] and body["user"]["username"] == "resident"
    assert body["user"]["display_name"] == cast.resident.display_name
    assert ApiToken.objects.filter(key_hash=ApiToken.hash_key(body["token"])).exists()


def test_a_wrong_password_is_401_json(api, cast):
    response = login(api, password="not-the-password")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_an_unknown_user_is_401_like_a_wrong_password(api, cast):
    assert login(api, username="nobody").json() == login(api, password="nope").json()


def test_a_deleted_token_is_refused_afterwards(api, cast):
    token = login(api).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/me", headers=headers).status_code == 200
    assert api.delete(TOKEN_URL, headers=headers).status_code == 204
    assert api.get("/api/v1/me", headers=headers).status_code == 401


def test_deleting_a_token_leaves_the_persons_other_tokens(api, cast):
    first = login(api).json()["token"]
    second = login(api).json()["token"]
    api.delete(TOKEN_URL, headers={"Authorization": f"Bearer {first}"})
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_a_token_works_until_its_lifetime_ends(api, cast, settings):
    import time_machine

    settings.LINLI_TOKEN_TTL_DAYS = 30
    with time_machine.travel(1_900_000_000, tick=False) as traveller:
        headers = {"Authorization": f"Bearer {login(api).json()['token']}"}
        traveller.shift(30 * 86400 - 60)
        assert api.get("/api/v1/me", headers=headers).status_code == 200
        traveller.shift(60)
        assert api.get("/api/v1/me", headers=headers).status_code == 401


def test_deleting_without_a_token_is_401(api, cast):
    assert api.delete(TOKEN_URL).status_code == 401


def test_guessing_one_username_from_one_address_is_429_after_five_failures(api, cast):
    for _attempt in range(5):
        assert login(api, password="guess", REMOTE_ADDR="10.0.0.1").status_code == 401
    response = login(api, password="guess", REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "rate_limited" and error["retry_after"] > 0
    assert int(response["Retry-After"]) == error["retry_after"]


def test_a_guesser_at_one_address_does_not_lock_the_person_out_at_another(api, cast):
    for _attempt in range(6):
        login(api, password="guess", REMOTE_ADDR="10.0.0.66")
    assert login(api, REMOTE_ADDR="10.0.0.7").status_code == 200


def test_one_address_has_a_failure_budget_across_all_usernames(api, cast, settings):
    settings.LINLI_LOGIN_ADDRESS_MAX_FAILURES = 8
    for attempt in range(8):
        assert login(api, username=f"u{attempt}", password="guess").status_code == 401
    assert login(api, username="owners", password=PASSWORD).status_code == 429
    assert login(api, username="owners", REMOTE_ADDR="10.0.0.8").status_code == 200


def test_the_right_password_is_refused_too_while_limited(api, cast):
    for _attempt in range(5):
        login(api, password="guess")
    assert login(api).status_code == 429


def test_the_limit_is_lifted_when_the_window_has_passed(api, cast):
    import time_machine

    with time_machine.travel(1_900_000_000, tick=False) as traveller:
        for _attempt in range(5):
            login(api, password="guess")
        assert login(api).status_code == 429
        traveller.shift(2 * 15 * 60 + 1)
        assert login(api).status_code == 200


def test_successful_logins_are_not_counted(api, cast):
    for _attempt in range(8):
        assert login(api).status_code == 200


def test_a_success_forgives_that_addresss_earlier_failures_for_the_username(api, cast):
    for _attempt in range(4):
        login(api, password="guess")
    assert login(api).status_code == 200
    for _attempt in range(4):
        assert login(api, password="guess").status_code == 401


def test_a_spoofed_forwarded_for_does_not_escape_the_address_limit(api, cast, settings):
    settings.LINLI_LOGIN_ADDRESS_MAX_FAILURES = 5
    for attempt in range(5):
        login(
            api, username=f"u{attempt}", password="guess", HTTP_X_FORWARDED_FOR=f"1.2.3.{attempt}"
        )
    assert (
        login(api, username="u9", password="guess", HTTP_X_FORWARDED_FOR="9.9.9.9").status_code
        == 429
    )


@pytest.mark.parametrize("proxies", [["127.0.0.1"], ["127.0.0.0/8"]])
def test_behind_a_trusted_proxy_the_forwarded_address_counts(api, cast, settings, proxies):
    settings.LINLI_TRUSTED_PROXIES = proxies
    settings.LINLI_LOGIN_ADDRESS_MAX_FAILURES = 5
    for attempt in range(5):
        login(api, username=f"u{attempt}", password="guess", HTTP_X_FORWARDED_FOR="1.2.3.4")
    blocked = login(api, username="u9", password="guess", HTTP_X_FORWARDED_FOR="1.2.3.4")
    other = login(api, username="u9", password="guess", HTTP_X_FORWARDED_FOR="5.6.7.8")
    assert blocked.status_code == 429 and other.status_code == 401


def test_a_pending_person_gets_403_pending_not_a_token(api, cast, join_input):
    from community import actions

    person = actions.do_apply(**join_input())
    response = login(api, username=person.username, password="bright-river-42")
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "pending",
        "message": response.json()["error"]["message"],
        "status": "pending",
    }
    assert not ApiToken.objects.filter(person=person).exists()


def test_a_rate_limited_english_client_gets_english(api, cast):
    for _attempt in range(5):
        login(api, password="guess")
    message = login(api, headers={"Accept-Language": "en"}).json()["error"]["message"]
    assert "Too many" in message


def test_the_openapi_schema_types_the_community_endpoints(api, db):
    schema = api.get("/api/v1/openapi.json").json()
    token = schema["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert token["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/TokenOut")
    assert set(token) >= {"200", "401", "403", "429"}
    assert {"JoinIn", "MeOut", "ApplicationOut", "ErrorOut"} <= set(schema["components"]["schemas"])
