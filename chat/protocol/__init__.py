"""The wire: every frame Linli reads or writes, in JSON text or msgpack binary.

This is the one package that knows the wire format (docs/protocol.md is its prose twin). It turns
untrusted client bytes into one frozen dataclass per frame type, and server frames (plain dicts,
built by ``chat.events`` and the actions) into text or bytes. One module per job:

* ``limits``: the wire's numbers (sizes, counts) and close codes;
* ``frames``: the client frame dataclasses and the registry of wire names;
* ``text``: the text rules (normalisation, combining marks, bodies, ids, one-line text);
* ``parsing``: ``decode``, JSON and msgpack parsed under size, depth and number guards;
* ``codecs``: encodings and subprotocol choice, ``encode``/``encode_both``, error frames.

Callers import from the package (``from chat import protocol``; ``protocol.decode``): the names
below are its interface.
"""

from __future__ import annotations

from chat.protocol.codecs import (
    SUBPROTOCOLS,
    Encoding,
    choose_subprotocol,
    encode,
    encode_both,
    error_frame,
    error_from,
)
from chat.protocol.errors import ProtocolError
from chat.protocol.frames import (
    FRAME_NAMES,
    FRAME_TYPES,
    Block,
    Delete,
    Edit,
    Frame,
    History,
    Join,
    JoinAnswer,
    Knock,
    KnockAnswer,
    Leave,
    Mute,
    Pin,
    Ping,
    Promote,
    Read,
    Remove,
    Send,
    Sync,
    Typing,
    Unblock,
    Unmute,
    Unpin,
)
from chat.protocol.limits import (
    CLOSE_FLOOD,
    CLOSE_REASONS,
    CLOSE_REMOVED,
    CLOSE_SERVER_RESTART,
    CLOSE_SLOW_CONSUMER,
    CLOSE_TOKEN_REVOKED,
    CLOSE_TOO_LARGE,
    CLOSE_TOO_MANY_SOCKETS,
    HISTORY_LIMIT_DEFAULT,
    HISTORY_LIMIT_MAX,
    MAX_BODY_CHARS,
    MAX_CATEGORY_CHARS,
    MAX_COMBINING_MARKS,
    MAX_FRAME_BYTES,
    MAX_ID,
    MAX_ID_CHARS,
    MAX_MENTIONS,
    MAX_MUTE_MINUTES,
    MAX_NESTING,
    MAX_TITLE_CHARS,
    SYNC_BATCH,
    SYNC_MAX_BYTES,
    SYNC_MAX_ROOMS,
    SYNC_TOTAL,
)
from chat.protocol.parsing import decode
from chat.protocol.text import normalize_text
from core.errors import ErrorCode

__all__ = [
    "CLOSE_FLOOD",
    "CLOSE_REASONS",
    "CLOSE_REMOVED",
    "CLOSE_SERVER_RESTART",
    "CLOSE_SLOW_CONSUMER",
    "CLOSE_TOKEN_REVOKED",
    "CLOSE_TOO_LARGE",
    "CLOSE_TOO_MANY_SOCKETS",
    "FRAME_NAMES",
    "FRAME_TYPES",
    "HISTORY_LIMIT_DEFAULT",
    "HISTORY_LIMIT_MAX",
    "MAX_BODY_CHARS",
    "MAX_CATEGORY_CHARS",
    "MAX_COMBINING_MARKS",
    "MAX_FRAME_BYTES",
    "MAX_ID",
    "MAX_ID_CHARS",
    "MAX_MENTIONS",
    "MAX_MUTE_MINUTES",
    "MAX_NESTING",
    "MAX_TITLE_CHARS",
    "SUBPROTOCOLS",
    "SYNC_BATCH",
    "SYNC_MAX_BYTES",
    "SYNC_MAX_ROOMS",
    "SYNC_TOTAL",
    "Block",
    "Delete",
    "Edit",
    "Encoding",
    "ErrorCode",
    "Frame",
    "History",
    "Join",
    "JoinAnswer",
    "Knock",
    "KnockAnswer",
    "Leave",
    "Mute",
    "Pin",
    "Ping",
    "Promote",
    "ProtocolError",
    "Read",
    "Remove",
    "Send",
    "Sync",
    "Typing",
    "Unblock",
    "Unmute",
    "Unpin",
    "choose_subprotocol",
    "decode",
    "encode",
    "encode_both",
    "error_frame",
    "error_from",
    "normalize_text",
]
