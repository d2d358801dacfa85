"""Exam-problem delivery (E3, M§6.3–6.6), replacing the file-exchange service.

For each exam date an IPA administrator uploads the decryption sample
(available about 10 days before the exam) and the encrypted problems (in
principle 4 days before, the calendar's 問題の提供日) with their decryption
passwords. Each exam site's problem recipient — the registered contact, or
the named recipient of E3 who gets a temporary account when the application
window closes — downloads them from the portal; the password is shown only to
the recipient, on a separate confirmation, never in an e-mail (M§6.4). Only a
site with a filed and paid application (and, for a fee received after the
close, IPA's acceptance) receives anything; everyone else gets 404.
"""

import datetime
import hashlib
import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from calendars.models import ExamSession
from calendars.rules import exam_day_label
from fees import rules as fee_rules
from portal import audit, notify
from portal.roles import is_ipa_admin, membership_of

from .models import (
    ApplicationState,
    ExamApplication,
    ExamSite,
    LatePaymentDecision,
    ProblemDownload,
    ProblemFile,
    ProblemFileKind,
    ProblemRecipientAccount,
    ProblemReminder,
)

SAMPLE_DAYS_BEFORE = 10  # M§6.3 (1): the sample link 10 days before the exam
PROBLEMS_DAYS_BEFORE = 4  # M§6.3 (7), table 6.3-1: in principle 4 days before
MAX_PROBLEM_BYTES = 50 * 1024 * 1024


def standard_available_from(session: ExamSession, kind: str) -> datetime.date:
    """M§6.3: the sample 10 days before the exam; the problems on the
    calendar's 問題の提供日 (E1), else 4 days before."""
    if kind == ProblemFileKind.SAMPLE:
        return session.exam_date - datetime.timedelta(days=SAMPLE_DAYS_BEFORE)
    return session.problems_delivered_on or session.exam_date - datetime.timedelta(
        days=PROBLEMS_DAYS_BEFORE
    )


def reminder_day(session: ExamSession) -> datetime.date:
    """M§6.3: the recipient decrypts the problems by the weekday before the
    exam (in principle the Friday): the last Friday before the exam date."""
    back = (session.exam_date.weekday() - 4) % 7 or 7
    return session.exam_date - datetime.timedelta(days=back)


# Who receives ------------------------------------------------------------------------


def _paid_applications():
    return ExamApplication.objects.filter(
        state=ApplicationState.SUBMITTED, fee_line__payment_request__confirmed_on__isnull=False
    ).select_related("fee_line__payment_request")


def delivery_sites(session: ExamSession | None = None):
    """The exam sites with a filed application (申込み済み), their paid
    applications prefetched (``paid_applications``) so that
    ``delivery_problem`` asks nothing more."""
    sites = ExamSite.objects.filter(
        Exists(
            ExamApplication.objects.filter(site=OuterRef("pk"), state=ApplicationState.SUBMITTED)
        )
    )
    if session is not None:
        sites = sites.filter(session=session)
    return sites.select_related("session", "provider").prefetch_related(
        Prefetch("applications", queryset=_paid_applications(), to_attr="paid_applications")
    )


def _application_receives(application, session) -> bool:
    request = application.fee_line.payment_request
    late = fee_rules.payment_is_late(request.payment_date, session.application_closes_at)
    return not late or application.late_payment_decision == LatePaymentDecision.ACCEPTED


def delivery_problem(site: ExamSite) -> str | None:
    """Why this site receives no problems (None when it does): E2 — an exam
    cancelled, no filed application whose problem fee IPA confirmed, or a
    fee received after the close that IPA has not accepted."""
    session = site.session
    if session.is_cancelled:
        return f"{session}は{session.cancellation_text}。"
    paid = getattr(site, "paid_applications", None)
    if paid is None:
        paid = list(_paid_applications().filter(site=site))
    if not paid:
        return "問題提供料の入金が確認されていません。"
    if not any(_application_receives(a, session) for a in paid):
        return "締切後の入金をIPAが認めていません。"
    return None


