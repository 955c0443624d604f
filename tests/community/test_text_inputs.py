"""Text over HTTP goes through Linli's text rules (``core.text``) at the schema and form layer.

A NUL byte, a control character or an invisible-only name is a clear ``400 invalid`` (or a form
error), never a 500 from the database, and nothing is stored.
"""

import pytest

from community.models import Person
from tests.community.conftest import api_join_body, bearer, form_body, post_json

INVISIBLE_NAMES = ["\u200b\u200b", "\u3164", "\u2800\u115f", "\x1b[31m红\x1b[0m", "小\n林"]


def invalid(response) -> bool:
    return response.status_code == 400 and response.json()["error"]["code"] == "invalid"


def test_a_nul_in_the_login_username_is_invalid(api, cast):
    response = post_json(api, "/api/v1/auth/token", {"username": "resi\x00dent", "password": "x"})
    assert invalid(response)


def test_a_nul_in_a_join_code_is_invalid(api, cast):
    assert invalid(api.get("/api/v1/join/AB%00CD"))


def test_a_nul_in_a_join_pages_code_is_not_found(client, db):
    assert client.get("/join/AB%00CD").status_code == 404


@pytest.mark.parametrize("field", ["display_name", "real_name", "building", "username", "phone"])
def test_a_nul_in_any_join_field_is_invalid_and_stores_nothing(api, cast, join_input, field):
    values = join_input(username="xiaolin")
    values[field] = values[field] + "\x00" if field != "username" else "xiao\x00lin"
    assert invalid(post_json(api, "/api/v1/join", api_join_body(values)))
    assert not Person.objects.filter(real_name="林晓华").exists()


@pytest.mark.parametrize("name", INVISIBLE_NAMES, ids=repr)
def test_a_display_name_that_shows_nothing_or_holds_controls_is_invalid(
    api, cast, join_input, name
):
    values = join_input(username="xiaolin", display_name=name)
    assert invalid(post_json(api, "/api/v1/join", api_join_body(values)))
    assert not Person.objects.filter(username="xiaolin").exists()


def test_bidi_controls_are_removed_from_a_display_name(api, cast, join_input):
    values = join_input(username="xiaolin", display_name="小\u202e林")
    assert post_json(api, "/api/v1/join", api_join_body(values)).status_code == 201
    assert Person.objects.get(username="xiaolin").display_name == "小林"


@pytest.mark.parametrize("name", ["李书记", "居委\u202e记书李", "王 主 任", "民警小何"])
def test_a_resident_cannot_take_an_official_title_as_display_name(api, cast, join_input, name):
    values = join_input(username="xiaolin", display_name=name)
    response = post_json(api, "/api/v1/join", api_join_body(values))
    assert invalid(response) and response.json()["error"]["field"] == "display_name"
    assert not Person.objects.filter(username="xiaolin").exists()


def test_a_nul_in_a_rejection_reason_is_invalid(api, cast, join_input):
    application = post_json(api, "/api/v1/join", api_join_body(join_input())).json()
    response = post_json(
        api,
        f"/api/v1/applications/{application['id']}/reject",
        {"reason": "房号\x00不符"},
        headers=bearer(cast.cadre),
    )
    assert invalid(response)
    assert Person.objects.get(pk=application["id"]).verification == "pending"


def test_the_join_form_refuses_an_invisible_display_name(client, cast, invite, join_input):
    values = join_input(username="xiaolin", display_name="\u3164")
    response = client.post(f"/join/{invite.code}", form_body(values))
    assert response.status_code == 200  # the form again, with the error
    assert not Person.objects.filter(username="xiaolin").exists()


def test_the_join_form_refuses_an_official_title_for_a_resident(client, cast, invite, join_input):
    values = join_input(username="xiaolin", display_name="李书记")
    response = client.post(f"/join/{invite.code}", form_body(values))
    assert "职务称呼" in response.content.decode()
    assert not Person.objects.filter(username="xiaolin").exists()


def test_a_nul_in_the_login_pages_username_shows_the_form_again(client, cast):
    response = client.post("/accounts/login/", {"username": "resi\x00dent", "password": "x"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_a_nul_in_an_enrolled_persons_display_name_is_invalid(api, cast, join_input):
    values = join_input(username="laozhang", display_name="老张\x00")
    del values["invite_code"], values["password"]
    response = post_json(
        api,
        f"/api/v1/communities/{cast.community.pk}/people",
        api_join_body(values),
        headers=bearer(cast.cadre),
    )
    assert invalid(response)
    assert not Person.objects.filter(username="laozhang").exists()


def test_activating_with_an_official_title_as_display_name_is_refused(cast):
    from community import activation
    from core.errors import ActionError
    from tests.factories import make_person

    person = make_person(cast.community, neighbourhood=cast.garden, password=None)
    issued = activation.issue_activation(None, person)
    with pytest.raises(ActionError) as refused:
        activation.do_activate(issued.code, "quiet-harbour-81", "5号楼李书记")
    assert refused.value.extra["field"] == "display_name"


def test_a_nul_in_an_activation_sheets_building_is_invalid(api, cast):
    url = f"/api/v1/communities/{cast.community.pk}/activation-sheet.svg"
    body = {"neighbourhood": cast.garden.pk, "building": "5号\x00楼"}
    assert invalid(post_json(api, url, body, headers=bearer(cast.cadre)))
