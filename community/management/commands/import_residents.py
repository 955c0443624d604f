"""``linli import_residents FILE.csv --community ID``: onboard an existing roster in bulk."""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from tqdm import tqdm

from community import actions, activation, qr
from community.identity import (
    check_id_number,
    check_phone,
    hash_id_number,
    identity_fields,
)
from community.models import Community, Person, Verification
from core.errors import ActionError

REQUIRED = (
    "username",
    "display_name",
    "real_name",
    "id_number",
    "phone",
    "neighbourhood",
    "building",
    "room",
)
OPTIONAL = ("unit", "party_member")
_TRUE = {"1", "y", "yes", "true", "是", "党员"}


class RowError(Exception):
    pass


class Command(BaseCommand):
    help = """Enrol a community's existing residents from a UTF-8 CSV file with a header row.

Columns: username, display_name (what neighbours see), real_name, id_number (18-character
居民身份证号码), phone (mainland mobile), neighbourhood (the 小区's name), building, unit
(optional), room, party_member (optional: 1/yes/true/是). Each person is enrolled as a verified
resident (seated in their 小区群) without a password, and gets a one-time activation code with
which they choose their password and display name at /activate/<code>: one printable sheet per
小区 and building (activation-<小区>-<building>.svg) is written into --out. The ID number and
phone are stored only hashed and masked.

Bad rows (check digit, ID already in the community or earlier in the file, unknown 小区, missing
fields, bad phone, taken username) are reported with their line number and skipped; good rows
are imported, each in its own transaction. --dry-run checks every row and imports nothing."""

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="the roster, CSV with a header row")
        parser.add_argument("--community", type=int, required=True, help="the community's id")
        parser.add_argument("--dry-run", action="store_true", help="check only, import nothing")
        parser.add_argument(
            "--out",
            type=Path,
            default=Path.cwd(),
            help="where to write the activation sheets (default: .)",
        )

    def handle(
        self, *args, file: Path, community: int, dry_run: bool, out: Path, **options
    ) -> None:
        found = Community.objects.filter(pk=community).first()
        if found is None:
            raise CommandError(f"no community with id {community}")
        try:
            with file.open(encoding="utf-8-sig", newline="") as handle:
                rows = self._read(handle)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        neighbourhoods = {n.name: n for n in found.neighbourhoods.all()}
        seen_ids: set[str] = set()
        seen_usernames: set[str] = set()
        imported, bad, enrolled = 0, 0, []
        # tqdm writes \r updates: give it the raw stream, not Django's line-ending wrapper.
        stream = getattr(self.stderr, "_out", self.stderr)
        for line, row in tqdm(rows, file=stream, unit="row", desc="import"):
            try:
                fields = self._check(row, found, neighbourhoods, seen_ids, seen_usernames)
                if not dry_run:
                    with transaction.atomic():
                        enrolled.append(actions.do_enrol(community=found, password=None, **fields))
                imported += 1
            except IntegrityError:
                # Lost a race with a join or another import: the row is a duplicate after all.
                bad += 1
                reason = _("用户名或身份证号码已存在")
                tqdm.write(f"line {line}: {reason}", file=stream)
            except (RowError, ActionError) as exc:
                bad += 1
                reason = exc.message if isinstance(exc, ActionError) else exc
                tqdm.write(f"line {line}: {reason}", file=stream)
        verb = "would import" if dry_run else "imported"
        self.stdout.write(f"{verb} {imported} of {len(rows)} rows; {bad} bad rows skipped")
        if enrolled:
            # The operator at the console acts for the platform (actor None).
            issued = activation.issue_activations(None, enrolled)
            for path in qr.write_activation_sheets(issued, out):
                self.stdout.write(f"activation sheet: {path}")

    def _read(self, handle) -> list[tuple[int, dict[str, str]]]:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise CommandError(f"the header lacks the column(s): {', '.join(missing)}")
        reader.fieldnames = header
        rows = []
        for row in reader:
            # line_num is the line the row ended on: right for the usual one-line rows.
            clean = {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}
            if any(clean.values()):
                rows.append((reader.line_num, clean))
        return rows

    def _check(self, row, community, neighbourhoods, seen_ids, seen_usernames) -> dict:
        """The do_enrol arguments for a good row; raises RowError or ActionError for a bad one."""
        missing = [c for c in REQUIRED if not row.get(c)]
        if missing:
            raise RowError(_("缺少：%(fields)s") % {"fields": ", ".join(missing)})
        id_number = check_id_number(row["id_number"])
        id_hash = hash_id_number(id_number)
        if id_hash in seen_ids:
            raise RowError(_("身份证号码与文件中前面的一行重复"))
        if Person.objects.filter(
            community=community,
            id_hash=id_hash,
            verification__in=[Verification.PENDING, Verification.APPROVED],
        ).exists():
            raise RowError(_("这个身份证号码在本社区已有账号或申请"))
        phone = check_phone(row["phone"])
        neighbourhood = neighbourhoods.get(row["neighbourhood"])
        if neighbourhood is None:
            raise RowError(_("本社区没有这个小区：%(name)s") % {"name": row["neighbourhood"]})
        username = row["username"]
        if username.casefold() in seen_usernames:
            raise RowError(_("用户名与文件中前面的一行重复"))
        username = actions.check_new_username(username)
        actions.check_lengths({**row, "room_number": row["room"]})
        seen_ids.add(id_hash)
        seen_usernames.add(username.casefold())
        return {
            "username": username,
            "display_name": row["display_name"],
            "real_name": row["real_name"],
            "neighbourhood": neighbourhood,
            "building": row["building"],
            "unit": row.get("unit", ""),
            "room_number": row["room"],
            "party_member": row.get("party_member", "").casefold() in _TRUE,
            **identity_fields(id_number, phone),
        }
