"""Hand-written SQL for the statements every message and every read marker runs.

Everything else in Linli uses the ORM. These few run per message, so they are written out (the
storage half of Synapse's handler/storage split): measured on a 2-vCPU machine, building one
ORM query costs 0.4–3 ms of Python, ten times the query's own round trip to PostgreSQL, and a send
made of five ORM queries spent ~9 ms before its ack. The SQL is plain enough for both backends
(PostgreSQL, and SQLite ≥ 3.35 for ``RETURNING``); values go through the model fields' own
adaptation, and rows come back through ``core.rows``, converted as the ORM would.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from chat.models import Knock, Membership, Message, Pin, Room
from community.models import Community, Person, Street
from core.clock import iso
from core.rows import Columns, as_datetime, saved

#: Table names from the models (the community app's too): never spelled out in the SQL.
ROOM_TABLE, MEMBERSHIP_TABLE = Room._meta.db_table, Membership._meta.db_table
MESSAGE_TABLE, PIN_TABLE = Message._meta.db_table, Pin._meta.db_table
KNOCK_TABLE = Knock._meta.db_table
COMMUNITY_TABLE, STREET_TABLE = Community._meta.db_table, Street._meta.db_table
PERSON_TABLE = Person._meta.db_table

ROOM = Columns(Room)
MEMBERSHIP = Columns(Membership)
MESSAGE = Columns(Message)
#: The author fields a message frame shows (``chat.events.author``).
AUTHOR_FIELDS = ("display_name", "role", "party_member", "show_building", "building")

_ACCESS_SQL = (
    f"SELECT {ROOM.select('r')}, c.street_id, s.district_id, {MEMBERSHIP.select('m')}"
    f" FROM {ROOM_TABLE} r"
    f" JOIN {COMMUNITY_TABLE} c ON c.id = r.community_id"
    f" JOIN {STREET_TABLE} s ON s.id = c.street_id"
    f" LEFT JOIN {MEMBERSHIP_TABLE} m ON m.room_id = r.id AND m.person_id = %s"
    " WHERE r.id = %s"
)


def room_with_membership(
    room_id: int, person_id: int, *, lock: bool = False
) -> tuple[Room, Membership | None, int, int] | None:
    """The room, the person's membership in it (or None), and the room's street and district.

    One statement instead of three ORM queries. ``lock`` takes the room row lock for the rest of
    the transaction (PostgreSQL; SQLite serialises writers anyway).
    """
    sql = _ACCESS_SQL
    if lock and connection.vendor == "postgresql":
        sql += " FOR NO KEY UPDATE OF r"
    with connection.cursor() as cursor:
        cursor.execute(sql, [person_id, room_id])
        row = cursor.fetchone()
    if row is None:
        return None
    n = len(ROOM)
    room = ROOM.load(row[:n])
    street_id, district_id = row[n], row[n + 1]
    membership = MEMBERSHIP.load(row[n + 2 :]) if row[n + 2] is not None else None
    return room, membership, street_id, district_id


def next_seq(room_id: int) -> int:
    """Take the room's next seq: the row lock it takes orders concurrent senders (one statement)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ROOM_TABLE} SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq",
            [room_id],
        )
        return cursor.fetchone()[0]


_MESSAGE_COLUMNS = "room_id, seq, author_id, kind, body, client_id, reply_to, mentions, created_at"
_MESSAGE_INSERT = (
    f"INSERT INTO {MESSAGE_TABLE} ({_MESSAGE_COLUMNS})"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"
)
#: PostgreSQL: take the next seq, insert, and move the sender's read marker past the message
#: (one's own messages are never unread) in one data-modifying statement. Outside a transaction
#: it is its own transaction, so a send is two round trips (the access check and this) instead of
#: six (BEGIN, check, seq, insert, marker, COMMIT); the room row stays locked only for the
#: statement. If the insert fails (a retried client_id), neither the seq nor the marker moves.
_MESSAGE_APPEND = (
    "WITH taken AS ("
    f"UPDATE {ROOM_TABLE} SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq),"
    f" stored AS (INSERT INTO {MESSAGE_TABLE} ({_MESSAGE_COLUMNS})"
    " SELECT %s, taken.last_seq, %s, %s, %s, %s, %s, %s, %s FROM taken RETURNING id, seq),"
    f" seen AS (UPDATE {MEMBERSHIP_TABLE} SET read_seq = stored.seq FROM stored"
    " WHERE room_id = %s AND person_id = %s AND read_seq < stored.seq)"
    " SELECT id, seq FROM stored"
)
#: SQLite: the sender's read marker, in the transaction that stored the message.
_SENDER_READ = (
    f"UPDATE {MEMBERSHIP_TABLE} SET read_seq = %s WHERE room_id = %s AND person_id = %s"
    " AND read_seq < %s"
)


