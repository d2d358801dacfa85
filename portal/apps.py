from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "ポータル共通"

    def ready(self):
        from . import lockout, signals  # noqa: F401

        lockout.japanese_admin()
