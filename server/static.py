"""Static files: servestatic, with a missing file answered 404 in debug mode too.

In debug mode servestatic raises ``MissingFileError`` for a ``/static/`` path it cannot find
(a 500, with the debug page listing the directories it searched); ``linli demo`` runs in debug
mode, and a wrong path from a browser is a 404 there as everywhere.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase, HttpResponseNotFound
from servestatic.middleware import ServeStaticMiddleware
from servestatic.responders import MissingFileError


class StaticFilesMiddleware(ServeStaticMiddleware):
    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            return await super().__call__(request)
        except MissingFileError:
            return HttpResponseNotFound(b"Not Found", content_type="text/plain")
