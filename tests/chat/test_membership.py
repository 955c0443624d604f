"""Who is in which room, by address and role (DESIGN.md's table of rooms)."""

import pytest

from chat.models import Membership, Room, RoomKind
from community import actions as community_actions
from community.models import Role
from tests.chat.conftest import actor


def rooms_of(person):
    return set(Membership.objects.filter(person=person).values_list("room__name", flat=True))


def test_resident_is_in_their_neighbourhood_room_and_the_community_room(cast):
    assert rooms_of(cast.resident) == {"翠湖苑小区群", "长江路居委社区群"}


def test_resident_is_not_in_another_neighbourhoods_room(cast):
    assert "江湾华庭小区群" not in rooms_of(cast.resident)


def test_party_member_is_also_in_the_party_room(cast):
    assert "党员群" in rooms_of(cast.party_member)


def test_cadre_owns_every_room_of_the_community(cast):
    ranks = dict(Membership.objects.filter(person=cast.cadre).values_list("room__name", "rank"))
    assert ranks == {
        "翠湖苑小区群": "owner",
        "江湾华庭小区群": "owner",
        "长江路居委社区群": "owner",
        "五位一体协调群": "owner",
        "党员群": "owner",
        "居委工作群": "owner",
    }


@pytest.mark.parametrize("who", ["property", "police", "owners"])
def test_officials_sit_in_the_coordination_room_only(cast, who):
    assert rooms_of(getattr(cast, who)) == {"五位一体协调群"}


def test_residents_are_never_in_the_coordination_room(cast, coordination_room):
    members = set(coordination_room.memberships.values_list("person__role", flat=True))
    assert Role.RESIDENT not in members and Role.MODERATOR not in members


def test_resident_moderator_moderates_their_neighbourhood_room(cast):
    ranks = dict(Membership.objects.filter(person=cast.moderator).values_list("room__name", "rank"))
    assert ranks["翠湖苑小区群"] == "moderator"


def test_observer_is_member_of_nothing(cast):
    assert rooms_of(cast.observer) == set()


def test_new_neighbourhood_seats_the_communitys_cadres(cast):
    nb = community_actions.create_neighbourhood(cast.community, "新小区")
    room = Room.objects.get(neighbourhood=nb)
    assert room.memberships.filter(person=cast.cadre, rank="owner").exists()


def test_approval_seats_the_applicant_and_announces_the_join(cast, garden_room):
    from community.models import Person

    applicant = Person.objects.create(
        username="applicant",
        display_name="新邻居",
        community=cast.community,
        neighbourhood=cast.garden,
    )
    before = garden_room.last_seq
    community_actions.do_approve(actor(cast.cadre), applicant.pk)
    garden_room.refresh_from_db()
    assert garden_room.memberships.filter(person=applicant).exists()
    assert garden_room.last_seq == before + 1
    assert "新邻居" in garden_room.messages.get(seq=before + 1).body


def test_becoming_a_party_member_adds_the_party_room(cast):
    community_actions.change_role(None, cast.resident.pk, party_member=True)
    assert "党员群" in rooms_of(cast.resident)


def test_losing_a_role_leaves_its_rooms(cast):
    community_actions.change_role(None, cast.property.pk, role=Role.RESIDENT)
    assert "五位一体协调群" not in rooms_of(cast.property)


def test_every_community_has_one_coordination_room(cast):
    assert Room.objects.filter(community=cast.community, kind=RoomKind.COORDINATION).count() == 1
