"""Activation codes: how people a roster import or a cadre enrolled choose password and name."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from community import activation
from community.models import ActivationCode, Person, PersonalDataAccess
from core.errors import ActionError, ErrorCode
from core.policy import Actor
from tests.community.conftest import bearer, new_id_number, post_json
from tests.community.test_commands import roster, run
from tests.factories import make_person

NEW_PASSWORD = "quiet-harbour-81"


@pytest.fixture
def enrolled(cast):
    """Someone enrolled without a password, as a roster import does."""
    return make_person(
        cast.community,
        neighbourhood=cast.garden,
        building="5号楼",
        room_number="302",
        password=None,
    )


def refused(code, fn, *args):
    with pytest.raises(ActionError) as caught:
        fn(*args)
    assert caught.value.code == code
    return caught.value


def test_a_code_lets_the_person_choose_password_and_display_name(cast, enrolled):
    issued = activation.issue_activation(Actor.of(cast.cadre), enrolled)
    person = activation.do_activate(issued.code, NEW_PASSWORD, "5号楼老张")
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD) and person.display_name == "5号楼老张"


def test_a_code_works_once(cast, enrolled):
    issued = activation.issue_activation(None, enrolled)
    activation.do_activate(issued.code, NEW_PASSWORD, "老张")
    refused(ErrorCode.NOT_FOUND, activation.do_activate, issued.code, "other-pass-99", "老李")


def test_a_code_expires(cast, enrolled):
    issued = activation.issue_activation(None, enrolled)
    later = timezone.now() + timedelta(days=activation.ACTIVATION_DAYS, minutes=1)
    with time_machine.travel(later):
        refused(ErrorCode.NOT_FOUND, activation.do_activate, issued.code, NEW_PASSWORD, "老张")


def test_a_new_code_replaces_a_lost_one(cast, enrolled):
    lost = activation.issue_activation(Actor.of(cast.cadre), enrolled)
    new = activation.issue_activation(Actor.of(cast.cadre), enrolled)
    refused(ErrorCode.NOT_FOUND, activation.check_activation, lost.code)
    assert activation.check_activation(new.code).person == enrolled


def test_a_weak_password_spends_nothing(cast, enrolled):
    issued = activation.issue_activation(None, enrolled)
    error = refused(ErrorCode.INVALID, activation.do_activate, issued.code, "abc", "老张")
    assert error.extra["field"] == "password"
    assert activation.check_activation(issued.code).used_at is None


def test_only_the_code_hash_is_stored(cast, enrolled):
    issued = activation.issue_activation(None, enrolled)
    stored = " ".join(str(v) for v in ActivationCode.objects.values().get().values())
    assert issued.code not in stored


def test_every_issue_is_in_the_personal_data_access_log(cast, enrolled):
    activation.issue_activation(Actor.of(cast.cadre), enrolled)
    activation.issue_activation(None, enrolled)
    log = PersonalDataAccess.objects.filter(subject=enrolled, purpose=activation.PURPOSE)
    assert [entry.viewer_id for entry in log.order_by("pk")] == [cast.cadre.pk, None]


def test_a_resident_may_not_issue_codes(cast, enrolled):
    refused(ErrorCode.FORBIDDEN, activation.issue_activation, Actor.of(cast.resident), enrolled)
    assert not ActivationCode.objects.exists()


def test_a_cadre_of_another_community_may_not_issue_codes(cast, enrolled):
    stranger = make_person(cast.other_community, role="cadre")
    refused(ErrorCode.FORBIDDEN, activation.issue_activation, Actor.of(stranger), enrolled)


# --- Over HTTP and in the browser --------------------------------------------------------------


def test_a_cadre_issues_a_new_code_over_http(api, cast, enrolled):
    response = post_json(
        api, f"/api/v1/people/{enrolled.pk}/activation", headers=bearer(cast.cadre)
    )
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == enrolled.username
    assert body["url"] == f"http://testserver/activate/{body['code']}"
    assert activation.check_activation(body["code"]).person == enrolled


def test_a_resident_cannot_issue_codes_over_http(api, cast, enrolled):
    response = post_json(
        api, f"/api/v1/people/{enrolled.pk}/activation", headers=bearer(cast.resident)
    )
    assert response.status_code == 403


def test_the_activation_page_asks_for_password_and_display_name(client, cast, enrolled):
    issued = activation.issue_activation(None, enrolled)
    page = client.get(f"/activate/{issued.code}").content.decode()
    assert 'name="password"' in page and 'name="display_name"' in page
    assert enrolled.username in page


def test_the_activation_page_in_english(client, cast, enrolled):
    issued = activation.issue_activation(None, enrolled)
    page = client.get(f"/activate/{issued.code}", headers={"Accept-Language": "en"})
    assert "Choose your password and display name" in page.content.decode()


def test_activating_in_the_browser_logs_the_person_in(client, cast, enrolled):
    issued = activation.issue_activation(None, enrolled)
    form = {"display_name": "老张", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    response = client.post(f"/activate/{issued.code}", form)
    assert response.status_code == 302 and response["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == enrolled.pk


def test_two_different_passwords_are_refused(client, cast, enrolled):
    issued = activation.issue_activation(None, enrolled)
    form = {"display_name": "老张", "password": NEW_PASSWORD, "password_again": "other-99-x"}
    response = client.post(f"/activate/{issued.code}", form)
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_a_spent_code_shows_why_it_cannot_be_used(client, cast, enrolled):
    issued = activation.issue_activation(None, enrolled)
    activation.do_activate(issued.code, NEW_PASSWORD, "老张")
    response = client.get(f"/activate/{issued.code}")
    assert response.status_code == 404 and "激活码无效" in response.content.decode()


# --- Commands ------------------------------------------------------------------------------------


def test_imported_residents_get_codes_on_a_sheet_per_building(cast, tmp_path):
    path = roster(
        tmp_path,
        f"wang,王阿姨,王秀英,{new_id_number()},13900000001,翠湖苑,1号楼,1单元,101,",
        f"zhao,赵叔,赵明,{new_id_number()},13900000003,翠湖苑,1号楼,1单元,102,",
        f"lishifu,李师傅,李建国,{new_id_number()},13900000002,江湾华庭,2号楼,,202,",
    )
    community = str(cast.community.pk)
    out, _err = run("import_residents", str(path), "--community", community, "--out", str(tmp_path))
    sheets = sorted(p.name for p in tmp_path.glob("activation-*.svg"))
    assert sheets == ["activation-江湾华庭-2号楼.svg", "activation-翠湖苑-1号楼.svg"]
    assert "activation sheet" in out
    first = (tmp_path / "activation-翠湖苑-1号楼.svg").read_text(encoding="utf-8")
    assert "wang" in first and "zhao" in first and "lishifu" not in first
    assert ActivationCode.objects.filter(person__username="wang", used_at=None).count() == 1


def test_the_command_issues_a_new_code_to_one_person(cast, enrolled, tmp_path, settings):
    settings.LINLI_PUBLIC_URL = "https://linli.example.cn"
    out, _err = run(
        "activation_codes",
        "--community",
        str(cast.community.pk),
        "--person",
        enrolled.username,
        "--out",
        str(tmp_path),
    )
    code = next(line.split()[-1] for line in out.splitlines() if line.startswith("code:"))
    assert f"https://linli.example.cn/activate/{code}" in out
    assert activation.check_activation(code).person == enrolled


def test_the_command_prints_a_buildings_sheet_for_those_not_yet_activated(cast, enrolled, tmp_path):
    done = make_person(cast.community, neighbourhood=cast.garden, building="5号楼", password=None)
    activation.do_activate(activation.issue_activation(None, done).code, NEW_PASSWORD, "早来的")
    run(
        "activation_codes",
        "--community",
        str(cast.community.pk),
        "--building",
        "5号楼",
        "--out",
        str(tmp_path),
    )
    sheet = (tmp_path / "activation-翠湖苑-5号楼.svg").read_text(encoding="utf-8")
    assert enrolled.username in sheet and done.username not in sheet


def test_an_enrolled_person_has_no_usable_password_until_activated(cast, enrolled):
    assert not Person.objects.get(pk=enrolled.pk).has_usable_password()


# --- A cadre enrols someone --------------------------------------------------------------------


def enrol_body(cast, **changes) -> dict:
    return {
        "real_name": "张福根",
        "id_number": new_id_number(),
        "phone": "13900000009",
        "neighbourhood": cast.garden.pk,
        "building": "5号楼",
        "room": "101",
        "username": "zhangfugen",
        "display_name": "张大爷",
        **changes,
    }


def test_a_cadre_enrols_a_resident_who_gets_an_activation_code(api, cast):
    url = f"/api/v1/communities/{cast.community.pk}/people"
    response = post_json(api, url, enrol_body(cast), headers=bearer(cast.cadre))
    assert response.status_code == 201
    person = Person.objects.get(username="zhangfugen")
    assert person.is_approved and not person.has_usable_password()
    assert activation.check_activation(response.json()["code"]).person == person
    assert PersonalDataAccess.objects.filter(subject=person, viewer=cast.cadre).exists()


def test_a_resident_may_not_enrol_people(api, cast):
    url = f"/api/v1/communities/{cast.community.pk}/people"
    response = post_json(api, url, enrol_body(cast), headers=bearer(cast.resident))
    assert response.status_code == 403 and not Person.objects.filter(username="zhangfugen")


def test_a_cadre_may_not_appoint_cadres(api, cast):
    url = f"/api/v1/communities/{cast.community.pk}/people"
    response = post_json(api, url, enrol_body(cast, role="cadre"), headers=bearer(cast.cadre))
    assert response.status_code == 400 and response.json()["error"]["field"] == "role"


def test_enrolling_a_bad_id_number_writes_nothing(api, cast):
    url = f"/api/v1/communities/{cast.community.pk}/people"
    body = enrol_body(cast, id_number="110101199003078760")
    response = post_json(api, url, body, headers=bearer(cast.cadre))
    assert response.status_code == 400 and not Person.objects.filter(username="zhangfugen")


def test_a_cadre_prints_a_buildings_sheet_over_http(api, cast, enrolled):
    url = f"/api/v1/communities/{cast.community.pk}/activation-sheet.svg"
    body = {"neighbourhood": cast.garden.pk, "building": "5号楼"}
    response = post_json(api, url, body, headers=bearer(cast.cadre))
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert enrolled.username in response.content.decode()
    assert ActivationCode.objects.filter(person=enrolled, revoked=False).count() == 1


def test_a_building_with_nobody_waiting_has_no_sheet(api, cast, enrolled):
    url = f"/api/v1/communities/{cast.community.pk}/activation-sheet.svg"
    body = {"neighbourhood": cast.garden.pk, "building": "99号楼"}
    assert post_json(api, url, body, headers=bearer(cast.cadre)).status_code == 404


def test_a_resident_cannot_print_sheets(api, cast, enrolled):
    url = f"/api/v1/communities/{cast.community.pk}/activation-sheet.svg"
    body = {"neighbourhood": cast.garden.pk, "building": "5号楼"}
    assert post_json(api, url, body, headers=bearer(cast.resident)).status_code == 403
    assert not ActivationCode.objects.exists()
