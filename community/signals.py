"""Hooks other apps attach to, so the community app never imports them.

``person_approved``: the moment a person joins (real-name review passed); the chat app seats them in
their 小区群 and the community room. ``community_created`` / ``neighbourhood_created``: the chat app
creates the rooms that belong to them. ``person_changed``: role, party flag, 小区, community or
observed area changed, or the account was reactivated: open sockets follow (rooms lost and
gained). ``person_removed``: the account was deactivated or its approval withdrawn: open sockets
close. ``person_signed_out``: logout or a password change: open sockets close (with ``tokens``,
the bearer-token ones too). ``token_revoked``: open sockets authenticated by that token must close.

Changes to a person are announced by ``Person.save`` itself (``community.models``), whoever
saves: an action, the admin, a management command or the shell.
"""

from django.dispatch import Signal

person_approved = Signal()  # sender=Person class, person=Person
community_created = Signal()  # community=Community
neighbourhood_created = Signal()  # neighbourhood=Neighbourhood
person_changed = Signal()  # person=Person
person_removed = Signal()  # person_id=int
person_signed_out = Signal()  # person_id=int, tokens=bool
token_revoked = Signal()  # person_id=int, token_id=int
