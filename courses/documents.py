"""The documents of a course application (C14, D9) as .xlsx, laid out like the
manual's 別紙 figures with the table writer of :mod:`portal.xlsx`:

* ``shoshiki_2``        申請書式2 (別紙3)
* ``shoshiki_2_att_1``  申請書式2-FE-添付書類1 (別紙4) with the study plan
  「受講計画」 (別紙11) as a second sheet of the same workbook, as M§5.2 asks
* ``shoshiki_2_att_2``  申請書式2-添付書類2 実施講座一覧表 (別紙5, figure 5.5-2)
* ``shoshiki_2_att_3``  申請書式2-添付書類3 (別紙6), one sheet per delivery course
  of this submission
* ``unei_taisei``       講座の運営実施体制 (別紙12) at course level (table 5.2-4)
* ``change_shoshiki_2_att_2`` / ``change_shoshiki_2_att_3`` the same two forms
  of a change request of a delivery course (実施講座情報の変更, 実施講座の削除;
  table 5.6-1, M§5.5): 添付書類2 lists every delivery course with the ■ of
  each deletion filed, 添付書類3 holds the sheet of this delivery course only
  (as it reads after the change), beside its 申請書式5 (providers)

Each is a form document (portal.documents.FormDocument): its ``*_data``
function gives the plain values (computed once per rendering; their hash is
the data version), its sheets are layout tables of the figure with the shared
blocks of portal.layout_blocks (form head, provider, course and delivery-course
headers, site, period) and the workbook is stamped with a date of the data, so
the same data gives the same bytes.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from portal import layout_blocks as blocks
from portal import xlsx
from portal.documents import FormDocument, register, reviewer_or_owner
from portal.xlsx import Data, Field, Sheet
from providers.documents import shoshiki_1_data

from .models import DeliveryStates, OperationStructure, SubmissionStates

FORM_VERSION = "Ver.20240401"
S = SubmissionStates
# Delivery courses of the submission under way (M§5.4 (7): 添付書類3 holds only
# the sheets of this application, not the approved ones of earlier filings).
PENDING = (S.DRAFT, S.SUBMITTED, S.RETURNED)
IPA_CODES = (("なし", ("A", "B")), ("あり", ("C", "D")))  # C1: rows なし/あり × IPA提供/IPA審査

L, V, SUB, SEC = "label", "value", "sub", "section"
STYLES = {
    **xlsx.STYLES,
    "heading": xlsx.style(11, bold=True),
    "count": xlsx.style(11, horizontal="right", indent=1, bordered=True, number_format="#,##0"),
    # C5/C6: hours to two decimals, as 別紙11 prints them (0.50, 100.00).
    "total_hours": xlsx.style(
        11, horizontal="right", indent=1, bordered=True, number_format="0.00"
    ),
    "plan_title": xlsx.style(14, bold=True, horizontal="center", wrap=True),
}


def _local_date(value: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(value) if value else None


def course_form_date(course) -> datetime.date:
    """The date printed on the course forms: the application date
    (免除対象講座申請日); before the first submission, the day the course was
    created (the form is then a draft)."""
    return course.application_date or _local_date(course.created_at)


# --- data -------------------------------------------------------------------


# The provider's values on the course forms: those of its 申請書式1.
PROVIDER_FIELDS = (
    "number", "name", "name_kana", "representative_name", "contact_family_name",
    "contact_given_name", "contact_department", "contact_tel", "contact_fax", "contact_email",
)  # fmt: skip


def _provider_data(provider) -> dict:
    values = shoshiki_1_data(provider)
    return {key: values[key] for key in PROVIDER_FIELDS}


def _course_data(course) -> dict:
    return {
        "number": course.number,
        "serial": f"{course.serial:03d}",
        "name": course.name,
        "course_type": course.course_type,
        "ipa_code": course.ipa_code,
        "desired_month": course.desired_month.isoformat(),
        "date": course_form_date(course).isoformat(),
    }


def _exam_data(exam) -> dict:
    date = exam.date
    return {
        "row": exam.row,
        "slot": exam.slot,
        "kind": exam.get_kind_display(),
        "date": date.isoformat() if date else "",
    }


def _delivery_data(delivery) -> dict:
    day = _local_date(delivery.submitted_at or delivery.created_at)
    return {
        "number": delivery.number,
        "serial": f"{delivery.serial:03d}",
        "name": delivery.name,
        "state": delivery.state,
        "deletion_requested": bool(delivery.deletion_requested),
        "prefecture": delivery.prefecture,
        "address": delivery.address,
        "building": delivery.building,
        "target_learners": delivery.target_learners,
        "conditions": delivery.conditions,
        "expected_learners": int(delivery.expected_learners or 0),
        "start_date": delivery.start_date.isoformat(),
        "end_date": delivery.end_date.isoformat(),
        "instructors": delivery.instructors,
        "vendor_name": delivery.vendor_name,
        # A change request's preview carries the proposed rows (unsaved).
        "exams": [
            _exam_data(exam)
            for exam in getattr(delivery, "preview_exams", None) or delivery.exams.all()
        ],
        "date": day.isoformat() if day else "",
    }


def _deliveries(course):
    """The delivery courses of the course's forms; a deleted one (D8) is gone
    from them, as from the desktop system."""
    return list(
        course.delivery_courses.exclude(state=DeliveryStates.DELETED)
        .prefetch_related("exams__session")
        .order_by("serial")
    )


def shoshiki_2_data(course) -> dict:
    return {
        "form_version": FORM_VERSION,
        "provider": _provider_data(course.provider),
        "course": _course_data(course),
    }


def shoshiki_2_att_1_data(course) -> dict:
    plan = [
        {
            "code": row.syllabus_item.code,
            "field": row.syllabus_item.field,
            "item": row.syllabus_item.item,
            "sub_item": row.syllabus_item.sub_item,
            "material": row.material,
            "class_name": row.class_name,
            "planned_session": row.planned_session,
            "hours": f"{Decimal(row.hours):.2f}",
        }
        for row in course.plan_rows.select_related("syllabus_item").order_by("syllabus_item__order")
    ]
    return {
        "form_version": FORM_VERSION,
        "provider": _provider_data(course.provider),
        "course": {
            **_course_data(course),
            "completion_criteria": course.completion_criteria,
            "total_hours": f"{Decimal(course.total_hours):.2f}",
            "course_manager": course.course_manager,
        },
        "materials": [
            {
                "name": m.name,
                "publisher": m.publisher,
                "edition": m.edition,
                "published_on": m.published_on.isoformat() if m.published_on else "",
            }
            for m in course.materials.order_by("order")
        ],
        "plan": plan,
        "plan_total": f"{sum((Decimal(r['hours']) for r in plan), Decimal(0)):.2f}",
    }


def shoshiki_2_att_2_data(course) -> dict:
    deliveries = [_delivery_data(d) for d in _deliveries(course)]
    dates = [course_form_date(course).isoformat()] + [
        d["date"] for d in deliveries if d["state"] in PENDING and d["date"]
    ]
    return {
        "form_version": FORM_VERSION,
        "provider": _provider_data(course.provider),
        "course": {**_course_data(course), "date": max(dates)},
        "deliveries": [
            {key: d[key] for key in ("number", "name", "deletion_requested", "state")}
            for d in deliveries
        ],
        "delivery_count": len(deliveries),
        "deletion_count": sum(d["deletion_requested"] for d in deliveries),
    }


def shoshiki_2_att_3_data(course) -> dict:
    course_date = course_form_date(course).isoformat()
    deliveries = [_delivery_data(d) for d in _deliveries(course) if d.state in PENDING]
    for d in deliveries:
        d["date"] = max(course_date, d["date"] or course_date)
    return {
        "form_version": FORM_VERSION,
        "provider": _provider_data(course.provider),
        "course": _course_data(course),
        "deliveries": deliveries,
    }


def unei_taisei_data(course) -> dict:
    try:
        structure = course.operation_structure
    except OperationStructure.DoesNotExist:
        structure = None
    fields = [
        "exam_site", "manager", "manager_deputy", "electronic_keeper", "printer",
        "printed_keeper", "storage_method", "exam_executive", "grading_lead",
    ]  # fmt: skip
    deliveries = [
        {"number": d.number, "name": d.name, "expected_learners": int(d.expected_learners or 0)}
        for d in _deliveries(course)
    ]
    created = structure.created_on if structure else course_form_date(course)
    return {
        "form_version": FORM_VERSION,
        "provider": {"number": str(course.provider.number or ""), "name": course.provider.name},
        "course": {"number": course.number, "name": course.name},
        "created_on": created.isoformat(),
        "structure": {
            **{name: getattr(structure, name, "") or "" for name in fields},
            "graders": structure.graders if structure else 2,
            "grading_passes": structure.grading_passes if structure else 2,
        },
        "deliveries": deliveries,
        "delivery_count": len(deliveries),
        "applicants": sum(d["expected_learners"] for d in deliveries),
    }


# --- shared layout pieces ------------------------------------------------------------


def _date(iso: str) -> datetime.date:
    return datetime.date.fromisoformat(iso)


def _weeks_and_days(start: str, end: str) -> str:
    """別紙6: the length of the course, both days included: 「9週5日間」."""
    days = (_date(end) - _date(start)).days + 1
    return f"{days // 7}週{days % 7}日間"


def _head(form_id: str, title: str) -> list:
    """Rows 1–6 of the course forms (columns A–F, dated top right)."""
    return blocks.form_head(form_id, title, "F", "E:F")


def _form_values(data: dict, date: str) -> dict:
    """The version and the date (2017年10月14日) of a course form."""
    return {"form_version": data["form_version"], "date": xlsx.japanese_date(date)}


# --- 申請書式2 (別紙3) --------------------------------------------------------------

SHOSHIKI_2_TITLE = "基本情報技術者試験免除対象講座認定申請書"
SHOSHIKI_2_PLEDGE = (
    "基本情報技術者試験免除対象講座の認定を受けたいので、情報処理の促進に関する法律施行規則"
    "第38条第6号に規定する経済産業大臣の認定等について定める告示第2条の規定に基づき、申請します。\n"
    "また、「認定講座開設者向け事務運用マニュアル」の記載事項に従うことを誓約します。"
)
SHOSHIKI_2_WIDTHS = {"A": 24, "B": 10, "C": 17, "D": 17, "E": 14, "F": 16}

SHOSHIKI_2_PROVIDER = blocks.ProviderHeader(label="A", height=24, kanji_key="name_kanji")
SHOSHIKI_2_COURSE = blocks.course_header(
    label="A", height=24, section_height=22, deletion_key="course_deleted"
)
SHOSHIKI_2_LAYOUT = [
    *_head("申請書式2", SHOSHIKI_2_TITLE),
    (7, 20, [("A:F", "独立行政法人情報処理推進機構理事長\u3000殿", "plain")]),
    (8, 8, []),
    (9, 24, [("A", "申請者の住所", L), ("B:F", "申請のとおり", V)]),
    (10, 24, [("A", "申請者名（法人名称）", L), ("B:F", Field("name"), V)]),
    (11, 24, [("A", "代表者名", L), ("B:F", Field("representative_name"), V)]),
    (12, 8, []),
    (13, 58, [("A:F", SHOSHIKI_2_PLEDGE, "small")]),
    (14, 8, []),
    *SHOSHIKI_2_PROVIDER.rows(15),
    (18, 22, [("A:F", "担当者連絡先", SEC)]),
    (19, 22, [("A19:A20", "氏名", L), ("B", "姓", SUB), ("C:F", Field("contact_family_name"), V)]),
    (20, 22, [("B", "名", SUB), ("C:F", Field("contact_given_name"), V)]),
    (21, 22, [("A:B", "部署名", L), ("C:F", Field("contact_department"), V)]),
    (22, 22, [("A:B", "TEL", L), ("C:F", Field("contact_tel"), V)]),
    (23, 22, [("A:B", "FAX", L), ("C:F", Field("contact_fax"), V)]),
    (24, 22, [("A:B", "電子メール", L), ("C:F", Field("contact_email"), V)]),
    (25, 8, []),
    *SHOSHIKI_2_COURSE.rows(26),
    (29, 8, []),
    (30, 22, [("A:F", "備考", SEC)]),
    (31, 48, [("A:F", Field("remarks"), "remarks")]),
    (32, 12, []),
    (33, 20, [("A:F", "IPA入力欄", "heading")]),
    (34, 22, [("A34:B35", "", "head"), ("C:D", "修了試験の実施方法", "head"), ("E34:E35", "種類", "head")]),
    (35, 22, [("C", "IPA提供問題", "head"), ("D", "IPA審査問題", "head")]),
    (36, 24, [("A36:A37", "民間資格の\n活用有無", "head"), ("B", "なし", "head"),
              ("C", Field("code_A"), "center"), ("D", Field("code_B"), "center"),
              ("E36:E37", Field("ipa_code"), "mark")]),
    (37, 24, [("B", "あり", "head"), ("C", Field("code_C"), "center"), ("D", Field("code_D"), "center")]),
]  # fmt: skip
SHOSHIKI_2_CELLS = xlsx.field_cells(SHOSHIKI_2_LAYOUT)


def _code_cells(code: str) -> dict:
    """IPA入力欄 (C1): the four codes, the course's one marked ●."""
    return {
        f"code_{letter}": f"{xlsx.CHECKED if letter == code else xlsx.UNCHECKED}{letter}"
        for _, letters in IPA_CODES
        for letter in letters
    }


