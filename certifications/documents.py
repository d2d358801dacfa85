"""The documents of certified completers and courses:

* ``minkan_goukaku``    (99991)民間資格の合格者一覧.xlsx (別紙10, 表5.8-3/5.8-4, R8)
* ``csv_export``        修了認定者情報 CSV of the bulk export (申請情報一括出力,
  別紙1, W4)
* ``completer_notice``  修了認定者管理番号のお知らせ: one slip per completer for the
  provider to hand out (R12: IPA never tells completers their numbers)
* ``change_shoshiki_4`` 申請書式4 as it reads after a completer correction (a
  change request, R11, table 5.6-1), beside its 申請書式5 (providers)
* ``certificate``       基本情報技術者試験免除対象講座認定証 (C12, 別紙14): the
  certificate of a certified course as a PDF

The completer documents read the result report's data and use the table
writer of :mod:`exams.documents` (申請書式4 lists the same completers); each
renderer reads only the plain values of its ``*_data`` function (their hash
is the data version) and stamps the workbook with a date of the data, so the
same data gives the same bytes.

The certificate: :func:`render_certificate` renders the course's current data; it is called
once per issue (認定, 再発行) by :mod:`certifications.services`, which stores
the bytes. Downloads (the registry's ``certificate``) serve the stored bytes.

The values (:func:`certificate_data`) go into the Django template
``certifications/certificate.html``; WeasyPrint renders it with
``static/css/certificate.css`` (parsed once) and the IPAex fonts. The PDF's
creation and modification dates are the issue date, so the same data gives
the same bytes.
"""

import datetime

import segno
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from courses.models import ExemptionCourse, SubmissionStates
from courses.registry import listed_deliveries
from exams import rules
from exams.documents import (
    SHOSHIKI_4_SHEET,
    STYLES,
    L,
    V,
    _can_download,
    _date,
    _report_data,
    _report_provider_number,
    _shoshiki_4_sheets,
    _stamp,
    slash_date,
)
from exams.models import ReportState, ResultReport
from portal import pdf, xlsx
from portal.documents import (
    PDF_MIME,
    XLSX_MIME,
    DocumentType,
    FormDocument,
    ListDocument,
    once,
    register,
    reviewer_or_owner,
)
from portal.xlsx import Data

from .models import Completer

# --- completers ---------------------------------------------------------------------------

# W4: the bulk export holds the reports IPA has (submitted or accepted).
EXPORTED_REPORT_STATES = (ReportState.SUBMITTED, ReportState.ACCEPTED)


# --- 民間資格の合格者一覧 (別紙10, 表5.8-3, R8) -----------------------------------------------

# R8 / 別紙1: the columns of 修了認定者情報 (the CSV of the bulk export).
CSV_HEADER = [
    "免除対象講座番号", "実施講座番号", "修了試験回数", "修了認定者管理番号",
    "姓(漢字)", "名(漢字)", "姓(カナ)", "名(カナ)", "生年月日", "修了認定年月日", "修了試験結果",
]  # fmt: skip
MINKAN_HEADER = [*CSV_HEADER, "民間資格の合格日", "民間資格の合格番号"]
MINKAN_SHEET = "修了認定者情報"
MINKAN_WIDTHS = {
    "A": 12, "B": 10, "C": 10, "D": 21, "E": 9, "F": 9, "G": 12, "H": 12, "I": 11, "J": 12,
    "K": 10, "L": 12, "M": 18,
}  # fmt: skip
DATE_FORMAT = "yyyy/m/d"  # as Excel shows the dates of the CSV (別紙10)
MINKAN_STYLES = {
    "minkan_head": xlsx.style(10, horizontal="center", wrap=True, fill=xlsx.LABEL_FILL, bordered=True),
    # the cells as Excel shows the opened CSV: numbers and dates right, text left
    "minkan_int": xlsx.style(10, horizontal="right", bordered=True),
    "minkan_text": xlsx.style(10, horizontal="left", bordered=True),
    "minkan_date": xlsx.style(10, horizontal="right", bordered=True, number_format=DATE_FORMAT),
}  # fmt: skip
MINKAN_CELL_STYLES = (
    "minkan_int", "minkan_int", "minkan_int", "minkan_text", "minkan_text", "minkan_text",
    "minkan_text", "minkan_text", "minkan_date", "minkan_date", "minkan_int", "minkan_date",
    "minkan_text",
)  # fmt: skip
# The table writer of exams.documents looks the row styles up in its STYLES.
STYLES.update(MINKAN_STYLES)


