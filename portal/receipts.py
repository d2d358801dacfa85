"""到達番号 (receipt numbers): the one place every submission is numbered.

The domain services call ``issue`` inside the transaction of their submit
function (a resubmission is a new submission and gets its own number). A
number reads ``K2026-000123``: a prefix naming the kind of filing, the fiscal
year (April to March, Japan time) and a serial per kind and year taken from a
row-locked counter, so numbers are unique and never reused.

This module knows no domain app: it stores a generic reference to whatever
was submitted.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import CharField, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils import timezone

from . import notify
from .bizdays import fiscal_year
from .models import Receipt, ReceiptCounter

Kind = Receipt.Kind

PREFIXES = {
    Kind.REGISTRATION: "T",  # 登録
    Kind.COURSE: "K",  # 講座
    Kind.DELIVERY: "J",  # 実施講座
    Kind.EXAM_APPLICATION: "S",  # 試験申請
    Kind.RESULT_REPORT: "H",  # 結果報告
    Kind.CHANGE: "C",  # 変更申請 (Change)
    Kind.WITHDRAWAL: "Y",  # 取止め (toriYame; T is the registration's)
    Kind.QUESTION: "Q",  # 質問書 (Question; W5)
}

# What IPA does next, shown on the receipt panel and in the 到達通知 e-mail.
NEXT_STEPS = {
    Kind.REGISTRATION: "IPAが申請内容を確認し、受理または差し戻しの結果を電子メールでお知らせします。"
    "受理されると講座開設者番号が付与され、申請時のメールアドレスとパスワードでログインできるようになります。",
    Kind.COURSE: "講座認定審査手数料をお振り込みのうえ、入金確認依頼票を作成してください。"
    "IPAは入金を確認してから審査を始め、不備があれば差し戻し理由をお知らせします。",
    Kind.DELIVERY: "不備の無い申請であれば、IPAは申請日から5営業日以内に承認します。"
    "不備があった場合は、実施講座の開始日の1営業日前までにすべて解消してください。",
    Kind.EXAM_APPLICATION: "修了試験問題提供料（応募者1名2,000円）を申込み期間の締切までにお振り込みのうえ、"
    "入金確認依頼票を作成してください。締切後は応募者数の変更も問題提供料の返還もできません。",
    Kind.CHANGE: "IPAが変更内容（変更前・変更後）を確認し、承認または差し戻しをお知らせします。"
    "承認されるまで、登録されている内容は変わりません。",
    Kind.RESULT_REPORT: "IPAが報告内容を確認し、受理または差し戻しをお知らせします。"
    "受理後、各修了認定者に修了認定者管理番号を伝えてください（IPAからは通知しません）。",
    Kind.WITHDRAWAL: "IPAが届出の内容を確認して受理し、登録担当者に電子メールでお知らせします。"
    "受理の時点で取止めとなり、以後の申請・届出・報告はできません。"
    "取止め後もログインして、登録内容や提出済みの書類を閲覧・ダウンロードできます。"
    "IPAが受理するまでは、この届出を取り下げられます。",
    Kind.QUESTION: "IPAが質問を確認し、原則として3営業日以内にこのポータルで回答します（回答はメールでもお知らせします）。"
    "他の講座開設者に関する情報など、個人情報に関する内容については回答しません。",
}


def format_number(kind: str, year: int, serial: int) -> str:
    return f"{PREFIXES[kind]}{year}-{serial:06d}"


def _next_serial(kind: str, year: int) -> int:
    counter, _ = ReceiptCounter.objects.select_for_update().get_or_create(
        kind=kind, fiscal_year=year
    )
    counter.last_serial += 1
    counter.save(update_fields=["last_serial"])
    return counter.last_serial


def issue(
    obj, kind: str, actor, now=None, *, title: str = "", url: str = "", mail=True, next_text=""
):
    """Number one submission of ``obj`` (call inside the submit transaction).

    ``title`` names what was filed (default ``str(obj)``). With ``mail`` the
    submitter gets a 到達通知 e-mail (after commit) with the number, the time
    to the second, what IPA does next and ``url`` (a path on this site)."""
    if kind not in PREFIXES:
        raise ValueError(f"unknown receipt kind {kind!r}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("receipts.issue must run inside the submission's transaction")
    now = now or timezone.now()
    year = fiscal_year(timezone.localtime(now).date())
    serial = _next_serial(kind, year)
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    receipt = Receipt.objects.create(
        kind=kind,
        fiscal_year=year,
        serial=serial,
        number=format_number(kind, year, serial),
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        title=(title or str(obj))[:255],
        submitted_at=now,
        actor=actor,
        actor_label=actor.email if actor else "",
        next_steps_text=next_text,
    )
    if mail and actor is not None:
        notify.send_on_commit(
            "receipt_issued",
            {"receipt": receipt, "next_steps": next_steps(receipt), "url": url, "user": actor},
            [actor.email],
        )
    return receipt


def next_steps(receipt: Receipt) -> str:
    return receipt.next_steps_text or NEXT_STEPS.get(receipt.kind, "")


def for_object(obj):
    """The receipts of one object, newest first."""
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    return Receipt.objects.filter(content_type=ct, object_id=str(obj.pk))


def latest(obj) -> Receipt | None:
    return for_object(obj).first()


def latest_number(obj) -> str:
    receipt = latest(obj)
    return receipt.number if receipt else ""


def annotate_latest_number(queryset, name: str = "receipt_number"):
    """Annotate each row of a list with its latest 到達番号 (one subquery, so
    the list's query count stays constant)."""
    ct = ContentType.objects.get_for_model(queryset.model, for_concrete_model=True)
    newest = (
        Receipt.objects.filter(content_type=ct, object_id=Cast(OuterRef("pk"), CharField()))
        .order_by("-submitted_at", "-id")
        .values("number")[:1]
    )
    return queryset.annotate(**{name: Subquery(newest)})
