"""The one audit log: every state change and every download of personal data.

The request middleware stores the client address in a context variable so that
services can write complete entries without passing the request around.
"""

import contextlib
import contextvars
import datetime
import decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from .models import AuditEntry

_current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_ip", default=None)


def set_client_ip(ip: str | None):
    return _current_ip.set(ip)


def reset_client_ip(token) -> None:
    _current_ip.reset(token)


def client_ip_from_request(request) -> str | None:
    """The client address of ``request`` (portal.clientip: X-Forwarded-For
    only from a trusted proxy)."""
    from .clientip import client_ip

    return client_ip(request)


def _jsonable(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose values differ."""
    keys = sorted(set(before) | set(after))
    return {
        k: [_jsonable(before.get(k)), _jsonable(after.get(k))]
        for k in keys
        if before.get(k) != after.get(k)
    }


def snapshot(obj: models.Model, fields=None) -> dict:
    names = fields or [
        f.attname for f in obj._meta.concrete_fields if not f.primary_key and f.editable
    ]
    return {name: getattr(obj, name) for name in names}


def record_update(action: str, obj, before: dict, fields=None, *, actor=None, note: str = ""):
    """The audit entry of an edit: the fields of ``obj`` that differ from the
    ``before`` snapshot (``snapshot(obj, fields)`` taken before the edit)."""
    changes = diff(before, snapshot(obj, list(fields) if fields is not None else None))
    return record(action, obj, actor=actor, changes=changes, note=note)


def record(action: str, obj=None, *, actor=None, changes=None, note: str = "") -> AuditEntry:
    """Write one audit entry. ``action`` is a dotted code such as
    ``registration.accept``; ``changes`` maps field -> [before, after]."""
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    entry = AuditEntry(
        actor=actor,
        actor_label=(actor.email if actor else "（未ログイン）"),
        ip=_current_ip.get(),
        action=action,
        changes={k: [_jsonable(v[0]), _jsonable(v[1])] for k, v in (changes or {}).items()},
        note=note,
    )
    if obj is not None:
        entry.content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
        entry.object_id = str(obj.pk)
        entry.object_repr = str(obj)[:255]
    entry.save()
    return entry


# Keys of ``changes`` that are not model fields.
EXTRA_LABELS = {
    "provider_number": "講座開設者番号",
    "materials": "使用する教材",
    "plan_total_hours": "受講計画の合計時間",
    "rows": "受講計画の行数",
    "completers": "修了認定者数",
    "groups": "権限グループ",
    "assignee": "担当者",
}

# What each action code says, as the end of a Japanese sentence about ``{obj}``.
ACTIONS = {
    "auth.login": "ログインしました",
    "auth.logout": "ログアウトしました",
    "auth.login_failed": "ログインに失敗しました",
    "auth.password_reset": "パスワードを再設定しました",
    "auth.lockout": "ログインの失敗が続いたため、ログインが一時的に制限されました",
    "auth.otp_setup": "二段階認証を設定しました",
    "auth.otp_recovery_used": "二段階認証の予備コードを使ってログインしました",
    "auth.otp_verify_failed": "二段階認証の確認コードを誤って入力しました",
    "auth.otp_disable": "二段階認証を解除しました",
    "registration.submit": "{obj}を提出しました",
    "registration.resubmit": "{obj}を修正して再提出しました",
    "registration.return": "{obj}を差し戻しました",
    "registration.accept": "{obj}を受理しました",
    "registration.withdraw": "{obj}を取下げとして処理しました",
    "change.submit": "{obj}を申請しました",
    "change.resubmit": "{obj}を修正して再申請しました",
    "change.return": "{obj}を差し戻しました",
    "change.approve": "{obj}を承認しました",
    "change.withdraw": "{obj}を取り下げました",
    "change.confirm_login": "{obj}のログイン完了を連絡しました",
    "provider.contact_change": "変更申請の承認により{obj}の登録担当者を変更しました",
    "membership.contact": "{obj}を登録担当者にしました",
    "membership.step_down": "{obj}の登録担当者としての利用を終了しました",
    "account.invite": "{obj}のアカウントを作成し、パスワード設定の案内を送りました",
    "account.rename": "{obj}の氏名を変更しました",
    "auth.password_set": "招待メールのURLからパスワードを設定しました",
    "provider.change": "変更申請の承認により{obj}の登録内容を変更しました",
    "provider.create": "{obj}を登録しました",
    "provider.withdraw": "{obj}を取止めとしました",
    "withdrawal.submit": "{obj}を提出しました",
    "withdrawal.accept": "{obj}を受理しました",
    "withdrawal.withdraw": "{obj}を取り下げました",
    "question.save": "{obj}を保存しました（作成中）",
    "question.submit": "{obj}をIPAに送信しました",
    "question.answer": "{obj}に回答しました",
    "question.request_info": "{obj}について講座開設者に確認を依頼しました",
    "question.reply": "{obj}に補足して再送信しました",
    "question.follow_up": "{obj}に追加で質問しました",
    "question.close": "{obj}を終了しました",
    "question.end": "{obj}を回答済みとして終了しました",
    "question.attachment_download": "{obj}の添付ファイルをダウンロードしました",
    "course.create": "{obj}を作成しました",
    "course.update": "{obj}の基本情報を更新しました",
    "course.materials": "{obj}の使用する教材を更新しました",
    "course.plan": "{obj}の受講計画を更新しました",
    "course.structure": "{obj}の講座の運営実施体制を更新しました",
    "course.attachment": "{obj}に添付書類を追加しました",
    "course.attachment_download": "{obj}の添付書類をダウンロードしました",
    "course.submit": "{obj}を申請しました",
    "course.resubmit": "{obj}を修正して再申請しました",
    "course.review_start": "{obj}の審査を開始しました",
    "course.return": "{obj}を差し戻しました",
    "course.approve": "{obj}を承認しました",
    "course.certify": "{obj}を認定しました",
    "course.certificate_reissue": "{obj}の認定証を再発行しました",
    "course.certify_blocked": "{obj}の自動認定を見送りました",
    "certificate.download": "{obj}の認定証をダウンロードしました",
    "exam_application.late_payment": "{obj}の締切後の入金について判断しました",
    "fee_line.cancel": "{obj}の未払いの手数料を取り消しました",
    "course.expire": "{obj}の認定期間が終了しました",
    "course.revoke": "{obj}の認定を取り消しました",
    "course.withdraw": "{obj}の申請を取り下げました",
    "course.delete": "{obj}を削除しました",
    "course.materials_post": "{obj}の教材の郵送を記録しました",
    "delivery.save": "{obj}を保存しました",
    "delivery.submit": "{obj}を申請しました",
    "delivery.approve": "{obj}を承認しました",
    "delivery.return": "{obj}を差し戻しました",
    "delivery.delete": "{obj}を削除しました",
    "delivery.change": "変更申請の承認により{obj}の登録内容を変更しました",
    "delivery.delete_by_request": "削除申請の承認により{obj}を削除しました",
    "delivery.drop_exam": "{obj}の修了試験の設定を取りやめました（申込みなし）",
    "delivery.file": "{obj}を講座とともに申請しました",
    "delivery.return_with_course": "{obj}を講座とともに差し戻しました",
    "delivery.approve_with_course": "{obj}を講座とともに承認しました",
    "syllabus.import": "シラバス項目を読み込みました",
    "exam_site.save": "{obj}を保存しました",
    "exam_application.save": "{obj}を保存しました",
    "exam_application.submit": "{obj}を確定しました",
    "exam_application.change": "{obj}の応募者数を変更しました",
    "exam_application.withdraw": "{obj}の申込みを取り下げました",
    "exam_application.delete": "{obj}の一時保存した申込みを削除しました",
    "exam_application.cancel": "{obj}の申込みを試験中止により終了しました",
    "exam_application.end_by_change": "変更申請の承認により{obj}の申込みを取り下げました",
    "exam_session.cancel": "{obj}を中止として記録しました",
    "fee_line.refundable": "{obj}を試験中止により返金対象にしました",
    "report.open": "{obj}を作成しました",
    "report.update": "{obj}を更新しました",
    "report.submit": "{obj}を報告しました",
    "report.accept": "{obj}を受理しました",
    "report.return": "{obj}を差し戻しました",
    "report.certificate_copy": "{obj}に民間資格の合格証のコピーを登録しました",
    "report.certificate_copy_download": "{obj}の民間資格の合格証のコピーをダウンロードしました",
    "completer.add": "{obj}に修了認定者を登録しました",
    "completer.update": "{obj}の修了認定者を更新しました",
    "completer.correct": "変更申請の承認により{obj}を訂正しました",
    "report.completer_correct": "変更申請の承認により{obj}の修了認定者情報を訂正しました",
    "completer.delete": "{obj}から修了認定者を削除しました",
    "completer.admin_list": "管理画面で修了認定者の一覧を表示しました",
    "completer.admin_view": "管理画面で{obj}の修了認定者を表示しました",
    "completer.upload_staged": "{obj}の修了認定者ファイルを読み込みました（未登録）",
    "completer.upload": "{obj}に修了認定者をファイルから登録しました",
    "special_measure.create": "{obj}を登録しました",
    "special_measure.update": "{obj}を更新しました",
    "payment_request.create": "{obj}を作成しました",
    "payment.confirm": "{obj}の入金を確認しました",
    "fee_document.invoice": "{obj}を発行しました",
    "fee_document.receipt": "{obj}を発行しました",
    "fee_document.download": "{obj}をダウンロードしました",
    "provider.terms_accept": "{obj}が利用規約に同意し、登録内容を確認しました",
    "course.payment_confirm": "{obj}の講座認定審査手数料の入金確認日を記録しました",
    "payment_request.return": "入金を確認できないため{obj}を差し戻しました",
    "document.download": "{obj}の書類をダウンロードしました",
    "user.reminders_on": "{obj}のリマインダーの受信を再開しました",
    "user.reminders_off": "{obj}のリマインダーの受信を停止しました",
    "problem_file.upload": "{obj}を登録しました",
    "problem_file.download": "{obj}をダウンロードしました",
    "problem_file.password": "{obj}の復号パスワードを表示しました",
    "problem_recipient.create": "{obj}のアカウントを作成しました",
    "problem_recipient.remove": "報告期間の終了により{obj}のアカウントを削除しました",
    "account.problem_recipient": "修了試験問題の受取人として{obj}のアカウントを作成しました",
    "account.deactivate": "{obj}のアカウントを無効にしました",
    "inbox.take": "{obj}の担当になりました",
    "inbox.assign": "{obj}の担当者を割り当てました",
    "inbox.release": "{obj}の担当の割り当てを外しました",
    "admin.examsession.fill": "管理画面で{obj}の空欄に標準的な期間を入れました",
}
ADMIN_ACTIONS = {
    "add": "管理画面で{obj}を追加しました",
    "change": "管理画面で{obj}を変更しました",
    "save": "管理画面で{obj}を保存しました",
    "delete": "管理画面で{obj}を削除しました",
    "groups": "管理画面で{obj}の権限グループを変更しました",
    "resend": "管理画面で{obj}を再送しました",
}
# Models whose str() does not already say what they are.
_NAMED_BY_TYPE = {"exemptioncourse", "deliverycourse", "provider", "completer", "user",
                  "membership"}  # fmt: skip


def action_label(code: str) -> str:
    """The action alone, for lists and filters: 「を承認しました」 -> 「承認」."""
    text = _action_template(code).replace("{obj}", "")
    return text.removeprefix("を").removeprefix("の").removesuffix("しました") or text


def _action_template(code: str) -> str:
    if code in ACTIONS:
        return ACTIONS[code]
    if code.startswith("admin."):
        return ADMIN_ACTIONS.get(code.rsplit(".", 1)[-1], "管理画面で{obj}を操作しました")
    return "{obj}を操作しました"


def _choice_label(model, name: str, value):
    if model is None or value is None:
        return value
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return value
    choices = dict(getattr(field, "flatchoices", None) or [])
    if isinstance(value, list):  # multiple choices
        return [choices.get(v, v) for v in value]
    return choices.get(value, value) if isinstance(value, str | int) else value


def _readable(value):
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, list | tuple):
        return "、".join(str(_readable(v)) for v in value) or "（なし）"
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        with contextlib.suppress(ValueError):
            datetime.date.fromisoformat(value[:10])
            return value[:10].replace("-", "/") + value[10:].replace("T", " ")[:9]
    return value


def _actor_name(entry) -> str:
    if entry.actor_id and entry.actor is not None:
        return entry.actor.display_name
    if entry.action.startswith("auth."):
        return "未ログインの利用者"
    if entry.actor_label and entry.actor_label != "（未ログイン）":
        return entry.actor_label
    return "システム（自動処理）"


def object_label(entry) -> str:
    model = entry.content_type.model_class() if entry.content_type_id else None
    text = entry.object_repr or ""
    if model is not None and model._meta.model_name in _NAMED_BY_TYPE and text:
        text = f"{model._meta.verbose_name} {text}"
    return text or "対象"


def sentence(entry) -> str:
    """「審査　一郎 が 免除対象講座 99991-021 ○○講座 を承認しました（審査待ち → 承認済み）」."""
    body = _action_template(entry.action).replace("{obj}", f" {object_label(entry)} ")
    text = f"{_actor_name(entry)} が {body.strip()}"
    state = (entry.changes or {}).get("state")
    model = entry.content_type.model_class() if entry.content_type_id else None
    if state and len(state) == 2 and model is not None:
        before, after = (_choice_label(model, "state", v) for v in state)
        text += f"（{before or '新規'} → {after}）"
    return text


def labelled_changes(model, changes: dict) -> list[tuple[str, object, object]]:
    """[(field label, before, after)] using the model's verbose names and the
    labels of choices (状態：審査待ち, not ``submitted``)."""
    rows = []
    for key, (before, after) in changes.items():
        owner, name = _field_owner(model, key)
        label = EXTRA_LABELS.get(name, name)
        if owner is not None:
            with contextlib.suppress(FieldDoesNotExist):  # e.g. provider_number
                label = getattr(owner._meta.get_field(name), "verbose_name", label)
        rows.append(
            (
                label,
                _readable(_choice_label(owner, name, before)),
                _readable(_choice_label(owner, name, after)),
            )
        )
    return rows


def _field_owner(model, key: str):
    """The model a change key belongs to: ``field`` of the entry's own object,
    or ``relation.field`` of a related one (e.g. ``completers.score`` recorded
    on a result report)."""
    if "." not in key or model is None:
        return model, key
    relation, name = key.split(".", 1)
    try:
        return model._meta.get_field(relation).related_model, name
    except FieldDoesNotExist:
        return None, name


def entries_for(obj):
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    return AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk)).select_related(
        "actor", "content_type"
    )
