from django.apps import AppConfig


class PresenceConfig(AppConfig):
    """Who is online, typing, read markers."""

    name = "presence"
    verbose_name = "在线状态 Presence"

    def ready(self) -> None:
        from presence import checks  # noqa: F401  (registers the checks)
