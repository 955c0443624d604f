"""``linli invite_code --community ID``: issue, list or revoke a community's join codes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from community import actions, links, qr
from community.models import INVITE_DAYS
from core.errors import ActionError


class Command(BaseCommand):
    help = (
        "Issue a new invite code (邀请码) for a community, print it with its join URL "
        "({LINLI_PUBLIC_URL}/join/<code>, http://127.0.0.1:8000 when unset) and until when it "
        "is valid, and write invite-<code>.svg (a printable poster that says so) and "
        "invite-<code>.png (the QR code) into --out. A code expires (--expires-days, default "
        f"{INVITE_DAYS}) and takes at most --max-uses applications (default "
        f"{actions.INVITE_MAX_USES}). --reuse prints the current live code instead; --list "
        "lists every code with its state; --revoke CODE stops one at once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--community", type=int, required=True, help="the community's id")
        parser.add_argument(
            "--expires-days",
            type=int,
            default=INVITE_DAYS,
            help="days until the code stops working",
        )
        parser.add_argument(
            "--max-uses",
            type=int,
            default=actions.INVITE_MAX_USES,
            help="applications the code takes before it stops working",
        )
        parser.add_argument(
            "--out", type=Path, default=Path.cwd(), help="where to write the poster (default: .)"
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--reuse", action="store_true", help="print the current live code if there is one"
        )
        mode.add_argument("--list", action="store_true", help="list the community's codes")
        mode.add_argument("--revoke", metavar="CODE", help="revoke this code")

    def handle(self, *args, community: int, **options) -> None:
        try:
            found = actions.get_community(community)
            if options["list"]:
                self._list(found)
            elif options["revoke"]:
                # The operator at the console acts for the platform (actor None).
                invite = actions.do_revoke_invite(None, found.pk, options["revoke"])
                self.stdout.write(f"revoked: {invite.code}")
            else:
                self._issue(found, options)
        except ActionError as err:
            raise CommandError(str(err.message)) from err

    def _issue(self, community, options: dict) -> None:
        if options["expires_days"] < 1:
            raise CommandError("--expires-days must be at least 1")
        if options["max_uses"] < 1:
            raise CommandError("--max-uses must be at least 1")
        invite = actions.current_invite_code(community) if options["reuse"] else None
        if invite is None:
            expires_at = timezone.now() + timedelta(days=options["expires_days"])
            invite = actions.create_invite_code(
                None, community, expires_at, max_uses=options["max_uses"]
            )
        svg_path, png_path = qr.write_poster(invite, options["out"])
        self.stdout.write(f"community: {community.name} (#{community.pk})")
        self.stdout.write(f"code:      {invite.code}")
        self.stdout.write(f"join URL:  {links.join_url(invite.code)}")
        self.stdout.write(f"expires:   {timezone.localtime(invite.expires_at):%Y-%m-%d %H:%M}")
        self.stdout.write(f"uses:      {invite.uses} of {invite.max_uses}")
        self.stdout.write(f"poster:    {svg_path}")
        self.stdout.write(f"QR code:   {png_path}")

    def _list(self, community) -> None:
        now = timezone.now()
        for invite in actions.list_invite_codes(None, community.pk):
            if invite.revoked:
                state = "revoked"
            elif invite.expires_at <= now:
                state = "expired"
            elif invite.uses >= invite.max_uses:
                state = "used up"
            else:
                state = "valid"
            until = f"{timezone.localtime(invite.expires_at):%Y-%m-%d %H:%M}"
            self.stdout.write(
                f"{invite.code}  {state:8}  until {until}  uses {invite.uses}/{invite.max_uses}"
            )
