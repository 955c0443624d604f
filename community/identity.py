"""Real-name data: the resident ID number (居民身份证号码) and the mobile phone number.

后台实名、前台自愿: cadres verify a person under their real name, but Linli never stores the ID
number or the phone in clear. The ID number is kept as an HMAC-SHA256 keyed with
``settings.LINLI_ID_HASH_KEY`` (a key kept outside the database, so a database dump alone cannot
be brute-forced over the small space of valid ID numbers) plus a masked form for reviewers; the
phone only masked.

The ID number is checked against GB 11643-1999: 6 digits of area code, 8 of birth date
(YYYYMMDD), 3 of sequence and an ISO 7064 MOD 11-2 check character (``0``-``9`` or ``X``).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import unicodedata

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import ActionError, ErrorCode

#: GB 11643-1999 weights for the first 17 characters (2^(18-i) mod 11).
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: The check character for each remainder mod 11.
ID_CHECK_CHARS = "10X98765432"

# ASCII digits only: ``\d`` would also accept Arabic-Indic and other Unicode digits.
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_PHONE_SHAPE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_NOISE = re.compile(r"[\s\-()]")


def normalize_id_number(raw: str) -> str:
    """Full-width digits (from a Chinese IME) become ASCII, spaces go, ``x`` becomes ``X``."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(text.split()).upper()


def id_check_char(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def _birth_date(id_number: str) -> datetime.date | None:
    try:
        return datetime.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def id_number_problem(raw: str) -> str | None:
    """What is wrong with an ID number, as a translatable message; None if it is valid."""
    id_number = normalize_id_number(raw)
    if len(id_number) != 18:
        return _("身份证号码应为18位。")
    if not _ID_SHAPE.fullmatch(id_number):
        return _("身份证号码只能包含数字，最后一位可以是X。")
    born = _birth_date(id_number)
    if born is None or born.year < 1900 or born > timezone.localdate():
        return _("身份证号码中的出生日期无效。")
    if id_check_char(id_number[:17]) != id_number[17]:
        return _("身份证号码校验位不正确，请核对后重新输入。")
    return None


def is_valid_id_number(raw: str) -> bool:
    return id_number_problem(raw) is None


def check_id_number(raw: str) -> str:
    """The normalised ID number.

    Raises:
        ActionError: ``invalid`` (field ``id_number``) when it fails GB 11643-1999.
    """
    problem = id_number_problem(raw)
    if problem is not None:
        raise ActionError(ErrorCode.INVALID, problem, field="id_number")
    return normalize_id_number(raw)


def make_id_number(area: str, birth: datetime.date, sequence: int) -> str:
    """A valid ID number for test and demo data (area code, birth date, 3-digit sequence)."""
    first17 = f"{area:0>6.6}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + id_check_char(first17)


def hash_id_number(id_number: str) -> str:
    """HMAC-SHA256 (hex) of the normalised ID number, keyed with ``LINLI_ID_HASH_KEY``."""
    key = settings.LINLI_ID_HASH_KEY.encode()
    return hmac.new(key, normalize_id_number(id_number).encode(), hashlib.sha256).hexdigest()


def mask_id_number(id_number: str) -> str:
    """``310113199001011234`` → ``3101**********1234``: enough for a reviewer to compare a card."""
    id_number = normalize_id_number(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def normalize_phone(raw: str) -> str:
    """Spaces, dashes and a ``+86``/``86`` prefix go; full-width digits become ASCII."""
    text = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", raw or ""))
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            return text[len(prefix) :]
    return text


def is_valid_phone(raw: str) -> bool:
    """A mainland China mobile number: ``1[3-9]`` and nine more digits."""
    return bool(_PHONE_SHAPE.fullmatch(normalize_phone(raw)))


def check_phone(raw: str) -> str:
    """The normalised mobile number.

    Raises:
        ActionError: ``invalid`` (field ``phone``) when it is not a mainland mobile number.
    """
    if not is_valid_phone(raw):
        raise ActionError(ErrorCode.INVALID, _("请填写正确的11位手机号码。"), field="phone")
    return normalize_phone(raw)


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``."""
    phone = normalize_phone(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def identity_fields(id_number: str, phone: str) -> dict[str, str]:
    """The Person fields that stand for a checked ID number and phone (never the clear values)."""
    return {
        "id_hash": hash_id_number(id_number),
        "id_masked": mask_id_number(id_number),
        "phone_masked": mask_phone(phone),
    }