def minkan_goukaku_data(report) -> dict:
    return _report_data(report)


def minkan_rows(data: dict) -> list[tuple]:
    """表5.8-3: the CSV's columns (numbers as numbers, dates as dates, as Excel
    reads the CSV) and the two private-qualification columns."""
    d, r = data["delivery"], data["report"]
    certified_on = _date(r["certified_on"])
    return [
        (
            d["course_serial"],
            d["serial"],
            r["serial"],
            rules.management_number_display(c["management_number"]),
            c["family_name"],
            c["given_name"],
            c["family_kana"],
            c["given_kana"],
            _date(c["birth_date"]),
            certified_on,
            c["score"],
            _date(c["private_pass_date"]),
            c["private_pass_number"],
        )
        for c in data["completers"]
    ]


# --- 修了認定者情報 CSV (申請情報一括出力, 別紙1, W4) ---------------------------------------

CSV_MIME = "text/csv; charset=utf-8"
CSV_FIELDS = (
    "report__delivery_course__course__serial",
    "report__delivery_course__serial",
    "report__serial",
    "report__exam_date",
    "report__certified_on",
    "serial",
    "family_name",
    "given_name",
    "family_kana",
    "given_kana",
    "birth_date",
    "score",
)


def csv_rows(provider):
    """The provider's completers of the reports IPA has (submitted or
    accepted), one query streamed in chunks: a provider may have tens of
    thousands of them."""
    number = str(provider.number)
    completers = (
        Completer.objects.filter(
            report__delivery_course__course__provider=provider,
            report__state__in=EXPORTED_REPORT_STATES,
        )
        .order_by(
            "report__delivery_course__course__serial",
            "report__delivery_course__serial",
            "report__serial",
            "serial",
        )
        .values_list(*CSV_FIELDS)
    )
    for row in completers.iterator(chunk_size=2000):
        course, delivery, exam, exam_date, certified_on, serial = row[:6]
        names, birth, score = row[6:10], row[10], row[11]
        managed = rules.management_number(number, exam_date, serial)
        yield [
            course, delivery, exam, rules.management_number_display(managed), *names,
            slash_date(birth), slash_date(certified_on), score,
        ]  # fmt: skip


# --- 修了認定者管理番号のお知らせ (R12) ------------------------------------------------------

NOTICE_SHEET = "修了認定者管理番号のお知らせ"
NOTICE_WIDTHS = {"A": 20, "B": 16, "C": 16, "D": 16, "E": 14, "F": 14}
NOTICE_NOTE = (
    "基本情報技術者試験の受験申込み（予約）の際は「FE 科目A免除（修了認定者）」試験を選び、"
    "「一部免除申請番号」欄に上記の修了認定者管理番号（ハイフンなし・16けた）を入力してください。"
    "氏名（カナ）・生年月日が正しく入力されていないと、免除が認められないことがあります。"
    "IPAでは修了認定者管理番号のお問合せには回答しませんので、この用紙を大切に保管してください。"
)
CUT_LINE = f"{'- ' * 24} 切り取り線 {' -' * 24}"
SLIPS_PER_PAGE = 3


def completer_notice_data(report) -> dict:
    return _report_data(report)


def _validity(r: dict) -> str:
    """R10: the exemption validity of the exam (the calendar stores it)."""
    if not r["exemption_valid_from"] or not r["exemption_valid_to"]:
        return "IPAの公表をご確認ください"
    start, end = (_date(r[key]) for key in ("exemption_valid_from", "exemption_valid_to"))
    weekday = xlsx.WEEKDAYS
    return (
        f"{xlsx.japanese_date(start)}（{weekday[start.weekday()]}）～"
        f"{xlsx.japanese_date(end)}（{weekday[end.weekday()]}）"
    )