def _shoshiki_2_values(data: dict) -> dict:
    p, c = data["provider"], data["course"]
    desired = _date(c["desired_month"])
    return {
        **_form_values(data, c["date"]),
        "name": p["name"],
        "representative_name": p["representative_name"],
        **SHOSHIKI_2_PROVIDER.values(p["number"], p["name"], p["name_kana"]),
        "contact_family_name": p["contact_family_name"],
        "contact_given_name": p["contact_given_name"],
        "contact_department": p["contact_department"],
        "contact_tel": p["contact_tel"],
        "contact_fax": p["contact_fax"],
        "contact_email": p["contact_email"],
        **SHOSHIKI_2_COURSE.values(c["number"], c["name"]),
        # C7 / table 5.2-1: 備考 holds the desired certification month.
        "remarks": f"認定希望月：{desired.year}年{desired.month}月",
        "ipa_code": c["ipa_code"],
        **_code_cells(c["ipa_code"]),
    }


def _shoshiki_2_sheets(data: dict) -> list[Sheet]:
    return [Sheet("申請書式2", SHOSHIKI_2_WIDTHS, SHOSHIKI_2_LAYOUT, _shoshiki_2_values(data))]


# --- 申請書式2-FE-添付書類1 (別紙4) and 受講計画 (別紙11) ---------------------------------

