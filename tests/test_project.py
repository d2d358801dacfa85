"""The production shape and settings: docker-compose services, deploy check,
settings from environment variables."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_has_web_worker_beat_db_redis_with_their_commands():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "db", "redis"} <= set(services)
    assert "gunicorn portal.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A portal worker")
    assert services["beat"]["command"].startswith("celery -A portal beat")
    assert services["db"]["image"].startswith("postgres")
    assert services["redis"]["image"].startswith("redis")
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379")
        assert env["DJANGO_DEBUG"] == "0"


def _manage(*args, env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.pop("DATABASE_URL", None)
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_environment():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-0123456789",
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "portal.example.jp",
            "DATABASE_URL": "postgres://portal:secret@db:5432/portal",
            "CELERY_BROKER_URL": "redis://redis:6379/0",
            "EMAIL_URL": "smtp://user:pass@mail.example.jp:587?tls=1",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr
    assert "no issues" in result.stdout


def test_settings_read_database_broker_and_mail_from_environment():
    code = (
        "import django, json; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER,"
        " settings.EMAIL_HOST, settings.EMAIL_USE_TLS, settings.DEBUG, settings.ALLOWED_HOSTS]))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL="postgres://portal:secret@db:5432/portal",
        CELERY_BROKER_URL="redis://redis:6379/0",
        EMAIL_URL="smtp://user:pass@mail.example.jp:587?tls=1",
        DJANGO_ALLOWED_HOSTS="a.example.jp,b.example.jp",
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    engine, eager, host, tls, debug, hosts = __import__("json").loads(out.stdout)
    assert engine == "django.db.backends.postgresql"
    assert eager is False
    assert (host, tls) == ("mail.example.jp", True)
    assert debug is False
    assert hosts == ["a.example.jp", "b.example.jp"]
    env.pop("DATABASE_URL")
    env.pop("CELERY_BROKER_URL")
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    engine, eager, *_ = __import__("json").loads(out.stdout)
    assert engine == "django.db.backends.sqlite3"
    assert eager is True


def test_demo_data_command_is_idempotent(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "SQLITE_PATH": str(tmp_path / "demo.sqlite3"),
        "DJANGO_DEBUG": "1",  # load_demo refuses to run without DEBUG (Issue 11)
    }
    assert _manage("migrate", "-v0", env_extra=env).returncode == 0
    first = _manage("load_demo", env_extra=env)
    second = _manage("load_demo", env_extra=env)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert "hanako@ipa-daigaku.example.jp" in second.stdout
    count = _manage(
        "shell",
        "-c",
        "from providers.models import *; print(Provider.objects.count(), Registration.objects.count(),"
        " Registration.objects.filter(state='returned').count(), Provider.objects.get(number='99991').name)",
        env_extra=env,
    )
    # IPA大学 and デモ情報学院 (its course revoked, for the registry), loaded once.
    assert count.stdout.strip().splitlines()[-1].split() == ["2", "2", "1", "IPA大学"]


def _variables_read_by_settings() -> set[str]:
    """Every environment variable portal/settings.py reads: os.environ.get(X),
    os.environ[X], os.getenv(X), env_bool(X), env_list(X)."""
    import ast

    tree = ast.parse((ROOT / "portal" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            if func in {"os.environ.get", "os.getenv", "env_bool", "env_list"} and node.args:
                names.add(node.args[0].value if isinstance(node.args[0], ast.Constant) else None)
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            names.add(node.slice.value if isinstance(node.slice, ast.Constant) else None)
    names.discard(None)  # the helpers' own os.environ.get(name)
    return names


def test_newcomer_readme_lists_every_setting():
    import re

    readme = (ROOT / "README.md").read_text()
    listed = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", readme, re.M))
    read = _variables_read_by_settings()
    assert {"SITE_URL", "DEFAULT_FROM_EMAIL", "IPA_NOTICE_EMAIL", "MEDIA_ROOT"} <= read
    assert read - listed == set(), "README's settings table misses these variables"


def test_newcomer_make_run_sets_site_url_from_host_and_port():
    """Links in e-mails point at the address `make run` serves, unless SITE_URL is set."""
    import re

    dry = subprocess.run(
        ["make", "-n", "run", "HOST=kouza.test", "PORT=8123"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    line = next(li for li in dry.stdout.splitlines() if "manage.py runserver" in li)
    # Run the same line with the server replaced by printing what it would get.
    probe = re.sub(r"\S+ manage\.py runserver \S+$", "printenv SITE_URL", line)
    environ = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    out = subprocess.run(["bash", "-c", probe], env=environ, capture_output=True, text=True)
    assert out.stdout.strip() == "http://kouza.test:8123"
    environ["SITE_URL"] = "https://kouza.example.jp"
    out = subprocess.run(["bash", "-c", probe], env=environ, capture_output=True, text=True)
    assert out.stdout.strip() == "https://kouza.example.jp"
