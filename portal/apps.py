from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "ポータル共通"

    def ready(self):
        from . import signals  # noqa: F401