def append_message(
    *,
    room_id: int,
    author_id: int,
    body: str,
    client_id: str,
    reply_to: int | None,
    mentions: list[int],
) -> Message:
    """Store a resident's message under the room's next seq, atomically, and move the author's
    read marker to it; the saved ``Message``.

    On PostgreSQL one statement (in a savepoint when called inside a transaction, so a refused
    insert leaves the caller's transaction usable). SQLite has no data-modifying ``WITH``: there
    the seq is taken and the row inserted in one transaction, which SQLite serialises anyway.
    Raises ``IntegrityError`` when the author already used ``client_id``.
    """
    created_at = timezone.now()
    values = _message_values(author_id, body, client_id, reply_to, mentions, created_at)
    if connection.vendor == "postgresql":
        scope = transaction.atomic() if connection.in_atomic_block else nullcontext()
        with scope, connection.cursor() as cursor:
            cursor.execute(_MESSAGE_APPEND, [room_id, room_id, *values, room_id, author_id])
            pk, seq = cursor.fetchone()
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            seq = next_seq(room_id)
            cursor.execute(_MESSAGE_INSERT, [room_id, seq, *values])
            pk = cursor.fetchone()[0]
            cursor.execute(_SENDER_READ, [seq, room_id, author_id, seq])
    return saved(
        Message(
            id=pk,
            room_id=room_id,
            seq=seq,
            author_id=author_id,
            kind=Message.Kind.USER,
            body=body,
            client_id=client_id,
            reply_to=reply_to,
            mentions=mentions,
            created_at=created_at,
        )
    )


def _message_values(
    author_id: int,
    body: str,
    client_id: str,
    reply_to: int | None,
    mentions: list[int],
    created_at,
) -> list[Any]:
    """The columns after ``room_id, seq``, adapted by the model's own fields."""
    field = Message._meta.get_field
    return [
        author_id,
        Message.Kind.USER.value,
        body,
        client_id,
        reply_to,
        field("mentions").get_db_prep_save(mentions, connection),
        field("created_at").get_db_prep_save(created_at, connection),
    ]


#: A member's read marker moves forward, within the room's messages, in one statement that
#: also returns the room's last seq (for the unread count): the common case of every ``read``.
_ADVANCE_MEMBER_READ = (
    f"UPDATE {MEMBERSHIP_TABLE} SET read_seq = %s"
    " WHERE room_id = %s AND person_id = %s AND read_seq < %s"
    f" AND %s <= (SELECT last_seq FROM {ROOM_TABLE} WHERE id = %s)"
    f" RETURNING (SELECT last_seq FROM {ROOM_TABLE} WHERE id = %s)"
)


def advance_member_read(room_id: int, person_id: int, seq: int) -> int | None:
    """Move a member's marker forward to ``seq`` and return the room's last seq.

    None when nothing moved — not a member, the marker already there or further, or ``seq``
    past the room's last message — and the caller finds out which the slower way.
    """
    with connection.cursor() as cursor:
        cursor.execute(_ADVANCE_MEMBER_READ, [seq, room_id, person_id, seq, seq, room_id, room_id])
        row = cursor.fetchone()
    return row[0] if row else None


