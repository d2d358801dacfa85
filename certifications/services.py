"""The certified completers of a result report (R3–R8) and the 認定証 (C12),
one function each.

* Completers: added or corrected one by one, deleted, or uploaded in bulk
  (staged, then confirmed: all rows or none); their 修了認定者管理番号 are
  unique per provider and exam month across all its reports (R4). Every
  change is made on a draft or returned report (exams.services.editable_report).
* Private-qualification certificate copies (R8).
* Issuing a 認定証 (C12): the PDF is rendered once, when it is issued, and
  stored with the values printed on it; downloads serve the stored bytes.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.dispatch import receiver
from django.utils import timezone

from courses import services as course_services
from courses.models import ExemptionCourse, SubmissionStates
from exams import rules as exam_rules
from exams.models import ResultReport
from exams.services import (
    ExamStateError,
    editable_report,
    is_private,
    max_score,
    pass_score,
)
from portal import audit, workflow
from portal.isolation import require_owner
from portal.roles import require_reviewer
from portal.uploads import check_office_or_pdf

from .completer_import import birth_date_problem, read_completer_file, validate_completer_rows
from .models import Completer, CompleterUpload, IssuedCertificate, PrivateCertificateCopy

R = ResultReport.S


# Completers (R3–R8) -------------------------------------------------------------------


def existing_people(report: ResultReport) -> set[tuple]:
    """R7: people already reported for this delivery course (other exams)."""
    return set(
        Completer.objects.filter(report__delivery_course=report.delivery_course)
        .exclude(report=report)
        .values_list("family_name", "given_name", "family_kana", "given_kana", "birth_date")
    )


def _month_completers(report: ResultReport):
    """R4: the completers of the report's provider and exam month, in every
    report (their numbers share the first 11 characters)."""
    prefix = exam_rules.management_number(
        report.delivery_course.course.provider.number, report.exam_date, 1
    )[:11]
    return Completer.objects.filter(management_number__startswith=prefix)


def month_serials(report: ResultReport) -> set[int]:
    """R4: serials already used by the provider for this exam month."""
    return set(_month_completers(report).values_list("serial", flat=True))


def next_completer_serial(report: ResultReport) -> int | None:
    """R4: the serial to propose — the one after the highest of the provider
    and exam month across all its reports (gaps stay, R3); None when all
    99,999 are used."""
    highest = _month_completers(report).aggregate(m=Max("serial"))["m"] or 0
    if highest < 99999:
        return highest + 1
    used = month_serials(report)
    return next((n for n in range(1, 100000) if n not in used), None)


def serial_problem(report: ResultReport, serial: int, exclude_pk=None) -> str | None:
    """R4: why this serial cannot be used in this report (the number it makes
    is taken), with the next free serial."""
    number = exam_rules.management_number(
        report.delivery_course.course.provider.number, report.exam_date, serial
    )
    holder = (
        Completer.objects.filter(management_number=number)
        .exclude(pk=exclude_pk)
        .select_related("report__delivery_course__course")
        .first()
    )
    if holder is None:
        return None
    where = (
        "この報告" if holder.report_id == report.pk else f"修了試験 {holder.report.number} の報告"
    )
    proposal = next_completer_serial(report)
    hint = f"空いている番号は {proposal:05d} です。" if proposal else ""
    return (
        f"修了認定者管理番号 {exam_rules.management_number_display(number)} は{where}で既に使われています。"
        f"同じ年月の修了試験では、報告が違っても同じ番号は使えません。{hint}"
    )


def _completer_problems(report: ResultReport, completer: Completer) -> dict:
    """The checks of one completer from the form, shared by adding and
    correcting (R3, R4, R6, R7, R8, E7, E8): {field: message}. A completer
    being corrected is not compared with itself."""
    completer.full_clean(exclude=["report", "management_number"])
    others = report.completers.exclude(pk=completer.pk) if completer.pk else report.completers.all()
    errors = {}
    taken = serial_problem(report, completer.serial, exclude_pk=completer.pk)
    if taken:
        errors["serial"] = taken
    person = (
        completer.family_name,
        completer.given_name,
        completer.family_kana,
        completer.given_kana,
        completer.birth_date,
    )
    same = others.filter(family_name=person[0], given_name=person[1], family_kana=person[2],
                         given_kana=person[3], birth_date=person[4]).exists()  # fmt: skip
    if same or person in existing_people(report):
        errors["family_name"] = (
            "同じ修了認定者が既に報告されています（同じ実施講座では1回だけ報告します）。"  # R7
        )
    top = max_score(report)
    if top is not None and completer.score > top:
        errors["score"] = f"「点数」は満点（{top}点）以下にしてください。"
    birth_problem = birth_date_problem(completer.birth_date, report.exam_date)
    if birth_problem:
        errors["birth_date"] = f"「生年月日」は{birth_problem}"
    threshold = pass_score(report)
    if threshold is not None and completer.score < threshold:
        errors["score"] = f"「点数」が合格基準（{threshold}点）に達していません。"  # E8
    if is_private(report) and not (completer.private_pass_date and completer.private_pass_number):
        errors["private_pass_date"] = (
            "民間資格を活用する講座では「民間資格の合格日」と「合格番号」を入力してください。"  # R8
        )
    if others.count() + 1 > report.examinees:
        # R6, beside (not instead of) a taken number (R4)
        errors["serial"] = [
            *([errors["serial"]] if "serial" in errors else []),
            f"修了認定者数は「受験者数」（{report.examinees}名）以下にしてください。",
        ]
    return errors


def _save_completer(report: ResultReport, completer: Completer) -> None:
    """Save one completer; the database refuses a number taken at the same
    moment by another report (R4), answered like the check before."""
    try:
        with transaction.atomic():
            completer.save()
    except IntegrityError:
        raise ValidationError(
            {
                "serial": serial_problem(report, completer.serial, exclude_pk=completer.pk)
                or "他の操作と重なりました。画面を更新してやり直してください。"
            }
        ) from None


def add_completer(report_pk: int, user, values: dict) -> Completer:
    """One completer from the form (R3, R4, R7, E8)."""
    with transaction.atomic():
        report = editable_report(report_pk, user)
        if report.examinees is None:
            # R5
            raise ValidationError({"serial": "先に「受験者数」を入力してください。"})
        completer = Completer(report=report, **values)
        if completer.serial is None:
            completer.serial = next_completer_serial(report)
            if completer.serial is None:
                raise ValidationError(
                    {"serial": "この年月の修了認定者管理番号（下5桁）に空きがありません。"}
                )
        errors = _completer_problems(report, completer)
        if errors:
            raise ValidationError(errors)
        _save_completer(report, completer)
        audit.record("completer.add", report, actor=user, note=completer.management_number_display)
    return completer


COMPLETER_FIELDS = ["serial", "family_name", "given_name", "family_kana", "given_kana", "birth_date",
                    "score", "private_pass_date", "private_pass_number"]  # fmt: skip


def update_completer(report_pk: int, completer_pk: int, user, values: dict) -> Completer:
    """R3: correct one completer of a draft or returned report in place (開く /
    更新), with the same checks as adding; once the report is submitted,
    corrections go through a change request (R11)."""
    with transaction.atomic():
        report = editable_report(report_pk, user)
        completer = report.completers.select_for_update().get(pk=completer_pk)
        before = audit.snapshot(completer, COMPLETER_FIELDS)
        for name, value in values.items():
            if name in COMPLETER_FIELDS and not (name == "serial" and value is None):
                setattr(completer, name, value)
        errors = _completer_problems(report, completer)
        if errors:
            raise ValidationError(errors)
        _save_completer(report, completer)
        audit.record(
            "completer.update",
            report,
            actor=user,
            changes={  # labelled with the completer's own fields
                f"completers.{name}": values
                for name, values in audit.diff(
                    before, audit.snapshot(completer, COMPLETER_FIELDS)
                ).items()
            },
            note=completer.management_number_display,
        )
    return completer


# Corrections of an accepted report's completers (R11, M§8.2, M§12.2.11) ---------------
#
# Once IPA has accepted the report, a completer's data is corrected by a
# change request (申請書式4 + 申請書式5, table 5.6-1): the provider edits a copy,
# IPA sees it first in its queue (urgent: a wrong kana or birth date makes the
# completer's exemption application fail), and approval writes it here. The
# serial and the 修了認定者管理番号 never change (R4): they identify the
# completer (table 5.6-2) and the completer may already have been told them.

CORRECTION_KIND = "completers"
# What a correction may change (M§12.2.11: names, kana, birth date, score).
CORRECTABLE_FIELDS = [
    "family_name",
    "given_name",
    "family_kana",
    "given_kana",
    "birth_date",
    "score",
]
# 変更する項目 of 申請書式5 as 申請書式4 (別紙8) heads its columns.
CORRECTION_LABELS = {
    "family_name": "姓(漢字)", "given_name": "名(漢字)", "family_kana": "姓(カナ)",
    "given_kana": "名(カナ)", "birth_date": "生年月日", "score": "点数",
}  # fmt: skip
FIXED_FIELDS = ["serial", "management_number"]  # R4: shown, never changed
CORRECTION_LIMIT = 50  # completers on one correction page


def correction_problem(report: ResultReport) -> str | None:
    """X1: why this report's completers are not corrected by a change
    request: a draft or returned report is edited in place; a report IPA is
    checking waits for its answer."""
    state = workflow.state_of(report)
    if state.provider_may_edit:
        return (
            "この報告はまだIPAに受理されていないため、変更申請は不要です。"
            "報告の画面で修了認定者を直接修正してください。"
        )
    if not state.in_force:
        return (
            "IPAが確認中の報告です。受理された後に変更申請で訂正できます"
            "（差し戻された場合は報告の画面で直接修正します）。"
        )
    return None


def correction_current(report: ResultReport) -> dict:
    """The approved values of every completer of the report, as JSON
    ({completer pk: {field: value}}), with one query."""
    from providers.changes import to_json

    names = [*FIXED_FIELDS, *CORRECTABLE_FIELDS]
    return {
        str(pk): {name: to_json(value) for name, value in zip(names, values, strict=True)}
        for pk, *values in report.completers.order_by("serial").values_list("pk", *names)
    }


def correction_items(report: ResultReport, original: dict, proposed: dict):
    """申請書式5's rows: one per changed field, the item naming the completer's
    修了認定者管理番号 (table 5.6-2), e.g. 「99991-FE2406-00001 姓(カナ)」."""
    from providers.changes import Item

    rows = []
    changed = [
        (before, proposed[pk], pk)
        for pk, before in original.items()
        if pk in proposed and proposed[pk] != before
    ]
    for before, after, pk in sorted(changed, key=lambda row: row[0]["serial"]):
        number = exam_rules.management_number_display(before["management_number"])
        for name in CORRECTABLE_FIELDS:
            if name not in after or after[name] == before.get(name):
                continue
            rows.append(
                Item(
                    key=f"completer:{pk}:{name}",
                    item=f"{number} {CORRECTION_LABELS[name]}",
                    after=_shown(name, after.get(name)),
                    before=_shown(name, before.get(name)),
                )
            )
    return rows


def _shown(name: str, value) -> str:
    """A value as 申請書式4 prints it (別紙8: birth dates 1998/10/6), so that
    申請書式5's rows read like the form they correct."""
    from exams.documents import slash_date
    from providers.changes import display

    if name == "birth_date" and value:
        return slash_date(value)
    return display(Completer, name, value)


