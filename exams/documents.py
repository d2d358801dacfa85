"""The documents of the completion exams (E2–E4) and their results (R2–R12),
laid out like the manual's 別紙 figures with the table writer of
:mod:`portal.xlsx`:

* ``shoshiki_3``        申請書式3 修了試験問題等提供申請書 (別紙7), one per exam
  application (one delivery course at one exam, M§5.7 (5))
* ``shoshiki_4``        申請書式4 修了認定報告書 (別紙8) with every completer;
  the table header repeats on each printed page
* ``unei_taisei_exam``  講座の運営実施体制 (別紙12, 表5.7-2) for one exam at one
  site, with the problem recipient (E3) and the applications sitting there (E4)

The completers' own documents (民間資格の合格者一覧, the 修了認定者情報 CSV,
修了認定者管理番号のお知らせ) are in :mod:`certifications.documents`; they use
the report data and the table writer of this module.

Each renderer reads only the plain values of its ``*_data`` function (their
hash is the data version) and stamps the workbook with a date of the data, so
the same data gives the same bytes. 申請書式3, 申請書式4 and the exam's 運営実施体制
are form documents (portal.documents.FormDocument: the values computed once
per rendering) laid out with the shared blocks of portal.layout_blocks.
"""

import datetime

from django.utils import timezone

from courses import documents as course_docs
from portal import layout_blocks as blocks
from portal import xlsx
from portal.documents import FormDocument, once, register, reviewer_or_owner
from portal.xlsx import Field, Sheet, Table

from . import rules
from .models import LIVE_APPLICATION_STATES, ExamApplication, ResultReport

FORM_VERSION = course_docs.FORM_VERSION
# E2 / F1: the problem fee per applicant (tax included) when neither a fee line
# nor a fee schedule valid on the day says otherwise (the schedule of
# the portal starts in fiscal 2024; the manual's examples are older).
PROBLEM_FEE_PER_APPLICANT = 2000

L, V, SUB, SEC = "label", "value", "sub", "section"
# The course forms' styles (the 運営実施体制 layout is theirs) and this module's.
STYLES = {
    **course_docs.STYLES,
    "money": xlsx.style(11, horizontal="right", indent=1, bordered=True, number_format="#,##0"),
    "slip_title": xlsx.style(12, bold=True, horizontal="center", bordered=True,
                             fill=xlsx.SECTION_FILL),
    "slip_number": xlsx.style(16, bold=True, horizontal="center", bordered=True),
    "slip_plain_number": xlsx.style(11, horizontal="center", bordered=True),
    "slip_note": xlsx.style(9, horizontal="left", wrap=True, indent=1, bordered=True),
    "score": xlsx.style(10, horizontal="right", indent=1, bordered=True),
    "cut": xlsx.style(8, color="808080", horizontal="center"),
}  # fmt: skip


# --- shared values --------------------------------------------------------------


