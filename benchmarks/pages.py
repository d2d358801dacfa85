"""Issue 11 (1): response times of the main pages on the full-scale data set
(``manage.py load_scale``), served by the real server: gunicorn with DEBUG
off on loopback, against PostgreSQL.

Each page is requested ``--requests`` times, interleaved request by request
with a minimal view (``/healthz`` with the same session cookie: the
middleware, the session, no page), so that both see the same load of this
shared machine. The table prints p50 and p95 of each page, the ratio of its
p95 to the minimal view's p50 (goal: at most 30), and the number of queries
of one request (counted in this process with Django's test client on the same
database).

Run from the project root after loading the data set:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fe_scale .venv/bin/python manage.py load_scale
    .venv/bin/python benchmarks/pages.py --db postgres://postgres@127.0.0.1:5432/fe_scale [--requests 50]
"""

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 30


def _percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(db: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db,
        DJANGO_SETTINGS_MODULE="portal.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_HSTS_SECONDS="0",
        DJANGO_MANIFEST_STATIC="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        LOG_LEVEL="WARNING",
    )
    env.pop("CELERY_BROKER_URL", None)
    return env


def _setup_django(db: str) -> None:
    os.environ.update(_server_env(db))
    import warnings

    warnings.filterwarnings("ignore", message="No directory at")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _targets():
    """(label, role, url) of every page, with the heavy provider's objects."""
    from calendars.models import ExamSession
    from certifications.management.commands.load_scale import HEAVY_NUMBER
    from courses.models import ExemptionCourse
    from exams.models import ResultReport
    from providers.models import Provider

    heavy = Provider.objects.filter(number=HEAVY_NUMBER).first()
    if heavy is None:
        sys.exit("No data set: run `manage.py load_scale` on this database first.")
    report = (
        ResultReport.objects.filter(delivery_course__course__provider=heavy)
        .order_by("-applicants")
        .first()
    )
    course = ExemptionCourse.objects.filter(
        provider=heavy, state=ExemptionCourse.S.CERTIFIED
    ).first()
    submitted = ExemptionCourse.objects.filter(
        provider=heavy, state=ExemptionCourse.S.SUBMITTED
    ).first()
    session = (
        ExamSession.objects.filter(applications__site__provider=heavy)
        .order_by("-exam_date")
        .first()
    )
    review_session = ExamSession.objects.get(pk=report.session_id)
    return [
        ("provider dashboard", "provider", "/"),
        ("course list", "provider", "/courses/"),
        ("course detail", "provider", f"/courses/{course.pk}/"),
        ("exam calendar", "provider", "/exams/"),
        ("exam page", "provider", f"/exams/{session.pk}/"),
        ("report, 10,000 completers", "provider", f"/exams/reports/{report.pk}/"),
        ("report, search by name", "provider", f"/exams/reports/{report.pk}/?q=%E6%83%85%E5%A0%B1"),
        ("reviewer inbox", "reviewer", "/review/inbox/"),
        ("queue: registrations", "reviewer", "/review/registrations/"),
        ("queue: courses", "reviewer", "/review/courses/"),
        ("queue: payments", "reviewer", "/review/payments/"),
        ("queue: exams", "reviewer", "/review/exams/"),
        ("queue: exam session", "reviewer", f"/review/exams/{review_session.pk}/"),
        ("queue: changes", "reviewer", "/review/changes/"),
        ("queue: questions", "reviewer", "/review/questions/"),
        ("queue: withdrawals", "reviewer", "/review/withdrawals/"),
        ("course review page", "reviewer", f"/review/courses/{submitted.pk}/"),
        ("review report page", "reviewer", f"/review/reports/{report.pk}/"),
        ("admin: completers", "admin", "/admin/certifications/completer/"),
        ("admin: fee lines", "admin", "/admin/fees/feeline/"),
        ("admin: courses", "admin", "/admin/courses/exemptioncourse/"),
        ("admin: audit entries", "admin", "/admin/portal/auditentry/"),
    ]


def _logins():
    from certifications.management.commands.load_scale import (
        ADMIN_EMAIL,
        HEAVY_EMAIL,
        REVIEWER_EMAIL,
        SCALE_PASSWORD,
    )

    return {
        "provider": (HEAVY_EMAIL, SCALE_PASSWORD, "/accounts/login/"),
        "reviewer": (REVIEWER_EMAIL, SCALE_PASSWORD, "/accounts/login/"),
        "admin": (ADMIN_EMAIL, SCALE_PASSWORD, "/admin/login/"),
    }