def _candidate_problems(report: ResultReport, completer: Completer) -> dict:
    """The checks of adding/updating (_completer_problems: JIS X 0208 kanji
    with the JIS substitutes, katakana, birth date, score range, R7) for a
    corrected completer, as {field: [messages]}."""
    try:
        problems = _completer_problems(report, completer)
    except ValidationError as exc:
        return exc.message_dict
    return {name: msgs if isinstance(msgs, list) else [msgs] for name, msgs in problems.items()}


def _corrected(completer: Completer, values: dict) -> Completer:
    """An unsaved copy of ``completer`` with the corrected values."""
    import copy

    candidate = copy.copy(completer)
    for name in CORRECTABLE_FIELDS:
        if name in values:
            setattr(candidate, name, Completer._meta.get_field(name).to_python(values[name]))
    return candidate


def save_completer_correction(report_pk: int, user, corrections: dict[int, dict], reason: str = ""):
    """R11: the provider's corrected copy of some completers of an accepted
    report, stored as the report's change request being written (作成中);
    nothing of the completers changes until IPA approves it. The same checks
    as correcting a completer of a draft (update_completer). ``proposed``
    holds {completer pk: {field: value}} of the fields that differ from the
    approved values. Refused with
    {"c<pk>-<field>": ["<番号>：message"]} (the prefixed names of the page's
    forms), nothing saved."""
    from providers import changes

    with transaction.atomic():
        report = ResultReport.objects.select_related(
            "delivery_course__course__provider", "session"
        ).get(pk=report_pk)
        require_owner(user, report.delivery_course.course)
        problem = correction_problem(report)
        if problem:
            raise ValidationError(problem)
        completers = {c.pk: c for c in report.completers.filter(pk__in=list(corrections))}
        if len(completers) != len(corrections):
            raise ValidationError(
                "選んだ修了認定者がこの報告に見つかりません。画面を開き直してください。"
            )
        errors = {}
        proposed = {}
        draft = changes.editable_draft(CORRECTION_KIND, report)
        if draft is not None:  # completers corrected before and not on the page now
            proposed.update(
                (pk, values) for pk, values in draft.proposed.items()
                if values != draft.original.get(pk)
            )  # fmt: skip
        for pk, values in corrections.items():
            completer = completers[pk]
            number = completer.management_number_display
            fixed = [name for name in values if name not in CORRECTABLE_FIELDS]
            if fixed:  # R4: never through this form
                raise ValidationError(
                    f"{number}：修了認定者管理番号（下5桁を含む）は変更できません。"
                )
            candidate = _corrected(completer, values)
            for name, messages in _candidate_problems(report, candidate).items():
                if name in CORRECTABLE_FIELDS:
                    errors[f"c{pk}-{name}"] = [f"{number}：{m}" for m in messages]
                else:  # e.g. R7 reported as the form's own error
                    errors.setdefault(f"c{pk}-__all__", []).extend(
                        f"{number}：{m}" for m in messages
                    )
            # Only the fields that differ from the approved values: a request
            # never carries a stale copy of a field it does not change.
            approved = changes.values_of(completer, CORRECTABLE_FIELDS)
            changed = {
                name: value
                for name, value in changes.values_of(candidate, CORRECTABLE_FIELDS).items()
                if value != approved[name]
            }
            proposed.pop(str(pk), None)
            if changed:
                proposed[str(pk)] = changed
        if errors:
            raise ValidationError(errors)
        return changes.save_draft(CORRECTION_KIND, report, user, proposed, reason=reason)


