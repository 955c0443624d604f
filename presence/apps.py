from django.apps import AppConfig


class PresenceConfig(AppConfig):
    """Who is online, typing, read markers."""

    name = "presence"
    verbose_name = "在线状态 Presence"
