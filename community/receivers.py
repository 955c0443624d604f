"""The community app's answers to Django's own hooks: logout, and a person saved.

A person's save announces what changed (``community.signals``), whoever saves: an action, the
admin, a management command or the shell. ``Person.from_db`` keeps the watched fields as loaded.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from community import actions, signals
from community.models import Person, Verification


@receiver(user_logged_out)
def _end_every_session(sender, request, user, **kwargs) -> None:
    """Logging out (the site or the admin) ends every session and cookie socket of the person."""
    if user is not None and user.pk is not None:
        actions.end_sessions(user.pk)


@receiver(post_save, sender=Person)
def _announce_changes(sender, instance: Person, created: bool, **kwargs) -> None:
    """Inside the save: Django clears ``_password`` after this hook, and a hash upgrade at login
    clears it before saving (not a password change)."""
    before, instance._as_saved = getattr(instance, "_as_saved", None), instance._watched()
    if created or before is None:
        return  # a new person: the approval (person_approved) seats them
    announce(instance, before, password_changed=instance._password is not None)


def announce(person: Person, before: dict[str, Any], *, password_changed: bool) -> None:
    def was(name: str) -> Any:
        return before.get(name, getattr(person, name))  # a deferred field did not change

    was_approved = was("verification") == Verification.APPROVED and was("is_active")
    if was_approved and not person.is_approved:
        signals.person_removed.send(sender=Person, person_id=person.pk)
        return
    if password_changed:
        person.api_tokens.all().delete()
        signals.person_signed_out.send(sender=Person, person_id=person.pk, tokens=True)
    if not person.is_approved:
        return
    moved = any(was(name) != getattr(person, name) for name in Person.PLACE_FIELDS)
    # An approval announces itself (person_approved); a reactivation is announced here.
    reactivated = not was_approved and was("verification") == Verification.APPROVED
    if moved or reactivated:
        signals.person_changed.send(sender=Person, person=person)
