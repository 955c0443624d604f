"""Time on the wire: ISO 8601 in UTC with a ``Z``, the only form timestamps take outside Python."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