def _slip(first: int, data: dict, c: dict) -> list:
    p, d, r = data["provider"], data["delivery"], data["report"]
    course = f"（{p['number']}）{p['name']}\n{d['name']}（実施講座番号 {d['number']}）"
    return [
        (first, 24, [("A:F", "修了認定者管理番号のお知らせ", "slip_title")]),
        (first + 1, 22, [("A", "氏名", L), ("B:C", Data(f"{c['family_name']}\u3000{c['given_name']}"), V),
                         ("D", "生年月日", L), ("E:F", Data(xlsx.japanese_date(c["birth_date"])), V)]),
        (first + 2, 22, [("A", "氏名（カナ）", L), ("B:C", Data(f"{c['family_kana']}\u3000{c['given_kana']}"), V),
                         ("D", "修了試験実施日", L), ("E:F", Data(xlsx.japanese_date_weekday(r["exam_date"])), V)]),
        (first + 3, 30, [("A", "修了認定者管理番号", L),
                         ("B:C", Data(rules.management_number_display(c["management_number"])), "slip_number"),
                         ("D", "入力する番号\n（ハイフンなし）", L), ("E:F", Data(c["management_number"]), "slip_plain_number")]),
        (first + 4, 22, [("A", "科目A試験免除の有効期間", L), ("B:F", Data(_validity(r)), V)]),
        (first + 5, 34, [("A", "講座", L), ("B:F", Data(course), V)]),
        (first + 6, 50, [("A:F", NOTICE_NOTE, "slip_note")]),
        (first + 7, 22, [("A:F", CUT_LINE, "cut")]),
    ]  # fmt: skip


SLIP_ROWS = 8


def completer_notice_sheets(data: dict) -> list[xlsx.Sheet]:
    """One slip per completer, any number of pages one page wide; a slip is
    never split across pages."""
    rows = []
    for n, c in enumerate(data["completers"]):
        rows += _slip(1 + n * SLIP_ROWS, data, c)
    if not rows:
        rows = [(1, 22, [("A:F", ResultReport.NO_COMPLETERS_REMARK, "plain")])]
    breaks = [n * SLIP_ROWS for n in range(SLIPS_PER_PAGE, len(data["completers"]), SLIPS_PER_PAGE)]
    return [xlsx.Sheet(NOTICE_SHEET, NOTICE_WIDTHS, rows, fit_height=0, row_breaks=breaks)]


def _report_stamp(data: dict):
    return _stamp(data["report"]["certified_on"], data["date"])


MINKAN_GOUKAKU = register(
    ListDocument(
        id="minkan_goukaku",
        title="民間資格の合格者一覧",
        model="exams.ResultReport",
        provider_number=_report_provider_number,
        can_download=_can_download,
        data=minkan_goukaku_data,
        header=MINKAN_HEADER,
        rows=lambda report, data: minkan_rows(data),
        sheet=xlsx.ListSheet(
            MINKAN_SHEET, MINKAN_WIDTHS, MINKAN_CELL_STYLES,
            header_style="minkan_head", header_height=32, landscape=True,
        ),
        stamp=_report_stamp,
        styles=STYLES,
        timestamped=False,  # 表5.8-4: (xxxxx)民間資格の合格者一覧.xlsx
        extension="xlsx",
        mime_type=XLSX_MIME,
    )
)  # fmt: skip
CSV_EXPORT = register(
    ListDocument(
        id="csv_export",
        title="修了認定者情報",
        model="providers.Provider",
        provider_number=lambda provider: provider.number,
        can_download=_can_download,
        data=lambda provider: {"provider": str(provider.number)},
        header=CSV_HEADER,
        rows=lambda provider, data: csv_rows(provider),
    )
)
COMPLETER_NOTICE = register(
    FormDocument(
        id="completer_notice",
        title="修了認定者管理番号のお知らせ",
        model="exams.ResultReport",
        provider_number=_report_provider_number,
        can_download=_can_download,
        data=completer_notice_data,
        sheets=completer_notice_sheets,
        stamp=_report_stamp,
        workbook_title=NOTICE_SHEET,
        styles=STYLES,
    )
)


# --- 申請書式4 of a completer correction (R11, table 5.6-1) ----------------------------------


def _is_correction_party(user, change) -> bool:
    from .services import CORRECTION_KIND

    return change.kind == CORRECTION_KIND and reviewer_or_owner(user, change)


def change_shoshiki_4_data(change) -> dict:
    """申請書式4 as it reads after the correction: every completer of the
    report, the corrected ones with the request's values (their 修了認定者
    管理番号 unchanged), dated the request's day (as 申請書式5)."""
    from django.utils import timezone

    from providers.changes import preview

    report = preview(change)
    data = _report_data(report, corrections=report.completer_corrections)
    day = timezone.localtime(change.submitted_at or change.created_at).date()
    return {**data, "date": day.isoformat()}


