"""``linli``: the one command an operator needs.

``linli migrate``, ``linli seed_demo``, ``linli serve``, ``linli demo`` and every other Django
management command (``linli createsuperuser``, ``linli import_residents`` …) run through it.
"""

from __future__ import annotations

import os
import sys

HELP = """linli — 邻里 neighbourhood chat server

usage: linli COMMAND [options]

  demo [--host H] [--port P] [--password P]
                       migrate, seed the demo community, and serve it (SQLite, no setup)
  serve [--host H] [--port P] [--access-log] [--proxy-headers]
                       serve HTTP and WebSockets with daphne (default 127.0.0.1:8000);
                       no access log unless asked, and then with ?token= values redacted
  migrate              create or upgrade the database tables
  seed_demo [--password P]
                       create the demo district, community, rooms and accounts (idempotent;
                       default password linli-demo)
  import_residents FILE.csv --community ID [--dry-run]
                       onboard a community's existing roster in bulk (see its help for columns)
  invite_code --community ID [--expires-days N] [--out DIR]
                       print a community's invite code and join URL; write its QR poster
  createsuperuser      an administrator for /admin/ (approves joins, manages communities)
  help COMMAND         the options of any command; every Django management command works too

Configuration comes from the environment: see the README's table (DATABASE_URL, REDIS_URL,
SECRET_KEY, ALLOWED_HOSTS, LINLI_ID_HASH_KEY, LINLI_DATA_DIR …).
"""


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server.settings")
    if not argv or argv[0] in ("-h", "--help"):
        print(HELP)
        return
    if argv[0] == "demo":
        # Debug pages for the demo only (on loopback, with demo data): before settings load.
        os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["linli", *argv])


if __name__ == "__main__":
    main()
