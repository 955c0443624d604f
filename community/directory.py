"""The community's directory: finding a neighbour by display name, or someone of the committee,
to knock on their door (敲门). Only what rooms show anyway: display name, role, badges."""

from __future__ import annotations

from typing import Any

from community.models import Person, Verification
from core import policy, roles
from core.policy import Actor
from core.roles import OFFICIAL_ROLES, Role

#: People one search returns at most.
DIRECTORY_LIMIT = 30


def public_view(person: Person) -> dict[str, Any]:
    return {
        "id": person.pk,
        "display_name": person.display_name,
        "role": person.role,
        "badges": roles.badges(person.role, person.party_member),
    }


def find_people(actor: Actor, query: str = "", officials: bool = False) -> list[dict[str, Any]]:
    """Approved people of the actor's community whose display name contains ``query``, or, with
    ``officials``, its cadres, property, police and owners' committee. Never the actor."""
    policy.require_find_people(actor)
    people = (
        Person.objects.filter(
            community_id=actor.community_id, verification=Verification.APPROVED, is_active=True
        )
        .exclude(pk=actor.person_id)
        .exclude(role=Role.OBSERVER)
    )
    if officials:
        people = people.filter(role__in=OFFICIAL_ROLES)
    else:
        query = query.strip()
        if not query:
            return []
        people = people.filter(display_name__icontains=query)
    found = people.order_by("display_name", "pk")[:DIRECTORY_LIMIT]
    return [public_view(p) for p in found]
