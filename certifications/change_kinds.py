"""What of a completer may change by a change request (table 5.6-1 「修了認定者
情報の変更」, R11, M§8.2, M§12.2.11): the names, kana, birth date and score of
the completers of an ACCEPTED result report. The request's target is the
report; its forms are 申請書式4 as it reads after the correction and
申請書式5, whose rows name each 修了認定者管理番号 (X2, X3, table 5.6-2).
A draft or returned report is corrected in place (X1). Registered at
start-up by certifications.apps."""

import copy

from django.urls import reverse

from exams.models import ResultReport
from providers import changes

from . import services
from .models import Completer


def preview_correction(request) -> ResultReport:
    """The report as it reads after the correction, unsaved: the report with
    ``completer_corrections`` ({completer pk: {field: Python value}}) that the
    documents put in place of the stored values (exams.documents._completers)."""
    report = copy.copy(request.target)
    report.completer_corrections = {
        int(pk): {
            name: Completer._meta.get_field(name).to_python(values[name])
            for name in services.CORRECTABLE_FIELDS
            if name in values
        }
        for pk, values in request.proposed.items()
        if values != request.original.get(pk)
    }
    return report


def _label(report: ResultReport) -> str:
    return f"修了試験結果 {report.number}（{report.delivery_course.name}）"


COMPLETERS = changes.register(
    changes.ChangeKind(
        key=services.CORRECTION_KIND,
        label="修了認定者情報の変更",
        model="exams.ResultReport",
        form_title="申請書式4",
        documents=("change_shoshiki_4", "shoshiki_5"),
        provider=lambda report: report.delivery_course.course.provider,
        target_label=_label,
        target_number=lambda report: report.number,
        current=services.correction_current,
        items=services.correction_items,
        apply=services.apply_completer_correction,
        requestable=services.correction_problem,
        urgent=True,  # M§12.2.11: 「大至急」 — the completer's exam booking fails meanwhile
        edit_url=lambda request: reverse("completer_correction", args=[request.target_id]),
        target_url=lambda report: reverse("report_detail", args=[report.pk]),
        review_target_url=lambda report: reverse("review_report", args=[report.pk]),
        preview=preview_correction,
    )
)
