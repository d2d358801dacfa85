"""Issue 11 (item 6): a deployment safe as shipped — compose behind Caddy,
Redis with AOF, health checks, backups, the image without test tools, and
`check --deploy` / bandit clean with the compose environment."""

import ipaddress
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("web", "worker", "beat", "relay")

# What an operator puts in .env (README "Deploy").
OPERATOR_ENV = {
    "SITE_HOST": "portal.example.jp",
    "ACME_EMAIL": "ops@example.jp",
    "DJANGO_SECRET_KEY": "k3y-" + "a1b2c3d4e5f6g7h8i9j0" * 3,
    "POSTGRES_PASSWORD": "a-database-password",
    "IPA_NOTICE_EMAIL": "jitec-kouza@example.jp",
    "DEFAULT_FROM_EMAIL": "jitec-kouza-portal@example.jp",
    "EMAIL_URL": "smtp://user:pass@mail.example.jp:587?tls=1",
}


def _interpolate(value: str, env: dict) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?message} (and $$)."""

    def one(match):
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        if env.get(name):
            return env[name]
        if op == ":?":
            raise AssertionError(f"compose requires {name}: {arg}")
        return arg if op == ":-" else ""

    value = re.sub(r"\$\{([A-Z0-9_]+)(:[-?])?([^}]*)\}", one, str(value))
    return value.replace("$$", "$")


def _compose_env(service: str, env: dict) -> dict:
    return {k: _interpolate(v, env) for k, v in SERVICES[service]["environment"].items()}


def test_i11_6_only_the_proxy_publishes_ports_and_gunicorn_is_exposed_only():
    assert SERVICES["proxy"]["image"] == "caddy:2"
    published = {p.split(":")[0] for p in SERVICES["proxy"]["ports"]}
    assert published == {"80", "443"}
    for name, service in SERVICES.items():
        if name != "proxy":
            assert "ports" not in service, f"{name} must not publish a port"
    assert SERVICES["web"]["expose"] == ["8000"]
    assert "--bind 0.0.0.0:8000" in SERVICES["web"]["command"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in SERVICES["proxy"]["volumes"]


def test_i11_6_the_proxy_has_the_fixed_address_the_app_trusts():
    subnet = ipaddress.ip_network(COMPOSE["networks"]["portal"]["ipam"]["config"][0]["subnet"])
    proxy_ip = ipaddress.ip_address(SERVICES["proxy"]["networks"]["portal"]["ipv4_address"])
    assert proxy_ip in subnet
    for name in APP_SERVICES:
        env = _compose_env(name, OPERATOR_ENV)
        assert env["DJANGO_TRUSTED_PROXIES"] == str(proxy_ip)
        assert env["DJANGO_DEBUG"] == "0"
        assert env["DJANGO_ALLOWED_HOSTS"] == "portal.example.jp"
        assert env["SITE_URL"] == "https://portal.example.jp"
        assert "portal" in SERVICES[name]["networks"]
    assert f"--forwarded-allow-ips {proxy_ip}" in SERVICES["web"]["command"]


def test_i11_6_caddyfile_limits_bodies_and_sets_forwarded_headers_itself():
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    directives = [
        line.strip() for line in caddyfile.splitlines() if line.strip() and not line.strip().startswith("#")
    ]  # fmt: skip
    assert "{$SITE_HOST} {" in directives  # automatic HTTPS for the site's name
    assert "max_size 60MB" in directives
    assert "reverse_proxy web:8000 {" in directives
    # No trusted proxies (Caddy's default): a client's X-Forwarded-* is replaced,
    # and nothing copies it through to gunicorn.
    assert not any("trusted_proxies" in d for d in directives)
    assert not any(d.startswith("header_up") and "X-Forwarded" in d for d in directives)
    assert "# tls internal" in caddyfile  # the documented local option


def test_i11_6_redis_keeps_the_broker_queue_on_disk():
    redis = SERVICES["redis"]
    assert "--appendonly yes" in redis["command"]
    assert "--appendfsync everysec" in redis["command"]
    assert any(v.endswith(":/data") for v in redis["volumes"])


def test_i11_6_health_checks_of_web_and_worker():
    web = SERVICES["web"]["healthcheck"]["test"]
    assert "http://127.0.0.1:8000/health/" in " ".join(web)
    # Through SECURE_SSL_REDIRECT and ALLOWED_HOSTS as the proxy's requests are.
    assert "X-Forwarded-Proto" in " ".join(web) and "DJANGO_ALLOWED_HOSTS" in " ".join(web)
    worker = " ".join(SERVICES["worker"]["healthcheck"]["test"])
    assert "celery -A portal inspect ping" in worker
    assert SERVICES["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_i11_6_backup_service_and_relay():
    backup = SERVICES["backup"]
    assert backup["image"] == "postgres:15"
    assert "/deploy/backup.sh" in backup["command"] and "sleep 86400" in backup["command"]
    assert "backups:/backups" in backup["volumes"] and "uploads:/media:ro" in backup["volumes"]
    assert _interpolate(backup["environment"]["BACKUP_KEEP_DAYS"], {}) == "14"
    assert SERVICES["restore"]["profiles"] == ["tools"]  # never started by `up`
    assert SERVICES["relay"]["command"] == "python manage.py relay_outbox --loop"
    for script in ("backup.sh", "restore.sh"):
        assert os.access(ROOT / "deploy" / script, os.X_OK)


RUNTIME_FORBIDDEN = {
    "pytest", "pytest-django", "pytest-xdist", "factory-boy", "faker", "ruff", "playwright",
    "import-linter", "grimp", "pyyaml", "bandit", "pip-audit", "locust", "greenlet",
}  # fmt: skip


def _names(lock: str) -> set[str]:
    names = set()
    for line in (ROOT / lock).read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            names.add(line.split("==")[0].lower().replace("_", "-"))
    return names


def test_i11_6_image_installs_the_runtime_lock_only_and_runs_unprivileged():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.lock" in dockerfile
    assert not re.search(r"^(RUN|COPY).*(requirements-dev|pytest|playwright)", dockerfile, re.M)
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in {"root", "0"}
    assert not _names("requirements.lock") & RUNTIME_FORBIDDEN
    assert "requirements-dev.lock" in (ROOT / ".dockerignore").read_text().split()
    assert "tests" in (ROOT / ".dockerignore").read_text().split()


def test_i11_6_dev_lock_adds_the_tools_to_the_runtime_lock():
    dev = (ROOT / "requirements-dev.lock").read_text().splitlines()
    assert dev[0] == "-r requirements.lock"
    assert {"pytest", "ruff", "playwright", "bandit", "pip-audit", "locust"} <= _names(
        "requirements-dev.lock"
    )
    assert not _names("requirements.lock") & _names("requirements-dev.lock")
    makefile = (ROOT / "Makefile").read_text()
    stamp = re.search(r"^\$\(VENV\)/\.installed: (.*)$", makefile, re.M).group(1).split()
    assert {"requirements.lock", "requirements-dev.lock"} <= set(stamp)
    assert "pip install -q --disable-pip-version-check -r requirements-dev.lock" in makefile


def _manage(*args, env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "EMAIL_URL", "SITE_URL"):
        env.pop(name, None)
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def test_i11_6_check_deploy_is_clean_with_the_compose_environment():
    env = _compose_env("web", OPERATOR_ENV)
    # Mid-rotation: the old key is still accepted (and must be as strong).
    env["DJANGO_SECRET_KEY_FALLBACKS"] = "old-" + "z9y8x7w6v5u4t3s2r1q0" * 3
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        env_extra={"DJANGO_SETTINGS_MODULE": "portal.settings", **env},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stderr


def test_i11_6_secret_key_fallbacks_are_read_from_the_environment():
    code = "from django.conf import settings; print(settings.SECRET_KEY_FALLBACKS)"
    result = _manage(
        "shell", "-c", code,
        env_extra={"DJANGO_SETTINGS_MODULE": "portal.settings",
                   "DJANGO_SECRET_KEY_FALLBACKS": "old-key-1, old-key-2"},
    )  # fmt: skip
    assert result.stdout.strip().splitlines()[-1] == "['old-key-1', 'old-key-2']"


def test_i11_6_bandit_finds_no_medium_or_high_issue():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-r", ".", "-x", "./.venv,./tests,./benchmarks", "-ll"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
