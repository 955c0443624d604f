"""The community app's hand-written SQL: the statement every token-authenticated connect runs.

Everything else in the app uses the ORM (why these are written out: ``chat.storage``). Table
names come from the models.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from community.models import ApiToken, Person
from core.rows import Columns, as_datetime

PERSON = Columns(Person)

_TOKEN_SQL = (
    f"SELECT t.id, t.created_at, t.last_used_at, {PERSON.select('p')}"
    f" FROM {ApiToken._meta.db_table} t JOIN {Person._meta.db_table} p ON p.id = t.person_id"
    " WHERE t.key_hash = %s"
)


def token_with_person(
    key_hash: str,
) -> tuple[int, datetime, datetime | None, Person] | None:
    """A token by its hash: its id, when it was issued and last used, and its person (one
    statement instead of two ORM queries)."""
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN_SQL, [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    created_at = as_datetime(row[1])
    assert created_at is not None  # NOT NULL
    return row[0], created_at, as_datetime(row[2]), PERSON.load(row[3:])
