"""Linli's text rules: the one place that decides what text may be stored and shown.

Every text field goes through these rules, whatever door it came in by: message bodies and pin
titles on the chat socket (``chat.protocol``), display names, topic names and descriptions,
rejection reasons, usernames and invite codes over HTTP (``community.schemas``, ``chat.api``) and
in the browser's forms (``community.forms``). The wire and schema layers call them, so bad text
is refused with a clear ``invalid`` before it reaches an action or the database.

* **Normalised:** bidi embedding/override/isolate controls removed, Unicode NFC, runs of
  combining marks capped at ``MAX_COMBINING_MARKS``, surrounding whitespace stripped.
* **NUL and lone surrogates refused** everywhere: PostgreSQL's text cannot hold NUL, and a lone
  surrogate cannot be encoded.
* **Blank** means only whitespace and invisible characters (zero-width characters, fillers such
  as U+3164 and U+2800, direction marks): a body or name made only of them is empty.
* **One-line text** (names, titles, categories): no control characters at all (newlines, ESC).
* **Names** (display names, topic names) are one line and must show at least one visible
  character.

Each rule takes the raw value and returns what to store, or raises ``TextError`` (a
``ValueError``, so pydantic reports it as a validation error) with a message for the person.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

#: More consecutive combining marks than this on one base character are dropped ("Zalgo" text
#: that paints over neighbouring lines). Real scripts stack far fewer; Unicode's stream-safe
#: format allows 30 non-starters, which is already a tower.
MAX_COMBINING_MARKS = 8


class TextError(ValueError):
    """A text rule's refusal; ``message`` says why, in the person's language (lazy)."""

    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message


#: Bidi embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069). A stray
#: U+202E reverses the rest of the line, so "txt.exe" can show as "exe.txt"; they are removed
#: everywhere. Marks U+200E/U+200F stay inside text: right-to-left text needs them.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: Every character ``str.strip()`` removes: Python's Unicode whitespace (including U+3000, the
#: ideographic space), all in the BMP.
_WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
#: Characters that show nothing: zero-width space, non-joiner, joiner, word joiner and BOM; the
#: direction marks; the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0) and the blank braille
#: pattern (U+2800), which render as empty space; the soft hyphen, the combining grapheme joiner,
#: the Mongolian vowel separator, invisible operators, and variation selectors. Kept inside text
#: (emoji ZWJ sequences need U+200D), but text made only of them and whitespace is blank.
INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u2060\u2061\u2062\u2063\u2064\u2800\u3164\ufeff\uffa0"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
)
#: What counts as nothing at all: whitespace and invisible characters.
BLANK = _WHITESPACE + INVISIBLE
#: C0 and C1 control characters (NUL, ESC, newlines …): refused in one-line text.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
#: Control characters other than newline and tab: refused in multi-line text.
_CONTROL_IN_PARAGRAPH = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class _MarkPatterns:
    """Patterns for runs of more than MAX_COMBINING_MARKS combining marks (Mn, Mc, Me).

    ``re`` tests a character against a BMP class through a bitmap, but against astral ranges one
    by one, for every character that is not in the bitmap. The exact class holds about 110 astral
    ranges, which would make every Chinese character cost 110 comparisons; so cheap patterns
    decide first whether the exact ones are needed at all.
    """

    #: Nine or more characters in a row, each a BMP mark or in the astral span that holds marks
    #: (U+10100–U+1E9FF, U+E0100–U+E01FF: not emoji, not CJK). Most texts stop here.
    maybe: re.Pattern[str]
    #: Any character of the astral span.
    astral: re.Pattern[str]
    #: The exact rule, BMP marks only (fast), and with every mark.
    bmp_runs: re.Pattern[str]
    all_runs: re.Pattern[str]


@functools.cache
def _mark_patterns() -> _MarkPatterns:
    """Built once from the running Python's Unicode database, on first use (about 30 ms); marks
    live in planes 0, 1 and 14 only."""
    ranges: list[tuple[int, int]] = []
    for cp in itertools.chain(range(0x20000), range(0xE0000, 0xE1000)):
        if unicodedata.category(chr(cp))[0] == "M":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    bmp = [(lo, hi) for lo, hi in ranges if hi <= 0xFFFF]
    astral = [(0x10100, 0x1E9FF), (0xE0100, 0xE01FF)]
    assert all(any(a <= lo and hi <= b for a, b in astral) for lo, hi in ranges if hi > 0xFFFF)

    def char_class(spans: list[tuple[int, int]]) -> str:
        return "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in spans) + "]"

    def runs(spans: list[tuple[int, int]]) -> re.Pattern[str]:
        marks = char_class(spans)
        return re.compile(f"({marks}{{{MAX_COMBINING_MARKS}}}){marks}++")

    return _MarkPatterns(
        maybe=re.compile(f"{char_class(bmp + astral)}{{{MAX_COMBINING_MARKS + 1}}}"),
        astral=re.compile(char_class(astral)),
        bmp_runs=runs(bmp),
        all_runs=runs(ranges),
    )


def _cap_combining_marks(text: str) -> str:
    """Keep at most MAX_COMBINING_MARKS consecutive combining marks."""
    patterns = _mark_patterns()
    if not patterns.maybe.search(text):
        return text
    runs = patterns.all_runs if patterns.astral.search(text) else patterns.bmp_runs
    return runs.sub(r"\1", text)


def utf8_ok(text: str) -> bool:
    """False for a string with a lone surrogate: it cannot be stored, sent or packed."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def normalize_text(text: str) -> str:
    """Linli's text normalisation, for every text field. The caller has refused NUL and lone
    surrogates.

    In order: remove bidi embedding/override/isolate controls; Unicode NFC (so "é" typed either
    way is one character and one length); keep at most MAX_COMBINING_MARKS consecutive combining
    marks; strip leading and trailing whitespace. Zero-width joiners stay.
    """
    text = _BIDI_CONTROLS.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        text = _cap_combining_marks(text)
    return text.strip()


