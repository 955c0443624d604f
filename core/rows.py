"""Model instances and values from hand-written SQL rows, converted as the ORM would.

The few statements that run on every message or every connect are written out in SQL
(``chat.storage``, ``community.tokens``): building an ORM query costs more Python than
the query's own round trip. Their rows come back raw — on SQLite a datetime is naive text, a
boolean is 0 or 1, JSON is text — so they pass through here to look exactly like what the ORM
returns.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime

M = TypeVar("M", bound=Model)


def as_datetime(value: Any) -> dt.datetime | None:
    """A stored datetime as the ORM gives it: aware (SQLite keeps naive UTC text)."""
    if value is None or (isinstance(value, dt.datetime) and value.tzinfo is not None):
        return value
    parsed = parse_datetime(value) if isinstance(value, str) else value
    return timezone.make_aware(parsed, dt.UTC) if timezone.is_naive(parsed) else parsed


def as_json(value: Any) -> Any:
    """A stored JSON value as the ORM gives it: decoded (both backends hand raw SQL the text)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "DateTimeField": as_datetime,
    "BooleanField": bool,
    "JSONField": as_json,
}


class Columns:
    """All of a model's columns, in field order, with what turns each raw value into Python."""

    def __init__(self, model: type[Model]):
        self.model = model
        fields = model._meta.concrete_fields
        self.names = tuple(f.attname for f in fields)
        self.converters = tuple(_CONVERTERS.get(f.get_internal_type()) for f in fields)

    def select(self, alias: str) -> str:
        """``alias.col1, alias.col2, …`` for a SELECT list (names from the model, never input)."""
        return ", ".join(f"{alias}.{name}" for name in self.names)

    def load(self, values: Sequence[Any]) -> Any:
        """A saved model instance from the row's values for these columns."""
        row = [
            v if conv is None or v is None else conv(v)
            for conv, v in zip(self.converters, values, strict=True)
        ]
        return self.model.from_db(connection.alias, self.names, row)

    def __len__(self) -> int:
        return len(self.names)


def saved(instance: M) -> M:
    """Mark an instance built in Python from a row just written as saved (not to be inserted)."""
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance
