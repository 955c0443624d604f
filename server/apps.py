from django.apps import AppConfig


class ServerConfig(AppConfig):
    """The project itself: the ``serve`` and ``demo`` commands and the deployment checks."""

    name = "server"
    verbose_name = "Linli server"

    def ready(self) -> None:
        from server import checks  # noqa: F401  (registers linli.E001 …)
        from serving.compat import checks as serving_checks  # noqa: F401  (linli.E010)