CHANGE_SHOSHIKI_4 = register(
    FormDocument(
        id="change_shoshiki_4",
        title="申請書式4：修了認定報告書",
        model="providers.ChangeRequest",
        provider_number=lambda change: change.provider.number,
        can_download=_is_correction_party,
        data=change_shoshiki_4_data,
        sheets=_shoshiki_4_sheets,
        stamp=lambda data: _stamp(data["date"]),
        workbook_title=SHOSHIKI_4_SHEET,
        styles=STYLES,
    )
)

# The bytes of each (the tests open them back).
render_change_shoshiki_4 = CHANGE_SHOSHIKI_4.render
render_minkan_goukaku = MINKAN_GOUKAKU.render
render_csv_export = CSV_EXPORT.render
render_completer_notice = COMPLETER_NOTICE.render


# --- 認定証 (C12, 別紙14) ---------------------------------------------------------------

TITLE = "基本情報技術者試験免除対象講座認定証"
TEMPLATE = "certifications/certificate.html"
STYLESHEET = "css/certificate.css"
ISSUER = "独立行政法人情報処理推進機構"
STUDY_PLAN = "申請書のとおり"

# A course has a certificate once certified; it keeps it when the
# certification ends or is revoked (the document stays as it was issued).
CERTIFICATE_STATES = (
    SubmissionStates.CERTIFIED,
    SubmissionStates.EXPIRED,
    SubmissionStates.REVOKED,
)


def has_certificate(course: ExemptionCourse) -> bool:
    return course.state in CERTIFICATE_STATES and bool(course.certificate_number)


def can_download_certificate(user, course: ExemptionCourse) -> bool:
    """The provider's own staff and reviewers, once the course has a certificate."""
    return has_certificate(course) and reviewer_or_owner(user, course)


def _iso(day: datetime.date | None) -> str:
    return day.isoformat() if day else ""


def certificate_data(course: ExemptionCourse, verification_code: str = "") -> dict:
    """The values printed on the certificate, as plain str/int/list; their hash
    is the data version. ``verification_code``: the code of the version being
    issued (certifications.verification), printed with the QR code of its
    verification page; without one (a preview) neither is printed."""
    from .verification import display_code, verification_url

    provider = course.provider
    deliveries = listed_deliveries().filter(course=course).order_by("serial")
    return {
        "document_number": course.certificate_number,
        "provider_number": str(provider.number or ""),
        "provider_name": provider.name,
        "representative_name": provider.representative_name,
        "prefecture": provider.prefecture,
        "address": provider.address,
        "course_number": course.number,
        "course_name": course.name,
        "study_plan": STUDY_PLAN,
        "delivery_courses": [
            {
                "number": f"{course.number}-{d.serial:03d}",
                "name": d.name,
                "prefecture": d.prefecture,
                "address": d.address,
                "building": d.building,
            }
            for d in deliveries
        ],
        "remarks": "",
        "certified_on": _iso(course.certified_on),
        "valid_until": _iso(course.valid_until),
        "issued_on": _iso(course.certificate_issued_on or course.certified_on),
        "issuer": ISSUER,
        "verification_code": display_code(verification_code) if verification_code else "",
        "verification_url": verification_url(verification_code) if verification_code else "",
        "verification_form_url": verification_form_url() if verification_code else "",
    }


