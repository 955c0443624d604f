"""``linli person USERNAME``: deactivate, reactivate, move or re-role a person from the console."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from community import actions
from community.models import Neighbourhood, Person, Role
from core.errors import ActionError


class Command(BaseCommand):
    help = (
        "Change one person through the same actions as the admin: their open sockets follow at "
        "once (closed when deactivated; rooms left and joined when moved or given a new role)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        state = parser.add_mutually_exclusive_group()
        state.add_argument("--deactivate", action="store_true", help="close their account")
        state.add_argument("--reactivate", action="store_true", help="let them in again")
        parser.add_argument("--move", type=int, metavar="NEIGHBOURHOOD_ID", help="another 小区")
        parser.add_argument("--role", choices=Role.values, help="a new role")
        parser.add_argument("--party", choices=["yes", "no"], help="the party member badge")

    def handle(self, *args, username: str, **options) -> None:
        person = Person.objects.filter(username=username).first()
        if person is None:
            raise CommandError(f"no person named {username!r}")
        try:
            self._apply(person.pk, options)
        except ActionError as err:
            raise CommandError(str(err.message)) from err
        person.refresh_from_db()
        self.stdout.write(
            f"{person.username}: {person.role}, community #{person.community_id}, "
            f"小区 #{person.neighbourhood_id}, {'active' if person.is_active else 'deactivated'}"
        )

    def _apply(self, person_id: int, options: dict) -> None:
        # The operator at the console acts for the platform (actor None).
        if options["move"] is not None:
            found = Neighbourhood.objects.select_related("community").filter(pk=options["move"])
            neighbourhood = found.first()
            if neighbourhood is None:
                raise CommandError(f"no 小区 #{options['move']}")
            actions.move_person(None, person_id, neighbourhood.community, neighbourhood)
        if options["role"] is not None or options["party"] is not None:
            party = None if options["party"] is None else options["party"] == "yes"
            actions.change_role(None, person_id, role=options["role"], party_member=party)
        if options["deactivate"]:
            actions.deactivate_person(None, person_id)
        if options["reactivate"]:
            actions.reactivate_person(None, person_id)
