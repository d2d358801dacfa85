"""Item 23: on phones wide tables scroll sideways inside their box instead of
wrapping one character per line; headers and status badges never wrap."""

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR, "templates")
CSS = Path(settings.BASE_DIR, "static", "css", "portal.css").read_text()
PRINTED = {"answer_sheet.html", "examday_sheet.html", "certificate.html"}  # paper, not screens


def _rule(selector: str) -> str:
    match = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", CSS)
    assert match, f"no CSS rule for {selector}"
    return match.group(1)


def test_newcomer_phone_every_list_table_sits_in_a_scroll_box():
    unwrapped = []
    for path in TEMPLATES.rglob("*.html"):
        if path.name in PRINTED:
            continue
        text = path.read_text()
        for match in re.finditer(r'<table class="list[^"]*"', text):
            opened = text[: match.start()].rfind('<div class="table-scroll">')
            closed = text[: match.start()].rfind("</div>")
            if opened == -1 or closed > opened:
                unwrapped.append(
                    f"{path.relative_to(TEMPLATES)}:{text[: match.start()].count(chr(10)) + 1}"
                )
    assert not unwrapped, unwrapped
    assert "overflow-x: auto" in _rule(".table-scroll")


def test_newcomer_phone_headers_and_badges_never_wrap_and_cells_keep_a_width():
    assert "white-space: nowrap" in _rule("table.list th")
    assert "white-space: nowrap" in _rule(".badge")
    phone = CSS[CSS.index("@media (max-width: 600px)") :]
    assert re.search(r"table\.list td \{ min-width: \d", phone), "cells shrink to one character"
