"""A deadline-day load test (issue 11, item 2): 200 provider users filing
completers one by one, uploading completer files and opening their
dashboards at once, against the real server; afterwards every write is
checked in the database.

What it does, in order:

1. A fresh PostgreSQL database (``fe_load_bench``, dropped before and after;
   or ``--db URL``, kept), migrated, with ``--users`` provider accounts built
   by bulk inserts: each its own provider, certified course, approved
   delivery course, exam site and submitted exam application (申請書式3), and a
   draft result report (申請書式4, IPA problems, 受験者数 5,000) of one exam of
   the load test's own whose report window is open and closes 10 minutes
   after the load starts (see "The clock" below), with ``--existing``
   completers already entered.
2. The real server as docker-compose.yml runs it: gunicorn with 3 sync
   workers, DEBUG off (collectstatic'ed manifest), http allowed
   (``DJANGO_SECURE_SSL_REDIRECT=0 DJANGO_SECURE_COOKIES=0``), the cache in
   Redis (``REDIS_URL``, db 12). None of the flows of the mix enqueues a
   Celery task (adding, uploading and confirming completers and the
   dashboard write no notice and no document), so Celery runs eagerly
   (no broker); ``--worker`` starts a real worker on ``CELERY_BROKER_URL``
   (db 11) instead.
3. locust as a library (``Environment``, ``LocalRunner``, gevent; FastHttpUser),
   headless, ``--users`` users spawned within about 15 s, for ``--time``
   seconds. Each user takes one account; ``--logins`` of them log in through
   the login form, the others arrive with a session made while preparing
   (logged in earlier that day: 200 logins at once would measure PBKDF2, about
   0.2 s of CPU each, not the deadline). Tasks, with a think time of
   ``--wait`` seconds between them:
     - file one completer with the form (weight 6): the report page's form is
       parsed and posted with every hidden input it has (the CSRF token, an
       idempotency token when the form has one) and the values typed;
       ``--refuse`` of them with a score under the pass mark (refused with
       「点数」が合格基準（36点）に達していません。);
     - upload a completer file (weight 1): an xlsx in the manual's
       修了認定者情報 layout (表5.8-3) built in memory with openpyxl, 10–30
       rows, read on the preview page and confirmed; ``--refuse`` of the files
       have a row under the pass mark (refused on the preview page:
       「エラー …件。まだ何も登録されていません。」 on the preview);
     - open the dashboard (weight 3).
   ``--double`` of the writes are double-clicked: the same post sent twice at
   the same moment (at most one completer may result).
   Every write carries its own marker — the completer's given name and its
   kana spell a number unique to the run (e.g. 負荷 一二三四五六七 /
   フカ イウエオカキク) — recorded with the outcome the server answered:
   stored (a redirect to the report with 「… を登録しました。」), refused (the
   expected Japanese message) or unknown (anything else: counted as an
   error).
4. The check: every stored write's completers are in the database exactly
   once, every refused write left none, no completer of the run exists that
   no write made. Printed: throughput, p50/p95/p99 per request type and
   overall, errors, lost, doubled and left-over writes. Exit status 1 when
   a check or a goal (0 errors, 0 lost or doubled writes, p95 < 1 s) fails.

The clock: the portal has no way to run at another time (no frozen clock;
``load_demo --today`` only dates data). So the exam is made so that its
report window closes 10 minutes after the load starts (at 17:00 Asia/Tokyo
exactly when the run starts between 16:50 and 16:59 JST): the server is in the
last 10 minutes before a close, but the close is at 17:00 only then.
Completers can be added while a report is a draft whatever the time (only
submitting checks the window), so the close changes what the pages say
(報告期間, the dashboard's countdown), not what is accepted.

Loopback only: the server, PostgreSQL and Redis must be on 127.0.0.1/::1
(``--host``, ``--db`` and the Redis URLs are refused otherwise).

Run from the project root (PostgreSQL on 127.0.0.1:5432, Redis on 6379):

    .venv/bin/python benchmarks/load.py [--users 200] [--time 90]
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime
import html.parser
import io
import ipaddress
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import zoneinfo
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JST = zoneinfo.ZoneInfo("Asia/Tokyo")
PYTHON = sys.executable

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/fe_load_bench"
DEFAULT_CACHE = "redis://127.0.0.1:6379/12"
DEFAULT_BROKER = "redis://127.0.0.1:6379/11"
# docker-compose.yml: gunicorn --workers $GUNICORN_WORKERS (3) --timeout 60
WORKERS = int(os.environ.get("GUNICORN_WORKERS", "3"))
PASSWORD = "Load-Test-Deadline-2026"
P95_GOAL_MS = 1000.0

# The marker of a write: a number spelled in kanji (given name) and katakana
# (its kana); family name 負荷 / フカ. Completers made before the load are 既存.
KANJI_DIGITS = "零一二三四五六七八九"
KANA_DIGITS = "アイウエオカキクケコ"
FAMILY, FAMILY_KANA = "負荷", "フカ"
EXISTING, EXISTING_KANA = "既存", "キソン"

FORM_REFUSED = "修了認定者を登録できませんでした。"
UPLOAD_REFUSED = "まだ何も登録されていません。"  # the preview page of a refused file
HEADER = ["免除対象講座番号", "実施講座番号", "修了試験回数", "修了認定者管理番号",
          "姓(漢字)", "名(漢字)", "姓(カナ)", "名(カナ)", "生年月日", "修了認定年月日",
          "修了試験結果"]  # fmt: skip


# --- markers and the check (pure; tests/test_load_benchmark.py) ---------------------


def marker_names(number: int) -> tuple[str, str]:
    """(given name, given kana) spelling ``number``."""
    digits = f"{number:07d}"
    return "".join(KANJI_DIGITS[int(d)] for d in digits), "".join(
        KANA_DIGITS[int(d)] for d in digits
    )


@dataclasses.dataclass
class Write:
    """One write of the load test as the client saw it."""

    kind: str  # "form" or "upload"
    user: int
    markers: list[str]  # the given names of the completers it sends
    outcome: str = "unknown"  # "stored", "refused" or "unknown"
    detail: str = ""


@dataclasses.dataclass
class Verification:
    writes: int
    stored: int
    refused: int
    unknown: list[Write]
    lost: list[tuple[Write, str]]  # stored writes whose completer is missing
    doubled: list[tuple[str, int]]  # markers stored more than once
    left_over: list[tuple[Write, str]]  # refused writes whose completer exists
    phantom: list[str]  # stored markers no write sent
    partial: list[Write] = dataclasses.field(default_factory=list)  # some rows stored, not all

    @property
    def ok(self) -> bool:
        return not (
            self.unknown
            or self.lost
            or self.doubled
            or self.left_over
            or self.phantom
            or self.partial
        )


def verify_writes(writes: list[Write], stored: collections.Counter) -> Verification:
    """Compare the client's record with ``stored`` (marker -> number of
    completers with it in the database): a stored write's markers exactly
    once, a refused write's never; an unknown outcome is an error itself
    (and its markers at most once); nothing stored that no write sent."""
    sent: set[str] = set()
    lost, left_over, unknown = [], [], []
    for write in writes:
        sent.update(write.markers)
        if write.outcome == "stored":
            lost += [(write, m) for m in write.markers if stored.get(m, 0) == 0]
        elif write.outcome == "refused":
            left_over += [(write, m) for m in write.markers if stored.get(m, 0) > 0]
        else:
            unknown.append(write)
    partial = [w for w in writes if len({stored.get(m, 0) > 0 for m in w.markers}) > 1]
    doubled = sorted((m, n) for m, n in stored.items() if n > 1)
    phantom = sorted(m for m, n in stored.items() if n and m not in sent)
    return Verification(
        writes=len(writes),
        stored=sum(w.outcome == "stored" for w in writes),
        refused=sum(w.outcome == "refused" for w in writes),
        unknown=unknown,
        lost=lost,
        doubled=doubled,
        left_over=left_over,
        phantom=phantom,
        partial=partial,
    )


# --- HTML forms -------------------------------------------------------------------


class _FormParser(html.parser.HTMLParser):
    """Every <form> with its action and the values a browser would send from
    its <input>s (hidden ones included; checkboxes only when checked)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action") or "", "fields": {}}
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("file", "submit", "button", "image"):
                return
            self._form["fields"][a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def form_fields(page: str, action_part: str) -> dict | None:
    """The fields of the first form whose action contains ``action_part``."""
    start = page.find(f'action="{action_part}')
    if start < 0:
        return None
    begin = page.rfind("<form", 0, start)
    end = page.find("</form>", start)
    parser = _FormParser()
    parser.feed(page[begin : end + len("</form>")])
    return parser.forms[0]["fields"] if parser.forms else None


def form_with_field(page: str, name: str) -> dict | None:
    """The fields of the first form with an input called ``name`` (a small page)."""
    parser = _FormParser()
    parser.feed(page)
    for form in parser.forms:
        if name in form["fields"]:
            return form["fields"]
    return None


def multipart(fields: dict, file_field: str, filename: str, data: bytes, content_type: str):
    boundary = "----load" + secrets.token_hex(12)
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(str(value).encode() + b"\r\n")
    out.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
    )
    out.write(data + b"\r\n" + f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def completer_xlsx(rows: list[list]) -> bytes:
    """表5.8-3 as Excel saves it: header row, date cells."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "修了認定者情報"
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    for birth, certified in ws.iter_rows(min_row=2, min_col=9, max_col=10):
        birth.number_format = certified.number_format = "yyyy/m/d"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- loopback, database, server -----------------------------------------------------


def require_loopback(host: str, what: str) -> None:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as exc:
        raise SystemExit(f"{what}: cannot resolve {host!r}: {exc}") from None
    bad = [a for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_loopback]
    if bad:
        raise SystemExit(f"{what}: {host!r} is not a loopback address ({', '.join(bad)}): refused")


def recreate_database(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"unexpected database name {name!r}")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def drop_database(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {parts.path.lstrip('/')} WITH (FORCE)")


def server_env(args, secret_key: str, media: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_SECRET_KEY": secret_key,
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,::1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DATABASE_URL": args.db,
        "REDIS_URL": args.cache,
        "EMAIL_URL": "locmem://",
        "MEDIA_ROOT": media,
        "SITE_URL": f"http://{args.host}:{args.port}",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("CELERY_BROKER_URL", None)
    if args.worker:
        env["CELERY_BROKER_URL"] = args.broker
    return env


def setup_django(env: dict) -> None:
    """portal.settings (DEBUG off) on the load test's database, in this process."""
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def start_processes(args, env: dict, logdir: str) -> list[subprocess.Popen]:
    """gunicorn as docker-compose.yml runs it (and a Celery worker with --worker)."""
    processes = []
    log = open(os.path.join(logdir, "gunicorn.log"), "wb")  # noqa: SIM115
    processes.append(
        subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "portal.wsgi:application",
                "--bind",
                f"{args.host}:{args.port}",
                "--workers",
                str(WORKERS),
                "--timeout",
                "60",
                "--access-logfile",
                os.path.join(logdir, "access.log"),
                "--access-logformat",
                "%(M)s %(s)s %(m)s %(U)s",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    )
    if args.worker:
        wlog = open(os.path.join(logdir, "worker.log"), "wb")  # noqa: SIM115
        processes.append(
            subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "worker",
                    "--loglevel=WARNING",
                    "--concurrency=1",
                ],
                cwd=ROOT,
                env=env,
                stdout=wlog,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        )
    base = f"http://{args.host}:{args.port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if processes[0].poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log.name}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return processes
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def stop_processes(processes: list[subprocess.Popen]) -> None:
    for process in processes:  # only the processes this script started
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def warm_up(base: str, plan: Plan, host: str) -> None:
    """Untimed: a few pages per worker, so that no worker compiles its
    templates and opens its database connection inside the measurement."""
    import http.cookiejar

    account = next(a for a in plan.accounts if a.session_key)
    jar = http.cookiejar.CookieJar()
    jar.set_cookie(_cookie("sessionid", account.session_key, host))
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    for _ in range(4 * WORKERS):
        for path in ("/", f"/exams/reports/{account.report_pk}/", "/accounts/login/"):
            with opener.open(base + path, timeout=60) as response:
                response.read()


