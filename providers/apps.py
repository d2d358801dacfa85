from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "講座開設者"

    def ready(self):
        # The registration's life cycle (portal.workflow).
        from . import workflow  # noqa: F401
