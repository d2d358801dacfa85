"""Where the apps above ``exams`` add to its result reports without ``exams``
importing them (the layers run certifications > exams): they connect their
receivers in their ``AppConfig.ready()``.

``report_page``: a result report's page is being shown. Sent with
``sender=ResultReport``, ``request``, ``report``, ``review`` (True on IPA's
page, False on the provider's) and the page's own keyword values (e.g. a
refused form to show again); each receiver returns a dict of template values.
``certifications`` adds the completers, the completer form and the upload.
"""

from django.dispatch import Signal

report_page = Signal()


def report_page_sections(request, report, *, review: bool, **sections) -> dict:
    """The template values every receiver of ``report_page`` adds, merged."""
    values = {}
    for _receiver, answer in report_page.send(
        type(report), request=request, report=report, review=review, **sections
    ):
        values.update(answer)
    return values