def apply_completer_correction(report: ResultReport, changed: dict, actor, request) -> None:
    """The approved correction written to each completer (the target app's own
    service, run inside providers.changes.approve_change's transaction: a
    refusal rolls everything back). The checks run once more on the values
    as they are now; the serial and the 修了認定者管理番号 stay (R4); an audit
    entry per completer names the request."""
    from providers.changes import to_json

    number = workflow.receipt_number(request)
    naming = f"変更申請 {number}" if number else str(request)
    corrected = []
    for pk, values in sorted(changed.items(), key=lambda row: int(row[0])):
        completer = report.completers.select_for_update().filter(pk=int(pk)).first()
        if completer is None:
            raise ValidationError(
                "訂正する修了認定者がこの報告にありません。差し戻して申請し直してもらってください。"
            )
        display = completer.management_number_display
        if any(
            name in values and to_json(getattr(completer, name)) != values[name]
            for name in FIXED_FIELDS
        ):
            raise ValidationError(f"{display}：修了認定者管理番号は変更できません。")
        fields = [
            name for name in CORRECTABLE_FIELDS
            if name in values and to_json(getattr(completer, name)) != values[name]
        ]  # fmt: skip
        if not fields:
            continue
        before = audit.snapshot(completer, CORRECTABLE_FIELDS)
        for name in fields:
            setattr(completer, name, Completer._meta.get_field(name).to_python(values[name]))
        problems = _candidate_problems(report, completer)
        if problems:
            first = next(iter(problems.values()))
            raise ValidationError(f"{display}：{first[0]}")
        completer.save(update_fields=fields)
        audit.record_update(
            "completer.correct", completer, before, CORRECTABLE_FIELDS, actor=actor, note=naming
        )
        corrected.append(display)
    if corrected:  # on the report too, with what changed (its trail is IPA's page)
        rows = "、".join(f"{i['item']} {i['before']} → {i['after']}" for i in request.items)
        audit.record(
            "report.completer_correct",
            report,
            actor=actor,
            note=f"{naming}（{len(corrected)}名）：{rows}"[:2000],
        )