def is_blank(text: str) -> bool:
    """Whether ``text`` shows nothing: only whitespace and invisible characters."""
    return not text.strip(BLANK)


def fold(text: str) -> str:
    """``text`` reduced for comparing what it looks like: NFKC (full-width and compatibility
    forms to the plain ones), case folded, with everything but letters and digits dropped (so
    "书 记", "书-记" and "书\u200b记" all read 书记)."""
    folded = unicodedata.normalize("NFKC", _BIDI_CONTROLS.sub("", text)).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


# --- Rules ----------------------------------------------------------------------------------------

_M_NOT_TEXT = _("{field} 必须是文本。")
_M_NUL = _("{field} 不能含有 NUL 字符。")
_M_BAD_UNICODE = _("文本含有无效的 Unicode 字符（孤立的代理项）。")
_M_CONTROL = _("{field} 不能含有控制字符。")
_M_TOO_LONG = _("{field} 太长：最多 {limit} 个字符。")
_M_BLANK_NAME = _("{field} 必须有看得见的字符。")


def _checked(value: object, field: str) -> str:
    """A str that can be stored: no NUL, no lone surrogate."""
    if type(value) is not str:
        raise TextError(format_lazy(_M_NOT_TEXT, field=field))
    if not utf8_ok(value):
        raise TextError(_M_BAD_UNICODE)
    if "\x00" in value:
        raise TextError(format_lazy(_M_NUL, field=field))
    return value


def _within(text: str, field: str, limit: int) -> str:
    if len(text) > limit:
        raise TextError(format_lazy(_M_TOO_LONG, field=field, limit=limit))
    return text


def paragraph(value: object, *, field: str, limit: int) -> str:
    """Multi-line text (a description, a reason): normalised; newlines and tabs allowed, other
    control characters refused; blank gives ""."""
    text = _checked(value, field)
    if _CONTROL_IN_PARAGRAPH.search(text):
        raise TextError(format_lazy(_M_CONTROL, field=field))
    text = normalize_text(text)
    return "" if is_blank(text) else _within(text, field, limit)


def line(value: object, *, field: str, limit: int) -> str | None:
    """One line of text (a title, a category, a building): normalised, no control characters;
    blank gives None (which a required field refuses)."""
    text = _checked(value, field)
    if _CONTROL.search(text):
        raise TextError(format_lazy(_M_CONTROL, field=field))
    text = normalize_text(text)
    return None if is_blank(text) else _within(text, field, limit)


def name(value: object, *, field: str, limit: int) -> str:
    """A name people are known by (a display name, a topic room's name): one line that shows at
    least one visible character."""
    text = line(value, field=field, limit=limit)
    if text is None:
        raise TextError(format_lazy(_M_BLANK_NAME, field=field))
    return text


def token(value: object, *, field: str, limit: int) -> str:
    """An identifier typed or pasted as it is (a username, an invite code): no control
    characters, compared exactly; surrounding whitespace stripped."""
    text = _checked(value, field)
    if _CONTROL.search(text):
        raise TextError(format_lazy(_M_CONTROL, field=field))
    return _within(text.strip(), field, limit)


def field_rule(
    rule: Callable[..., str | None], *, field: str, limit: int, empty_ok: bool = True
) -> Callable[[str], str]:
    """``rule`` bound to one field, for a schema's or a form's validation (a pydantic
    ``AfterValidator``, a form's ``clean_<field>``). With ``empty_ok`` an empty value passes as it
    is, so the action can name every missing field at once; a blank line becomes ""."""

    def check(value: str) -> str:
        if empty_ok and value == "":
            return value
        return rule(value, field=field, limit=limit) or ""

    return check
