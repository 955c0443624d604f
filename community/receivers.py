"""The community app's answers to Django's own hooks."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from community import actions


@receiver(user_logged_out)
def _end_every_session(sender, request, user, **kwargs) -> None:
    """Logging out (the site or the admin) ends every session and cookie socket of the person."""
    if user is not None and user.pk is not None:
        actions.end_sessions(user.pk)