def delete_completers(report_pk: int, user, completer_pks: list[int] | None = None) -> int:
    """Delete some or all completers (all of them unlocks the examinee count, R5)."""
    with transaction.atomic():
        report = editable_report(report_pk, user)
        qs = report.completers.all()
        if completer_pks is not None:
            qs = qs.filter(pk__in=completer_pks)
        count = qs.count()
        qs.delete()
        audit.record("completer.delete", report, actor=user, note=f"{count}名")
    return count


def stage_upload(report_pk: int, user, filename: str, data: bytes) -> CompleterUpload:
    """Bulk upload (step 1): read and check the whole file; nothing is saved as
    completers yet. The preview page shows the rows or the per-row errors."""
    report = ResultReport.objects.select_related("delivery_course__course__provider").get(
        pk=report_pk
    )
    require_owner(user, report.delivery_course.course)
    if report.state not in (R.DRAFT, R.RETURNED):
        raise ExamStateError("報告済み・受理済みの報告には登録できません。")
    rows = read_completer_file(filename, data, private=is_private(report))
    cleaned, errors = validate_completer_rows(
        rows,
        provider_number=report.delivery_course.course.provider.number,
        exam_date=report.exam_date,
        pass_score=pass_score(report),
        max_score=max_score(report) or 100,
        private=is_private(report),
        existing_people=existing_people(report)
        | set(
            report.completers.values_list(
                "family_name", "given_name", "family_kana", "given_kana", "birth_date"
            )
        ),
        existing_serials=month_serials(report),
    )
    upload = CompleterUpload.objects.create(
        report=report,
        uploaded_by=user,
        filename=filename[:200],
        rows=[
            {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in row.items()}
            for row in cleaned
        ],
        # Issue 11: the first 1,000 messages and the count (600,000 messages
        # of a bad 100,000-row file made one 170 MB row).
        errors=[
            {"row": e.row, "column": e.column, "message": e.message}
            for e in errors[: CompleterUpload.MAX_STORED_ERRORS]
        ],
        error_count=len(errors),
    )
    audit.record(
        "completer.upload_staged",
        report,
        actor=user,
        note=f"{filename}：{len(cleaned)}件、エラー{len(errors)}件",
    )
    return upload


