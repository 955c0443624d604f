"""What presence reads from the database (never written: presence is soft state)."""

from __future__ import annotations

from django.db.models import Count

from chat.models import Membership
from community.models import Person
from core.policy import Actor
from core.roles import OFFICIAL_ROLES


def member_counts(room_ids: list[int]) -> dict[int, int]:
    """Members per room (one query): decides which rooms name individuals in ``presence``."""
    rows = (
        Membership.objects.filter(room_id__in=room_ids)
        .values("room_id")
        .annotate(n=Count("id"))
        .values_list("room_id", "n")
    )
    return dict(rows)


def officials_in_shared_rooms(actor: Actor) -> list[dict]:
    """The officials (居委, 物业, 民警, 业委会) who share at least one room with the actor.

    Only people who share a room with the viewer may be seen online; officials share the
    coordination room (五位一体) with a cadre, so this is the cadre's "who is on duty" list.
    """
    mine = Membership.objects.filter(person_id=actor.person_id).values("room_id")
    return list(
        Person.objects.filter(role__in=OFFICIAL_ROLES, memberships__room_id__in=mine)
        .exclude(pk=actor.person_id)
        .distinct()
        .order_by("pk")
        .values("id", "display_name", "role")
    )
