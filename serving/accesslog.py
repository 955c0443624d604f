"""Daphne's access log without credentials (BAD-INPUTS E4).

Daphne logs each request's path with its query string, and WebSocket clients may authenticate with
``/ws/v1?token=…``: a log line would hand the token to whoever reads the log. Here every
credential-like query parameter's value is replaced by ``[redacted]`` before the line is written.
"""

from __future__ import annotations

import re
from typing import Any

from daphne.access import AccessLogGenerator
from daphne.server import Server

from serving.compat import daphne as compat_daphne

#: Query parameters whose values are credentials.
SECRET_PARAMS = ("token", "access_token", "ticket", "key", "password", "code", "sessionid")

_SECRET_RE = re.compile(
    r"(?P<name>(?:^|[?&;])(?:" + "|".join(SECRET_PARAMS) + r"))=[^&;#\s]*", re.IGNORECASE
)


def redact(path: str) -> str:
    """``/ws/v1?token=abc&x=1`` → ``/ws/v1?token=[redacted]&x=1``.

    Invite codes in ``/join/<code>`` paths are not secret (they are printed on posters).
    """
    if not isinstance(path, str):
        return path
    return _SECRET_RE.sub(lambda m: f"{m.group('name')}=[redacted]", path)


class RedactingAccessLog(AccessLogGenerator):
    def __call__(self, protocol: str, action: str, details: dict[str, Any]) -> None:
        if "path" in details:
            details = {**details, "path": redact(details["path"])}
        super().__call__(protocol, action, details)


class RedactingServer(Server):
    """Daphne's server with its access log, when there is one, made to redact."""

    def __init__(self, *args: Any, action_logger: Any = None, **kwargs: Any) -> None:
        if isinstance(action_logger, AccessLogGenerator):
            action_logger = RedactingAccessLog(compat_daphne.access_log_stream(action_logger))
        super().__init__(*args, action_logger=action_logger, **kwargs)