def _local_date(value: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(value) if value else None


def _iso(day: datetime.date | None) -> str:
    return day.isoformat() if day else ""


def _date(iso: str) -> datetime.date | None:
    return datetime.date.fromisoformat(iso) if iso else None


def _stamp(*isos: str) -> datetime.datetime:
    """The workbook's created/modified: the first date of the data given."""
    day = next((_date(iso) for iso in isos if iso), datetime.date(2000, 1, 1))
    return datetime.datetime.combine(day, datetime.time())


def slash_date(day: datetime.date | str | None) -> str:
    """1998/10/6, as 別紙8/別紙10 print dates (no leading zeros; blank for None)."""
    if isinstance(day, str):
        day = _date(day)
    return f"{day.year}/{day.month}/{day.day}" if day else ""


def figure_number(number: str) -> str:
    """R4 as 別紙8 prints it: ``99991 - FE1806 - 00001``."""
    return f"{number[:5]} - {number[5:11]} - {number[11:]}"


def _provider_data(provider) -> dict:
    return {
        "number": str(provider.number or ""),
        "name": provider.name,
        "name_kana": provider.name_kana,
    }


def _delivery_data(delivery) -> dict:
    course = delivery.course
    return {
        "course_number": course.number,
        "course_serial": course.serial,
        "course_name": course.name,
        "course_type": course.course_type,
        "number": delivery.number,
        "serial": delivery.serial,
        "name": delivery.name,
        "prefecture": delivery.prefecture,
        "address": delivery.address,
        "building": delivery.building,
        "start_date": _iso(delivery.start_date),
        "end_date": _iso(delivery.end_date),
    }


def _head(form_id: str, title: str, last: str, date_cols: str) -> list:
    """Rows 1–6 of 申請書式3/4: the form's name, version, date and title."""
    return blocks.form_head(form_id, title, last, date_cols, id_columns="A:B")


def _sheet(wb, title, widths, rows, values, *, last_row=None, title_rows=None, landscape=False):
    ws = xlsx.new_sheet(wb, title, widths)
    xlsx.write_rows(ws, rows, values, STYLES, widths)
    last_row = last_row or max(row for row, _h, _c in rows)
    xlsx.setup_page(
        ws,
        f"A1:{max(widths)}{last_row}",
        landscape=landscape,
        # forms of one page are shrunk onto it; lists run over as many pages
        # as needed, one page wide, with their header repeated.
        fit_height=0 if title_rows else 1,
        title_rows=title_rows,
    )
    return ws


_can_download = reviewer_or_owner


# --- 申請書式3 修了試験問題等提供申請書 (別紙7) ---------------------------------------------


def _application_form_date(application) -> datetime.date | None:
    """The date on 申請書式3: the day it was filed (申込み日時). A draft carries
    the day it was created (its first history record), like the course forms."""
    if application.submitted_at:
        return _local_date(application.submitted_at)
    first = application.history.order_by("history_date").first()
    return _local_date(first.history_date) if first else None


def _problem_fee(application) -> int:
    """E2: the fee line's amount once filed; before, applicants × the unit fee
    filing today would charge (exams.services.problem_fee, as the exam page)."""
    from .services import problem_fee

    fee = problem_fee(application)
    return (
        fee
        if fee is not None
        else rules.fee_total(application.applicants, PROBLEM_FEE_PER_APPLICANT)
    )


def shoshiki_3_data(application) -> dict:
    application = ExamApplication.objects.select_related(
        "delivery_course__course__provider", "session", "fee_line"
    ).get(pk=application.pk)
    delivery = application.delivery_course
    return {
        "form_version": FORM_VERSION,
        "date": _iso(_application_form_date(application)),
        "provider": _provider_data(delivery.course.provider),
        "delivery": _delivery_data(delivery),
        "exam_date": _iso(application.session.exam_date),
        "applicants": application.applicants,
        "problem_fee": _problem_fee(application),
        "state": application.state,
    }


SHOSHIKI_3_SHEET = "申請書式3"
SHOSHIKI_3_WIDTHS = {"A": 22, "B": 14, "C": 22, "D": 8, "E": 16, "F": 16}
# 別紙7, like 別紙6: the number's label spans A:B, the name's A.
SHOSHIKI_3_PROVIDER = blocks.ProviderHeader(name_label="A")
SHOSHIKI_3_COURSE = blocks.course_header()
SHOSHIKI_3_DELIVERY = blocks.delivery_header()
SHOSHIKI_3_LAYOUT = [
    *_head("申請書式3", "修了試験問題等提供申請書", "F", "E:F"),
    *SHOSHIKI_3_PROVIDER.rows(7),
    *SHOSHIKI_3_COURSE.rows(10),
    *SHOSHIKI_3_DELIVERY.rows(13),
    (16, 22, [("A:B", "実施講座を担当する講師", L), ("C:F", "申請のとおり", V)]),
    # 別紙7: the site is the one of the 講座の運営実施体制 (E4), not repeated here.
    *blocks.site_rows(17, "修了試験の実施場所", contents=("講座の運営実施体制のとおり", "", "")),
    *blocks.period_rows(21),
    (24, 20, [("A:F", "修了試験", SEC)]),
    (25, 22, [("A:B", "実施日", L), ("C:D", Field("exam_date"), V)]),
    (26, 22, [("A:B", "応募者数", L), ("C", Field("applicants"), "count"), ("D", "名", "unit")]),
    (27, 22, [("A:B", "問題提供料", L), ("C", Field("problem_fee"), "money"), ("D", "円", "unit")]),
    (28, 20, [("A:F", "備考", SEC)]),
    (29, 48, [("A:F", Field("remarks"), "remarks")]),
]  # fmt: skip
SHOSHIKI_3_CELLS = xlsx.field_cells(SHOSHIKI_3_LAYOUT)


def _shoshiki_3_values(data: dict) -> dict:
    p, d = data["provider"], data["delivery"]
    return {
        "form_version": data["form_version"],
        "date": xlsx.japanese_date(data["date"]),
        **SHOSHIKI_3_PROVIDER.values(p["number"], p["name"], p["name_kana"]),
        **SHOSHIKI_3_COURSE.values(d["course_number"], d["course_name"]),
        **SHOSHIKI_3_DELIVERY.values(d["number"], d["name"]),
        "start_date": xlsx.japanese_date_weekday(d["start_date"]),
        "end_date": xlsx.japanese_date_weekday(d["end_date"]),
        "exam_date": xlsx.japanese_date_weekday(data["exam_date"]),
        "applicants": data["applicants"],
        "problem_fee": data["problem_fee"],
        "remarks": "",
    }


def _shoshiki_3_sheets(data: dict) -> list[Sheet]:
    values = _shoshiki_3_values(data)
    return [Sheet(SHOSHIKI_3_SHEET, SHOSHIKI_3_WIDTHS, SHOSHIKI_3_LAYOUT, values)]


# --- result reports: shared data ------------------------------------------------------

COMPLETER_COLUMNS = (
    "serial", "family_name", "given_name", "family_kana", "given_kana", "birth_date", "score",
    "private_pass_date", "private_pass_number",
)  # fmt: skip


def _report(report) -> ResultReport:
    return ResultReport.objects.select_related("delivery_course__course__provider", "session").get(
        pk=report.pk
    )


def _report_form_date(report) -> datetime.date:
    """The date on 申請書式4: the day it was reported; before, the
    certification date (別紙8 shows both on the same day), else the exam date."""
    return _local_date(report.submitted_at) or report.certified_on or report.exam_date


def _completers(report, corrections=None) -> list[dict]:
    """Every completer of the report with one query (no model instances:
    reports can hold thousands of completers). ``corrections`` ({completer
    pk: {field: value}}) puts a change request's corrected values in place of
    the stored ones (R11: 申請書式4 as it reads after the correction)."""
    provider_number = str(report.delivery_course.course.provider.number)
    corrections = corrections or {}
    rows = []
    for pk, *values in report.completers.order_by("serial").values_list("pk", *COMPLETER_COLUMNS):
        row = dict(zip(COMPLETER_COLUMNS, values, strict=True))
        row.update(
            (name, value)
            for name, value in corrections.get(pk, {}).items()
            if name in COMPLETER_COLUMNS and name != "serial"  # R4: the number stays
        )
        row["management_number"] = rules.management_number(
            provider_number, report.exam_date, row["serial"]
        )
        row["birth_date"] = _iso(row["birth_date"])
        row["private_pass_date"] = _iso(row["private_pass_date"])
        rows.append(row)
    return rows


def _report_data(report, corrections=None) -> dict:
    """The values of 申請書式4 and of the forms made from the same report,
    computed once per rendering (portal.documents.once) when uncorrected."""
    if corrections is None:
        return once(
            ("report_data", getattr(report, "pk", report)), lambda: _built_report_data(report)
        )
    return _built_report_data(report, corrections)


def _built_report_data(report, corrections=None) -> dict:
    report = _report(report)
    delivery = report.delivery_course
    return {
        "form_version": FORM_VERSION,
        "date": _iso(_report_form_date(report)),
        "provider": _provider_data(delivery.course.provider),
        "delivery": _delivery_data(delivery),
        "report": {
            "number": report.number,
            "serial": report.serial,
            "kind": report.kind,
            "exam_date": _iso(report.exam_date),
            "certified_on": _iso(report.certified_on),
            "examinees": report.examinees,
            "remarks": report.remarks,
            "exemption_valid_from": _iso(report.session.exemption_valid_from),
            "exemption_valid_to": _iso(report.session.exemption_valid_to),
        },
        "completers": _completers(report, corrections),
    }


# --- 申請書式4 修了認定報告書 (別紙8) --------------------------------------------------------

SHOSHIKI_4_SHEET = "申請書式4"
SHOSHIKI_4_WIDTHS = {"A": 5, "B": 24, "C": 12, "D": 10, "E": 14, "F": 14, "G": 11, "H": 6}
COMPLETER_HEADER = [
    "No.",
    "修了認定者管理番号",
    "姓",
    "名",
    "姓(カナ)",
    "名(カナ)",
    "生年月日",
    "点数",
]
SHOSHIKI_4_PROVIDER = blocks.ProviderHeader(last="H", kana=False)
SHOSHIKI_4_COURSE = blocks.course_header(last="H")
SHOSHIKI_4_DELIVERY = blocks.delivery_header(last="H")
SHOSHIKI_4_HEAD = [
    *_head("申請書式4", "修了認定報告書", "H", "F:H"),
    *SHOSHIKI_4_PROVIDER.rows(7),
    *SHOSHIKI_4_COURSE.rows(9),
    *SHOSHIKI_4_DELIVERY.rows(12),
    *blocks.site_rows(15, label="A:B", last="H"),
    (19, 8, []),
    (20, 22, [("A:B", "修了認定年月日", L), ("C:E", Field("certified_on"), V)]),
    (21, 22, [("A:B", "修了認定者数", L), ("C", Field("completer_count"), "count"), ("D", "名", "unit")]),
    # Not on 別紙8: R2's remark (修了認定者はいません。) has to go somewhere.
    (22, 22, [("A:B", "備考", L), ("C:H", Field("remarks"), V)]),
    (23, 8, []),
    (24, 22, [(col, text, "head") for col, text in zip("ABCDEFGH", COMPLETER_HEADER, strict=True)]),
]  # fmt: skip
SHOSHIKI_4_CELLS = xlsx.field_cells(SHOSHIKI_4_HEAD)
SHOSHIKI_4_HEADER_ROW = 24
# The completer rows: (column style) per column, as shared named styles.
COMPLETER_CELL_STYLES = ("center", "center", "cell", "cell", "cell", "cell", "center", "score")


def _shoshiki_4_values(data: dict) -> dict:
    p, d, r = data["provider"], data["delivery"], data["report"]
    count = len(data["completers"])
    remarks = r["remarks"] or (ResultReport.NO_COMPLETERS_REMARK if not count else "")
    return {
        "form_version": data["form_version"],
        "date": xlsx.japanese_date(data["date"]),
        **SHOSHIKI_4_PROVIDER.values(p["number"], p["name"]),
        **SHOSHIKI_4_COURSE.values(d["course_number"], d["course_name"]),
        **SHOSHIKI_4_DELIVERY.values(d["number"], d["name"]),
        "prefecture": d["prefecture"],
        "address": d["address"],
        "building": d["building"],
        # R2: no completers, no certification date.
        "certified_on": xlsx.japanese_date_weekday(r["certified_on"]) if count else "",
        "completer_count": count,
        "remarks": remarks,
    }


def shoshiki_4_rows(data: dict) -> list[tuple]:
    """The completer table's rows as 別紙8 prints them."""
    return [
        (
            n,
            figure_number(c["management_number"]),
            c["family_name"],
            c["given_name"],
            c["family_kana"],
            c["given_kana"],
            slash_date(c["birth_date"]),
            c["score"],
        )
        for n, c in enumerate(data["completers"], start=1)
    ]


def write_table_rows(ws, first_row: int, rows, style_keys) -> int:
    """portal.xlsx's fast row writer with this module's styles."""
    return xlsx.write_table_rows(ws, first_row, rows, style_keys, STYLES)


def _shoshiki_4_sheets(data: dict) -> list[Sheet]:
    """The form's head, then every completer in one fast table (thousands of
    rows), its header repeated on each printed page."""
    rows = shoshiki_4_rows(data)
    first = SHOSHIKI_4_HEADER_ROW + 1
    layout, table = SHOSHIKI_4_HEAD, Table(first, rows, COMPLETER_CELL_STYLES)
    if not rows:
        layout = [*layout, (first, 22, [("A:H", ResultReport.NO_COMPLETERS_REMARK, "cell")])]
        table = None
    header = f"{SHOSHIKI_4_HEADER_ROW}:{SHOSHIKI_4_HEADER_ROW}"
    return [Sheet(SHOSHIKI_4_SHEET, SHOSHIKI_4_WIDTHS, layout, _shoshiki_4_values(data),
                  table=table, fit_height=0, title_rows=header)]  # fmt: skip


# --- 講座の運営実施体制 for one exam at one site (別紙12, 表5.7-2, E3, E4) ----------------------

# The receiver block of the course-level layout: sub-label → the value's key.
RECIPIENT_CELLS = {
    "勤務先住所": "recipient_address",
    "勤務先名称": "recipient_workplace",
    "電話番号": "recipient_tel",
    "氏名": "recipient_name",
    "所属": "recipient_department",
    "メールアドレス": "recipient_email",
}


STRUCTURE_TEXT_FIELDS = (
    "exam_site", "manager", "manager_deputy", "electronic_keeper", "printer", "printed_keeper",
    "storage_method", "exam_executive", "grading_lead",
)  # fmt: skip


def unei_taisei_exam_data(site) -> dict:
    applications = (
        # E4: the applications that still count (not withdrawn, no cancelled exam).
        site.applications.filter(state__in=LIVE_APPLICATION_STATES)
        .select_related("delivery_course__course__provider")
        .order_by("delivery_course__course__serial", "delivery_course__serial")
    )
    deliveries = [
        {"number": a.delivery_course.number, "name": a.delivery_course.name,
         "expected_learners": a.applicants}
        for a in applications
    ]  # fmt: skip
    recipient = dict.fromkeys(site.RECIPIENT_FIELDS, "")
    if not site.recipient_is_contact:
        # E3: a named recipient; the contact person needs no entry (表5.7-2).
        recipient = {name: getattr(site, name) or "" for name in site.RECIPIENT_FIELDS}
    return {
        "form_version": FORM_VERSION,
        "provider": {"number": str(site.provider.number or ""), "name": site.provider.name},
        "created_on": _iso(site.created_on),
        "exam_date": _iso(site.session.exam_date),
        "structure": {
            **{name: getattr(site, name) or "" for name in STRUCTURE_TEXT_FIELDS},
            "graders": site.graders,
            "grading_passes": site.grading_passes,
        },
        "recipient_is_contact": site.recipient_is_contact,
        "recipient": recipient,
        "deliveries": deliveries,
        "delivery_count": len(deliveries),
        # E4: the applicant counts equal the applications'.
        "applicants": sum(d["expected_learners"] for d in deliveries),
    }


def _with_recipient(rows: list) -> list:
    """The course-level layout with the recipient's values in the receiver
    block (the course-level form leaves them empty)."""
    result = []
    for row, height, cells in rows:
        labels = [content for _cols, content, _st in cells]
        key = next((RECIPIENT_CELLS[label] for label in labels if label in RECIPIENT_CELLS), None)
        if key:
            cells = [
                (cols, Field(key), st)
                if cols.startswith("D") and content == ""
                else (cols, content, st)
                for cols, content, st in cells
            ]
        result.append((row, height, cells))
    return result


def _unei_taisei_exam_sheets(data: dict) -> list[Sheet]:
    rows, title_rows = course_docs._unei_layout(data)
    rows = _with_recipient(rows)
    r = data["recipient"]
    postal = f"〒{r['recipient_postal_code']}" if r["recipient_postal_code"] else ""
    values = {
        **course_docs._unei_values(data),
        "exam_date": xlsx.slash_date(data["exam_date"]),
        "recipient_address": " ".join(part for part in (postal, r["recipient_address"]) if part),
        **{key: r[key] for key in RECIPIENT_CELLS.values() if key != "recipient_address"},
    }
    return [Sheet(course_docs.UNEI_SHEET, course_docs.UNEI_WIDTHS, rows, values, fit_height=0,
                  title_rows=title_rows)]  # fmt: skip


# --- registry ---------------------------------------------------------------------------


def _report_provider_number(report) -> str:
    return report.delivery_course.course.provider.number


SHOSHIKI_3 = register(
    FormDocument(
        id="shoshiki_3",
        title="申請書式3：修了試験問題等提供申請書",
        model="exams.ExamApplication",
        provider_number=lambda application: application.site.provider.number,
        can_download=_can_download,
        data=shoshiki_3_data,
        sheets=_shoshiki_3_sheets,
        stamp=lambda data: _stamp(data["date"], data["exam_date"]),
        workbook_title=SHOSHIKI_3_SHEET,
        styles=STYLES,
        personal_data=False,
    )
)
SHOSHIKI_4 = register(
    FormDocument(
        id="shoshiki_4",
        title="申請書式4：修了認定報告書",
        model="exams.ResultReport",
        provider_number=_report_provider_number,
        can_download=_can_download,
        data=_report_data,
        sheets=_shoshiki_4_sheets,
        stamp=lambda data: _stamp(data["date"]),
        workbook_title=SHOSHIKI_4_SHEET,
        styles=STYLES,
    )
)
UNEI_TAISEI_EXAM = register(
    FormDocument(
        id="unei_taisei_exam",
        title="講座の運営実施体制",
        model="exams.ExamSite",
        provider_number=lambda site: site.provider.number,
        can_download=_can_download,
        data=unei_taisei_exam_data,
        sheets=_unei_taisei_exam_sheets,
        stamp=lambda data: _stamp(data["created_on"], data["exam_date"]),
        workbook_title=course_docs.UNEI_SHEET,
        styles=STYLES,
        personal_data=True,  # may name a recipient with phone and e-mail (E3)
    )
)
# The .xlsx bytes of each form; the same data gives the same bytes.
render_shoshiki_3 = SHOSHIKI_3.render
render_shoshiki_4 = SHOSHIKI_4.render
render_unei_taisei_exam = UNEI_TAISEI_EXAM.render
