"""Password rules with Linli's own texts, Chinese first and English from Linli's catalogue.

Django's validators say "too short" from a message whose Chinese translation Django 5.2 lacks,
so a Chinese page showed English beside Chinese. These keep Django's rules and say them in the
language of the request.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import gettext, ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return ngettext(
            "密码太短：至少要 %(min_length)d 个字符。",
            "密码太短：至少要 %(min_length)d 个字符。",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "密码至少要 %(min_length)d 个字符。",
            "密码至少要 %(min_length)d 个字符。",
            self.min_length,
        ) % {"min_length": self.min_length}


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def get_error_message(self) -> str:
        return gettext("这个密码太常见了，请换一个不容易猜到的。")

    def get_help_text(self) -> str:
        return gettext("不能用常见的密码。")
