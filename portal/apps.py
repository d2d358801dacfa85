from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "ポータル共通"

    def ready(self):
        from . import lockout, signals  # noqa: F401

        lockout.japanese_admin()
        from . import twofactor
        from .admin import register_otp_admin

        twofactor.japanese_admin()
        register_otp_admin()
