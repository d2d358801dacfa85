"""W1: what the provider changed in a course since IPA returned it.

When a course is returned, :func:`snapshot` records what the reviewer saw, as
the display values a person reads (labels, choices, 0.50 h, 2026/12/02), per
section: the course, its materials, its study plan, its operation structure,
its delivery courses (with their exam rows) and attachments. After the
resubmission :func:`changes_since_return` compares that with the course now.
"""

import datetime
from decimal import Decimal

from django.db import models

from . import rules

COURSE_FIELDS = [
    "name", "vendor_name", "private_exam_name", "vendor_min_hours", "attendance_ratio",
    "learning_mode", "total_hours", "desired_month", "course_manager",
]  # fmt: skip
DELIVERY_FIELDS = [
    "name", "prefecture", "address", "building", "target_learners", "conditions",
    "expected_learners", "start_date", "end_date", "instructors", "vendor_name",
    "committee_declaration",
]  # fmt: skip
HOUR_FIELDS = {"vendor_min_hours", "total_hours", "hours"}
SECTIONS = {
    "course": "講座の基本情報",
    "materials": "使用する教材",
    "plan": "受講計画",
    "structure": "講座の運営実施体制",
    "deliveries": "実施講座",
    "attachments": "添付書類",
}


def display(obj: models.Model, name: str) -> str:
    """The value of one field as the pages show it."""
    field = obj._meta.get_field(name)
    value = getattr(obj, name)
    if value is None or value == "":
        return ""
    if field.choices:
        return str(getattr(obj, f"get_{name}_display")())
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if name in HOUR_FIELDS:
        return f"{rules.hours_text(value)} 時間"
    if name == "desired_month":
        return f"{value.year}年{value.month}月"
    if isinstance(value, datetime.date):
        return value.strftime("%Y/%m/%d")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _fields(obj, names) -> dict:
    return {str(obj._meta.get_field(n).verbose_name): display(obj, n) for n in names}


def snapshot(course) -> dict:
    """{section: {item label: display value}} of the course as it stands."""
    from .models import OperationStructure

    materials = {
        f"教材{m.order}": "／".join(
            p for p in (m.name, m.publisher or "-", m.edition, display(m, "published_on")) if p
        )
        for m in course.materials.order_by("order")
    }
    plan = {
        f"({r.syllabus_item.code}) {r.syllabus_item.sub_item}": "／".join(
            (r.material, r.class_name, r.planned_session, display(r, "hours"))
        )
        for r in course.plan_rows.select_related("syllabus_item").order_by("syllabus_item__order")
    }
    plan["免除対象講座 管理責任者"] = course.course_manager
    structure_obj = OperationStructure.objects.filter(course=course).first()
    structure = (
        _fields(structure_obj, [n for n in OperationStructure.ROLE_FIELDS if n != "created_on"])
        if structure_obj
        else {}
    )
    deliveries = {}
    for d in course.delivery_courses.prefetch_related("exams__session").order_by("serial"):
        prefix = f"{d.number}"
        for label, value in _fields(d, DELIVERY_FIELDS).items():
            deliveries[f"{prefix} {label}"] = value
        for exam in sorted(d.exams.all(), key=lambda e: e.sort_key):
            label = f"{prefix} 修了試験 {exam.get_row_display()} 実施日{exam.get_slot_display()}"
            deliveries[label] = (
                f"{exam.date:%Y/%m/%d}（{exam.get_kind_display()}）" if exam.date else ""
            )
    attachments = {
        f"添付書類{n}": a.title
        for n, a in enumerate(course.attachments.order_by("uploaded_at", "pk"), start=1)
    }
    return {
        "course": _fields(course, COURSE_FIELDS),
        "materials": materials,
        "plan": plan,
        "structure": structure,
        "deliveries": deliveries,
        "attachments": attachments,
    }


def changes_since_return(course) -> list[tuple[str, str, str, str]]:
    """[(section, item, before, after)] for every value that differs from the
    snapshot taken at the last return; empty when there is none."""
    before = course.returned_snapshot or {}
    if not before:
        return []
    after = snapshot(course)
    rows = []
    for key, section in SECTIONS.items():
        old, new = before.get(key, {}), after.get(key, {})
        for item in list(old) + [k for k in new if k not in old]:
            if old.get(item, "") != new.get(item, ""):
                rows.append((section, item, old.get(item, "（なし）"), new.get(item, "（削除）")))
    return rows
