"""Fetch a room together with the right to use it, so no caller gets one without the check."""

from __future__ import annotations

from dataclasses import dataclass

from chat import storage
from chat.models import Membership, Room
from community.models import Person
from core import policy
from core.policy import Actor
from core.rooms import PUBLIC_ROOM_KINDS


@dataclass(frozen=True, slots=True)
class RoomAccess:
    room: Room
    membership: Membership | None
    place: policy.Place

    @property
    def rank(self) -> str | None:
        return self.membership.rank if self.membership else None

    @property
    def seat(self) -> policy.Seat | None:
        return policy.Seat.of(self.membership)

    def facts(self, *, blocked: bool = False) -> policy.RoomFacts:
        """The room as the rulebook reads it."""
        return policy.RoomFacts.of(self.room, self.place, blocked=blocked)


def access_room(actor: Actor, room_id: int, *, lock: bool = False) -> RoomAccess:
    """The room and the actor's membership, if the actor may read it; else ``not_member``.

    A room that does not exist gets the same answer as one the actor is not in, so the existence
    of other people's direct rooms does not leak. ``lock`` takes the room row lock (for writers).
    One statement (``chat.storage``): every send and read marker starts here.
    """
    found = storage.room_with_membership(room_id, actor.person_id, lock=lock)
    if found is None:
        raise policy.not_member()
    room, membership, street_id, district_id = found
    access = RoomAccess(room, membership, policy.Place(street_id, district_id))
    policy.require_read_room(actor, access.facts(), access.seat)
    return access


def actor_of(person_id: int) -> Actor:
    """The person as they are now (after a role or profile change reaches their sockets)."""
    return Actor.of(Person.objects.get(pk=person_id))


def readable_room_ids(actor: Actor) -> list[int]:
    """Every room whose events the actor's sockets receive: memberships, plus observed rooms."""
    if policy.reads_by_scope(actor):
        return list(observed_rooms(actor).values_list("pk", flat=True))
    return storage.member_room_ids(actor.person_id)


def observed_rooms(actor: Actor):
    """The public rooms of the communities in an observer's street or district (观察权限)."""
    rooms = Room.objects.filter(kind__in=PUBLIC_ROOM_KINDS)
    if actor.observer_street_id is not None:
        return rooms.filter(community__street_id=actor.observer_street_id)
    if actor.observer_district_id is not None:
        return rooms.filter(community__street__district_id=actor.observer_district_id)
    return rooms.none()
