"""Linli's text rules: normalisation, combining marks, and the rules for bodies, ids and lines.

Text is normalised (bodies, titles): bidi embedding/override/isolate controls removed, NFC, runs of
combining marks capped, surrounding whitespace stripped. Ids (``client_id``, ``ref``) are opaque and
compared exactly.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat.protocol.errors import FieldError
from chat.protocol.limits import MAX_BODY_CHARS, MAX_COMBINING_MARKS, MAX_ID_CHARS

# --- Text normalisation --------------------------------------------------------------------------

#: Bidi embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069). A stray
#: U+202E reverses the rest of the line, so "txt.exe" can show as "exe.txt"; they are removed
#: from bodies and titles. Marks U+200E/U+200F stay: right-to-left text needs them.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: Every character ``str.strip()`` removes: Python's Unicode whitespace (including U+3000, the
#: ideographic space), all in the BMP.
_WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
#: Zero-width characters: kept inside text (emoji ZWJ sequences need U+200D), but a body made
#: only of them and whitespace counts as empty.
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
BLANK = _WHITESPACE + _ZERO_WIDTH
#: C0 and C1 control characters, refused in one-line text (titles, categories).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


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
    """Linli's text rule, for bodies and titles. The caller has refused NUL and lone surrogates.

    In order: remove bidi embedding/override/isolate controls; Unicode NFC (so "é" typed either
    way is one character and one length); keep at most MAX_COMBINING_MARKS consecutive combining
    marks; strip leading and trailing whitespace. Zero-width joiners stay.
    """
    text = _BIDI_CONTROLS.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        text = _cap_combining_marks(text)
    return text.strip()


# --- Text field rules ----------------------------------------------------------------------------
# Each takes the raw value (never None) and returns the value to store or raises FieldError.


_M_BODY_TYPE = _("消息内容必须是文本。")
_M_BODY_NUL = _("消息内容不能含有 NUL 字符。")
_M_BAD_UNICODE = _("文本含有无效的 Unicode 字符（孤立的代理项）。")
_M_BODY_EMPTY = _("消息内容不能为空。")
_M_BODY_LONG = format_lazy(_("消息内容太长：最多 {limit} 个字符。"), limit=MAX_BODY_CHARS)


def body_rule(value: object) -> str:
    if type(value) is not str:
        raise FieldError(_M_BODY_TYPE)
    if not utf8_ok(value):
        raise FieldError(_M_BAD_UNICODE)
    if "\x00" in value:
        # PostgreSQL text cannot hold NUL; SQLite could: refuse on both.
        raise FieldError(_M_BODY_NUL)
    body = normalize_text(value)
    if not body.strip(BLANK):
        raise FieldError(_M_BODY_EMPTY)
    if len(body) > MAX_BODY_CHARS:
        raise FieldError(_M_BODY_LONG)
    return body


_M_CLIENT_ID = format_lazy(_("client_id 必须是 1 到 {limit} 个可打印字符。"), limit=MAX_ID_CHARS)


def client_id_rule(value: object) -> str:
    # isprintable() refuses control and format characters, NUL, lone surrogates and every space
    # but U+0020: an id that looks like what it is.
    if type(value) is not str or not 1 <= len(value) <= MAX_ID_CHARS or not value.isprintable():
        raise FieldError(_M_CLIENT_ID)
    return value


def line_rule(name: str, limit: int) -> Callable[[object], str | None]:
    """One line of text (a title, a category); blank gives None, which required fields refuse."""
    bad_type = format_lazy(_("{field} 必须是文本。"), field=name)
    bad_char = format_lazy(_("{field} 不能含有控制字符。"), field=name)
    too_long = format_lazy(_("{field} 太长：最多 {limit} 个字符。"), field=name, limit=limit)

    def rule(value: object) -> str | None:
        if type(value) is not str:
            raise FieldError(bad_type)
        if not utf8_ok(value):
            raise FieldError(_M_BAD_UNICODE)
        if _CONTROL.search(value):
            raise FieldError(bad_char)
        text = normalize_text(value)
        if not text.strip(BLANK):
            return None
        if len(text) > limit:
            raise FieldError(too_long)
        return text

    return rule
