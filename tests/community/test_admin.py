"""The Django admin: masked real-name data, logged access, approve/reject through the actions."""

import pytest

from community import actions
from community.models import Community, Person, PersonalDataAccess, Verification
from tests.factories import make_street


@pytest.fixture
def staff(cast, client):
    admin = Person.objects.create_superuser("root", password="admin-pass-123")
    client.force_login(admin)
    return admin


def test_the_person_page_shows_masked_forms_never_the_hash(client, cast, staff, join_input):
    person = actions.do_apply(**join_input())
    page = client.get(f"/admin/community/person/{person.pk}/change/").content.decode()
    assert person.id_masked in page and person.phone_masked in page
    assert person.id_hash not in page


def test_opening_a_person_page_is_logged(client, cast, staff, join_input):
    person = actions.do_apply(**join_input())
    client.get(f"/admin/community/person/{person.pk}/change/")
    assert PersonalDataAccess.objects.filter(viewer=staff, subject=person).exists()


def test_the_approve_action_approves_through_do_approve(client, cast, staff, join_input):
    person = actions.do_apply(**join_input())
    client.post(
        "/admin/community/person/",
        {"action": "approve_applications", "_selected_action": [person.pk]},
    )
    person.refresh_from_db()
    assert person.verification == Verification.APPROVED and person.reviewed_by == staff
    # The person_approved hook ran: the chat app seated them.
    assert person.memberships.exists()


def test_the_reject_action_asks_for_a_reason_then_rejects(client, cast, staff, join_input):
    person = actions.do_apply(**join_input())
    selected = {"action": "reject_applications", "_selected_action": [person.pk]}
    response = client.post("/admin/community/person/", selected)
    assert response.status_code == 200 and 'name="reason"' in response.content.decode()
    client.post("/admin/community/person/", {**selected, "apply": "1", "reason": "信息不全"})
    person.refresh_from_db()
    assert person.verification == Verification.REJECTED and person.rejection_reason == "信息不全"


def test_a_community_added_in_the_admin_gets_its_rooms(client, cast, staff):
    street = make_street()
    client.post(
        "/admin/community/community/add/",
        {
            "street": street.pk,
            "name": "新居委",
            "kind": "committee",
            "created_at_0": "2026-01-01",
            "created_at_1": "00:00:00",
        },
    )
    community = Community.objects.get(name="新居委")
    assert community.rooms.exists()


def test_an_invite_code_added_in_the_admin_is_random(client, cast, staff):
    form = {
        "community": cast.community.pk,
        "expires_at_0": "2099-01-31",
        "expires_at_1": "18:00:00",
        "max_uses": 200,
    }
    client.post("/admin/community/invitecode/add/", form)
    invite = cast.community.invite_codes.get()
    assert len(invite.code) == 16 and invite.created_by == staff
    assert (invite.max_uses, invite.expires_at.year) == (200, 2099)


def test_the_admin_login_is_rate_limited_too(client, cast):
    Person.objects.create_superuser("root", password="admin-pass-123")
    for _attempt in range(5):
        response = client.post("/admin/login/", {"username": "root", "password": "guess"})
        assert response.status_code == 200
    response = client.post("/admin/login/", {"username": "root", "password": "admin-pass-123"})
    assert response.status_code == 429


def person_form(person: Person, **changes) -> dict:
    """The admin's change form for ``person`` as the browser would post it, with ``changes``."""
    values = {
        "username": person.username,
        "display_name": person.display_name,
        "community": person.community_id or "",
        "neighbourhood": person.neighbourhood_id or "",
        "building": person.building,
        "unit": person.unit,
        "room_number": person.room_number,
        "role": person.role,
        "observer_street": "",
        "observer_district": "",
        "is_active": person.is_active,
        "party_member": person.party_member,
        "show_building": person.show_building,
        "is_staff": person.is_staff,
        "is_superuser": person.is_superuser,
        **changes,
    }
    return {k: ("on" if v is True else v) for k, v in values.items() if v is not False}


def test_moving_a_person_in_the_admin_goes_through_move_person(client, cast, staff, monkeypatch):
    moved = []
    monkeypatch.setattr(
        actions, "move_person", lambda *a, real=actions.move_person: moved.append(a) or real(*a)
    )
    client.post(
        f"/admin/community/person/{cast.resident.pk}/change/",
        person_form(cast.resident, neighbourhood=cast.court.pk),
    )
    cast.resident.refresh_from_db()
    assert cast.resident.neighbourhood == cast.court and len(moved) == 1
    rooms = set(cast.resident.memberships.values_list("room__name", flat=True))
    assert "江湾华庭小区群" in rooms and "翠湖苑小区群" not in rooms


def test_a_role_change_in_the_admin_seats_the_person_in_the_roles_rooms(client, cast, staff):
    client.post(
        f"/admin/community/person/{cast.resident.pk}/change/",
        person_form(cast.resident, role="police"),
    )
    rooms = set(cast.resident.memberships.values_list("room__name", flat=True))
    assert "五位一体协调群" in rooms


def test_deactivating_in_the_admin_goes_through_deactivate_person(client, cast, staff, monkeypatch):
    done = []
    monkeypatch.setattr(
        actions,
        "deactivate_person",
        lambda *a, real=actions.deactivate_person: done.append(a) or real(*a),
    )
    client.post(
        f"/admin/community/person/{cast.resident.pk}/change/",
        person_form(cast.resident, is_active=False),
    )
    cast.resident.refresh_from_db()
    assert cast.resident.is_active is False and len(done) == 1


def test_a_cadre_cannot_move_a_person_of_another_community(cast):
    from core.errors import ActionError
    from core.policy import Actor

    with pytest.raises(ActionError) as caught:
        actions.move_person(Actor.of(cast.cadre), cast.outsider.pk, cast.community, cast.garden)
    assert caught.value.code == "forbidden"


def test_a_neighbourhood_outside_the_community_is_refused(cast):
    from core.errors import ActionError

    with pytest.raises(ActionError) as caught:
        actions.move_person(None, cast.resident.pk, cast.other_community, cast.garden)
    assert caught.value.code == "invalid"


def test_a_display_name_with_a_bidi_override_is_refused_in_the_admin(client, cast, staff):
    client.post(
        f"/admin/community/person/{cast.resident.pk}/change/",
        person_form(cast.resident, display_name="居委\u202e记书李"),
    )
    cast.resident.refresh_from_db()
    assert "\u202e" not in cast.resident.display_name


def test_a_resident_cannot_be_given_an_officials_title_in_the_admin(client, cast, staff):
    response = client.post(
        f"/admin/community/person/{cast.resident.pk}/change/",
        person_form(cast.resident, display_name="李书记"),
    )
    cast.resident.refresh_from_db()
    assert cast.resident.display_name != "李书记" and response.status_code == 200