def server_cpu(processes: list[subprocess.Popen]) -> float:
    """CPU seconds (user + system) used so far by gunicorn and its workers."""
    import psutil

    total = 0.0
    try:
        master = psutil.Process(processes[0].pid)
        for process in [master, *master.children(recursive=True)]:
            times = process.cpu_times()
            total += times.user + times.system
    except psutil.Error:
        pass
    return total


def server_times(logdir: str, since: int) -> list[float]:
    """Milliseconds each request spent inside a gunicorn worker (its access
    log, from the byte offset ``since``): the client's time minus the wait in
    the listen queue."""
    times = []
    with open(os.path.join(logdir, "access.log"), "rb") as log:
        log.seek(since)
        for line in log:
            ms = line.split(b" ", 1)[0]
            if ms.isdigit():
                times.append(float(ms))
    return times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# --- the data set -------------------------------------------------------------------


@dataclasses.dataclass
class Account:
    index: int
    email: str
    report_pk: int
    session_key: str | None  # a session made while preparing, or None: log in


@dataclasses.dataclass
class Plan:
    accounts: list[Account]
    exam_date: datetime.date
    certified_on: datetime.date
    closes_at: datetime.datetime
    pass_score: int
    max_score: int
    session_pk: int


def _exam_day(today: datetime.date) -> datetime.date:
    """A Sunday at least 3 days ago on which no exam is in the calendar."""
    from calendars.models import ExamSession

    day = today - datetime.timedelta(days=3)
    day -= datetime.timedelta(days=(day.weekday() + 1) % 7)
    taken = set(ExamSession.objects.values_list("exam_date", flat=True))
    while day in taken:
        day -= datetime.timedelta(days=7)
    return day