def contact_user_ids(provider_ids) -> dict:
    """provider id → the user id of its registered contact (one query)."""
    from providers.models import Membership

    return dict(
        Membership.objects.filter(
            provider_id__in=provider_ids, is_contact=True, active=True
        ).values_list("provider_id", "user_id")
    )


def recipient_user_id(site: ExamSite, contacts: dict | None = None) -> int | None:
    """E3: the user who receives the problems of ``site``: the registered
    contact, or the named recipient's temporary account while it lasts."""
    if site.recipient_is_contact:
        contacts = contacts if contacts is not None else contact_user_ids([site.provider_id])
        return contacts.get(site.provider_id)
    account = getattr(site, "recipient_account", None) if _has_account(site) else None
    if account is None or account.removed_at is not None:
        return None
    return account.user_id


def _has_account(site) -> bool:
    try:
        site.recipient_account  # noqa: B018
    except ProblemRecipientAccount.DoesNotExist:
        return False
    return True


def sites_for_recipient(user):
    """The exam sites whose problems ``user`` receives (E3)."""
    if not user.is_authenticated or not user.is_active:
        return ExamSite.objects.none()
    membership = membership_of(user)
    mine = Q(recipient_account__user=user, recipient_account__removed_at__isnull=True)
    if membership is not None and membership.is_contact:
        mine |= Q(recipient_is_contact=True, provider_id=membership.provider_id)
    return delivery_sites().filter(mine).order_by("-session__exam_date", "pk")


def recipient_site_or_404(user, site_pk: int) -> ExamSite:
    """The site if ``user`` is its recipient and it receives the problems;
    404 otherwise (another provider, unpaid, not the recipient)."""
    site = sites_for_recipient(user).filter(pk=site_pk).first()
    if site is None or delivery_problem(site) is not None:
        raise Http404("見つかりません。")
    return site


def available_file_or_404(site: ExamSite, file_pk: int, today=None) -> ProblemFile:
    """A file of the site's exam date from its 提供開始日 on (404 before)."""
    today = today or timezone.localdate()
    found = (
        ProblemFile.objects.select_related("session")
        .filter(pk=file_pk, session_id=site.session_id, available_from__lte=today)
        .first()
    )
    if found is None:
        raise Http404("見つかりません。")
    return found


def record_download(user, site: ExamSite, problem_file: ProblemFile) -> ProblemDownload:
    with transaction.atomic():
        download = ProblemDownload.objects.create(file=problem_file, site=site, user=user)
        audit.record(
            "problem_file.download", problem_file, actor=user,
            note=f"{site.provider.number} {site.provider.name}（{problem_file.filename}）",
        )  # fmt: skip
    return download


def record_password_view(user, site: ExamSite, problem_file: ProblemFile) -> None:
    audit.record(
        "problem_file.password", problem_file, actor=user,
        note=f"{site.provider.number} {site.provider.name}",
    )  # fmt: skip


# IPA uploads -------------------------------------------------------------------------


def _check_pdf(upload) -> None:
    label = "ファイル"
    ext = os.path.splitext(upload.name or "")[1].lower()
    if ext != ".pdf":
        raise ValidationError({"file": f"「{label}」はPDFファイルを選んでください。"})
    if upload.size > MAX_PROBLEM_BYTES:
        raise ValidationError(
            {"file": f"「{label}」は{MAX_PROBLEM_BYTES // (1024 * 1024)}MB以下にしてください。"}
        )
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        raise ValidationError({"file": f"「{label}」の内容がPDFではありません。"})