def _login(base: str, email: str, password: str, path: str):
    import requests

    session = requests.Session()
    page = session.get(base + path)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        base + path,
        data={"csrfmiddlewaretoken": token, "username": email, "password": password, "next": "/"},
        headers={"Referer": base + path},
        allow_redirects=False,
    )
    if response.status_code != 302:
        sys.exit(f"login of {email} failed ({response.status_code})")
    # IPA staff pass the second factor with the code of load_scale's device.
    landing = session.get(base + "/", allow_redirects=False)
    if landing.status_code == 302 and "/accounts/2fa/verify/" in landing.headers["Location"]:
        from django_otp.oath import totp

        from certifications.management.commands.load_scale import SCALE_TOTP_KEY

        verify = session.get(base + "/accounts/2fa/verify/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', verify.text).group(1)
        answer = session.post(
            base + "/accounts/2fa/verify/",
            data={
                "csrfmiddlewaretoken": token,
                "code": f"{totp(bytes.fromhex(SCALE_TOTP_KEY)):06d}",
            },
            headers={"Referer": base + "/accounts/2fa/verify/"},
            allow_redirects=False,
        )
        if answer.status_code != 302:
            sys.exit(f"second factor of {email} failed ({answer.status_code})")
    return session


def _verified(client, user) -> None:
    """The test client's session past the second factor, as after the code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def _query_counts(targets, logins) -> dict:
    """Queries of one request of each page, in this process."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    users = {
        role: get_user_model().objects.get(email=email) for role, (email, *_) in logins.items()
    }
    clients = {}
    for role, user in users.items():
        clients[role] = Client()
        clients[role].force_login(user)
        _verified(clients[role], user)
    counts = {}
    for label, role, url in targets:
        with CaptureQueriesContext(connection) as queries:
            clients[role].get(url)
        counts[label] = len(queries)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page (≥ 50)")
    parser.add_argument("--db", default=os.environ.get("DATABASE_URL", ""), help="DATABASE_URL")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="", help="only the pages whose label contains this")
    args = parser.parse_args()
    if not args.db.startswith("postgres"):
        sys.exit("--db (or DATABASE_URL) must name the PostgreSQL database loaded by load_scale")
    _setup_django(args.db)
    targets = [t for t in _targets() if args.only in t[0]]
    logins = _logins()
    queries = _query_counts(targets, logins)

    import requests

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env=_server_env(args.db),
    )  # fmt: skip
    try:
        for _ in range(300):
            try:
                if requests.get(base + "/healthz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        sessions = {role: _login(base, *login) for role, login in logins.items()}
        rows = []
        minimal_all = []
        for label, role, url in targets:
            session = sessions[role]
            for _ in range(3):  # warm-ups
                response = session.get(base + url, allow_redirects=False)
                session.get(base + "/healthz")
            if response.status_code != 200:
                rows.append((label, url, None, None, None, response.status_code))
                continue
            page, minimal = [], []
            size = len(response.content)
            for _ in range(args.requests):
                start = time.perf_counter()
                session.get(base + "/healthz")
                minimal.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                response = session.get(base + url, allow_redirects=False)
                page.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            minimal_all += minimal
            rows.append((label, url, statistics.median(page), _percentile(page, 95),
                         statistics.median(minimal), size))  # fmt: skip
    finally:
        server.terminate()
        server.wait(10)
    base_p50 = statistics.median(minimal_all)
    print(f"gunicorn ({args.workers} workers, DEBUG off) on PostgreSQL, {args.requests} requests "
          f"per page, interleaved with /healthz; minimal view p50 {base_p50:.1f} ms")  # fmt: skip
    print(f"{'page':<28}{'p50 ms':>9}{'p95 ms':>9}{'p95/min':>9}{'queries':>9}{'KB':>8}  url")
    worst = 0.0
    for label, url, p50, p95, min_p50, size in rows:
        if p50 is None:
            worst = float("inf")
            print(f"{label:<28}{'HTTP ' + str(size):>27}{queries[label]:9d}{'':8}  {url}  > goal")
            continue
        ratio = p95 / min_p50
        worst = max(worst, ratio)
        mark = "" if ratio <= GOAL else "  > goal"
        print(
            f"{label:<28}{p50:9.1f}{p95:9.1f}{ratio:9.1f}{queries[label]:9d}{size / 1024:8.0f}  {url}{mark}"
        )
    print(f"worst ratio {worst:.1f} (goal ≤ {GOAL}): {'met' if worst <= GOAL else 'NOT met'}")
    return 0 if worst <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