def verification_form_url() -> str:
    """Where a code is typed (printed under the code for those without a
    QR reader)."""
    from django.conf import settings
    from django.urls import reverse

    return settings.SITE_URL.rstrip("/") + reverse("certificate_verify_form")


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG (segno, error correction M, the
    4-module quiet zone), scaled by the stylesheet."""
    if not url:
        return ""
    return segno.make(url, error="m", micro=False).svg_inline(
        scale=1, border=4, omitsize=True, svgclass="qr-code", lineclass="qr-line"
    )


def japanese_date(iso: str) -> str:
    """``2024-10-01`` -> ``2024年10月1日`` (as on 別紙14)."""
    if not iso:
        return ""
    day = datetime.date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def certificate_context(data: dict) -> dict:
    """The template's values: the data with dates and addresses written out."""
    issued = data["issued_on"] or data["certified_on"]
    # segno's SVG holds only path data: the URL is drawn as modules, never
    # written as text, so nothing typed by anyone reaches the markup.
    qr = mark_safe(qr_svg(data.get("verification_url", "")))  # noqa: S308  # nosec
    return {
        "title": TITLE,
        "document_number": data["document_number"],
        "provider_name": data["provider_name"],
        "representative_name": data["representative_name"],
        "address": f"{data['prefecture']}\u3000{data['address']}",
        "provider_number": data["provider_number"],
        "course_name": data["course_name"],
        "study_plan": data["study_plan"],
        "delivery_courses": [
            {
                "number": d["number"],
                "name": d["name"],
                "location": " ".join(
                    part for part in (d["prefecture"] + d["address"], d["building"]) if part
                ),
            }
            for d in data["delivery_courses"]
        ],
        "delivery_count": len(data["delivery_courses"]),
        "remarks": data["remarks"],
        "certified_on": japanese_date(data["certified_on"]),
        "valid_until": japanese_date(data["valid_until"]),
        "issued_on": japanese_date(issued),
        "issuer": data["issuer"],
        "verification_code": data.get("verification_code", ""),
        "verification_form_url": data.get("verification_form_url", ""),
        "qr_svg": qr,
        # Fixed PDF metadata dates (the issue date), so same data -> same bytes.
        "stamp": f"{issued}T00:00:00+09:00",
    }


def certificate_html(
    course: ExemptionCourse, *, standalone: bool = False, compact: bool = False
) -> str:
    """The certificate's HTML (with the latest issued version's code). ``standalone`` puts the stylesheet inline (a
    self-contained page); the renderer instead passes the parsed stylesheet.
    ``compact`` sets smaller type and spacing (for long lists and values)."""
    if not has_certificate(course):
        raise ValueError(f"講座 {course.number} には認定証がありません（状態：{course.state}）。")
    return _html(certificate_context(_printed_data(course)), standalone, compact)


def _printed_data(course: ExemptionCourse, verification_code: str | None = None) -> dict:
    """certificate_data with the code to print: the given one (a new
    version's), or by default the latest issued version's ("" before the
    first issue)."""
    if verification_code is None:
        latest = course.issued_certificates.order_by("-version")
        verification_code = latest.values_list("verification_code", flat=True).first() or ""
    return certificate_data(course, verification_code)


def _html(context: dict, standalone: bool = False, compact: bool = False) -> str:
    context = {
        **context,
        "inline_css": pdf.stylesheet_text(STYLESHEET) if standalone else "",
        "compact": compact,
    }
    return render_to_string(TEMPLATE, context)


def render_certificate(course: ExemptionCourse, verification_code: str | None = None) -> bytes:
    """The PDF bytes of the certificate; the same data gives the same bytes.
    When long values push it past one page, the compact layout is tried.
    ``verification_code``: the code printed with the QR code — when issuing,
    the new version's; by default the latest issued version's (none before
    the first issue)."""
    if not has_certificate(course):
        raise ValueError(f"講座 {course.number} には認定証がありません（状態：{course.state}）。")
    context = certificate_context(_printed_data(course, verification_code))
    return pdf.html_to_pdf(
        _html(context),
        [pdf.stylesheet(STYLESHEET)],
        denser=[lambda: _html(context, compact=True)],
    )


def latest_issued(course: ExemptionCourse):
    """The newest issued version (C12: the record kept when it was issued),
    read once per rendering of the certificate."""
    return once(
        ("latest_issued", course.pk),
        lambda: course.issued_certificates.order_by("-version").first(),
    )


def issued_certificate_pdf(course: ExemptionCourse) -> bytes:
    """C12: the bytes stored when the certificate was last issued, never a
    rendering of today's data (which may have changed since)."""
    issued = latest_issued(course)
    if issued is None:
        raise ValueError(f"講座 {course.number} の認定証はまだ発行されていません。")
    return bytes(issued.content)


def issued_certificate_data(course: ExemptionCourse) -> dict:
    issued = latest_issued(course)
    return {"version": issued.version, "checksum": issued.checksum} if issued else {}


CERTIFICATE = register(
    DocumentType(
        id="certificate",
        title=TITLE,
        model="courses.ExemptionCourse",
        render=issued_certificate_pdf,
        provider_number=lambda course: course.provider.number,
        can_download=can_download_certificate,
        data=issued_certificate_data,
        extension="pdf",
        mime_type=PDF_MIME,
    )
)
