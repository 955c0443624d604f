"""What Django's error reports may show: credentials inside URLs are masked too.

Django hides settings whose names look secret (``PASSWORD``, ``KEY``, ``TOKEN`` …), but not
``REDIS_URL`` or ``CACHES`` and ``CHANNEL_LAYERS``, which carry ``redis://:password@host`` in
their values. Debug pages (``linli demo``) and error e-mails show them through this filter.
"""

from __future__ import annotations

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

#: ``scheme://user:password@`` — the password part, up to the ``@``.
_URL_CREDENTIALS = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/:@\s]*:)[^@\s/]*(?=@)", re.I)


def mask_url_credentials(text: str) -> str:
    """``redis://:secret@host/0`` → ``redis://:********************@host/0``."""
    return _URL_CREDENTIALS.sub(
        lambda m: m.group("head") + SafeExceptionReporterFilter.cleansed_substitute, text
    )


class CredentialsFilter(SafeExceptionReporterFilter):
    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        return mask_url_credentials(cleansed) if isinstance(cleansed, str) else cleansed
