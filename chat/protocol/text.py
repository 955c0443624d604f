"""The wire's text fields: bodies, ``client_id`` and one-line text, on Linli's text rules.

Normalisation and what counts as blank are ``core.text``'s, shared with every other door text
comes in by; here they are applied to the chat frames' fields, with the wire's limits. Ids
(``client_id``, ``ref``) are opaque and compared exactly.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat.protocol.errors import FieldError
from chat.protocol.limits import MAX_BODY_CHARS, MAX_ID_CHARS
from core import text
from core.text import BLANK, normalize_text, utf8_ok

__all__ = ["BLANK", "body_rule", "client_id_rule", "line_rule", "normalize_text", "utf8_ok"]

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

    def rule(value: object) -> str | None:
        return text.line(value, field=name, limit=limit)

    return rule
