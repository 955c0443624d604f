"""``linli demo``: migrate, seed the demo community and its morning, and serve it. SQLite, no
setup."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from server.management.commands.serve import collect_static_if_needed, daphne_args, run_daphne


class Command(BaseCommand):
    help = (
        "Migrate the database, create the demo community and accounts, bring it to life (topic "
        "rooms, a morning of conversation, a knock), and serve it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on")
        parser.add_argument("--password", default=None, help="the demo accounts' password")
        parser.add_argument("--access-log", action="store_true")

    def handle(
        self, *args, host: str, port: int, password: str | None, access_log: bool, **options
    ) -> None:
        if "LINLI_PUBLIC_URL" not in os.environ:
            # The printed join URL should open this very server.
            settings.LINLI_PUBLIC_URL = f"http://{host}:{port}"
        call_command("migrate", interactive=False, verbosity=0)
        seed = {"password": password} if password else {}
        call_command("seed_demo", stdout=self.stdout, **seed)
        call_command("seed_demo_chat", stdout=self.stdout)
        self.stdout.write("")
        self.stdout.write(f"Open http://{host}:{port}/ and log in with an account above.")
        self.stdout.write(f"Admin: http://{host}:{port}/admin/ (linli createsuperuser first)")
        self.stdout.flush()
        collect_static_if_needed()
        run_daphne(
            daphne_args(host, port, access_log=access_log, proxy_headers=False), facing_clients=True
        )