ATT_1_SHEET = "申請書式2-FE-添付書類1"
PLAN_SHEET = "受講計画"
ATT_1_WIDTHS = {"A": 24, "B": 10, "C": 20, "D": 14, "E": 16, "F": 14}
ATT_1_PROVIDER = blocks.ProviderHeader(label="A", height=24, kana=False)
ATT_1_COURSE = blocks.course_header(label="A", height=24, section_height=22, numbered=False)
ATT_1_LAYOUT = [
    *_head(ATT_1_SHEET, "免除対象講座\u3000受講計画"),
    *ATT_1_PROVIDER.rows(7),
    (9, 8, []),
    *ATT_1_COURSE.rows(10),
    (12, 80, [("A", "修了認定の基準", L), ("B:F", Field("completion_criteria"), "remarks")]),
    (13, 40, [("A", "修了試験の実施方法", L), ("B:F", "・試験問題の種類\u3000修了認定の基準に記載のとおり\n・実施体制\u3000講座の運営実施体制に記載のとおり", "remarks")]),
    (14, 62, [("A", "・実施講座設置場所\n・実施講座開設時期\n・受講対象者\n・受講条件", L), ("B:F", "・添付書類3に記載のとおり", "remarks")]),
    (15, 24, [("A", "管理責任者", L), ("B:F", "・申請のとおり", "remarks")]),
    (16, 24, [("A", "受講時間の合計", L), ("B:C", Field("total_hours"), "total_hours"), ("D", "時間", "unit")]),
    (17, 8, []),
    (18, 17, [("A:F", "※受講計画シートは、このブックの「受講計画」シートのとおりです。", "note")]),
]  # fmt: skip
ATT_1_CELLS = xlsx.field_cells(ATT_1_LAYOUT)

