"""``linli invite_code --community ID``: print a community's join code and write its QR poster."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from community import actions, qr
from core.errors import ActionError


class Command(BaseCommand):
    help = (
        "Issue a new invite code (邀请码) for a community, print it with its join URL "
        "({LINLI_PUBLIC_URL}/join/<code>), and write invite-<code>.svg (a printable poster) and "
        "invite-<code>.png (the QR code) into --out. Use --reuse to print the current code instead."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--community", type=int, required=True, help="the community's id")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="days until the code stops working"
        )
        parser.add_argument(
            "--out", type=Path, default=Path.cwd(), help="where to write the poster (default: .)"
        )
        parser.add_argument(
            "--reuse", action="store_true", help="print the current live code if there is one"
        )

    def handle(
        self, *args, community: int, expires_days: int | None, out: Path, reuse: bool, **options
    ) -> None:
        try:
            found = actions.get_community(community)
        except ActionError as err:
            raise CommandError(str(err.message)) from err
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be at least 1")
        invite = actions.current_invite_code(found) if reuse else None
        if invite is None:
            expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
            # The operator at the console acts for the platform (actor None).
            invite = actions.create_invite_code(None, found, expires_at)
        svg_path, png_path = qr.write_poster(invite, out)
        self.stdout.write(f"community: {found.name} (#{found.pk})")
        self.stdout.write(f"code:      {invite.code}")
        self.stdout.write(f"join URL:  {qr.join_url(invite.code)}")
        if invite.expires_at:
            self.stdout.write(f"expires:   {timezone.localtime(invite.expires_at):%Y-%m-%d %H:%M}")
        self.stdout.write(f"poster:    {svg_path}")
        self.stdout.write(f"QR code:   {png_path}")
