"""Builders for test data. Everything is made through the actions, as in production."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from community import actions
from community.models import Community, Neighbourhood, Person, Role, Street

PASSWORD = "linli-test-pass"
_serial = itertools.count(1)


def make_street(district_name: str = "宝山区", street_name: str = "新江湾城街道") -> Street:
    return actions.create_street(actions.create_district(district_name), street_name)


def make_community(name: str | None = None, street: Street | None = None) -> Community:
    return actions.create_community(street or make_street(), name or f"社区{next(_serial)}")


def make_neighbourhood(community: Community, name: str | None = None) -> Neighbourhood:
    return actions.create_neighbourhood(community, name or f"小区{next(_serial)}")


def make_person(
    community: Community | None,
    *,
    role: str = Role.RESIDENT,
    neighbourhood: Neighbourhood | None = None,
    username: str | None = None,
    display_name: str | None = None,
    party_member: bool = False,
    password: str | None = PASSWORD,
    **fields,
) -> Person:
    """An enrolled person; ``password=None`` for one who has not activated their account yet."""
    n = next(_serial)
    return actions.do_enrol(
        username=username or f"{role}{n}",
        password=password,
        display_name=display_name or f"{role}-{n}",
        community=community,
        role=role,
        neighbourhood=neighbourhood,
        party_member=party_member,
        **fields,
    )


@dataclass
class Cast:
    """A memorable community: who is who in most tests."""

    street: Street
    community: Community
    garden: Neighbourhood  # 小区 A
    court: Neighbourhood  # 小区 B
    cadre: Person  # 居委干部, owner of the community's rooms
    moderator: Person  # 居民版主 in 小区 A
    resident: Person  # 小区 A
    neighbour: Person  # 小区 A
    resident_b: Person  # 小区 B
    party_member: Person  # 小区 A, shows the party badge
    property: Person
    police: Person
    owners: Person
    observer: Person  # watches the street
    outsider: Person  # a resident of another community
    other_community: Community


def make_cast() -> Cast:
    street = make_street()
    community = make_community("长江路居委", street)
    garden = make_neighbourhood(community, "翠湖苑")
    court = make_neighbourhood(community, "江湾华庭")
    other_community = make_community("殷行居委", make_street("杨浦区", "殷行街道"))
    other_nb = make_neighbourhood(other_community, "开鲁新村")
    return Cast(
        street=street,
        community=community,
        garden=garden,
        court=court,
        cadre=make_person(community, role=Role.CADRE, username="cadre"),
        moderator=make_person(community, role=Role.MODERATOR, neighbourhood=garden, username="mod"),
        resident=make_person(community, neighbourhood=garden, username="resident"),
        neighbour=make_person(community, neighbourhood=garden, username="neighbour"),
        resident_b=make_person(community, neighbourhood=court, username="resident_b"),
        party_member=make_person(
            community, neighbourhood=garden, party_member=True, username="partymember"
        ),
        property=make_person(community, role=Role.PROPERTY, username="property"),
        police=make_person(community, role=Role.POLICE, username="police"),
        owners=make_person(community, role=Role.OWNERS_COMMITTEE, username="owners"),
        observer=make_person(None, role=Role.OBSERVER, observer_street=street, username="observer"),
        outsider=make_person(other_community, neighbourhood=other_nb, username="outsider"),
        other_community=other_community,
    )
