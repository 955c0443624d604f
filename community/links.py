"""The addresses Linli prints and sends: join links on invite posters, activation links.

``LINLI_PUBLIC_URL`` is their base, required in production (system check ``linli.E020``). In
development, unset, a page or API call links to the address it was itself served at (the
request's scheme and host), and a management command, which has no request, to
``DEVELOPMENT_URL``: where ``linli serve`` and ``linli demo`` listen by default.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

DEVELOPMENT_URL = "http://127.0.0.1:8000"


def public_base(request: HttpRequest | None = None) -> str:
    """The scheme and host links start with, without a trailing slash."""
    if settings.LINLI_PUBLIC_URL:
        return settings.LINLI_PUBLIC_URL.rstrip("/")
    if request is not None:
        return f"{request.scheme}://{request.get_host()}"
    return DEVELOPMENT_URL


def join_url(code: str, request: HttpRequest | None = None) -> str:
    """``<base>/join/<code>``: the registration page an invite poster's QR code opens."""
    return f"{public_base(request)}/join/{code}"


def activation_url(code: str, request: HttpRequest | None = None) -> str:
    """``<base>/activate/<code>``: where an enrolled person chooses password and display name."""
    return f"{public_base(request)}/activate/{code}"
