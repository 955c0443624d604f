"""Joining over HTTP, end to end, and the errors an applicant sees (Chinese, or English)."""

from community.models import Person, PersonalDataAccess, Verification
from tests.community.conftest import api_join_body, bearer, post_json
from tests.factories import PASSWORD


def test_join_info_lists_the_community_and_its_neighbourhoods(api, cast, invite):
    response = api.get(f"/api/v1/join/{invite.code}")
    assert response.status_code == 200
    body = response.json()
    assert body["community"] == {"id": cast.community.pk, "name": "长江路居委"}
    assert {n["name"] for n in body["neighbourhoods"]} == {"翠湖苑", "江湾华庭"}


def test_join_info_for_an_unknown_code_is_404(api, cast):
    response = api.get("/api/v1/join/NOSUCHCODE234567")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_whole_join_flow_over_http(api, cast, join_input):
    values = join_input(username="xiaolin")
    # 1. Apply: a pending application.
    response = post_json(api, "/api/v1/join", api_join_body(values))
    assert response.status_code == 201, response.content
    application = response.json()
    assert application["status"] == "pending"
    # 2. Logging in says: pending, with the status.
    login = {"username": "xiaolin", "password": values["password"]}
    response = post_json(api, "/api/v1/auth/token", login)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "pending"
    assert response.json()["error"]["status"] == "pending"
    # 3. The cadre sees it in the queue and approves it.
    cadre = bearer(cast.cadre)
    queue = api.get(f"/api/v1/communities/{cast.community.pk}/applications", headers=cadre)
    assert [a["id"] for a in queue.json()] == [application["id"]]
    response = api.post(f"/api/v1/applications/{application['id']}/approve", headers=cadre)
    assert response.status_code == 200 and response.json()["status"] == "approved"
    # 4. Now the token works, and the person is approved.
    response = post_json(api, "/api/v1/auth/token", login)
    assert response.status_code == 200
    token = response.json()["token"]
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["verification"] == "approved"
    assert Person.objects.get(username="xiaolin").verification == Verification.APPROVED


