"""``linli activation_codes --community ID``: print activation sheets, or a new code for one."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from community import actions, activation, links, qr
from community.models import Person
from core.errors import ActionError


class Command(BaseCommand):
    help = (
        "Issue one-time activation codes (激活码) and write one printable sheet per 小区 and "
        "building (activation-<小区>-<building>.svg, a card with a QR code per household) into "
        "--out. Without --person: everyone in the community (or --neighbourhood / --building) "
        "who has not chosen a password yet. With --person USERNAME: a new code for that person "
        "(one who lost theirs), printed with its link. Earlier unused codes of these people stop "
        "working; every issue is written to the personal-data access log."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--community", type=int, required=True, help="the community's id")
        parser.add_argument("--neighbourhood", help="only this 小区 (its name)")
        parser.add_argument("--building", help="only this building (楼号)")
        parser.add_argument("--person", help="a new code for this username only")
        parser.add_argument(
            "--out", type=Path, default=Path.cwd(), help="where to write the sheets (default: .)"
        )

    def handle(self, *args, community: int, out: Path, **options) -> None:
        try:
            found = actions.get_community(community)
        except ActionError as err:
            raise CommandError(str(err.message)) from err
        people = self._people(found.pk, options)
        if not people:
            self.stdout.write("nobody to issue a code to")
            return
        # The operator at the console acts for the platform (actor None).
        issued = activation.issue_activations(None, people)
        if options["person"]:
            item = issued[0]
            self.stdout.write(f"person:  {item.person.username}")
            self.stdout.write(f"code:    {item.code}")
            self.stdout.write(f"link:    {links.activation_url(item.code)}")
            self.stdout.write(f"expires: {item.expires_at:%Y-%m-%d %H:%M} UTC")
        for path in qr.write_activation_sheets(issued, out):
            self.stdout.write(f"sheet:   {path}")
        self.stdout.write(f"issued {len(issued)} activation code(s)")

    def _people(self, community_id: int, options: dict) -> list[Person]:
        if options["person"]:
            person = Person.objects.filter(
                community_id=community_id, username=options["person"]
            ).first()
            if person is None:
                raise CommandError(f"no person {options['person']!r} in this community")
            return [person]
        people = activation.waiting_for_activation(community_id)
        if options["neighbourhood"]:
            people = [
                p
                for p in people
                if p.neighbourhood and p.neighbourhood.name == options["neighbourhood"]
            ]
        if options["building"]:
            people = [p for p in people if p.building == options["building"]]
        return people
