"""The documents of the completion exams (E2–E4) and their results (R2–R12),
laid out like the manual's 別紙 figures with the table writer of
:mod:`portal.xlsx`:

* ``shoshiki_3``        申請書式3 修了試験問題等提供申請書 (別紙7), one per exam
  application (one delivery course at one exam, M§5.7 (5))
* ``shoshiki_4``        申請書式4 修了認定報告書 (別紙8) with every completer;
  the table header repeats on each printed page
* ``unei_taisei_exam``  講座の運営実施体制 (別紙12, 表5.7-2) for one exam at one
  site, with the problem recipient (E3) and the applications sitting there (E4)
* ``minkan_goukaku``    (99991)民間資格の合格者一覧.xlsx (別紙10, 表5.8-3/5.8-4, R8)
* ``csv_export``        修了認定者情報 CSV of the bulk export (申請情報一括出力,
  別紙1, W4)
* ``completer_notice``  修了認定者管理番号のお知らせ: one slip per completer for the
  provider to hand out (R12: IPA never tells completers their numbers)

Each renderer reads only the plain values of its ``*_data`` function (their
hash is the data version) and stamps the workbook with a date of the data, so
the same data gives the same bytes. 申請書式3, 申請書式4 and the exam's 運営実施体制
are form documents (portal.documents.FormDocument: the values computed once
per rendering) laid out with the shared blocks of portal.layout_blocks.
"""

import csv
import datetime
import hashlib
import io

from django.utils import timezone
from openpyxl.worksheet.pagebreak import Break

from courses import documents as course_docs
from portal import layout_blocks as blocks
from portal import xlsx
from portal.documents import DocumentType, FormDocument, register, reviewer_or_owner
from portal.xlsx import Data, Field, Sheet, Table

from . import rules
from .models import ApplicationState, Completer, ExamApplication, ReportState, ResultReport

FORM_VERSION = course_docs.FORM_VERSION
# E2 / F1: the problem fee per applicant (tax included) when neither a fee line
# nor a fee schedule valid on the day says otherwise (the schedule of
# the portal starts in fiscal 2024; the manual's examples are older).
PROBLEM_FEE_PER_APPLICANT = 2000
# W4: the bulk export holds the reports IPA has (submitted or accepted).
EXPORTED_REPORT_STATES = (ReportState.SUBMITTED, ReportState.ACCEPTED)

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


def _completers(report) -> list[dict]:
    """Every completer of the report with one query (no model instances:
    reports can hold thousands of completers)."""
    provider_number = str(report.delivery_course.course.provider.number)
    rows = []
    for values in report.completers.order_by("serial").values_list(*COMPLETER_COLUMNS):
        row = dict(zip(COMPLETER_COLUMNS, values, strict=True))
        row["management_number"] = rules.management_number(
            provider_number, report.exam_date, row["serial"]
        )
        row["birth_date"] = _iso(row["birth_date"])
        row["private_pass_date"] = _iso(row["private_pass_date"])
        rows.append(row)
    return rows


def _report_data(report) -> dict:
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
        "completers": _completers(report),
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


def render_minkan_goukaku(report) -> bytes:
    data = minkan_goukaku_data(report)
    wb = xlsx.new_workbook()
    ws = xlsx.new_sheet(wb, MINKAN_SHEET, MINKAN_WIDTHS)
    header = [(1, 32, [(col, text, "minkan_head") for col, text in zip("ABCDEFGHIJKLM", MINKAN_HEADER, strict=True)])]  # fmt: skip
    xlsx.write_rows(ws, header, {}, STYLES, MINKAN_WIDTHS)
    last = write_table_rows(ws, 2, minkan_rows(data), MINKAN_CELL_STYLES)
    ws.freeze_panes = "A2"
    xlsx.setup_page(ws, f"A1:M{max(last, 1)}", landscape=True, fit_height=0, title_rows="1:1")
    stamp = _stamp(data["report"]["certified_on"], data["date"])
    return xlsx.workbook_bytes(wb, stamp, title="民間資格の合格者一覧")


class UntimedDocumentType(DocumentType):
    """A document whose file name has no timestamp: 表5.8-4 names the file
    ``(xxxxx)民間資格の合格者一覧.xlsx``."""

    def filename(self, obj, at: datetime.datetime | None = None) -> str:
        return f"({self.provider_number(obj)}){self.title}.{self.extension}"


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


def _csv_text(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    return out.getvalue()


def csv_export_data(provider) -> dict:
    """The data version: a digest of every row (the rows themselves may be
    tens of thousands)."""
    digest = hashlib.sha256()
    count = 0
    for row in csv_rows(provider):
        digest.update(repr(row).encode())
        count += 1
    return {
        "provider": str(provider.number),
        "completers": count,
        "rows_sha256": digest.hexdigest(),
    }


def render_csv_export(provider) -> bytes:
    # UTF-8 with a BOM, so that Excel opens the Japanese text correctly; CRLF.
    return _csv_text(csv_rows(provider)).encode("utf-8-sig")


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
        site.applications.exclude(state=ApplicationState.WITHDRAWN)
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


def render_completer_notice(report) -> bytes:
    data = completer_notice_data(report)
    wb = xlsx.new_workbook()
    rows = []
    for n, c in enumerate(data["completers"]):
        rows += _slip(1 + n * SLIP_ROWS, data, c)
    if not rows:
        rows = [(1, 22, [("A:F", ResultReport.NO_COMPLETERS_REMARK, "plain")])]
    ws = _sheet(wb, NOTICE_SHEET, NOTICE_WIDTHS, rows, {}, title_rows=None)
    # Any number of pages, one page wide; a slip is never split across pages.
    ws.page_setup.fitToHeight = 0
    for n in range(SLIPS_PER_PAGE, len(data["completers"]), SLIPS_PER_PAGE):
        ws.row_breaks.append(Break(id=n * SLIP_ROWS))
    stamp = _stamp(data["report"]["certified_on"], data["date"])
    return xlsx.workbook_bytes(wb, stamp, title=NOTICE_SHEET)


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
MINKAN_GOUKAKU = register(
    UntimedDocumentType(
        id="minkan_goukaku",
        title="民間資格の合格者一覧",
        model="exams.ResultReport",
        render=render_minkan_goukaku,
        provider_number=_report_provider_number,
        can_download=_can_download,
        data=minkan_goukaku_data,
    )
)
CSV_EXPORT = register(
    DocumentType(
        id="csv_export",
        title="修了認定者情報",
        model="providers.Provider",
        render=render_csv_export,
        provider_number=lambda provider: provider.number,
        can_download=_can_download,
        data=csv_export_data,
        extension="csv",
        mime_type=CSV_MIME,
    )
)
COMPLETER_NOTICE = register(
    DocumentType(
        id="completer_notice",
        title="修了認定者管理番号のお知らせ",
        model="exams.ResultReport",
        render=render_completer_notice,
        provider_number=_report_provider_number,
        can_download=_can_download,
        data=completer_notice_data,
    )
)
