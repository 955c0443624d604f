"""Deployment checks with stable ids (``linli check --deploy`` runs them)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.compatibility, deploy=True)
def in_memory_layer_in_production(app_configs, **kwargs):
    """linli.E001: the in-memory layer cannot carry events between worker processes."""
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if settings.PRODUCTION and backend.endswith("InMemoryChannelLayer"):
        return [
            Error(
                "The in-memory channel layer serves one process only.",
                hint="Set REDIS_URL when running several worker processes.",
                id="linli.E001",
            )
        ]
    return []


@register(Tags.compatibility)
def public_url_in_production(app_configs, **kwargs):
    """linli.E020: posters and activation sheets are printed; their links must be the real site."""
    if settings.PRODUCTION and not settings.LINLI_PUBLIC_URL:
        return [
            Error(
                "LINLI_PUBLIC_URL is not set: printed invite and activation links would point "
                "at whatever address served the request.",
                hint="Set LINLI_PUBLIC_URL to the site's address, e.g. https://linli.example.cn.",
                id="linli.E020",
            )
        ]
    return []

