"""What every benchmark script shares: Django on a throwaway SQLite database,
and the median of repeated runs."""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(tmp: str) -> None:
    """portal.settings_test on a migrated SQLite file inside ``tmp``."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings_test"
    os.environ.pop("DATABASE_URL", None)  # always the throwaway SQLite file
    os.environ["SQLITE_PATH"] = os.path.join(tmp, "benchmark.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def median_ms(fn, runs: int, warmups: int) -> tuple[float, object]:
    """Median wall time of ``fn()`` in milliseconds, after ``warmups`` calls."""
    result = None
    for _ in range(warmups):
        result = fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result
