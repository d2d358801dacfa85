from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = "修了試験"

    def ready(self):
        # The exam-day documents live beside their rules; register them at
        # start-up so that the web process and the Celery worker both know them.
        # The result report's life cycle (portal.workflow).
        # What fees hears from this app (exams.hooks).
        from . import (
            hooks,  # noqa: F401
            workflow,  # noqa: F401
        )
        from .examday import documents  # noqa: F401
