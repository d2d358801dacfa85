from django.apps import AppConfig


class CertificationsConfig(AppConfig):
    name = "certifications"
    verbose_name = "修了認定者・認定証"

    def ready(self):
        from . import services  # noqa: F401  (connects the certificate to the course's certify)
