from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "免除対象講座・実施講座"

    def ready(self):
        # The delivery course's life cycle (portal.workflow), and what the
        # apps below hear from this one through their hooks (providers, fees).
        from . import (
            change_kinds,  # noqa: F401
            hooks,  # noqa: F401
            workflow,  # noqa: F401
        )
