"""The wire's numbers: how big a frame, a body, a page or a sync may be, and the close codes.

docs/protocol.md states each of them; the text rules, the parser and the codecs all read them here.
"""

from __future__ import annotations

from core import text as core_text

# --- Limits --------------------------------------------------------------------------------------

#: The hard cap on one frame. Well under Daphne's 1 MiB, so Linli (not the transport) decides: a
#: bigger frame can only be abuse (a 4,000-character body is at most 16 KB of UTF-8) and closes
#: the socket with CLOSE_TOO_LARGE.
MAX_FRAME_BYTES = 64 * 1024
#: A message body, counted in characters (Unicode code points) after normalisation, so Chinese
#: (3 UTF-8 bytes each) and English get the same allowance. About two screens on a phone.
MAX_BODY_CHARS = 4000
#: ``client_id`` and ``ref``: room for a UUID or a ULID with a prefix, never a payload.
#: Matches Message.client_id's column.
MAX_ID_CHARS = 64
#: A pin's or an issue's title: one line in the pinned bar. Matches Pin.title's column.
MAX_TITLE_CHARS = 100
#: An issue category label (``promote``). Matches Room.category's column.
MAX_CATEGORY_CHARS = 20
#: ``history`` pages: the contract's ``limit (≤ 100)``.
HISTORY_LIMIT_MAX = 100
#: ``history`` without ``limit``.
HISTORY_LIMIT_DEFAULT = 50
#: One ``sync`` names at most this many rooms: far more than anyone belongs to, and it bounds
#: the work (and the query) one frame can ask for.
SYNC_MAX_ROOMS = 500
#: Messages per room per ``sync`` answer; rooms with more are named in ``synced.more`` and the
#: client syncs again from there. A resident back from a day away catches up on a busy 小区群 in
#: one answer, one range query (Centrifugo's history limit is 300; Matrix marks a timeline
#: ``limited``).
SYNC_BATCH = 1000
#: Messages in one ``sync`` answer in all, over all its rooms: bounds the memory and the time one
#: frame holds the socket (rooms cut short are named in ``synced.more``).
SYNC_TOTAL = 2000
#: Bytes of message frames in one ``sync`` answer (or half of ``LINLI_OUTBOX_LIMIT``, if less):
#: 842 messages of 16 KB would be 13 MB written at once to a socket that may never read them.
#: Rooms cut short are named in ``synced.more``; at least one message is always sent.
SYNC_MAX_BYTES = 512 * 1024
#: How deeply objects and arrays may nest in a client frame. Linli's own frames nest 2 deep;
#: the bound keeps every parser far from Python's recursion limit.
MAX_NESTING = 32
#: The longest timed mute, 30 days; longer means "until lifted" (``minutes: 0``).
MAX_MUTE_MINUTES = 60 * 24 * 30
#: A message names at most this many people to notify (chat.actions.messages enforces the same).
MAX_MENTIONS = 20
#: Ids and seqs are positive and fit PostgreSQL's bigint: 0 < x < 2**63.
MAX_ID = 2**63 - 1
#: Runs of combining marks longer than this are cut (``core.text``, shared by every text field).
MAX_COMBINING_MARKS = core_text.MAX_COMBINING_MARKS
#: An integer in a JSON frame longer than this (sign included) is refused before ``int()`` sees
#: it: every valid number fits in 19 digits, and Python's 4,300-digit guard would raise a
#: plain ValueError.
MAX_INT_CHARS = 20
#: How deeply a server frame may nest before ``encode`` calls it a bug.
MAX_SERVER_NESTING = 64


# --- Close codes (4000–4999, application-defined) ------------------------------------------------

#: The session's token was revoked (logout elsewhere, or by an administrator).
CLOSE_TOKEN_REVOKED = 4001
#: The person was removed from the community or deactivated: their socket must not stay open.
CLOSE_REMOVED = 4003
#: Sustained flooding past the rate limit (Discord's 4008 "rate limited" is the precedent).
CLOSE_FLOOD = 4008
#: A frame over MAX_FRAME_BYTES.
CLOSE_TOO_LARGE = 4009
#: The socket's outbound queue overflowed: the client reads too slowly. It reconnects and syncs.
CLOSE_SLOW_CONSUMER = 4010
#: The server is restarting; reconnect with jitter and sync.
CLOSE_SERVER_RESTART = 4012
#: The person already has as many sockets open on this server as one person may.
CLOSE_TOO_MANY_SOCKETS = 4029

#: Close reasons, short ASCII (a close reason must fit 123 bytes of UTF-8).
CLOSE_REASONS: dict[int, str] = {
    CLOSE_TOKEN_REVOKED: "token_revoked",
    CLOSE_REMOVED: "removed",
    CLOSE_FLOOD: "rate_limited",
    CLOSE_TOO_LARGE: "too_large",
    CLOSE_SLOW_CONSUMER: "slow_consumer",
    CLOSE_SERVER_RESTART: "server_restart",
    CLOSE_TOO_MANY_SOCKETS: "too_many_sockets",
}
