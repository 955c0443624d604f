"""``do_apply``: a join application becomes a pending person; bad input changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from community import actions
from community.identity import hash_id_number, mask_id_number
from community.models import Person, Verification
from core.errors import ActionError, ErrorCode
from core.policy import Actor
from tests.community.conftest import new_id_number
from tests.factories import make_neighbourhood


def refused(join_input, code: ErrorCode, **changes) -> ActionError:
    """Apply with ``changes``; assert the refusal's code and that no person was created."""
    before = Person.objects.count()
    with pytest.raises(ActionError) as caught:
        actions.do_apply(**join_input(**changes))
    assert caught.value.code == code
    assert Person.objects.count() == before
    return caught.value


def test_an_application_creates_a_pending_resident(cast, join_input):
    person = actions.do_apply(**join_input(username="xiaolin", display_name="小林"))
    assert person.verification == Verification.PENDING
    assert person.community == cast.community and person.neighbourhood == cast.garden
    assert person.display_name == "小林" and person.real_name == "林晓华"
    assert person.check_password("bright-river-42")


def test_the_id_and_phone_are_stored_only_hashed_and_masked(cast, join_input):
    values = join_input(id_number=new_id_number(), phone="13812345678")
    person = actions.do_apply(**values)
    row = Person.objects.filter(pk=person.pk).values().get()
    stored = " ".join(str(v) for v in row.values())
    assert values["id_number"] not in stored
    assert values["id_number"][6:14] not in stored  # not even the birth date
    assert "13812345678" not in stored and "12345678" not in stored
    assert row["id_hash"] == hash_id_number(values["id_number"])
    assert row["id_masked"] == mask_id_number(values["id_number"])
    assert row["phone_masked"] == "138****5678"


def test_a_wrong_check_digit_is_refused(join_input):
    good = new_id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    err = refused(join_input, ErrorCode.INVALID, id_number=bad)
    assert err.extra["field"] == "id_number"


def test_an_unknown_invite_code_is_refused(join_input):
    err = refused(join_input, ErrorCode.NOT_FOUND, invite_code="NOSUCHCODE234567")
    assert err.extra["field"] == "invite_code"


def test_an_expired_invite_code_is_refused(cast, join_input):
    expired = actions.create_invite_code(
        Actor.of(cast.cadre), cast.community, timezone.now() - timedelta(minutes=1)
    )
    refused(join_input, ErrorCode.NOT_FOUND, invite_code=expired.code)


def test_a_revoked_invite_code_is_refused(invite, join_input):
    invite.revoked = True
    invite.save()
    refused(join_input, ErrorCode.NOT_FOUND)


def test_the_invite_code_is_read_without_case_or_spaces(join_input, invite):
    person = actions.do_apply(**join_input(invite_code=f"  {invite.code.lower()} "))
    assert person.verification == Verification.PENDING


def test_a_second_pending_application_for_the_same_id_is_refused(join_input):
    id_number = new_id_number()
    actions.do_apply(**join_input(id_number=id_number))
    err = refused(join_input, ErrorCode.CONFLICT, id_number=id_number)
    assert err.extra["field"] == "id_number"


def test_an_approved_resident_cannot_apply_again_with_the_same_id(cast, join_input):
    id_number = new_id_number()
    first = actions.do_apply(**join_input(id_number=id_number))
    actions.do_approve(Actor.of(cast.cadre), first.pk)
    refused(join_input, ErrorCode.CONFLICT, id_number=id_number)


def test_a_rejected_applicant_may_apply_again(cast, join_input):
    id_number = new_id_number()
    first = actions.do_apply(**join_input(id_number=id_number))
    actions.do_reject(Actor.of(cast.cadre), first.pk, "门牌号不对")
    again = actions.do_apply(**join_input(id_number=id_number))
    assert again.verification == Verification.PENDING and again.pk != first.pk


def test_the_same_id_may_apply_in_another_community(cast, join_input):
    id_number = new_id_number()
    actions.do_apply(**join_input(id_number=id_number))
    other = actions.create_invite_code(None, cast.other_community)
    nb = make_neighbourhood(cast.other_community)
    person = actions.do_apply(
        **join_input(id_number=id_number, invite_code=other.code, neighbourhood_id=nb.pk)
    )
    assert person.community == cast.other_community


def test_a_race_past_the_check_is_caught_by_the_database(join_input, monkeypatch):
    id_number = new_id_number()
    actions.do_apply(**join_input(id_number=id_number))
    # The second request checked before the first committed: only the constraint stops it.
    monkeypatch.setattr(actions, "live_application_exists", lambda community, id_hash: False)
    err = refused(join_input, ErrorCode.CONFLICT, id_number=id_number)
    assert err.extra["field"] == "id_number"


def test_a_neighbourhood_of_another_community_is_refused(cast, join_input):
    foreign = cast.outsider.neighbourhood
    err = refused(join_input, ErrorCode.INVALID, neighbourhood_id=foreign.pk)
    assert err.extra["field"] == "neighbourhood_id"


def test_missing_fields_are_all_named(join_input):
    err = refused(join_input, ErrorCode.INVALID, real_name=" ", phone="", building="")
    assert err.extra["fields"] == ["real_name", "phone", "building"]
    assert "真实姓名" in err.message and "手机号码" in err.message


def test_the_unit_may_be_left_empty(join_input):
    assert actions.do_apply(**join_input(unit="")).unit == ""


def test_a_taken_username_is_refused(cast, join_input):
    err = refused(join_input, ErrorCode.CONFLICT, username="Resident")
    assert err.extra["field"] == "username"


def test_a_malformed_username_is_refused(join_input):
    refused(join_input, ErrorCode.INVALID, username="a b")


def test_a_short_password_is_refused(join_input):
    err = refused(join_input, ErrorCode.INVALID, password="abc12")
    assert err.extra["field"] == "password"


def test_a_common_password_is_refused(join_input):
    refused(join_input, ErrorCode.INVALID, password="password123")


def test_a_bad_phone_is_refused(join_input):
    err = refused(join_input, ErrorCode.INVALID, phone="12345")
    assert err.extra["field"] == "phone"


def test_an_overlong_display_name_is_refused(join_input):
    refused(join_input, ErrorCode.INVALID, display_name="长" * 41)
