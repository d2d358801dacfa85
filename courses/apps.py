from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "免除対象講座・実施講座"

    def ready(self):
        # The delivery course's life cycle (portal.workflow).
        from . import workflow  # noqa: F401
