"""質問書 (別紙15) as a PDF: the question printed like the manual's form, with
its thread of answers after it. Rendered with WeasyPrint through portal.pdf
(IPAex fonts, no network) and registered in the portal's document registry
(imported by providers/documents.py)."""

from django.template.loader import render_to_string
from django.utils import timezone

from portal.documents import PDF_MIME, DocumentType, register, reviewer_or_owner

from .models import QuestionCategory, QuestionDocument, QuestionSubcategory
from .rules import QUESTION_ANSWER_DAYS, question_subcategories

TITLE = "質問書"
TEMPLATE = "questions/question_pdf.html"


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y年%-m月%-d日 %H:%M") if value else ""


def question_data(question) -> dict:
    """The values printed (plain str/list; their hash is the data version)."""
    from portal import workflow

    provider = question.provider
    asked = timezone.localtime(question.asked_at).date() if question.asked_at else None
    return {
        "provider_number": question.provider_number,
        "provider_name": provider.name,
        "contact_name": question.contact_name or question.asked_by.display_name,
        "contact_tel": question.contact_tel or provider.contact_tel or "",
        "contact_email": question.contact_email or question.asked_by.email,
        "date": f"{asked:%Y年%-m月%-d日}" if asked else "",
        "asked_at": question.asked_at.isoformat() if question.asked_at else "",
        "receipt": workflow.receipt_number(question),
        "state": workflow.state_label(question),
        "category": question.category,
        "subcategory": question.subcategory,
        "category_other": question.category_other,
        "document": question.document,
        "document_other": question.document_other,
        "page": question.page,
        "body": question.body,
        "due_on": f"{question.due_on:%Y年%-m月%-d日}" if question.due_on else "",
        "thread": [
            {
                "kind": m.get_kind_display(),
                "when": _when(m.created_at),
                "author": "IPA" if m.from_ipa else (m.author.display_name if m.author else ""),
                "body": m.body,
            }
            for m in question.messages.select_related("author")
        ],
    }


def _box(checked: bool) -> str:
    return "■" if checked else "□"


def question_html(data: dict) -> str:
    categories = []
    for category, subs in question_subcategories().items():
        chosen = data["category"] == category
        items = [
            f"{_box(chosen and data['subcategory'] == s)} {QuestionSubcategory(s).label}"
            for s in subs
        ]
        if category == QuestionCategory.OTHER:
            items = [data["category_other"] if chosen else "\u3000" * 4]
        categories.append(
            {"box": _box(chosen), "label": QuestionCategory(category).label, "items": items}
        )
    stamp = data["asked_at"] or "2000-01-01T00:00:00+09:00"
    return render_to_string(
        TEMPLATE,
        {
            "data": data,
            "categories": categories,
            "manual_box": _box(data["document"] == QuestionDocument.MANUAL),
            "other_box": _box(data["document"] == QuestionDocument.OTHER),
            "manual_label": QuestionDocument.MANUAL.label,
            "answer_days": QUESTION_ANSWER_DAYS,
            "stamp": stamp,
        },
    )


def render_question(question) -> bytes:
    from portal import pdf  # WeasyPrint loads on first render only

    return pdf.html_to_pdf(question_html(question_data(question)))


QUESTION_PDF = register(
    DocumentType(
        id="shitsumonsho",
        title=TITLE,
        model="providers.Question",
        render=render_question,
        provider_number=lambda question: question.provider_number,
        can_download=reviewer_or_owner,
        data=question_data,
        extension="pdf",
        mime_type=PDF_MIME,
        personal_data=True,
    )
)
