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