def test_a_rejected_applicant_sees_the_reason_when_logging_in(api, cast, join_input):
    values = join_input(username="xiaolin")
    application = post_json(api, "/api/v1/join", api_join_body(values)).json()
    post_json(
        api,
        f"/api/v1/applications/{application['id']}/reject",
        {"reason": "房号与登记不符"},
        headers=bearer(cast.cadre),
    )
    response = post_json(
        api, "/api/v1/auth/token", {"username": "xiaolin", "password": values["password"]}
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "pending"
    assert error["status"] == "rejected" and error["reason"] == "房号与登记不符"


def test_a_bad_join_creates_nothing_and_says_why_in_chinese(api, cast, join_input):
    before = Person.objects.count()
    values = join_input(id_number="110101199003078760")  # check digit should be 9
    response = post_json(api, "/api/v1/join", api_join_body(values))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["field"] == "id_number"
    assert "校验位" in error["message"]
    assert Person.objects.count() == before


def test_an_english_client_gets_english_errors(api, cast, join_input):
    values = join_input(id_number="110101199003078760")
    response = post_json(
        api, "/api/v1/join", api_join_body(values), headers={"Accept-Language": "en"}
    )
    message = response.json()["error"]["message"]
    assert "check digit" in message
    assert not any("\u4e00" <= c <= "\u9fff" for c in message)


def test_an_english_client_gets_english_for_a_refused_review(api, cast, join_input):
    values = join_input()
    application = post_json(api, "/api/v1/join", api_join_body(values)).json()
    response = api.post(
        f"/api/v1/applications/{application['id']}/approve",
        headers={**bearer(cast.outsider), "Accept-Language": "en"},
    )
    assert response.status_code == 403
    assert "residents' committee" in response.json()["error"]["message"]


def test_an_unknown_invite_code_is_404_over_http(api, cast, join_input):
    values = join_input(invite_code="NOSUCHCODE234567")
    response = post_json(api, "/api/v1/join", api_join_body(values))
    assert response.status_code == 404


def test_a_duplicate_application_is_409(api, cast, join_input):
    values = join_input()
    post_json(api, "/api/v1/join", api_join_body(values))
    again = join_input(id_number=values["id_number"])
    response = post_json(api, "/api/v1/join", api_join_body(again))
    assert response.status_code == 409
    assert response.json()["error"]["field"] == "id_number"


def test_missing_join_fields_are_listed(api, cast, invite):
    response = post_json(api, "/api/v1/join", {"invite_code": invite.code})
    assert response.status_code == 400
    assert "username" in response.json()["error"]["fields"]


def test_repeated_bad_applications_from_one_address_are_rate_limited(
    api, cast, join_input, settings
):
    settings.LINLI_JOIN_MAX_FAILURES = 3
    bad = api_join_body(join_input(phone="123"))
    for _attempt in range(3):
        assert post_json(api, "/api/v1/join", bad).status_code == 400
    response = post_json(api, "/api/v1/join", api_join_body(join_input()))
    assert response.status_code == 429
    assert response.json()["error"]["retry_after"] > 0


def test_applications_from_one_address_are_rate_limited_even_when_each_succeeds(
    api, cast, join_input, settings
):
    settings.LINLI_JOIN_MAX_APPLICATIONS = 3
    for _attempt in range(3):
        assert post_json(api, "/api/v1/join", api_join_body(join_input())).status_code == 201
    response = post_json(api, "/api/v1/join", api_join_body(join_input()))
    assert response.status_code == 429
    assert response.json()["error"]["retry_after"] > 0


def test_the_application_limit_is_per_address(api, cast, join_input, settings):
    settings.LINLI_JOIN_MAX_APPLICATIONS = 1
    post_json(api, "/api/v1/join", api_join_body(join_input()))
    other = post_json(api, "/api/v1/join", api_join_body(join_input()), REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 201


def test_me_shows_the_callers_masked_id_and_phone(api, cast):
    cast.resident.id_masked, cast.resident.phone_masked = "3101**********1234", "138****5678"
    cast.resident.save()
    response = api.get("/api/v1/me", headers=bearer(cast.resident))
    body = response.json()
    assert body["id_masked"] == "3101**********1234"
    assert body["phone_masked"] == "138****5678"
    assert body["community"]["name"] == "长江路居委"
    assert "id_hash" not in body and "password" not in body


def test_me_without_credentials_is_401(api, cast):
    assert api.get("/api/v1/me").status_code == 401


def test_me_works_with_the_browser_session(api, cast):
    api.login(username="resident", password=PASSWORD)
    assert api.get("/api/v1/me").json()["username"] == "resident"


def test_the_review_queue_shows_masked_forms_only(api, cast, join_input):
    values = join_input(phone="13812345678")
    post_json(api, "/api/v1/join", api_join_body(values))
    response = api.get(
        f"/api/v1/communities/{cast.community.pk}/applications", headers=bearer(cast.cadre)
    )
    assert response.status_code == 200
    [row] = response.json()
    assert row["id_masked"] == values["id_number"][:4] + "*" * 10 + values["id_number"][-4:]
    assert row["phone_masked"] == "138****5678"
    assert row["real_name"] == "林晓华" and row["building"] == "3号楼"
    assert values["id_number"] not in response.content.decode()
    assert "13812345678" not in response.content.decode()
    assert "id_hash" not in row


def test_viewing_the_queue_logs_each_personal_data_access(api, cast, join_input):
    first = post_json(api, "/api/v1/join", api_join_body(join_input())).json()
    second = post_json(api, "/api/v1/join", api_join_body(join_input())).json()
    api.get(f"/api/v1/communities/{cast.community.pk}/applications", headers=bearer(cast.cadre))
    logged = PersonalDataAccess.objects.filter(viewer=cast.cadre, purpose="join_review")
    assert sorted(logged.values_list("subject_id", flat=True)) == sorted(
        [first["id"], second["id"]]
    )


def test_a_cadre_of_another_community_cannot_see_the_queue(api, cast, join_input):
    post_json(api, "/api/v1/join", api_join_body(join_input()))
    other_cadre = _other_cadre(cast)
    response = api.get(
        f"/api/v1/communities/{cast.community.pk}/applications", headers=bearer(other_cadre)
    )
    assert response.status_code == 403
    assert not PersonalDataAccess.objects.exists()


def test_a_cadre_of_another_community_cannot_approve(api, cast, join_input):
    application = post_json(api, "/api/v1/join", api_join_body(join_input())).json()
    response = api.post(
        f"/api/v1/applications/{application['id']}/approve", headers=bearer(_other_cadre(cast))
    )
    assert response.status_code == 404
    assert Person.objects.get(pk=application["id"]).verification == Verification.PENDING


def test_another_communitys_application_answers_as_an_id_that_does_not_exist(api, cast, join_input):
    """Approving cannot tell a cadre whether a person id exists in another community."""
    application = post_json(api, "/api/v1/join", api_join_body(join_input())).json()
    other_cadre = _other_cadre(cast)
    elsewhere = api.post(
        f"/api/v1/applications/{application['id']}/approve", headers=bearer(other_cadre)
    )
    nowhere = api.post("/api/v1/applications/999999/approve", headers=bearer(other_cadre))
    assert (elsewhere.status_code, elsewhere.json()) == (nowhere.status_code, nowhere.json())


def test_a_resident_hears_forbidden_whether_or_not_the_id_exists(api, cast):
    response = api.post("/api/v1/applications/999999/approve", headers=bearer(cast.resident))
    assert response.status_code == 403


def test_a_resident_cannot_approve(api, cast, join_input):
    application = post_json(api, "/api/v1/join", api_join_body(join_input())).json()
    response = api.post(
        f"/api/v1/applications/{application['id']}/approve", headers=bearer(cast.resident)
    )
    assert response.status_code == 403


def test_rejecting_needs_a_reason(api, cast, join_input):
    application = post_json(api, "/api/v1/join", api_join_body(join_input())).json()
    response = post_json(
        api,
        f"/api/v1/applications/{application['id']}/reject",
        {"reason": " "},
        headers=bearer(cast.cadre),
    )
    assert response.status_code == 400


def test_approving_twice_is_a_conflict(api, cast, join_input):
    application = post_json(api, "/api/v1/join", api_join_body(join_input())).json()
    url = f"/api/v1/applications/{application['id']}/approve"
    api.post(url, headers=bearer(cast.cadre))
    assert api.post(url, headers=bearer(cast.cadre)).status_code == 409


def _other_cadre(cast):
    from community.models import Role
    from tests.factories import make_person

    return make_person(cast.other_community, role=Role.CADRE)


def test_missing_fields_are_named_in_english_for_an_english_client(api, cast, invite):
    response = post_json(
        api, "/api/v1/join", {"invite_code": invite.code}, headers={"Accept-Language": "en"}
    )
    assert response.json()["error"]["message"].startswith("Please fill in: Real name, ID number")


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def test_a_weak_password_is_explained_in_chinese_alone(api, cast, join_input):
    values = join_input(password="abc")
    error = post_json(api, "/api/v1/join", api_join_body(values)).json()["error"]
    assert error["field"] == "password" and "8" in error["message"]
    assert not any(c.isascii() and c.isalpha() for c in error["message"])


def test_a_weak_password_is_explained_in_english_alone(api, cast, join_input):
    values = join_input(password="abc")
    response = post_json(
        api, "/api/v1/join", api_join_body(values), headers={"Accept-Language": "en"}
    )
    message = response.json()["error"]["message"]
    assert "8 characters" in message and not has_chinese(message)


def test_the_review_list_filters_by_neighbourhood_and_building(api, cast, join_input):
    from community import actions

    garden_3 = actions.do_apply(**join_input(building="3号楼"))
    actions.do_apply(**join_input(building="5号楼"))
    actions.do_apply(**join_input(neighbourhood_id=cast.court.pk, building="3号楼"))
    url = f"/api/v1/communities/{cast.community.pk}/applications"
    query = f"?neighbourhood={cast.garden.pk}&building=3号楼"
    listed = api.get(url + query, headers=bearer(cast.cadre)).json()
    assert [a["id"] for a in listed] == [garden_3.pk]
    assert listed[0]["id_masked"].count("*") >= 8 and "*" in listed[0]["phone_masked"]


def test_the_review_list_logs_only_the_applicants_shown(api, cast, join_input):
    from community import actions

    actions.do_apply(**join_input(building="3号楼"))
    actions.do_apply(**join_input(building="5号楼"))
    url = f"/api/v1/communities/{cast.community.pk}/applications?building=5号楼"
    api.get(url, headers=bearer(cast.cadre))
    assert PersonalDataAccess.objects.filter(viewer=cast.cadre).count() == 1