def upload_problem_file(
    session_pk: int, admin, kind: str, upload, password: str, available_from=None
) -> ProblemFile:
    """An IPA administrator stores the file of ``kind`` for an exam date (one
    per kind: a new upload replaces the earlier one), with its SHA-256 and
    decryption password; ``available_from`` defaults to M§6.3's day."""
    if not is_ipa_admin(admin):
        raise PermissionDenied("この操作を行う権限がありません。")
    if kind not in ProblemFileKind.values:
        raise ValidationError({"kind": "「種類」を選んでください。"})
    password = (password or "").strip()
    problems = {}
    if upload is None:
        problems["file"] = "「ファイル」を選んでください。"
    if not password:
        problems["password"] = "「復号パスワード」を入力してください。"
    elif len(password) > 100:
        problems["password"] = "「復号パスワード」は100文字以内で入力してください。"
    if problems:
        raise ValidationError(problems)
    _check_pdf(upload)
    with transaction.atomic():
        session = ExamSession.objects.select_for_update().get(pk=session_pk)
        if session.is_cancelled:
            raise ValidationError(f"{session}は{session.cancellation_text}。")
        available_from = available_from or standard_available_from(session, kind)
        if available_from > session.exam_date:
            raise ValidationError(
                {"available_from": "「提供開始日」は修了試験の実施日以前にしてください。"}
            )
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        existing = ProblemFile.objects.filter(session=session, kind=kind).first()
        old_name = existing.file.name if existing else None
        problem_file = existing or ProblemFile(session=session, kind=kind)
        problem_file.filename = os.path.basename(upload.name)[:200]
        problem_file.size = upload.size
        problem_file.sha256 = digest.hexdigest()
        problem_file.available_from = available_from
        problem_file.password = password
        problem_file.uploaded_by = admin
        problem_file.uploaded_at = timezone.now()
        problem_file.file.save(problem_file.filename, upload, save=False)
        problem_file.save()
        audit.record(
            "problem_file.upload", problem_file, actor=admin,
            changes={"available_from": [None, available_from], "sha256": [None, problem_file.sha256]},
            note=problem_file.filename,
        )  # fmt: skip
        if old_name and old_name != problem_file.file.name:
            storage = problem_file.file.storage
            transaction.on_commit(lambda: storage.delete(old_name))
    return problem_file


# IPA's status table ---------------------------------------------------------------------


def status_rows(sites, files: list[ProblemFile]) -> list[dict]:
    """Per site of one page: the recipient, whether it receives the problems,
    and the first download of each file (a fixed number of queries)."""
    sites = list(sites)
    contacts = contact_user_ids({s.provider_id for s in sites})
    first = {}
    for site_id, file_id, at, name in (
        ProblemDownload.objects.filter(site__in=sites, file__in=files)
        .order_by("at")
        .values_list("site_id", "file_id", "at", "user__email")
    ):
        first.setdefault((site_id, file_id), (at, name))
    rows = []
    for site in sites:
        rows.append({
            "site": site,
            "recipient": recipient_label(site),
            "has_recipient": recipient_user_id(site, contacts) is not None,
            "problem": delivery_problem(site),
            "downloads": [(f, first.get((site.pk, f.pk))) for f in files],
        })  # fmt: skip
    return rows


def recipient_label(site: ExamSite) -> str:
    if site.recipient_is_contact:
        return f"登録担当者（{site.provider.contact_full_name}）"
    return f"{site.recipient_name}（{site.recipient_workplace}・{site.recipient_email}）"


# E3: the temporary account of a named recipient ----------------------------------------


def create_recipient_accounts(now=None) -> list[ProblemRecipientAccount]:
    """E3: when the application window has closed, a named recipient of a
    site whose application is filed and paid gets a temporary account (one
    per site) and the e-mail with the link to set a password — never the
    problems' passwords. Run by the beat (exams.tasks); a re-run makes
    nothing twice. Nothing is made once the report window has closed."""
    now = now or timezone.now()
    sites = delivery_sites().filter(
        recipient_is_contact=False,
        recipient_account__isnull=True,
        session__application_closes_at__lte=now,
        session__report_closes_at__gt=now,
        session__cancelled_on__isnull=True,
    )
    made = []
    for site in sites:
        if delivery_problem(site) is not None:
            continue
        try:
            made.append(_create_account(site))
        except IntegrityError:  # another run made it meanwhile
            continue
    return made


