from django.apps import AppConfig


class ChatConfig(AppConfig):
    """Rooms, messages and live delivery."""

    name = "chat"
    verbose_name = "聊天 Chat"

    def ready(self) -> None:
        from chat import receivers  # noqa: F401  (connects the community hooks)
