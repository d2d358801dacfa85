"""Reading a provider's own 受講計画シート (別紙11) from Excel: one row per
syllabus item, found by its 管理番号 「(FE12)」."""

import re

from openpyxl.utils import get_column_letter

from .rules import parse_hours

CODE = re.compile(r"^\(?\s*(FE\d{1,3})\s*\)?$", re.IGNORECASE)
MANAGER_LABEL = "管理責任者"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_plan_rows(rows) -> tuple[str, list[dict], list[str]]:
    """(course manager, [{code, material, class_name, planned_session, hours}],
    [problems with the row number]) from the sheet's rows (tuples of values)."""
    manager, plan, problems, seen = "", [], [], set()
    for number, row in enumerate(rows, start=1):
        row = list(row)
        cells = [_text(v) for v in row]
        for i, cell in enumerate(cells):
            if MANAGER_LABEL in cell and not manager:
                manager = next((c for c in cells[i + 1 :] if c), "")
                break
            match = CODE.match(cell)
            if not match:
                continue
            code = match.group(1).upper()
            material, class_name, session = (cells[i + 1 : i + 4] + [""] * 3)[:3]
            if code in seen:
                problems.append(f"{number}行目：管理番号 {code} が2回あります。")
                break
            seen.add(code)
            # C5/C6: the hours as typed, to two decimals; never rounded.
            column = i + 4
            hours, problem = parse_hours(row[column] if column < len(row) else None)
            if problem:
                problems.append(
                    f"{number}行目 {get_column_letter(column + 1)}列（{code}）：{problem}"
                )
                break
            for label, value in (
                ("教材の名称", material),
                ("授業名", class_name),
                ("実施予定", session),
            ):
                if not value:
                    problems.append(f"{number}行目（{code}）：「{label}」が空欄です。")
            plan.append(
                {"code": code, "material": material, "class_name": class_name,
                 "planned_session": session, "hours": hours}
            )  # fmt: skip
            break
    if not plan and not problems:
        problems.append(
            "管理番号（FE1 など）の行が見つかりません。受講計画シートを選んでください。"
        )
    return manager, plan, problems