# 受講計画 (別紙11): 分野, 項目, 小分類, 管理番号, 教材の名称, 授業名, 実施予定, 受講時間
# Landscape: the eight columns print at full size, one page wide.
PLAN_WIDTHS = {"A": 18, "B": 25, "C": 34, "D": 9, "E": 26, "F": 20, "G": 14, "H": 10}
PLAN_COLUMNS = "ABCDEFGH"


def _plan_layout(data: dict) -> tuple[list, str, int]:
    """The rows of the 受講計画 sheet, the rows to repeat on each page, and
    the row of the 合計."""
    rows = [
        (1, 17, [("A:C", ATT_1_SHEET, "plain"), ("G:H", Field("date"), "date")]),
        (2, 17, [("A:C", Field("form_version"), "plain")]),
        (3, 8, []),
        (4, 44, [("A:H", "基本情報技術者試験免除対象講座\n受講計画", "plan_title")]),
        (5, 8, []),
        (6, 24, [("A:B", "免除対象講座\u3000管理責任者", L), ("C:D", Field("course_manager"), V)]),
        (7, 8, []),
        (8, 20, [("A:H", "1. 使用する教材の一覧", "heading")]),
        (9, 20, [("A9:D10", "教材の名称", "head"), ("E:H", "概要", "head")]),
        (10, 20, [("E:F", "出版社名", "head"), ("G", "版数", "head"), ("H", "発行年月日", "head")]),
    ]  # fmt: skip
    n = 11
    for m in data["materials"]:
        rows.append(
            (
                n,
                20,
                [
                    ("A:D", Data(m["name"]), "cell"),
                    # 別紙11: self-made materials have no publisher: 「-」.
                    ("E:F", Data(m["publisher"] or "-"), "center"),
                    ("G", Data(m["edition"]), "center"),
                    ("H", Data(xlsx.slash_date(m["published_on"]) or "-"), "center"),
                ],
            )
        )
        n += 1
    rows += [
        (n, 8, []),
        (n + 1, 20, [("A:H", "2. 受講項目と教材及び受講時間の対応表", "heading")]),
        (n + 2, 22, [("A:C", "経済産業大臣が告示で定める受講項目", "head"),
                     (f"D{n + 2}:D{n + 3}", "管理番号", "head"),
                     (f"E{n + 2}:E{n + 3}", "教材の名称", "head"),
                     (f"F{n + 2}:F{n + 3}", "授業名", "head"),
                     (f"G{n + 2}:G{n + 3}", "実施予定\n（回数又は週数）", "head"),
                     (f"H{n + 2}:H{n + 3}", "受講時間\n（h）", "head")]),
        (n + 3, 22, [("A", "分野", "head"), ("B", "項目", "head"), ("C", "小分類", "head")]),
    ]  # fmt: skip
    title_rows = f"{n + 2}:{n + 3}"
    n += 4
    previous = (None, None)
    for p in data["plan"]:
        # As 別紙11 prints them: 分野 and 項目 only where they change, and no
        # merged cells (the manual: 同じ教材や授業名の場合でもセルを結合しない).
        field = p["field"] if p["field"] != previous[0] else ""
        item = p["item"] if (p["field"], p["item"]) != previous else ""
        previous = (p["field"], p["item"])
        rows.append(
            (
                n,
                18,
                [
                    ("A", Data(field), "cell"),
                    ("B", Data(item), "cell"),
                    ("C", Data(p["sub_item"]), "cell"),
                    ("D", Data(f"({p['code']})"), "center"),
                    ("E", Data(p["material"]), "cell"),
                    ("F", Data(p["class_name"]), "cell"),
                    ("G", Data(p["planned_session"]), "center"),
                    ("H", Data(float(Decimal(p["hours"]))), "hours"),
                ],
            )
        )
        n += 1
    total_row = n
    rows.append(
        (
            n,
            20,
            [
                ("A:G", "合計", "head"),
                ("H", Data(float(Decimal(data["plan_total"]))), "hours"),
            ],
        )
    )
    return rows, title_rows, total_row