def advance_read(membership_id: int, seq: int) -> bool:
    """Move a read marker forward to ``seq``; False if it was already there or further."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {MEMBERSHIP_TABLE} SET read_seq = %s WHERE id = %s AND read_seq < %s",
            [seq, membership_id, seq],
        )
        return cursor.rowcount > 0


_PAGE_SQL = (
    f"SELECT {MESSAGE.select('m')}, {', '.join(f'p.{c}' for c in AUTHOR_FIELDS)}"
    f" FROM {MESSAGE_TABLE} m LEFT JOIN {PERSON_TABLE} p ON p.id = m.author_id"
    " WHERE m.room_id = %s AND m.seq > %s AND m.seq <= %s ORDER BY m.seq"
)


def message_page(room_id: int, low: int, high: int) -> list[tuple[Message, Person | None]]:
    """Messages with low < seq ≤ high, ascending, each with its author's public fields (one
    range query on the (room, seq) index: every ``sync``, gap fill and history page)."""
    with connection.cursor() as cursor:
        cursor.execute(_PAGE_SQL, [room_id, low, high])
        rows = cursor.fetchall()
    n = len(MESSAGE)
    page = []
    for row in rows:
        msg = MESSAGE.load(row[:n])
        person = None
        if msg.author_id is not None:
            fields = dict(zip(AUTHOR_FIELDS, row[n:], strict=True))
            fields["party_member"] = bool(fields["party_member"])
            fields["show_building"] = bool(fields["show_building"])
            person = Person(pk=msg.author_id, **fields)
        page.append((msg, person))
    return page


# --- Connect: the welcome ------------------------------------------------------------------------

#: The room columns a room entry shows (``welcome``, ``room_joined``).
ROOM_ENTRY_FIELDS = ("id", "kind", "name", "description", "category", "join_policy", "last_seq")

_MEMBER_ROOMS_SQL = (
    f"SELECT m.rank, m.read_seq, {', '.join(f'r.{c}' for c in ROOM_ENTRY_FIELDS)}"
    f" FROM {MEMBERSHIP_TABLE} m JOIN {ROOM_TABLE} r ON r.id = m.room_id"
    " WHERE m.person_id = %s"
)


def member_room_ids(person_id: int) -> list[int]:
    """The rooms a person is a member of."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT room_id FROM {MEMBERSHIP_TABLE} WHERE person_id = %s", [person_id])
        return [row[0] for row in cursor.fetchall()]


def member_rooms(person_id: int) -> list[tuple[str, int, dict[str, Any]]]:
    """Per membership: the person's rank, their read marker, and the room's entry fields."""
    with connection.cursor() as cursor:
        cursor.execute(_MEMBER_ROOMS_SQL, [person_id])
        rows = cursor.fetchall()
    return [
        (rank, read_seq, dict(zip(ROOM_ENTRY_FIELDS, room, strict=True)))
        for rank, read_seq, *room in rows
    ]


def pins_by_room(room_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The pinned messages (议题) of these rooms, oldest pin first."""
    if not room_ids:
        return {}
    marks = ", ".join(["%s"] * len(room_ids))
    sql = f"SELECT room_id, seq, title, by_id, at FROM {PIN_TABLE} WHERE room_id IN ({marks})"
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY at, id", list(room_ids))
        rows = cursor.fetchall()
    found: dict[int, list[dict[str, Any]]] = {}
    for room_id, seq, title, by, at in rows:
        found.setdefault(room_id, []).append(
            {"seq": seq, "title": title, "by": by, "ts": iso(as_datetime(at))}
        )
    return found


def community_name(community_id: int) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name FROM {COMMUNITY_TABLE} WHERE id = %s", [community_id])
        row = cursor.fetchone()
    return row[0] if row else None


def has_pending_knocks(person_id: int) -> bool:
    """Whether anyone waits at the person's door (almost never: then nothing more is read)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {KNOCK_TABLE} WHERE recipient_id = %s AND status = %s LIMIT 1",
            [person_id, Knock.Status.PENDING.value],
        )
        return cursor.fetchone() is not None
