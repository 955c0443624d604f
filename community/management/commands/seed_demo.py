"""``linli seed_demo``: a demo district, street, residents' committee, two 小区 and their people.

Idempotent: everything is looked up by name or username first, so a second run creates nothing
and prints the same table. Everything is made through the actions, as in production, so the chat
app's rooms and seats come with it.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from community import actions, links
from community.identity import identity_fields, make_id_number
from community.models import Community, Neighbourhood, Person, Role, Street
from core.errors import ActionError

DEMO_PASSWORD = "linli-demo"
DISTRICT = "宝山区"
STREET = "友谊路街道"  # a street of Baoshan district
COMMUNITY = "海滨新村居委"
NEIGHBOURHOODS = ("海滨一村", "海滨二村")
#: Area code of Baoshan district, for generated (valid, fictitious) ID numbers.
AREA = "310113"

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_RESIDENTS = (
    "王阿姨",
    "李师傅",
    "张老师",
    "刘叔叔",
    "陈奶奶",
    "杨大哥",
    "赵姐",
    "黄伯伯",
    "周同学",
    "吴医生",
    "徐阿婆",
    "孙师傅",
    "胡老师",
    "朱大姐",
    "高爷爷",
    "林妈妈",
    "何叔",
    "郭小妹",
    "马大爷",
    "罗姐姐",
)


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    role: str
    neighbourhood: int | None = None  # index into NEIGHBOURHOODS
    building: str = ""
    unit: str = ""
    room: str = ""
    party_member: bool = False
    observer: bool = False
    serial: int = 0


def demo_accounts() -> list[Account]:
    """Who the demo has, in the order the table prints them."""
    accounts = [
        Account("cadre1", "李书记", Role.CADRE, serial=90),
        Account("moderator1", "楼组长老周", Role.MODERATOR, 0, "3号楼", "1单元", "201", serial=91),
    ]
    for i, name in enumerate(_RESIDENTS, start=1):
        accounts.append(
            Account(
                f"resident{i}",
                name,
                Role.RESIDENT,
                neighbourhood=(i - 1) % 2,
                building=f"{(i - 1) // 4 + 1}号楼",
                unit=f"{i % 2 + 1}单元",
                room=f"{(i % 6) + 1}0{(i % 3) + 1}",
                party_member=i <= 5,
                serial=i,
            )
        )
    accounts += [
        Account("owners1", "业委会钱主任", Role.OWNERS_COMMITTEE, serial=92),
        Account("property1", "物业小沈", Role.PROPERTY, serial=93),
        Account("police1", "社区民警何警官", Role.POLICE, serial=94),
        Account("observer1", "街道观察员", Role.OBSERVER, observer=True, serial=95),
    ]
    return accounts


PENDING = Account("pending1", "新邻居小林", Role.RESIDENT, 1, "8号楼", "2单元", "502", serial=96)


def _identity(account: Account) -> tuple[str, str, str]:
    """A fictitious real name, a valid generated ID number and a phone number."""
    n = account.serial
    real_name = _SURNAMES[n % len(_SURNAMES)] + "晓" + "明华军芳丽强"[n % 6]
    born = datetime.date(1950 + n % 50, n % 12 + 1, n % 28 + 1)
    return real_name, make_id_number(AREA, born, n), f"139{n:08d}"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


class Command(BaseCommand):
    help = (
        "Create the demo community (宝山区 → 友谊路街道 → 海滨新村居委, two 小区) and its accounts "
        "(cadre1, moderator1, resident1…resident20, owners1, property1, police1, observer1, "
        "pending1), print them and a join URL. Running it again creates nothing new."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--password", default=DEMO_PASSWORD, help=f"every account's password ({DEMO_PASSWORD})"
        )

    def handle(self, *args, password: str, **options) -> None:
        with transaction.atomic():
            community, street, neighbourhoods = self._structure()
            created = self._accounts(community, street, neighbourhoods, password)
            invite = actions.current_invite_code(community) or actions.create_invite_code(
                None, community
            )
        self._print_table(password)
        self.stdout.write("")
        self.stdout.write(f"{community.name} (#{community.pk}): {created} new accounts")
        self.stdout.write(f"join URL: {links.join_url(invite.code)}")

    def _structure(self) -> tuple[Community, Street, list[Neighbourhood]]:
        street = actions.create_street(actions.create_district(DISTRICT), STREET)
        community = actions.create_community(street, COMMUNITY)
        neighbourhoods = [actions.create_neighbourhood(community, n) for n in NEIGHBOURHOODS]
        return community, street, neighbourhoods

    def _accounts(self, community, street, neighbourhoods, password: str) -> int:
        # One hash for all: PBKDF2 costs ~0.5 s each, and these are demo accounts.
        hashed = make_password(password)
        existing = set(
            Person.objects.filter(
                username__in=[a.username for a in [*demo_accounts(), PENDING]]
            ).values_list("username", flat=True)
        )
        created = 0
        for account in demo_accounts():
            if account.username in existing:
                continue
            self._enrol(account, community, street, neighbourhoods)
            created += 1
        if PENDING.username not in existing:
            self._apply(PENDING, community, neighbourhoods, password)
            created += 1
        new = [a.username for a in demo_accounts() if a.username not in existing]
        Person.objects.filter(username__in=new).update(password=hashed)
        # The table must tell the truth: a rerun with another --password resets the demo's.
        earlier = Person.objects.filter(username__in=existing - {PENDING.username}).first()
        if earlier is not None and not check_password(password, earlier.password):
            Person.objects.filter(username__in=existing - {PENDING.username}).update(
                password=hashed
            )
            pending = Person.objects.filter(username=PENDING.username).first()
            if pending is not None:
                pending.set_password(password)
                pending.save(update_fields=["password"])
        return created

    def _enrol(self, account: Account, community, street, neighbourhoods) -> None:
        real_name, id_number, phone = _identity(account)
        neighbourhood = (
            neighbourhoods[account.neighbourhood] if account.neighbourhood is not None else None
        )
        actions.do_enrol(
            username=account.username,
            password=None,  # set below, one hash for all
            display_name=account.display_name,
            community=None if account.observer else community,
            role=account.role,
            neighbourhood=neighbourhood,
            party_member=account.party_member,
            real_name=real_name,
            building=account.building,
            unit=account.unit,
            room_number=account.room,
            observer_street=street if account.observer else None,
            **identity_fields(id_number, phone),
        )

    def _apply(self, account: Account, community, neighbourhoods, password: str) -> None:
        real_name, id_number, phone = _identity(account)
        invite = actions.current_invite_code(community) or actions.create_invite_code(
            None, community
        )
        try:
            actions.do_apply(
                invite_code=invite.code,
                real_name=real_name,
                id_number=id_number,
                phone=phone,
                neighbourhood_id=neighbourhoods[account.neighbourhood].pk,
                building=account.building,
                unit=account.unit,
                room_number=account.room,
                username=account.username,
                password=password,
                display_name=account.display_name,
            )
        except ActionError as err:
            raise CommandError(f"{account.username}: {err.message}") from err

    def _print_table(self, password: str) -> None:
        people = {
            p.username: p
            for p in Person.objects.select_related("neighbourhood").filter(
                username__in=[a.username for a in [*demo_accounts(), PENDING]]
            )
        }
        header = ("username", "role", "display name", "小区", "password")
        rows = [header]
        for account in [*demo_accounts(), PENDING]:
            person = people[account.username]
            role = Role(person.role).label + (" 党员" if person.party_member else "")
            if person.verification != "approved":
                role += f" ({person.get_verification_display()})"
            where = person.neighbourhood.name if person.neighbourhood else "-"
            if person.building:
                where += f" {person.location}"
            rows.append((person.username, str(role), person.display_name, where, password))
        widths = [max(_width(str(row[i])) for row in rows) + 2 for i in range(len(header))]
        for row in rows:
            self.stdout.write("".join(_pad(str(c), w) for c, w in zip(row, widths, strict=True)))