def _att_1_values(data: dict) -> dict:
    p, c = data["provider"], data["course"]
    return {
        **_form_values(data, c["date"]),
        **ATT_1_PROVIDER.values(p["number"], p["name"]),
        **ATT_1_COURSE.values(c["number"], c["name"]),
        "completion_criteria": c["completion_criteria"],
        "total_hours": float(Decimal(c["total_hours"])),
        "course_manager": c["course_manager"],
    }


def _att_1_sheets(data: dict) -> list[Sheet]:
    values = _att_1_values(data)
    rows, title_rows, _ = _plan_layout(data)
    return [
        Sheet(ATT_1_SHEET, ATT_1_WIDTHS, ATT_1_LAYOUT, values),
        # The plan runs over several pages: one page wide, the header repeated.
        Sheet(PLAN_SHEET, PLAN_WIDTHS, rows, values, fit_height=0, title_rows=title_rows,
              landscape=True),
    ]  # fmt: skip


# --- 申請書式2-添付書類2 実施講座一覧表 (別紙5, figure 5.5-2) -----------------------------

ATT_2_SHEET = "申請書式2-添付書類2"
ATT_2_WIDTHS = {"A": 6, "B": 8, "C": 12, "D": 18, "E": 26, "F": 28}
ATT_2_PROVIDER = blocks.ProviderHeader(label="A:C", height=24)
ATT_2_COURSE = blocks.course_header(
    label="A:C", height=24, section_height=22, deletion_key="course_deleted"
)
ATT_2_HEAD = [
    *_head(ATT_2_SHEET, "実施講座一覧表"),
    *ATT_2_PROVIDER.rows(7),
    (10, 8, []),
    *ATT_2_COURSE.rows(11),
    (14, 8, []),
    (15, 22, [("A:C", "実施講座の数", L), ("D", Field("delivery_count"), "count")]),
    (16, 22, [("A:C", "削除申請の数", L), ("D", Field("deletion_count"), "count")]),
    (17, 8, []),
    (18, 22, [("A", "No.", "head"), ("B", "削除", "head"), ("C:D", "実施講座番号", "head"), ("E:F", "実施講座の名称", "head")]),
]  # fmt: skip
ATT_2_CELLS = xlsx.field_cells(ATT_2_HEAD)
ATT_2_FIRST_LIST_ROW = 19


def _att_2_layout(data: dict) -> list:
    rows = list(ATT_2_HEAD)
    for n, d in enumerate(data["deliveries"], start=1):
        rows.append(
            (
                ATT_2_FIRST_LIST_ROW + n - 1,
                20,
                [
                    ("A", n, "center"),
                    ("B", Data(xlsx.box(d["deletion_requested"])), "center"),
                    ("C:D", Data(d["number"]), "center"),
                    ("E:F", Data(d["name"]), "cell"),
                ],
            )
        )
    return rows


def _att_2_sheets(data: dict) -> list[Sheet]:
    p, c = data["provider"], data["course"]
    values = {
        **_form_values(data, c["date"]),
        **ATT_2_PROVIDER.values(p["number"], p["name"], p["name_kana"]),
        **ATT_2_COURSE.values(c["number"], c["name"]),
        "delivery_count": data["delivery_count"],
        "deletion_count": data["deletion_count"],
    }
    return [Sheet(ATT_2_SHEET, ATT_2_WIDTHS, _att_2_layout(data), values, fit_height=0,
                  title_rows="18:18")]  # fmt: skip


# --- 申請書式2-添付書類3 実施講座開設申請書 (別紙6) ---------------------------------------

ATT_3_SHEET = "申請書式2-添付書類3"
ATT_3_WIDTHS = {"A": 22, "B": 14, "C": 22, "D": 8, "E": 16, "F": 16}
UPPER_HEAD = "上段：・実施方法がIPA提供問題の場合\u3000・実施方法がIPA審査問題の場合"
LOWER_HEAD = "下段：・IPA審査問題が使用できない場合（IPA提供問題で実施）"


def _exam_rows(first: int, head: str, prefix: str) -> list:
    return [
        (first, 22, [("A:F", head, L)]),
        (first + 1, 22, [("A:B", "実施回数", L), ("C", Field(f"{prefix}_count"), "count"), ("D", "回", "unit")]),
        (first + 2, 22, [("A:B", "1回目の実施日（①）", L), ("C:D", Field(f"{prefix}_1_date"), V), ("E:F", Field(f"{prefix}_1_kind"), V)]),
        (first + 3, 22, [("A:B", "2回目の実施日（②）", L), ("C:D", Field(f"{prefix}_2_date"), V), ("E:F", Field(f"{prefix}_2_kind"), V)]),
    ]  # fmt: skip


