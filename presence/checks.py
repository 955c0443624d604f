"""Presence checks with stable ids (``manage.py check`` runs them)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

#: The promise in docs/presence.md: a killed worker's people go offline for everyone this soon.
GHOST_BOUND_MAX_S = 60.0


@register(Tags.compatibility)
def presence_settings(app_configs, **kwargs):
    """linli.W010: the ghost bound is over 60 s; linli.E011: the Redis backend without Redis."""
    from presence.online import ghost_bound

    problems = []
    if ghost_bound() > GHOST_BOUND_MAX_S:
        problems.append(
            Warning(
                f"A killed worker's people stay online for up to {ghost_bound():.0f} s.",
                hint="Keep LINLI_PRESENCE_TTL + LINLI_PRESENCE_SWEEP + "
                "LINLI_PRESENCE_BIG_INTERVAL at or under 60 seconds.",
                id="linli.W010",
            )
        )
    if settings.LINLI_PRESENCE_BACKEND == "redis" and not settings.REDIS_URL:
        problems.append(
            Error(
                "LINLI_PRESENCE_BACKEND is redis but REDIS_URL is not set.",
                id="linli.E011",
            )
        )
    return problems