def delete_staged_uploads(now=None) -> int:
    """Beat (issue 11): staged bulk uploads (their rows hold personal data) are
    deleted STAGED_UPLOAD_HOURS after they were read, confirmed or not. Returns
    how many were deleted."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(hours=CompleterUpload.STAGED_UPLOAD_HOURS)
    count, _ = CompleterUpload.objects.filter(created_at__lt=cutoff).delete()
    return count


def confirm_upload(upload_pk: int, user) -> int:
    """Bulk upload (step 2): save every staged row, or nothing (R5, R6)."""
    with transaction.atomic():
        upload = CompleterUpload.objects.select_for_update().get(pk=upload_pk)
        report = editable_report(upload.report_id, user)
        if upload.applied_at is not None:
            raise ExamStateError("この一括登録は既に反映されています。")
        if upload.errors or upload.error_count:
            raise ValidationError(
                "エラーのある行があるため登録できません。ファイルを修正して読み込み直してください。"
            )
        if report.examinees is None:
            # R5
            raise ValidationError("先に「受験者数」を入力してください。")
        total = report.completers.count() + len(upload.rows)
        if total > report.examinees:
            raise ValidationError(
                # R6
                f"修了認定者数（{total}名）が「受験者数」（{report.examinees}名）を超えています。"
            )
        completers = []
        for row in upload.rows:
            values = dict(row)
            values["birth_date"] = datetime.date.fromisoformat(values["birth_date"])
            if values.get("private_pass_date"):
                values["private_pass_date"] = datetime.date.fromisoformat(
                    values["private_pass_date"]
                )
            completers.append(Completer(report=report, **values))
        # Completers added by hand since the preview must not collide (R4, R7).
        serials = month_serials(report)
        people = existing_people(report) | set(
            report.completers.values_list(
                "family_name", "given_name", "family_kana", "given_kana", "birth_date"
            )
        )
        clashes = [
            c for c in completers
            if c.serial in serials
            or (c.family_name, c.given_name, c.family_kana, c.given_kana, c.birth_date) in people
        ]  # fmt: skip
        if clashes:
            raise ValidationError(
                f"読み込んだ後に登録された修了認定者と重なる行が{len(clashes)}件あります"
                f"（例：{clashes[0].family_name}\u3000{clashes[0].given_name}）。ファイルを読み込み直してください。"
            )
        try:
            with transaction.atomic():
                Completer.objects.bulk_create(completers, batch_size=1000)
        except IntegrityError:  # numbers taken at the same moment (R4)
            raise ValidationError(
                "他の操作で同じ修了認定者管理番号が使われました。ファイルを読み込み直してください。"
            ) from None
        upload.applied_at = timezone.now()
        upload.save(update_fields=["applied_at"])
        audit.record(
            "completer.upload", report, actor=user, note=f"{upload.filename}：{len(completers)}名"
        )
    return len(completers)


def add_certificate_copy(report_pk: int, user, title: str, upload) -> None:
    """R8: a copy of a completer's private-qualification certificate (PDF or
    an image scan is not accepted here: PDF or Office files only)."""
    check_office_or_pdf(upload, "民間資格の合格証のコピー")
    title_max = PrivateCertificateCopy._meta.get_field("title").max_length
    if len(title) > title_max:  # issue 11: a typed text never exceeds its column
        raise ValidationError(f"「内容」は{title_max}文字以内で入力してください。")
    with transaction.atomic():
        report = editable_report(report_pk, user)
        if not is_private(report):
            raise ExamStateError("民間資格を活用しない講座では合格証のコピーは不要です。")
        copy = PrivateCertificateCopy.objects.create(
            report=report, title=title or upload.name[:title_max], file=upload
        )
        audit.record("report.certificate_copy", report, actor=user, note=copy.file.name)


# The 認定証 (C12) ---------------------------------------------------------------------


def issue(course, actor, on: datetime.date, *, reissue: bool = False, reason: str = ""):
    """Render the certificate of ``course`` as it stands now (issue date
    ``course.certificate_issued_on``) and store it as the next version. The
    caller holds the course's row lock inside its transaction."""
    from .documents import CERTIFICATE, certificate_data, render_certificate
    from .verification import unique_code

    # The code is printed on the PDF (with the QR code of its verification
    # page), so it is chosen before the rendering.
    code = unique_code()
    content = render_certificate(course, code)
    last = course.issued_certificates.aggregate(m=Max("version"))["m"] or 0
    now = timezone.now()
    return IssuedCertificate.objects.create(
        course=course,
        version=last + 1,
        kind=IssuedCertificate.Kind.REISSUE if reissue else IssuedCertificate.Kind.ISSUE,
        document_number=course.certificate_number,
        issued_on=on,
        reason=reason,
        issued_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=now,
        filename=CERTIFICATE.filename(course, now),
        content=content,
        checksum=IssuedCertificate.checksum_of(content),
        data=certificate_data(course, code),
        verification_code=code,
    )


