"""Hooks other apps attach to, so the community app never imports them.

``person_approved``: the moment a person joins (real-name review passed); the chat app seats them in
their 小区群 and the community room. ``community_created`` / ``neighbourhood_created``: the chat app
creates the rooms that belong to them. ``person_changed``: role, party flag or scope changed.
``token_revoked``: open sockets authenticated by that token must close.
"""

from django.dispatch import Signal

person_approved = Signal()  # sender=Person class, person=Person
community_created = Signal()  # community=Community
neighbourhood_created = Signal()  # neighbourhood=Neighbourhood
person_changed = Signal()  # person=Person
token_revoked = Signal()  # person_id=int, token_id=int
