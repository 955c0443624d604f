"""观察权限: an observer sees the communities of their own street, or their whole district."""

from community.models import Role
from core.policy import Actor, Place, may_observe
from tests.factories import make_community, make_person, make_street


def test_a_street_observer_sees_the_communities_of_their_street(cast):
    assert may_observe(Actor.of(cast.observer), Place.of(cast.community))


def test_a_street_observer_does_not_see_another_streets_communities(cast):
    assert not may_observe(Actor.of(cast.observer), Place.of(cast.other_community))


def test_a_street_observer_does_not_see_a_sibling_street_in_the_same_district(cast):
    sibling = make_community("淞南居委", make_street("宝山区", "淞南镇"))
    assert not may_observe(Actor.of(cast.observer), Place.of(sibling))


def test_a_district_observer_sees_every_community_in_the_district(cast):
    district = cast.street.district
    observer = make_person(None, role=Role.OBSERVER, observer_district=district)
    sibling = make_community("淞南居委", make_street("宝山区", "淞南镇"))
    assert may_observe(Actor.of(observer), Place.of(cast.community))
    assert may_observe(Actor.of(observer), Place.of(sibling))


def test_a_district_observer_does_not_see_another_district(cast):
    observer = make_person(None, role=Role.OBSERVER, observer_district=cast.street.district)
    assert not may_observe(Actor.of(observer), Place.of(cast.other_community))


def test_an_observer_with_no_scope_sees_nothing(cast):
    observer = make_person(None, role=Role.OBSERVER)
    assert not may_observe(Actor.of(observer), Place.of(cast.community))


def test_a_cadre_is_not_an_observer(cast):
    assert not may_observe(Actor.of(cast.cadre), Place.of(cast.community))


def test_an_unapproved_observer_sees_nothing(cast):
    from dataclasses import replace

    unapproved = replace(Actor.of(cast.observer), approved=False)
    assert not may_observe(unapproved, Place.of(cast.community))
