"""``GET /api/v1/health``: 200 when the database and the channel layer answer, 503 otherwise."""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from django.db import connection
from ninja import Router, Status

from chat.broadcast import layer_round_trip

log = logging.getLogger(__name__)
router = Router(tags=["health"])

#: A layer that cannot echo a message within this long is as good as down for live chat.
LAYER_TIMEOUT_S = 2.0


def _database_ok() -> bool:
    try:
        connection.ensure_connection()
        return connection.is_usable()  # a round trip on PostgreSQL
    except Exception:
        log.warning("health: database check failed", exc_info=True)
        return False


async def _layer_ok() -> bool:
    try:
        return await asyncio.wait_for(layer_round_trip(), LAYER_TIMEOUT_S)
    except Exception:
        log.warning("health: channel layer check failed", exc_info=True)
        return False


@router.get("/health", response={200: dict, 503: dict}, auth=None)
async def health(request):
    database = await database_sync_to_async(_database_ok)()
    layer = await _layer_ok()
    body = {
        "status": "ok" if database and layer else "unavailable",
        "database": database,
        "channel_layer": layer,
    }
    return Status(200 if database and layer else 503, body)
