from django.apps import AppConfig


class CertificationsConfig(AppConfig):
    name = "certifications"
    verbose_name = "修了認定者・認定証"

    def ready(self):
        # The result report's pages (exams) show the completers: exams sends
        # the signal, certifications answers (exams never imports it).
        from exams.signals import report_page

        from . import (
            change_kinds,  # noqa: F401  (completer corrections by change request, R11)
            services,  # noqa: F401  (connects the certificate to the course's certify)
        )
        from .views import report_page_sections

        report_page.connect(report_page_sections, dispatch_uid="certifications.report_page")