# 別紙6 (and 別紙7, 申請書式3): the number's label spans A:B, the name's A.
ATT_3_PROVIDER = blocks.ProviderHeader(name_label="A")
ATT_3_COURSE = blocks.course_header()
ATT_3_DELIVERY = blocks.delivery_header()
ATT_3_LAYOUT = [
    *_head(ATT_3_SHEET, "実施講座開設申請書"),
    *ATT_3_PROVIDER.rows(7),
    *ATT_3_COURSE.rows(10),
    *ATT_3_DELIVERY.rows(13),
    (16, 22, [("A:B", "実施講座を担当する講師", L), ("C:F", "備考に記載", V)]),
    *blocks.site_rows(17),
    (21, 22, [("A:B", "受講対象者", L), ("C:F", Field("target_learners"), V)]),
    (22, 22, [("A:B", "受講条件", L), ("C:F", Field("conditions"), V)]),
    (23, 22, [("A:B", "受講者数（見込み）", L), ("C", Field("expected_learners"), "count"), ("D", "名", "unit")]),
    *blocks.period_rows(24, length=True),
    (27, 20, [("A:F", "修了試験", SEC)]),
    *_exam_rows(28, UPPER_HEAD, "upper"),
    *_exam_rows(32, LOWER_HEAD, "lower"),
    (36, 20, [("A:F", "備考（講師名など）", SEC)]),
    (37, 60, [("A:F", Field("remarks"), "remarks")]),
]  # fmt: skip
ATT_3_CELLS = xlsx.field_cells(ATT_3_LAYOUT)


def att_3_sheet_title(course_data: dict, delivery: dict) -> str:
    """The delivery number without the provider: ``021-002``."""
    return f"{course_data['serial']}-{delivery['serial']}"


def _att_3_values(data: dict, d: dict) -> dict:
    p, c = data["provider"], data["course"]
    slots = {(e["row"], e["slot"]): e for e in d["exams"] if e["date"]}
    exams = {}
    for row in ("upper", "lower"):
        exams[f"{row}_count"] = sum(1 for (r, _s) in slots if r == row)
        for slot in (1, 2):
            exam = slots.get((row, slot))
            exams[f"{row}_{slot}_date"] = xlsx.japanese_date_weekday(exam["date"]) if exam else ""
            exams[f"{row}_{slot}_kind"] = exam["kind"] if exam else ""
    remarks = d["instructors"]
    if d["vendor_name"]:
        remarks += f"\n民間資格事業者名：{d['vendor_name']}"
    return {
        **_form_values(data, d["date"]),
        **ATT_3_PROVIDER.values(p["number"], p["name"], p["name_kana"]),
        **ATT_3_COURSE.values(c["number"], c["name"]),
        **ATT_3_DELIVERY.values(d["number"], d["name"]),
        "prefecture": d["prefecture"],
        "address": d["address"],
        "building": d["building"],
        "target_learners": d["target_learners"],
        "conditions": d["conditions"],
        "expected_learners": d["expected_learners"],
        "start_date": xlsx.japanese_date_weekday(d["start_date"]),
        "end_date": xlsx.japanese_date_weekday(d["end_date"]),
        "length": _weeks_and_days(d["start_date"], d["end_date"]),
        **exams,
        "remarks": remarks,
    }


def _att_3_sheets(data: dict) -> list[Sheet]:
    sheets = [
        Sheet(att_3_sheet_title(data["course"], d), ATT_3_WIDTHS, ATT_3_LAYOUT,
              _att_3_values(data, d))
        for d in data["deliveries"]
    ]  # fmt: skip
    # A workbook needs a sheet: say that this application has none.
    none = [(1, 20, [("A:F", "この申請の実施講座はありません。", "plain")])]
    return sheets or [Sheet(ATT_3_SHEET, ATT_3_WIDTHS, none)]


def _att_3_stamp(data: dict) -> str:
    return max([data["course"]["date"]] + [d["date"] for d in data["deliveries"]])


# --- 講座の運営実施体制 (別紙12) -----------------------------------------------------------

UNEI_SHEET = "講座の運営実施体制"
UNEI_WIDTHS = {"A": 6, "B": 17, "C": 13, "D": 22, "E": 10, "F": 34}
RECEIVER_NOTE = (
    "修了試験問題の受取人は、原則、講座の担当者としてください。講座の担当者の場合、"
    "修了試験問題受取人欄は、入力不要です。（複数の遠隔地で修了試験を実施する場合等、"
    "止むを得ない場合に限り、講座の担当者以外の方を受取人としてください。）"
)
COUNT_NOTE = (
    "※上記の「修了試験の実施場所」において、修了試験を実施する実施講座数と応募者数です。"
    "詳細については、下記の「実施講座の詳細」のとおりです。"
)
UNEI_PROVIDER = blocks.ProviderHeader(kana=False)
UNEI_HEAD = [
    (1, 17, [("A:B", Field("form_version"), "plain")]),
    (2, 26, [("A:F", UNEI_SHEET, "title")]),
    (3, 30, [("A:E", "※1 複数の実施講座に対する修了試験を実施する場合、実施場所毎となるよう複数の実施講座を取りまとめて入力してください。", "small"),
             ("F", Field("created_on"), "date")]),
    (4, 8, []),
    (5, 22, [("A:B", "修了試験実施日", L), ("C:D", Field("exam_date"), V)]),
    *UNEI_PROVIDER.rows(6),
    (8, 30, [("A:B", "修了試験の実施場所 ※1", L), ("C:F", Field("exam_site"), V)]),
    (9, 22, [("A:B", "実施講座数", L), ("C", Field("delivery_count"), "count"), ("D", "実施講座", "unit"),
             ("E9:F10", COUNT_NOTE, "small")]),
    (10, 22, [("A:B", "応募者数（申込み者数）", L), ("C", Field("applicants"), "count"), ("D", "人", "unit")]),
    (11, 8, []),
    (12, 20, [("A12:B17", "修了試験問題\n受取人", L), ("C", "勤務先住所", SUB), ("D", "", V), ("E12:F17", RECEIVER_NOTE, "small")]),
    (13, 20, [("C", "勤務先名称", SUB), ("D", "", V)]),
    (14, 20, [("C", "電話番号", SUB), ("D", "", V)]),
    (15, 20, [("C", "氏名", SUB), ("D", "", V)]),
    (16, 20, [("C", "所属", SUB), ("D", "", V)]),
    (17, 20, [("C", "メールアドレス", SUB), ("D", "", V)]),
    (18, 8, []),
    (19, 20, [("A:F", "● 講座の管理責任者及び修了試験の実施体制", "heading")]),
]  # fmt: skip
STRUCTURE_ROWS = [
    # (role, field of the person, detail label, detail key)
    ("講座の管理責任者", "manager", "詳細事項", "manager_detail"),
    ("修了試験問題の受取り", None, "注意事項", "receipt_detail"),
    ("修了試験問題\n（電子データ）の保管", "electronic_keeper", "詳細事項", "electronic_detail"),
    ("修了試験問題の印刷", "printer", "詳細事項", "printer_detail"),
    ("修了試験問題\n（印刷物）の保管", "printed_keeper", "詳細事項", "printed_detail"),
    ("修了試験の実施責任者", "exam_executive", "詳細事項", "executive_detail"),
    ("採点責任者", "grading_lead", "詳細事項", "grading_detail"),
]
UNEI_FIRST_STRUCTURE_ROW = 20


