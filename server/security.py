"""Security headers every response carries: the Content-Security-Policy.

The policy allows scripts, styles, images and sockets from this server only, and no inline
script or style at all: a message body that somehow reached the page as markup could not run.
The web client and the server-rendered pages keep their scripts and styles in static files, and
pass data to scripts in ``<script type="application/json">`` blocks, which browsers never run.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin

#: One policy for every page. ``connect-src 'self'`` covers the WebSocket (ws/wss) to this host.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware(MiddlewareMixin):
    """Adds ``Content-Security-Policy`` to every HTTP response that has none yet (sync and async
    views alike; first in ``MIDDLEWARE``, so static files get it too)."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