def prepare(users: int, existing: int, logins: int, closes_at: datetime.datetime) -> Plan:
    """The accounts and their draft reports, by bulk inserts (a few seconds)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction
    from django.utils import timezone

    from calendars.models import ExamSession
    from certifications.models import Completer
    from courses.models import DeliveryCourse, ExemptionCourse
    from exams import rules
    from exams.models import ExamApplication, ExamSite, ResultReport
    from portal.middleware import SESSION_STARTED_KEY
    from portal.models import User
    from providers.models import Membership, Provider
    from tests.factories import PROVIDER_VALUES

    now = timezone.now()
    today = timezone.localdate(now)
    exam_date = _exam_day(today)
    certified_on = min(today, exam_date + datetime.timedelta(days=1))
    midnight = datetime.datetime.combine(exam_date, datetime.time(0), tzinfo=JST)
    tag = secrets.token_hex(3)  # a --db database may hold an earlier run
    with transaction.atomic():
        session = ExamSession.objects.create(
            exam_date=exam_date,
            fiscal_year=exam_date.year if exam_date.month >= 4 else exam_date.year - 1,
            season="summer" if 4 <= exam_date.month <= 9 else "winter",
            application_opens_at=midnight - datetime.timedelta(days=40),
            application_closes_at=midnight - datetime.timedelta(days=33) + datetime.timedelta(hours=15),
            problems_delivered_on=exam_date - datetime.timedelta(days=4),
            report_opens_at=midnight + datetime.timedelta(days=1),
            report_closes_at=closes_at,
            note="負荷試験用の日程",
        )  # fmt: skip
        taken = set(Provider.objects.values_list("number", flat=True))
        numbers = [n for n in (f"{i}" for i in range(60000, 99990)) if n not in taken][:users]
        password = make_password(PASSWORD)
        emails = [f"load{n:03d}-{tag}@load.example.jp" for n in range(users)]
        User.objects.bulk_create(
            User(email=e, family_name="負荷", given_name=f"担当{n}", password=password)
            for n, e in enumerate(emails)
        )
        user_rows = {u.email: u for u in User.objects.filter(email__in=emails)}
        values = dict(PROVIDER_VALUES)
        Provider.objects.bulk_create(
            Provider(**{**values, "number": number, "name": f"負荷試験学園{number}",
                        "contact_email": email, "terms_accepted_at": now})
            for number, email in zip(numbers, emails, strict=True)
        )  # fmt: skip
        providers = {p.number: p for p in Provider.objects.filter(number__in=numbers)}
        Membership.objects.bulk_create(
            Membership(user=user_rows[e], provider=providers[n], is_contact=True)
            for n, e in zip(numbers, emails, strict=True)
        )
        ExemptionCourse.objects.bulk_create(
            ExemptionCourse(
                provider=providers[n], serial=1, course_type="NONE_IPA", state=ExemptionCourse.S.CERTIFIED,
                name="負荷試験講座", desired_month=datetime.date(today.year - 1, 4, 1),
                total_hours=100, submitted_at=now, certified_on=datetime.date(today.year - 1, 4, 1),
                valid_until=today + datetime.timedelta(days=700),
            )
            for n in numbers
        )  # fmt: skip
        courses = ExemptionCourse.objects.filter(provider__number__in=numbers)
        DeliveryCourse.objects.bulk_create(
            DeliveryCourse(
                course=c, serial=1, name="負荷試験実施講座", prefecture="東京都",
                address="文京区本駒込2-28-8", expected_learners=5000,
                start_date=exam_date - datetime.timedelta(days=90),
                end_date=exam_date - datetime.timedelta(days=1), instructors="講師名：情報 太郎",
                committee_declaration=True, state=DeliveryCourse.S.APPROVED, submitted_at=now,
                approved_on=today - datetime.timedelta(days=100),
            )
            for c in courses
        )  # fmt: skip
        roles = {
            "exam_site": "東京都文京区本駒込2-28-8", "manager": "情報 太郎",
            "manager_deputy": "情報 花子", "electronic_keeper": "情報 花子", "printer": "情報 花子",
            "printed_keeper": "情報 花子", "storage_method": "金庫", "exam_executive": "情報 太郎",
            "grading_lead": "情報 太郎", "graders": 2, "grading_passes": 2,
        }  # fmt: skip
        ExamSite.objects.bulk_create(
            ExamSite(provider=providers[n], session=session, **roles) for n in numbers
        )
        sites = {s.provider_id: s for s in ExamSite.objects.filter(session=session)}
        deliveries = list(
            DeliveryCourse.objects.filter(course__provider__number__in=numbers).select_related(
                "course"
            )
        )
        ExamApplication.objects.bulk_create(
            ExamApplication(delivery_course=d, session=session, site=sites[d.course.provider_id],
                            applicants=5000, state=ExamApplication.S.SUBMITTED, submitted_at=midnight - datetime.timedelta(days=35))
            for d in deliveries
        )  # fmt: skip
        ResultReport.objects.bulk_create(
            ResultReport(
                delivery_course=a.delivery_course, serial=1, kind="ipa", application=a,
                session=session, exam_date=exam_date, applicants=5000, examinees=5000,
                certified_on=certified_on, consent_confirmed=True,
            )
            for a in ExamApplication.objects.filter(session=session).select_related("delivery_course")
        )  # fmt: skip
        reports = {
            r.delivery_course.course.provider.number: r
            for r in ResultReport.objects.filter(session=session).select_related(
                "delivery_course__course__provider"
            )
        }
        Completer.objects.bulk_create(
            (
                Completer(
                    report=reports[n], serial=k + 1, family_name=EXISTING,
                    given_name=marker_names(i * 1000 + k)[0], family_kana=EXISTING_KANA,
                    given_kana=marker_names(i * 1000 + k)[1],
                    birth_date=datetime.date(1995, 1, 1) + datetime.timedelta(days=k),
                    score=36 + k % 25,
                )
                for i, n in enumerate(numbers)
                for k in range(existing)
            ),
            batch_size=2000,
        )  # fmt: skip
    accounts = []
    for i, (number, email) in enumerate(zip(numbers, emails, strict=True)):
        key = None
        if i >= logins:  # logged in earlier that day
            user = user_rows[email]
            store = SessionStore()
            store["_auth_user_id"] = str(user.pk)
            store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
            store["_auth_user_hash"] = user.get_session_auth_hash()
            store[SESSION_STARTED_KEY] = time.time()
            store.create()
            key = store.session_key
        accounts.append(Account(i, email, reports[number].pk, key))
    return Plan(
        accounts=accounts,
        exam_date=exam_date,
        certified_on=certified_on,
        closes_at=closes_at,
        pass_score=rules.ipa_pass_score(),
        max_score=rules.IPA_FULL_MARKS,
        session_pk=session.pk,
    )


def stored_markers(session_pk: int) -> collections.Counter:
    from django.db import connections

    from certifications.models import Completer

    connections.close_all()
    rows = Completer.objects.filter(report__session_id=session_pk, family_name=FAMILY)
    return collections.Counter(rows.values_list("given_name", flat=True))


def closing_time(now: datetime.datetime) -> datetime.datetime:
    """17:00 JST today when that is within the next 10 minutes; otherwise 10
    minutes from now (to the minute)."""
    local = now.astimezone(JST)
    five = local.replace(hour=17, minute=0, second=0, microsecond=0)
    if datetime.timedelta(0) < five - local <= datetime.timedelta(minutes=10):
        return five
    return (local + datetime.timedelta(minutes=11)).replace(second=0, microsecond=0)


# --- the load -----------------------------------------------------------------------


def run_load(args, plan: Plan, base: str):
    """locust as a library; returns (stats, writes)."""
    import gevent
    from locust import FastHttpUser, between, events, task
    from locust.env import Environment

    accounts = list(plan.accounts)
    writes: list[Write] = []
    numbers = iter(range(1, 10_000_000))  # the markers, unique to the run
    rng = random.Random(args.seed)

    def person(refused: bool) -> tuple[str, str, datetime.date, int]:
        n = next(numbers)
        given, kana = marker_names(n)
        birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=n % 12_000)
        score = (
            rng.randint(20, plan.pass_score - 1)
            if refused
            else rng.randint(plan.pass_score, plan.max_score)
        )
        return given, kana, birth, score

    class Provider(FastHttpUser):
        host = base
        wait_time = between(*args.wait)
        network_timeout = 60.0
        connection_timeout = 60.0

        def on_start(self):
            self.account = accounts.pop(0)
            self.report_url = f"/exams/reports/{self.account.report_pk}/"
            self.page = None  # the report page last seen (its forms)
            # Redirects are never followed: each one is a request of its own.
            # (Not allow_redirects=False per request: it switches the setting of
            # the shared client and back, which races between the two posts of
            # a double click.)
            self.client.client.redirect_response_codes = frozenset()
            if self.account.session_key:
                self.client.cookiejar.set_cookie(
                    _cookie("sessionid", self.account.session_key, args.host)
                )
            else:
                self.login()

        def login(self):
            page = self.client.get("/accounts/login/", name="GET login").text or ""
            fields = form_with_field(page, "csrfmiddlewaretoken") or {}
            fields.update(username=self.account.email, password=PASSWORD)
            with self.client.post("/accounts/login/", data=urllib.parse.urlencode(fields),
                                  headers=_FORM, name="POST login",
                                  catch_response=True) as r:  # fmt: skip
                if r.status_code != 302:
                    r.failure(f"login answered {r.status_code}")

        def report_page(self, name="GET report page") -> str | None:
            with self.client.get(self.report_url, name=name, catch_response=True) as r:
                if r.status_code != 200 or "修了試験結果の報告" not in (r.text or ""):
                    r.failure(f"report page answered {r.status_code}")
                    return None
                return r.text

        def double(self) -> bool:
            return rng.random() < args.double

        def post_twice(self, url, body, headers, name):
            """A double click: the same post twice at the same moment."""
            jobs = [gevent.spawn(self._post, url, body, headers, name) for _ in range(2)]
            gevent.joinall(jobs)
            return [job.value for job in jobs]

        def _post(self, url, body, headers, name):
            with self.client.post(url, data=body, headers=headers, name=name,
                                  catch_response=True) as r:  # fmt: skip
                if r.status_code == 0:  # no answer: the connection failed
                    r.failure(f"no answer: {getattr(r, 'error', None)!r}"[:200])
                    return 0, "", ""
                r.success()  # judged below with the outcome
                return r.status_code, (r.headers or {}).get("Location", ""), r.text or ""

        @task(3)
        def dashboard(self):
            with self.client.get("/", name="GET dashboard", catch_response=True) as r:
                if r.status_code != 200 or "負荷試験学園" not in (r.text or ""):
                    r.failure(f"dashboard answered {r.status_code}")
            self.page = None

        @task(6)
        def file_completer(self):
            page = self.page or self.report_page()
            self.page = None
            if page is None:
                return
            fields = form_fields(page, f"/exams/reports/{self.account.report_pk}/completers/add/")
            if fields is None:
                events.request.fire(request_type="CHECK", name="completer form on the report page",
                                    response_time=0, response_length=0,
                                    exception=Exception("no completer form"))  # fmt: skip
                return
            refused = rng.random() < args.refuse
            given, kana, birth, score = person(refused)
            fields.update(family_name=FAMILY, given_name=given, family_kana=FAMILY_KANA,
                          given_kana=kana, birth_date=birth.isoformat(), score=str(score))  # fmt: skip
            write = Write("form", self.account.index, [given])
            writes.append(write)
            body = urllib.parse.urlencode(fields)
            url = f"{self.report_url}completers/add/"
            answers = (self.post_twice(url, body, _FORM, "POST completer (double click)")
                       if self.double() else [self._post(url, body, _FORM, "POST completer")])  # fmt: skip
            outcomes = []
            for status, location, text in answers:
                if status == 302 and location.rstrip("/").endswith(self.report_url.rstrip("/")):
                    outcomes.append("stored")
                elif (
                    status == 200
                    and FORM_REFUSED in text
                    and (
                        f"「点数」が合格基準（{plan.pass_score}点）に達していません。" in text
                        or (len(answers) > 1 and ("既に" in text))
                    )
                ):
                    outcomes.append("refused")
                else:
                    outcomes.append("unknown")
                    write.detail = f"{status} {location}"
            if "unknown" in outcomes:
                write.outcome = "unknown"
            elif "stored" in outcomes:
                write.outcome = "stored"
                if refused:
                    write.outcome, write.detail = (
                        "unknown",
                        "a score under the pass mark was stored",
                    )
            else:
                write.outcome = "refused"
                if not refused:
                    write.outcome, write.detail = "unknown", "a valid completer was refused"
            if write.outcome == "unknown":
                _fail("completer form", write.detail)
            if write.outcome == "stored":
                page = self.report_page("GET report page (after filing)")
                if (
                    page is not None
                    and len(answers) == 1
                    and f"{given} を登録しました。" not in page
                ):
                    _fail("completer form", "no 「を登録しました。」 on the report page")
                    write.outcome = "unknown"
                self.page = page

        @task(1)
        def upload_file(self):
            page = self.page or self.report_page()
            self.page = None
            if page is None:
                return
            fields = form_fields(page, f"/exams/reports/{self.account.report_pk}/upload/")
            if fields is None:
                _fail("upload form", "no upload form on the report page")
                return
            refused = rng.random() < args.refuse
            rows, markers = [], []
            count = rng.randint(10, 30)
            bad = rng.randrange(count) if refused else -1
            for k in range(count):
                given, kana, birth, score = person(k == bad)
                markers.append(given)
                rows.append([1, 1, 1, None, FAMILY, given, FAMILY_KANA, kana, birth,
                             plan.certified_on, score])  # fmt: skip
            write = Write("upload", self.account.index, markers)
            writes.append(write)
            body, content_type = multipart(
                fields, "file", "修了認定者情報.xlsx", completer_xlsx(rows),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )  # fmt: skip
            write.detail = "cut off while posting the file"
            status, location, _ = self._post(
                f"{self.report_url}upload/",
                body,
                {"Content-Type": content_type},
                "POST upload (xlsx)",
            )
            if status != 302 or "/exams/uploads/" not in location:
                write.detail = f"upload answered {status} {location}"
                _fail("upload", write.detail)
                return
            preview_url = urllib.parse.urlsplit(location).path
            write.detail = "cut off on the preview"
            with self.client.get(preview_url, name="GET upload preview", catch_response=True) as r:
                preview = (r.text or "") if r.status_code == 200 else ""
                if not preview:
                    r.failure(f"preview answered {r.status_code}")
                    return
            if UPLOAD_REFUSED in preview:
                write.outcome = "refused" if refused else "unknown"
                if not refused:
                    _fail("upload", "a valid file was refused")
                return
            confirm = form_fields(preview, f"{preview_url}confirm/")
            if confirm is None or refused:
                write.detail = (
                    "a file with a bad row was accepted" if refused else "no confirm form"
                )
                _fail("upload", write.detail)
                return
            body = urllib.parse.urlencode(confirm)
            write.detail = "cut off while confirming"
            url = f"{preview_url}confirm/"
            answers = (self.post_twice(url, body, _FORM, "POST upload confirm (double click)")
                       if self.double() else [self._post(url, body, _FORM, "POST upload confirm")])  # fmt: skip
            to_report = [
                a
                for a in answers
                if a[0] == 302 and a[1].rstrip("/").endswith(self.report_url.rstrip("/"))
            ]
            to_preview = [
                a
                for a in answers
                if a[0] == 302 and a[1].rstrip("/").endswith(preview_url.rstrip("/"))
            ]
            if not to_report or len(to_report) + len(to_preview) != len(answers):
                write.detail = f"confirm answered {[(a[0], a[1], a[2][:300]) for a in answers]}"
                _fail("upload confirm", write.detail)
                return
            page = self.report_page("GET report page (after upload)")
            self.page = page
            if (
                page is not None
                and f"修了認定者を{count}名登録しました。" not in page
                and len(answers) == 1
            ):
                write.detail = "no 「…名登録しました。」 on the report page"
                _fail("upload confirm", write.detail)
                return
            write.outcome = "stored"

    def _fail(name, detail):
        events.request.fire(request_type="CHECK", name=name, response_time=0,
                            response_length=0, exception=Exception(detail))  # fmt: skip

    # Users finish the task they are in when the time is up (no write cut off;
    # under a long queue an upload with its preview and confirmation takes a minute).
    env = Environment(user_classes=[Provider], events=events, stop_timeout=180)
    runner = env.create_local_runner()
    runner.start(args.users, spawn_rate=args.users / args.spawn)
    gevent.spawn_later(args.time, runner.quit)
    runner.greenlet.join()
    return env.stats, writes, env.runner.exceptions


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _cookie(name: str, value: str, host: str):
    from http.cookiejar import Cookie

    return Cookie(0, name, value, None, False, host, False, False, "/", True, False, None, False,
                  None, None, {})  # fmt: skip


# --- the report ---------------------------------------------------------------------


def print_stats(stats) -> float:
    """Per request type and overall; returns the overall p95 (ms)."""
    print(
        f"{'request':<40} {'count':>6} {'fail':>5} {'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6}  (ms)"
    )
    rows = sorted(stats.entries.values(), key=lambda e: (e.method != "GET", e.name))
    for e in [*rows, stats.total]:
        if not e.num_requests and not e.num_failures:
            continue
        label = "overall" if e is stats.total else e.name
        print(
            f"{label:<40} {e.num_requests:>6} {e.num_failures:>5} {e.total_rps:>6.1f} "
            f"{e.get_response_time_percentile(0.5) or 0:>6.0f} {e.get_response_time_percentile(0.95) or 0:>6.0f} "
            f"{e.get_response_time_percentile(0.99) or 0:>6.0f} {e.max_response_time or 0:>6.0f}"
        )  # fmt: skip
    errors = sorted(stats.errors.values(), key=lambda e: -e.occurrences)
    for e in errors[:10]:
        print(f"  error ×{e.occurrences}: {e.method} {e.name}: {e.error}"[:300])
    return stats.total.get_response_time_percentile(0.95) or 0.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--time", type=int, default=90, help="seconds of load (30–540)")
    parser.add_argument("--spawn", type=float, default=15.0, help="seconds to start every user")
    parser.add_argument("--wait", type=float, nargs=2, default=(10.0, 30.0), metavar=("MIN", "MAX"),
                        help="think time between two tasks of a user (s)")  # fmt: skip
    parser.add_argument("--logins", type=int, default=20, help="users who log in with the form")
    parser.add_argument("--existing", type=int, default=20, help="completers per report before")
    parser.add_argument(
        "--refuse", type=float, default=0.1, help="share of writes that are refused"
    )
    parser.add_argument("--double", type=float, default=0.05, help="share of double-clicked writes")
    parser.add_argument(
        "--db", help=f"a database URL to use and keep (default: fresh {DEFAULT_DB})"
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the fresh database")
    parser.add_argument("--cache", default=DEFAULT_CACHE)
    parser.add_argument("--worker", action="store_true", help="a real Celery worker (not eager)")
    parser.add_argument("--broker", default=DEFAULT_BROKER)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 500 or not 10 <= args.time <= 540:
        parser.error("--users 1–500 and --time 10–540 (bounded)")

    # gevent patches the standard library before anything else opens a socket.
    import locust  # noqa: F401

    fresh = args.db is None
    args.db = args.db or DEFAULT_DB
    require_loopback(args.host, "--host")
    require_loopback(urllib.parse.urlsplit(args.db).hostname or "", "--db")
    require_loopback(urllib.parse.urlsplit(args.cache).hostname or "", "--cache")
    if args.worker:
        require_loopback(urllib.parse.urlsplit(args.broker).hostname or "", "--broker")
    args.port = args.port or free_port(args.host)
    tmp = tempfile.mkdtemp(prefix="load-bench-")
    env = server_env(args, secrets.token_urlsafe(40), os.path.join(tmp, "media"))
    processes = []
    try:
        t0 = time.perf_counter()
        if fresh:
            recreate_database(args.db)
        setup_django(env)
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        migrated = time.perf_counter() - t0
        call_command("collectstatic", interactive=False, verbosity=0)
        closes_at = closing_time(datetime.datetime.now(tz=JST) + datetime.timedelta(seconds=20))
        plan = prepare(args.users, args.existing, args.logins, closes_at)
        connections.close_all()
        prepared = time.perf_counter() - t0
        processes = start_processes(args, env, tmp)
        base = f"http://{args.host}:{args.port}"
        warm_up(base, plan, args.host)
        print(
            f"{args.users} provider users, {args.existing} completers each before, prepared in "
            f"{prepared:.0f} s (migrations {migrated:.0f} s) on {urllib.parse.urlsplit(args.db).path.lstrip('/')} (PostgreSQL); "
            f"gunicorn --workers {WORKERS} on {base}, DEBUG off, "
            f"{'a Celery worker' if args.worker else 'Celery eager (the mix enqueues no task)'}"
        )
        print(
            f"exam {plan.exam_date:%Y-%m-%d}: report window closes "
            f"{plan.closes_at.astimezone(JST):%Y-%m-%d %H:%M} JST; load starts "
            f"{datetime.datetime.now(tz=JST):%H:%M:%S} JST for {args.time} s "
            f"(spawn {args.spawn:.0f} s, think {args.wait[0]:g}–{args.wait[1]:g} s, "
            f"{args.logins} logins, refused {args.refuse:.0%}, double clicks {args.double:.0%})"
        )
        load_before, cpu_before = os.getloadavg()[0], server_cpu(processes)
        log_start = os.path.getsize(os.path.join(tmp, "access.log"))
        self_before = time.process_time()
        started = time.perf_counter()
        stats, writes, exceptions = run_load(args, plan, base)
        elapsed = time.perf_counter() - started
        cpu = server_cpu(processes) - cpu_before
        self_cpu = time.process_time() - self_before
        load_after = os.getloadavg()[0]
        stop_processes(processes)
        processes = []
        stored = stored_markers(plan.session_pk)
        result = verify_writes(writes, stored)
        print()
        p95 = print_stats(stats)
        errors = stats.total.num_failures
        completers = sum(len(w.markers) for w in writes if w.outcome == "stored")
        inside = server_times(tmp, log_start)
        print(
            f"inside gunicorn (its access log, without the wait for a free worker): "
            f"{len(inside)} requests, p50 {percentile(inside, 50):.0f} ms, "
            f"p95 {percentile(inside, 95):.0f} ms, p99 {percentile(inside, 99):.0f} ms"
        )
        print(
            f"CPU: the server (gunicorn, {WORKERS} workers) used {cpu:.0f} s in {elapsed:.0f} s "
            f"({cpu / max(1, stats.total.num_requests) * 1000:.0f} ms a request), locust {self_cpu:.0f} s; "
            f"load average {load_before:.1f} before, {load_after:.1f} after (2 cores, shared)"
        )
        print()
        print(
            f"writes: {result.writes} ({sum(w.kind == 'form' for w in writes)} forms, "
            f"{sum(w.kind == 'upload' for w in writes)} uploads), stored {result.stored} "
            f"({completers} completers), refused {result.refused}, unknown {len(result.unknown)}"
        )
        print(
            f"lost writes: {len(result.lost)}, doubled: {len(result.doubled)}, "
            f"refused but stored: {len(result.left_over)}, stored by no write: {len(result.phantom)}, "
            f"partly stored: {len(result.partial)}"
        )
        for write, marker in (result.lost + result.left_over)[:10]:
            print(f"  {write.kind} of user {write.user} ({write.outcome}): {marker}")
        for row in list(exceptions.values())[:5]:  # a task that raised: its write is unknown
            print(
                f"  exception in a task ×{row['count']}: {row['msg']}\n{row['traceback'][-1500:]}"
            )
        for write in result.unknown[:10]:
            kept = sum(1 for m in write.markers if stored.get(m))
            print(
                f"  unknown: {write.kind} of user {write.user}: {write.detail or 'no answer recorded'}"
                f" (its completers stored: {kept} of {len(write.markers)})"
            )
        for write in result.partial[:10]:
            print(f"  partly stored: {write.kind} of user {write.user} ({write.outcome})")
        checks = {
            "0 errors": errors == 0 and not result.unknown and not exceptions,
            "0 lost or doubled writes": result.ok,
            f"p95 < {P95_GOAL_MS:.0f} ms": p95 < P95_GOAL_MS,
        }
        print("goals: " + ", ".join(f"{k}: {'ok' if v else 'MISSED'}" for k, v in checks.items()))
        return 0 if all(checks.values()) else 1
    finally:
        stop_processes(processes)
        if fresh and not args.keep_db:
            try:
                from django.db import connections

                connections.close_all()
            except Exception:  # noqa: BLE001 (Django may not be set up)
                pass
            drop_database(args.db)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
