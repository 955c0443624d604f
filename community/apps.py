from django.apps import AppConfig


class CommunityConfig(AppConfig):
    """Communities and the people in them: structure, real-name joining, authentication."""

    name = "community"
    label = "community"
    verbose_name = "社区与居民 Communities and people"

    def ready(self) -> None:
        from community import receivers  # noqa: F401  (connects Django's logout hook)