def versions(course):
    """Every issued version of the course's certificate, newest first (without
    the bytes)."""
    return course.issued_certificates.defer("content").select_related("issued_by")


def record_download(issued: IssuedCertificate, user) -> None:
    """Downloads of an issued certificate are audited on its course."""
    audit.record(
        "certificate.download",
        issued.course,
        actor=user,
        note=f"{issued.filename}（{issued.document_number}・第{issued.version}版、"
        f"照合値 {issued.checksum[:12]}）",
    )


@receiver(workflow.transitioned, sender=ExemptionCourse, dispatch_uid="certificate_on_certify")
def issue_on_certification(sender, obj, action, actor, data, **kwargs):
    """C12: the certificate is a record: its PDF is stored as issued, in the
    transaction that certifies the course."""
    if action == "certify":
        issue(obj, actor, data["on"])


def reissue_certificate(
    course_pk: int, reviewer, reason: str, on: datetime.date | None = None
) -> ExemptionCourse:
    """C12 再発行 (e.g. after delivery courses were added): an explicit reviewer
    action. The new version carries today's data and its own issue date; the
    document number stays (M§5.2 and 別紙14 name one number per certificate);
    every earlier version stays stored and downloadable."""
    on = on or timezone.localdate()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "「再発行の理由」を入力してください。"})
    if len(reason) > 200:
        raise ValidationError({"reason": "「再発行の理由」は200文字以内で入力してください。"})
    if on > timezone.localdate():
        raise ValidationError({"on": "「発行日」に未来の日付は入力できません。"})
    with transaction.atomic():
        course = course_services._locked(course_pk)
        require_reviewer(reviewer)
        if not reviewer.has_perm("courses.review_course"):
            raise PermissionDenied("この操作を行う権限がありません。")
        if course.state != SubmissionStates.CERTIFIED or not course.certificate_number:
            raise course_services.CourseStateError(
                "認定証を再発行できるのは認定期間中の講座だけです"
                f"（現在の状態：{course.get_state_display()}）。"
            )
        previous = course.certificate_issued_on
        if previous and on < previous:
            raise ValidationError(
                {"on": f"「発行日」は前回の発行日（{previous:%Y年%-m月%-d日}）以降にしてください。"}
            )
        course.certificate_issued_on = on
        course_services._save(course)
        issued = issue(course, reviewer, on, reissue=True, reason=reason)
        audit.record(
            "course.certificate_reissue",
            course,
            actor=reviewer,
            changes={"certificate_issued_on": [previous, on]},
            note=f"認定証（{course.certificate_number}）を第{issued.version}版として再発行：{reason}",
        )
    return course


