"""The two exam-day documents (E7, E10): the answer sheet (答案用紙,
表6.7-1) and the exam-day sheet (当日の実施要領), rendered as PDFs with
WeasyPrint through ``portal.pdf`` and registered in the portal's document
registry on import (ExamsConfig.ready).
"""

import datetime

from django.template.loader import render_to_string

from calendars.rules import exam_day_label
from portal.documents import PDF_MIME, DocumentType, register, reviewer_or_owner

from .rules import (
    ANSWER_CHOICES,
    ANSWER_SHEET_COLUMNS,
    QUESTION_COUNT,
    SHEET_DELAYS,
    evidence_problems,
    measure_labels,
    proctors_needed,
    timetable,
)

ANSWER_SHEET_TITLE = "修了試験答案用紙"
EXAMDAY_SHEET_TITLE = "修了試験当日の実施要領"
ANSWER_SHEET_TEMPLATE = "exams/examday/answer_sheet.html"
EXAMDAY_SHEET_TEMPLATE = "exams/examday/examday_sheet.html"
UNDECIDED = "未判断"  # a special-measure request not decided yet


can_download = reviewer_or_owner  # the site's own provider staff and IPA reviewers


def _site_header(site) -> dict:
    provider = site.provider
    return {
        "exam_date": site.session.exam_date.isoformat(),
        "site": site.exam_site,
        "provider_number": str(provider.number or ""),
        "provider_name": provider.name,
    }


def answer_sheet_data(site) -> dict:
    """E7: what the answer sheet prints (no personal data: the examinee fills
    in the blanks)."""
    return {
        **_site_header(site),
        "questions": QUESTION_COUNT,
        "choices": ANSWER_CHOICES,
    }


def _stamp(iso_day: str) -> str:
    return f"{iso_day}T00:00:00+09:00"


def answer_sheet_html(data: dict) -> str:
    per_column = -(-data["questions"] // ANSWER_SHEET_COLUMNS)
    numbers = list(range(1, data["questions"] + 1))
    rows = [numbers[i::per_column] for i in range(per_column)]
    exam_date = datetime.date.fromisoformat(data["exam_date"])
    return render_to_string(
        ANSWER_SHEET_TEMPLATE,
        {
            "title": ANSWER_SHEET_TITLE,
            "data": data,
            "exam_day": exam_day_label(exam_date),
            "rows": rows,
            "columns": range(ANSWER_SHEET_COLUMNS),
            "choices": list(data["choices"]),
            "stamp": _stamp(data["exam_date"]),
        },
    )


def render_answer_sheet(site) -> bytes:
    from portal import pdf  # WeasyPrint loads on first render only

    return pdf.html_to_pdf(answer_sheet_html(answer_sheet_data(site)))


def site_applications(site):
    """The site's applications that still count (not withdrawn, no cancelled
    exam), with their delivery courses; only submitted ones count towards the
    examinees (E2)."""
    from ..models import LIVE_APPLICATION_STATES

    return (
        site.applications.filter(state__in=LIVE_APPLICATION_STATES)
        .select_related("delivery_course__course")
        .order_by("delivery_course__course__serial", "delivery_course__serial")
    )


def applicant_total(applications) -> int:
    from ..models import ApplicationState

    return sum(a.applicants for a in applications if a.state == ApplicationState.SUBMITTED)


def application_opens_on(session) -> datetime.date | None:
    from django.utils import timezone

    opens = session.application_opens_at
    return timezone.localdate(opens) if opens else None


def special_measure_rows(site) -> list[dict]:
    """The special-measure register of the site with what each request lacks."""
    session = site.session
    opens = application_opens_on(session)
    rows = []
    for r in site.special_measures.select_related("delivery_course__course").order_by(
        "created_at", "pk"
    ):
        rows.append(
            {
                "request": r,
                "measures": measure_labels(r.measures),
                "problems": evidence_problems(r, session.exam_date, opens),
            }
        )
    return rows


def examday_sheet_data(site) -> dict:
    """What the exam-day sheet prints: the timetables (delay 0 and the table
    of delays of M§6.12), the applicants and proctors, and the special
    measures with the examinees' names (personal data)."""
    applications = list(site_applications(site))
    from ..models import ApplicationState

    total = applicant_total(applications)
    return {
        **_site_header(site),
        "exam_executive": site.exam_executive,
        "manager": site.manager,
        "timetables": [timetable(False, 0)["text"], timetable(True, 0)["text"]],
        "delays": [
            {
                "delay": d,
                "normal": timetable(False, d)["text"],
                "extended": timetable(True, d)["text"],
            }
            for d in SHEET_DELAYS
        ],
        "applications": [
            {
                "number": a.delivery_course.number,
                "name": a.delivery_course.name,
                "applicants": a.applicants,
                "counted": a.state == ApplicationState.SUBMITTED,
                "state": a.get_state_display(),
            }
            for a in applications
        ],
        "applicants": total,
        "proctors": proctors_needed(total),
        "special_measures": [
            {
                "name": row["request"].examinee_name,
                "delivery_course": (
                    row["request"].delivery_course.number
                    if row["request"].delivery_course_id
                    else ""
                ),
                "measures": row["measures"],
                "details": row["request"].details,
                "decision": row["request"].get_decision_display() or UNDECIDED,
                "problems": row["problems"],
            }
            for row in special_measure_rows(site)
        ],
    }


PROCTOR_GUIDE = [
    ("1～100名", "2名"),
    ("101～150名", "3名"),
    ("151～200名", "4名"),
    ("201名以降", "受験者50名毎に1名増員"),
]


def examday_sheet_html(data: dict) -> str:
    exam_date = datetime.date.fromisoformat(data["exam_date"])
    return render_to_string(
        EXAMDAY_SHEET_TEMPLATE,
        {
            "title": EXAMDAY_SHEET_TITLE,
            "data": data,
            "exam_day": exam_day_label(exam_date),
            "proctor_guide": PROCTOR_GUIDE,
            "stamp": _stamp(data["exam_date"]),
        },
    )


def render_examday_sheet(site) -> bytes:
    from portal import pdf

    return pdf.html_to_pdf(examday_sheet_html(examday_sheet_data(site)))


def _provider_number(site) -> str:
    return site.provider.number


ANSWER_SHEET = register(
    DocumentType(
        id="answer_sheet",
        title=ANSWER_SHEET_TITLE,
        model="exams.ExamSite",
        render=render_answer_sheet,
        provider_number=_provider_number,
        can_download=can_download,
        data=answer_sheet_data,
        extension="pdf",
        mime_type=PDF_MIME,
        personal_data=False,
    )
)
EXAMDAY_SHEET = register(
    DocumentType(
        id="examday_sheet",
        title=EXAMDAY_SHEET_TITLE,
        model="exams.ExamSite",
        render=render_examday_sheet,
        provider_number=_provider_number,
        can_download=can_download,
        data=examday_sheet_data,
        extension="pdf",
        mime_type=PDF_MIME,
        personal_data=True,
    )
)
