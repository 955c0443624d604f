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
def _follow_change(sender, person, **kwargs) -> None:
    """Open sockets reload who the person is and follow their rooms, after the change commits:
    ``refresh`` first (so a socket's own room check sees the new role and address), then the
    rooms they lost and gained."""
    broadcast.publish_user_control(person.pk, "refresh")
    rooms.seat_person(person)


@receiver(signals.person_removed)
def _close_removed(sender, person_id, **kwargs) -> None:
    """A deactivated account's sockets close with 4003 ``removed``, on every worker."""
    broadcast.publish_user_control(person_id, "remove")


@receiver(signals.person_signed_out)
def _close_signed_out(sender, person_id, tokens, **kwargs) -> None:
    """Logout closes the person's cookie sockets; a password change all of them (4001)."""
    broadcast.publish_user_control(person_id, "sign_out", tokens=tokens)


@receiver(signals.token_revoked)
def _close_token_sockets(sender, person_id, token_id, **kwargs) -> None:
    """Sockets opened with a revoked token close within a second (OWASP: close at logout)."""
    broadcast.publish_user_control(person_id, "revoke", token=token_id)
