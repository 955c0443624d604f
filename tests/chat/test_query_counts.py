"""Exact statements per hot path, on each backend: chat/storage.py exists for these counts (each
ORM query costs more Python than its round trip), so a statement more is a regression.

Connect is the token's resolution, the rooms the socket listens to and the welcome; sync reads
each room's missing range in one query. PostgreSQL sends a message in one data-modifying
statement (its own transaction); SQLite, which has no data-modifying ``WITH``, takes the seq,
inserts and moves the sender's marker in one transaction (``BEGIN IMMEDIATE`` … ``COMMIT``
count as statements there).
"""

import pytest
from django.db import connection

from chat.actions import messages, reading
from chat.actions.access import readable_room_ids
from community.tokens import issue_token, resolve_token
from tests.chat.conftest import actor


def on(*, sqlite: int, postgresql: int) -> int:
    return postgresql if connection.vendor == "postgresql" else sqlite


@pytest.fixture
def cast(tcast):
    """Outside a test transaction, as a worker runs them (a transaction would add savepoints)."""
    return tcast


@pytest.fixture
def resident(cast):
    return actor(cast.resident)


@pytest.fixture
def stored(cast, garden_room):
    """The garden room with five messages from a neighbour, unread by the resident."""
    neighbour = actor(cast.neighbour)
    for n in range(5):
        messages.do_send(neighbour, garden_room.pk, f"第{n}条", f"seed-{n}")
    garden_room.refresh_from_db()
    return garden_room


def test_a_send_is_the_access_check_and_one_append(
    resident, garden_room, django_assert_num_queries
):
    with django_assert_num_queries(on(sqlite=6, postgresql=2)):
        messages.do_send(resident, garden_room.pk, "早上好", "first")


def test_a_read_marker_moving_forward_is_one_statement(resident, stored, django_assert_num_queries):
    with django_assert_num_queries(1):
        messages.do_read(resident, stored.pk, stored.last_seq)


def test_a_connect_is_token_rooms_and_welcome(cast, resident, django_assert_num_queries):
    token = issue_token(cast.resident)
    resolve_token(token)  # the first use stamps last_used_at; a reconnect does not
    with django_assert_num_queries(6):
        resolve_token(token)
        readable_room_ids(resident)
        reading.welcome(resident, cast.resident)


def test_a_sync_reads_each_room_once(resident, stored, django_assert_num_queries):
    ranges, _more = reading.sync_ranges({stored.pk: 0}, {stored.pk: stored.last_seq})
    with django_assert_num_queries(2):
        reading.sync_ready(resident, ranges, {})
