"""Settings from environment variables, with safe defaults for local use.

DJANGO_SECRET_KEY, DJANGO_DEBUG, DJANGO_ALLOWED_HOSTS, DATABASE_URL,
CELERY_BROKER_URL, EMAIL_URL (or EMAIL_HOST/EMAIL_PORT/...), REDIS_URL.
Without DATABASE_URL the database is a SQLite file; without CELERY_BROKER_URL
tasks run eagerly in-process; without EMAIL_URL mail goes to the console.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [v.strip() for v in os.environ.get(name, default).split(",") if v.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or (
    # A fixed key is only acceptable for local development; check --deploy
    # warns about it, and production sets DJANGO_SECRET_KEY.
    "django-insecure-local-development-key-change-me"
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_filters",
    "simple_history",
    "rules",
    "portal",
    "calendars",
    "providers",
    "courses",
    "exams",
    "certifications",
    "fees",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.SessionLifetimeMiddleware",
    "portal.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.middleware.ServiceRefusalMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.roles",
                "portal.context_processors.notices",
            ],
        },
    },
]

# Database -----------------------------------------------------------------
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # IMMEDIATE takes the write lock at BEGIN, so two reviewers acting at
            # once are serialised instead of failing with "database is locked".
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Accounts -----------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60  # 1 hour

# Sessions end after 30 minutes idle (cookie age, renewed on every request)
# and after 12 hours in all (SessionLifetimeMiddleware).
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_LIFETIME = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Failed-login throttling: per username and per IP, with a cool-off. Many
# schools share one IP, so the IP limit is high and never permanent.
LOGIN_THROTTLE = {
    "username_failures": 5,
    "ip_failures": 50,
    "window_seconds": 15 * 60,
    "cooloff_seconds": 15 * 60,
}

# Cache (shared by the gunicorn workers when Redis is available) -------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "ja"
# Japanese first, and only: the portal has no English translations yet, so a
# browser that prefers English would get Japanese pages with English weekdays
# and Django messages mixed in. Add ("en", "English") with the translations.
LANGUAGES = [("ja", "日本語")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# Static files -----------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env_bool("DJANGO_MANIFEST_STATIC", True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploaded attachments and certificate copies (never served as static files:
# they are downloaded through permission-checked, audited views).
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media"))

# Celery -------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Issue 11 item 3 (faults survived): worker loss, broker outage, DB restart ---
# A task whose worker process dies (kill -9, OOM) mid-run goes back to the queue
# instead of being acknowledged as failed (with CELERY_TASK_ACKS_LATE above).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Redis redelivers a message not acknowledged within the visibility timeout (a
# worker killed as a whole). It must exceed the longest countdown of a retry
# (portal.send_mail backs off up to 1800 s), or a waiting retry would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
}
# portal.outbox: seconds between two runs of `manage.py relay_outbox --loop`.
OUTBOX_RELAY_INTERVAL = float(os.environ.get("OUTBOX_RELAY_INTERVAL", "5"))
# A persistent connection (conn_max_age) is checked before it is reused in a
# request, so that a PostgreSQL restart costs no request after it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# --- end of issue 11 item 3 block ---


# E-mail -------------------------------------------------------------------
def _email_from_url(url: str) -> dict:
    """smtp://user:pass@host:587?tls=1  |  console://  |  locmem://"""
    parts = urlparse(url)
    if parts.scheme in {"console", ""}:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    query = parse_qs(parts.query)
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 587),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": query.get("tls", ["1" if parts.scheme == "smtp" else "0"])[0] == "1",
        "EMAIL_USE_SSL": parts.scheme == "smtps",
    }


globals().update(_email_from_url(os.environ.get("EMAIL_URL", "console://")))
if os.environ.get("EMAIL_HOST") and not os.environ.get("EMAIL_URL"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "jitec-kouza-portal@example.jp")
# Where notices for IPA (new registrations etc.) go.
IPA_NOTICE_EMAIL = os.environ.get("IPA_NOTICE_EMAIL", "jitec-kouza@example.jp")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# F4 (M§14): IPA's qualified-invoice issuer registration number (T + 13 digits),
# printed on every invoice and receipt. The default is an example: set the real one.
IPA_INVOICE_REGISTRATION_NUMBER = os.environ.get(
    "IPA_INVOICE_REGISTRATION_NUMBER", "T1234567890123"
)

# Security -----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Behind a proxy the client address comes from X-Forwarded-For; trust it only
# when told to, or anyone could spoof the IP used for throttling and audit.
TRUST_X_FORWARDED_FOR = env_bool("DJANGO_TRUST_X_FORWARDED_FOR", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Tasks run in-process without a broker: one "Task … succeeded" line per
    # e-mail would bury the demo's and runserver's own output.
    "loggers": (
        {"celery": {"level": "WARNING"}, "kombu": {"level": "ERROR"}}
        if CELERY_TASK_ALWAYS_EAGER
        else {}
    ),
}

# In development and tests WhiteNoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Scheduled work (the beat service of docker-compose.yml).
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    "certify-on-the-first": {
        "task": "courses.certify_due_courses",
        "schedule": crontab(minute=5, hour=0, day_of_month=1),
    },
    "expire-certifications": {
        "task": "courses.expire_courses",
        "schedule": crontab(minute=15, hour=0),
    },
    # E3 (M§6.3): temporary recipient accounts made after the application
    # close and removed after the report window; the Friday reminder.
    "problem-recipient-accounts": {
        "task": "exams.problem_recipient_accounts",
        "schedule": crontab(minute=10),
    },
    "remind-undownloaded-problems": {
        "task": "exams.remind_undownloaded",
        "schedule": crontab(minute=0, hour=9, day_of_week="fri"),
    },
    "cancel-lapsed-problem-fees": {
        "task": "fees.cancel_lapsed_problem_fees",
        "schedule": crontab(minute=25, hour=0),
    },
    # portal.reminders: every reminder due today (Asia/Tokyo, CELERY_TIMEZONE),
    # sent in the morning; a re-run sends nothing twice.
    "send-reminders": {
        "task": "portal.send_reminders",
        "schedule": crontab(minute=0, hour=7),
    },
}
