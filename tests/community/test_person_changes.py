"""A person's save announces what changed (community.signals), whoever saves them."""

import pytest

from community import signals
from community.models import ApiToken, Person, Role
from community.tokens import issue_token


@pytest.fixture
def heard():
    """The hooks fired while a test runs, by name."""
    fired: list[str] = []
    hooks = {
        "changed": signals.person_changed,
        "removed": signals.person_removed,
        "signed_out": signals.person_signed_out,
    }

    def hear(name: str):
        return lambda **kwargs: fired.append(name)

    receivers = {name: hear(name) for name in hooks}
    for name, hook in hooks.items():
        hook.connect(receivers[name], weak=False)
    yield fired
    for name, hook in hooks.items():
        hook.disconnect(receivers[name])


def test_saving_an_unwatched_field_announces_nothing(cast, heard):
    person = Person.objects.get(pk=cast.resident.pk)
    person.display_name = "新名字"
    person.save()
    assert heard == []


def test_a_role_change_saved_anywhere_is_announced(cast, heard):
    person = Person.objects.get(pk=cast.resident.pk)
    person.role = Role.MODERATOR
    person.save()
    assert heard == ["changed"]


def test_a_deferred_field_loaded_late_does_not_hide_an_unsaved_change(cast, heard):
    person = Person.objects.only("id", "role").get(pk=cast.resident.pk)
    person.role = Role.MODERATOR
    assert person.neighbourhood_id == cast.garden.pk  # loads a deferred field
    person.save()
    assert heard == ["changed"]


def test_deactivation_is_announced_as_a_removal_only(cast, heard):
    person = Person.objects.get(pk=cast.resident.pk)
    person.is_active, person.role = False, Role.MODERATOR
    person.save()
    assert heard == ["removed"]


def test_a_reactivation_is_announced_as_a_change(cast, heard):
    Person.objects.filter(pk=cast.resident.pk).update(is_active=False)
    person = Person.objects.get(pk=cast.resident.pk)
    person.is_active = True
    person.save()
    assert heard == ["changed"]


def test_a_password_change_revokes_every_token(cast, heard):
    issue_token(cast.resident), issue_token(cast.resident)
    person = Person.objects.get(pk=cast.resident.pk)
    person.set_password("another-password-9")
    person.save()
    assert heard == ["signed_out"]
    assert not ApiToken.objects.filter(person=person).exists()
