"""Issue 11 (item 6): a backup restores. deploy/backup.sh dumps the database and
the uploads; deploy/restore.sh puts them into a throwaway database, which then
holds the rows. Needs PostgreSQL (marker `postgres`; CI runs on PostgreSQL)."""

import os
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from providers.models import Provider

from .factories import ProviderFactory

ROOT = Path(__file__).resolve().parent.parent
# serialized_rollback: its flush then re-creates no content types, which the
# next serialized test (test_concurrency, …) would restore again (duplicate key).
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _url(name: str) -> str:
    db = connection.settings_dict
    auth = db["USER"] or ""
    if db["PASSWORD"]:
        auth += f":{db['PASSWORD']}"
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{auth}@{host}:{port}/{name}" if auth else f"postgres://{host}:{port}/{name}"


def _run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", str(ROOT / "deploy" / script), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_i11_6_backup_then_restore_into_a_throwaway_database(tmp_path):
    provider = ProviderFactory(name="復元テスト学院")
    media = Path(settings.MEDIA_ROOT)
    (media / "attachments").mkdir(parents=True, exist_ok=True)
    (media / "attachments" / "plan.pdf").write_bytes(b"%PDF-1.4 restore test")

    backups = tmp_path / "backups"
    done = _run(
        "backup.sh",
        DATABASE_URL=_url(connection.settings_dict["NAME"]),
        BACKUP_DIR=str(backups),
        MEDIA_ROOT=str(media),
    )
    assert done.returncode == 0, done.stderr
    dump, archive = done.stdout.split()
    assert dump.endswith(".dump") and archive.endswith(".tar.gz")
    assert not list(backups.glob("*.partial"))

    throwaway = f"fe_restore_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{throwaway}"')
        cursor.execute(f'CREATE DATABASE "{throwaway}"')
    try:
        target = _url(throwaway)
        refused = _run("restore.sh", dump, DATABASE_URL=target)
        assert refused.returncode == 2 and "--yes" in refused.stderr  # asks first
        restored_media = tmp_path / "media"
        done = _run("restore.sh", "--yes", dump, archive, DATABASE_URL=target,
                    MEDIA_ROOT=str(restored_media))  # fmt: skip
        assert done.returncode == 0, done.stderr
        with psycopg.connect(target) as restored:
            rows = restored.execute(
                f"SELECT name FROM {Provider._meta.db_table} WHERE id = %s", [provider.pk]
            ).fetchall()
            count = restored.execute(f"SELECT count(*) FROM {Provider._meta.db_table}").fetchone()
            migrations = restored.execute("SELECT count(*) FROM django_migrations").fetchone()
        assert rows == [("復元テスト学院",)]
        assert count == (Provider.objects.count(),)
        assert migrations[0] > 0
        assert (restored_media / "attachments" / "plan.pdf").read_bytes() == (
            b"%PDF-1.4 restore test"
        )
        # Restoring again over the restored data works (--clean --if-exists).
        again = _run("restore.sh", "--yes", dump, DATABASE_URL=target)
        assert again.returncode == 0, again.stderr
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{throwaway}" WITH (FORCE)')


def test_i11_6_backup_rotation_removes_only_old_backups(tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / "portal-20200101T000000Z.dump"
    old_media = backups / "media-20200101T000000Z.tar.gz"
    other = backups / "notes.txt"
    for path in (old, old_media, other):
        path.write_text("x")
        os.utime(path, (0, 0))
    done = _run(
        "backup.sh",
        DATABASE_URL=_url(connection.settings_dict["NAME"]),
        BACKUP_DIR=str(backups),
        MEDIA_ROOT=str(tmp_path / "no-media"),
        BACKUP_KEEP_DAYS="14",
    )
    assert done.returncode == 0, done.stderr
    assert not old.exists() and not old_media.exists()
    assert other.exists()
    assert len(list(backups.glob("portal-*.dump"))) == 1
