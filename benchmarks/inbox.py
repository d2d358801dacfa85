"""Response time of IPA's inbox (W2) and of the provider dashboard (I1) with
500 providers and 5,000 open items, beside a hello-world view measured in
the same run.

Standalone: sets up Django with a throwaway SQLite database in a temporary
directory, migrates it, builds the items with bulk_create
(``tests.inbox_factories.open_items``: per provider 5 入金確認依頼票, 3 courses
under review, a delivery course filed on its own and a registration), and
times whole requests through the test client (middleware, session, template):

  hello world   ``/healthz`` (a JSON response, no query beyond the session),
  inbox         ``/review/inbox/`` as a reviewer (first page, every kind),
  inbox filter  ``/review/inbox/?kind=payment&due=none&page=3``,
  dashboard     ``/`` as the contact of one of the 500 providers.

Each figure: p50 and p95 of ``--runs`` requests after 3 warm-ups, and the
number of queries of one request.

Run from the project root:

    .venv/bin/python benchmarks/inbox.py [--providers 500] [--runs 30]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from _common import setup_django  # noqa: E402


def _percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def _time(client, url, runs):
    from django.db import connection

    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    queries = []  # counted by a wrapper: the request's start resets the debug log

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), _percentile(times, 95), len(queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=500)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--profile", action="store_true", help="print a profile of one inbox request"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(tmp)
        from django.conf import settings
        from django.test import Client

        settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
        # One connection for the whole run, as a server with persistent
        # connections (and so that the queries of a request can be counted).
        from django.core import signals
        from django.db import close_old_connections

        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        from providers.models import Provider
        from tests.factories import MembershipFactory, ReviewerFactory
        from tests.inbox_factories import open_items

        start = time.perf_counter()
        items = open_items(args.providers)
        built = time.perf_counter() - start
        reviewer = ReviewerFactory(email="reviewer@ipa.example.jp")
        provider = Provider.objects.order_by("number").first()
        staff = MembershipFactory(
            provider=provider, is_contact=True, user__email="a@a.example.jp"
        ).user
        ipa, desk, public = Client(), Client(), Client()
        ipa.force_login(reviewer)
        desk.force_login(staff)
        rows = [
            ("hello world (/healthz)", public, "/healthz"),
            ("inbox, first page", ipa, "/review/inbox/"),
            ("inbox, payments page 3", ipa, "/review/inbox/?kind=payment&due=none&page=3"),
            ("provider dashboard", desk, "/"),
        ]
        print(f"{args.providers} providers, {items:,} open items (built in {built:.1f} s), "
              f"SQLite, {args.runs} timed requests after 3 warm-ups")  # fmt: skip
        for label, client, url in rows:
            p50, p95, queries = _time(client, url, args.runs)
            print(f"{label:<26} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   {queries:3d} queries")
        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.runcall(ipa.get, "/review/inbox/")
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
