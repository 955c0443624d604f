"""The chat app's answers to the community app's hooks (see community.signals)."""

from __future__ import annotations

from django.dispatch import receiver

from chat import broadcast
from chat.actions import rooms
from community import signals


@receiver(signals.community_created)
def _community_rooms(sender, community, **kwargs) -> None:
    rooms.create_community_rooms(community)


@receiver(signals.neighbourhood_created)
def _neighbourhood_room(sender, neighbourhood, **kwargs) -> None:
    rooms.create_neighbourhood_room(neighbourhood)


@receiver(signals.person_approved)
def _seat_new_member(sender, person, **kwargs) -> None:
    """Approval is the moment a resident joins their 小区群 and the community room."""
    rooms.seat_person(person)


@receiver(signals.person_changed)
def _reseat(sender, person, **kwargs) -> None:
    rooms.seat_person(person)


@receiver(signals.token_revoked)
def _close_token_sockets(sender, person_id, token_id, **kwargs) -> None:
    """Sockets opened with a revoked token close within a second (OWASP: close at logout)."""
    broadcast.publish_user_control(person_id, "revoke", token=token_id)


@receiver(signals.person_changed)
def _refresh_sockets(sender, person, **kwargs) -> None:
    """Open sockets reload who the person is (role, party badge) after the change commits."""
    broadcast.publish_user_control(person.pk, "refresh")