# E9 (M§6.14.3): evidence kept one year -------------------------------------------


def evidence_due_for_deletion(today: datetime.date) -> list[dict]:
    """The accepted result reports whose evidence (copies of private-
    qualification certificates, R8) has been kept its year on ``today``
    (certifications.rules.evidence_due_for_deletion), oldest first: one row
    per report with its provider, dates and number of files. Reported to
    IPA, never deleted here: the manual asks that it be kept a year, not
    that it be destroyed after."""
    from . import rules

    # A coarse cut in the database (no certification less than 365 days old
    # is ever due), the exact rule in Python.
    copies = (
        PrivateCertificateCopy.objects.filter(
            report__state=ResultReport.S.ACCEPTED,
            report__certified_on__lte=today - datetime.timedelta(days=365),
        )
        .select_related("report__delivery_course__course__provider")
        .order_by("report__certified_on", "report_id", "pk")
    )
    rows: dict[int, dict] = {}
    for copy in copies:
        report = copy.report
        if not rules.evidence_due_for_deletion(report.certified_on, True, today):
            continue
        row = rows.setdefault(
            report.pk,
            {
                "report": report,
                "provider": report.delivery_course.course.provider,
                "certified_on": report.certified_on,
                "deletable_from": rules.evidence_deletable_from(report.certified_on),
                "files": 0,
            },
        )
        row["files"] += 1
    return list(rows.values())


def report_evidence_due(today: datetime.date) -> list[int]:
    """Beat (monthly): tell IPA which reports' evidence may now be deleted
    (one e-mail listing them all; none when nothing is due). Returns the
    reports' pks."""
    from django.conf import settings

    from portal import notify

    due = evidence_due_for_deletion(today)
    if due:
        notify.send_on_commit(
            "evidence_due_ipa", {"rows": due, "on": today}, [settings.IPA_NOTICE_EMAIL]
        )
    return [row["report"].pk for row in due]