def _unei_layout(data: dict) -> tuple[list, str]:
    rows = list(UNEI_HEAD)
    n = UNEI_FIRST_STRUCTURE_ROW
    for role, person, detail_label, detail_key in STRUCTURE_ROWS:
        who = Field(person) if person else "講座の担当者\n※または修了試験問題受取人"
        rows.append(
            (
                n,
                46,
                [
                    ("A:B", role, L),
                    ("C", "担当者\n所属", SUB),
                    ("D", who, "cell"),
                    ("E", detail_label, SUB),
                    ("F", Field(detail_key), "cell"),
                ],
            )
        )
        n += 1
    rows += [
        (n, 8, []),
        (n + 1, 20, [("A:F", "実施講座の詳細", "heading")]),
        (n + 2, 30, [("A", "番号", "head"), ("B:C", "実施講座番号", "head"), ("D:E", "実施講座名称", "head"),
                     ("F", "受験予定者数\n（申込み者数）", "head")]),
    ]  # fmt: skip
    title_rows = f"{n + 2}:{n + 2}"
    n += 3
    for i, d in enumerate(data["deliveries"], start=1):
        rows.append(
            (
                n,
                20,
                [
                    ("A", i, "center"),
                    ("B:C", Data(d["number"]), "center"),
                    ("D:E", Data(d["name"]), "cell"),
                    ("F", Data(d["expected_learners"]), "count"),
                ],
            )
        )
        n += 1
    return rows, title_rows


def _unei_values(data: dict) -> dict:
    s = data["structure"]
    return {
        "form_version": data["form_version"].replace("Ver.", "Ver:"),
        "created_on": f"作成日：{xlsx.slash_date(data['created_on'])}",
        # 表5.2-4: 修了試験実施日 is not entered at course level.
        "exam_date": "",
        **UNEI_PROVIDER.values(data["provider"]["number"], data["provider"]["name"]),
        "exam_site": s["exam_site"],
        "delivery_count": data["delivery_count"],
        "applicants": data["applicants"],
        "manager": s["manager"],
        "electronic_keeper": s["electronic_keeper"],
        "printer": s["printer"],
        "printed_keeper": s["printed_keeper"],
        "exam_executive": s["exam_executive"],
        "grading_lead": s["grading_lead"],
        "manager_detail": f"管理責任者が不在の場合は、{s['manager_deputy']}が代行となる。",
        "receipt_detail": "修了試験問題は、修了試験実施日の4日前に提供します。"
        "受取りには、パスワードが必要になります。パスワードは別途、講座の担当者"
        "または修了試験問題受取人のメールアドレスへお送りします。",
        "electronic_detail": "電子データ（pdfファイル）の修了試験問題は、保管担当者しかアクセス"
        "できないセキュリティの担保された場所に保管する。",
        "printer_detail": "修了試験問題の印刷担当者は、セキュアな環境下にあるコピー機を専有使用して"
        "作業を行う。",
        "printed_detail": f"印刷した修了試験問題は、保管担当者が保管する。\n（保管方法と鍵の管理者：{s['storage_method']}）",
        "executive_detail": "実施責任者の管理下で、試験室数や受験者数に合わせて十分な人数の監督員を"
        "配置し試験を実施する。",
        "grading_detail": f"採点責任者の管理下で、{s['graders']}名以上で{s['grading_passes']}回以上"
        "確認し、ミスのないように採点を行う。",
    }


def _unei_sheets(data: dict) -> list[Sheet]:
    rows, title_rows = _unei_layout(data)
    return [Sheet(UNEI_SHEET, UNEI_WIDTHS, rows, _unei_values(data), fit_height=0,
                  title_rows=title_rows)]  # fmt: skip