def _create_account(site: ExamSite) -> ProblemRecipientAccount:
    User = get_user_model()
    with transaction.atomic():
        email = site.recipient_email.strip().lower()
        user = User.objects.filter(email__iexact=email).first()
        created = user is None
        family, _, given = site.recipient_name.replace("\u3000", " ").partition(" ")
        if created:
            user = User.objects.create_user(
                email=email, password=None, family_name=family[:40], given_name=given.strip()[:40]
            )
            audit.record("account.problem_recipient", user, note=str(site))
        account = ProblemRecipientAccount.objects.create(
            site=site, user=user, created_account=created
        )
        audit.record("problem_recipient.create", account)
        session = site.session
        context = {
            "site": site,
            "user": user,
            "provider": site.provider,
            "session": session,
            "exam_day": exam_day_label(session.exam_date),
            "report_closes_at": session.report_closes_at,
            "problems_url": f"{settings.SITE_URL}{reverse('problem_list')}",
            "login_url": f"{settings.SITE_URL}{reverse('login')}",
        }
        if created or not user.has_usable_password():
            context["url"] = f"{settings.SITE_URL}{_invitation_url(user)}"
        notify.send_on_commit("problem_recipient_account", context, [user.email])
        contact = site.provider.contact_email
        notify.send_on_commit("problem_recipient_account_contact", context, [contact])
    return account


def _invitation_url(user) -> str:
    """The recipient's own page to set a password, with the one-time token
    of the contact invitation (providers.contact, valid for its days)."""
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from providers.contact import invitation_tokens

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse(
        "problem_recipient_invitation",
        kwargs={"uidb64": uid, "token": invitation_tokens.make_token(user)},
    )


def remove_recipient_accounts(now=None) -> list[ProblemRecipientAccount]:
    """E3: after the report window closes the temporary account is removed:
    it no longer opens the problems page, and an account the portal made
    for it (and no other site still uses) is deactivated."""
    now = now or timezone.now()
    due = ProblemRecipientAccount.objects.filter(
        removed_at__isnull=True, site__session__report_closes_at__lte=now
    ).select_related("user", "site__session")
    removed = []
    for account in due:
        with transaction.atomic():
            account.removed_at = now
            account.save(update_fields=["removed_at"])
            audit.record("problem_recipient.remove", account)
            user = account.user
            still_used = ProblemRecipientAccount.objects.filter(
                user=user, removed_at__isnull=True
            ).exists()
            if account.created_account and not still_used and membership_of(user) is None:
                user.is_active = False
                user.set_unusable_password()
                user.save(update_fields=["is_active", "password"])
                audit.record("account.deactivate", user, note=str(account))
        removed.append(account)
    return removed


# The Friday reminder (M§6.3) ------------------------------------------------------------


def remind_undownloaded(today: datetime.date | None = None) -> list[ProblemReminder]:
    """M§6.3: on the Friday before the exam, each recipient who has not
    downloaded the encrypted problems (already available) is reminded, once
    per recipient and exam date (the ledger ProblemReminder: a second run
    sends nothing). The mail carries no password."""
    today = today or timezone.localdate()
    sent = []
    sessions = ExamSession.objects.filter(
        exam_date__gt=today, exam_date__lte=today + datetime.timedelta(days=7),
        cancelled_on__isnull=True,
    )  # fmt: skip
    for session in sessions:
        if reminder_day(session) != today:
            continue
        problem_file = ProblemFile.objects.filter(
            session=session, kind=ProblemFileKind.PROBLEMS, available_from__lte=today
        ).first()
        if problem_file is None:
            continue
        sites = list(delivery_sites(session).select_related("recipient_account__user"))
        contacts = contact_user_ids({s.provider_id for s in sites})
        downloaded = set(
            ProblemDownload.objects.filter(file=problem_file).values_list("site_id", flat=True)
        )
        users = {}
        for site in sites:
            if site.pk in downloaded or delivery_problem(site) is not None:
                continue
            user_id = recipient_user_id(site, contacts)
            if user_id is not None:
                users.setdefault(user_id, []).append(site)
        User = get_user_model()
        for user in User.objects.filter(pk__in=users, is_active=True):
            try:
                with transaction.atomic():
                    reminder = ProblemReminder.objects.create(session=session, user=user)
                    notify.send_on_commit(
                        "problem_reminder",
                        {
                            "user": user, "session": session, "sites": users[user.pk],
                            "exam_day": exam_day_label(session.exam_date),
                            "file": problem_file,
                            "url": f"{settings.SITE_URL}{reverse('problem_list')}",
                        },
                        [user.email],
                    )  # fmt: skip
            except IntegrityError:  # reminded already (the ledger)
                continue
            sent.append(reminder)
    return sent