# --- registry ----------------------------------------------------------------------


def _course_document(doc_id, title, data, sheets, workbook_title, stamp=None) -> FormDocument:
    return register(
        FormDocument(
            id=doc_id,
            title=title,
            model="courses.ExemptionCourse",
            provider_number=lambda course: course.provider.number,
            can_download=reviewer_or_owner,
            data=data,
            sheets=sheets,
            stamp=stamp or (lambda data: data["course"]["date"]),
            workbook_title=workbook_title,
            styles=STYLES,
        )
    )


SHOSHIKI_2 = _course_document(
    "shoshiki_2", "申請書式2：免除対象講座認定申請書", shoshiki_2_data, _shoshiki_2_sheets,
    "申請書式2",
)  # fmt: skip
SHOSHIKI_2_ATT_1 = _course_document(
    "shoshiki_2_att_1", "申請書式2-FE-添付書類1：免除対象講座受講計画", shoshiki_2_att_1_data,
    _att_1_sheets, ATT_1_SHEET,
)  # fmt: skip
SHOSHIKI_2_ATT_2 = _course_document(
    "shoshiki_2_att_2", "申請書式2-添付書類2：実施講座一覧表", shoshiki_2_att_2_data,
    _att_2_sheets, ATT_2_SHEET,
)  # fmt: skip
SHOSHIKI_2_ATT_3 = _course_document(
    "shoshiki_2_att_3", "申請書式2-添付書類3：実施講座開設申請書", shoshiki_2_att_3_data,
    _att_3_sheets, ATT_3_SHEET, _att_3_stamp,
)  # fmt: skip
UNEI_TAISEI = _course_document(
    "unei_taisei", "講座の運営実施体制", unei_taisei_data, _unei_sheets, UNEI_SHEET,
    lambda data: data["created_on"],
)  # fmt: skip

# --- the forms of a change request of a delivery course (table 5.6-1, M§5.5) ----------


def _change_day(change) -> str:
    return timezone.localtime(change.submitted_at or change.created_at).date().isoformat()


def change_att_2_data(change) -> dict:
    """申請書式2-添付書類2 of a change request (D9, figure 5.5-2): every
    delivery course of the course, each with the ■ of a filed deletion —
    this request's one when it is a deletion — and their counts."""
    from providers.changes import get_kind, preview

    from .change_kinds import KIND_DELETION

    target = preview(change)
    course = target.course
    deliveries = _deliveries(course)
    if all(d.pk != target.pk for d in deliveries):  # already deleted: the request's own form
        deliveries = sorted([*deliveries, target], key=lambda d: d.serial)
    deleting = get_kind(change.kind).key == KIND_DELETION
    rows = [
        {
            "number": d.number,
            "name": d.name,
            "state": d.state,
            "deletion_requested": bool(
                (deleting and d.pk == target.pk) or (d.deletion_requested and d.pk != target.pk)
            ),
        }
        for d in deliveries
    ]
    return {
        "form_version": FORM_VERSION,
        "provider": _provider_data(course.provider),
        "course": {**_course_data(course), "date": _change_day(change)},
        "deliveries": rows,
        "delivery_count": len(rows),
        "deletion_count": sum(r["deletion_requested"] for r in rows),
    }


def change_att_3_data(change) -> dict:
    """申請書式2-添付書類3 of a change request (M§5.5 (11), X3): the sheet of
    this delivery course only, as it reads after the change."""
    from providers.changes import preview

    delivery = preview(change)
    course = delivery.course
    d = {**_delivery_data(delivery), "date": _change_day(change)}
    return {
        "form_version": FORM_VERSION,
        "provider": _provider_data(course.provider),
        "course": {**_course_data(course), "date": _change_day(change)},
        "deliveries": [d],
    }


def _change_document(id_: str, title: str, data, sheets, workbook_title: str, stamp):
    from providers.documents import is_change_party

    return register(
        FormDocument(
            id=id_,
            title=title,
            model="providers.ChangeRequest",
            provider_number=lambda change: change.provider.number,
            can_download=is_change_party,
            data=data,
            sheets=sheets,
            stamp=stamp,
            workbook_title=workbook_title,
            styles=STYLES,
        )
    )


CHANGE_SHOSHIKI_2_ATT_2 = _change_document(
    "change_shoshiki_2_att_2", "申請書式2-添付書類2：実施講座一覧表", change_att_2_data,
    _att_2_sheets, ATT_2_SHEET, lambda data: data["course"]["date"],
)  # fmt: skip
CHANGE_SHOSHIKI_2_ATT_3 = _change_document(
    "change_shoshiki_2_att_3", "申請書式2-添付書類3：実施講座開設申請書", change_att_3_data,
    _att_3_sheets, ATT_3_SHEET, _att_3_stamp,
)  # fmt: skip


# The .xlsx bytes of each form; the same data gives the same bytes.
render_shoshiki_2 = SHOSHIKI_2.render
render_shoshiki_2_att_1 = SHOSHIKI_2_ATT_1.render
render_shoshiki_2_att_2 = SHOSHIKI_2_ATT_2.render
render_shoshiki_2_att_3 = SHOSHIKI_2_ATT_3.render
render_unei_taisei = UNEI_TAISEI.render
