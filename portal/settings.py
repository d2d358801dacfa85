"""Settings from environment variables, with safe defaults for local use.

DJANGO_SECRET_KEY, DJANGO_DEBUG, DJANGO_ALLOWED_HOSTS, DATABASE_URL,
CELERY_BROKER_URL, EMAIL_URL (or EMAIL_HOST/EMAIL_PORT/...), REDIS_URL.
Without DATABASE_URL the database is a SQLite file; without CELERY_BROKER_URL
tasks run eagerly in-process; without EMAIL_URL mail goes to the console.
"""

import datetime
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
    "portal.middleware.RequestSizeLimitMiddleware",  # issue 11 (uploads): 413 in Japanese
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
    # Issue 11 (uploads): staged bulk uploads are deleted 24 hours after reading.
    "delete-staged-uploads": {
        "task": "certifications.delete_staged_uploads",
        "schedule": crontab(minute=40),
    },
    # Issue 11 (idempotency): one-time form tokens older than two days.
    "delete-old-idempotency-keys": {
        "task": "portal.delete_old_idempotency_keys",
        "schedule": crontab(minute=50, hour=3),
    },
}

# Deployment (issue 11, item 6) ----------------------------------------------
# docker-compose.yml runs Caddy (deploy/Caddyfile) in front of gunicorn. gunicorn
# is not published (compose `expose` only), so every request reaching it came
# through the proxy, which sets X-Forwarded-For/-Proto itself and drops what a
# client sent: that is why SECURE_PROXY_SSL_HEADER (Security above) may be
# trusted. Never publish gunicorn's port with DEBUG off.
#
# Secret-key rotation (README "Deploy"): the new key in DJANGO_SECRET_KEY, the
# old ones in DJANGO_SECRET_KEY_FALLBACKS (comma-separated) until the sessions
# and password-reset links signed with them have expired.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")

# /health/ (portal.health, django-health-check): database, cache, media storage
# and free disk; with a broker also the broker and a worker's ping. Without a
# broker (tasks eager: `make run`, the test suite) there is nothing to ping.
INSTALLED_APPS += ["health_check"]  # `manage.py health_check health --no-http`
HEALTH_CHECKS = [
    "health_check.checks.Database",
    "health_check.checks.Cache",
    "health_check.checks.Storage",
    ("portal.health.MediaDisk", {"max_disk_usage_percent": 95}),
]
HEALTH_CHECKS_CELERY = [
    "portal.health.Broker",
    ("portal.health.WorkerPing", {"limit": 1}),
]
# Issue 11 (headers): Content-Security-Policy, Permissions-Policy,
# Cache-Control and the CSRF cookie --------------------------------------------
# One block, so that other changes to MIDDLEWARE and INSTALLED_APPS merge.
from csp.constants import NONE, SELF  # noqa: E402

INSTALLED_APPS += ["csp"]
# Right after WhiteNoise: static files are answered before these run (they
# need no CSP and may be cached); every page and download gets the headers.
_after = MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1
MIDDLEWARE[_after:_after] = [
    "csp.middleware.CSPMiddleware",
    "portal.middleware.PermissionsPolicyMiddleware",
    "portal.middleware.NoStoreMiddleware",
]
# No inline script, style or event handler anywhere (static/js, static/css);
# htmx is configured not to insert its indicator <style> nor to eval
# (<meta name="htmx-config"> in base.html). QR codes are data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# portal.middleware.PermissionsPolicyMiddleware: feature → allowed origins.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "interest-cohort",
        "browsing-topics",
    )
}
# portal.middleware.NoStoreMiddleware: the views whose anonymous responses are
# the same for everyone and may be cached; everything else is no-store.
PUBLIC_CACHEABLE_URL_NAMES = [
    "registry",
    "registry_csv",
    "registry_pdf",
    "certificate_verify_form",
    "certificate_verify",
    "help",
]
# JavaScript never reads the token from the cookie: htmx sends it from
# hx-headers on <body>, forms from {% csrf_token %}.
CSRF_COOKIE_HTTPONLY = True
# E9 (M§6.14.3): the evidence of certifications kept one year is reported to
# IPA when it may be deleted (certifications.tasks; reported, never deleted).
CELERY_BEAT_SCHEDULE["report-evidence-due"] = {
    "task": "certifications.report_evidence_due",
    "schedule": crontab(minute=30, hour=7, day_of_month=1),
}
# --- Issue 11 (uploads): request and upload sizes ---------------------------------
# The largest file the portal takes is an exam problem PDF (50 MB); every other
# upload is at most 10 MB (portal.uploads.MAX_UPLOAD_BYTES). A request whose
# Content-Length exceeds PORTAL_MAX_REQUEST_BYTES gets a Japanese 413 page
# (portal.middleware.RequestSizeLimitMiddleware); the reverse proxy refuses
# bodies above the same size (client_max_body_size 60m / request_body max_size 60MB).
PORTAL_MAX_REQUEST_BYTES = 60 * 1024 * 1024
# Form fields without files: 5 MB (a bulk edit of completers is far below it).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Files above 2.5 MB are streamed to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The longest form (a page of 100 completers × 12 fields) stays below it.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 3000
DATA_UPLOAD_MAX_NUMBER_FILES = 20

# Issue 11 (abuse that gets nowhere) -------------------------------------------
# Everything of the login lockout, the client address, two-factor
# authentication and the sign-up/password-reset rate limits is in this block.
#
# The client address (portal.clientip): X-Forwarded-For is read only from
# these proxies (comma-separated addresses or networks of our own reverse
# proxy, e.g. "172.18.0.0/16"); without them REMOTE_ADDR is the client.
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES")

INSTALLED_APPS += [
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
# django-axes checks every login (portal's and /admin/'s) first.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", *AUTHENTICATION_BACKENDS]
MIDDLEWARE.insert(  # after the session's user: request.user.is_verified()
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE.insert(  # IPA staff must pass the second factor before any page
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "portal.twofactor.TwoFactorMiddleware",
)
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # turns a lockout into its page

# Login lockout (django-axes): five failures of one address from one client
# lock that combination for 15 minutes; another address, or the same address
# from another client, is not affected (behind the proxy every client
# shares the proxy's IP, so no lock by IP alone). A success resets the count.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "portal.clientip.client_ip"
AXES_USERNAME_CALLABLE = "portal.lockout.username"
AXES_LOCKOUT_CALLABLE = "portal.lockout.response"
AXES_SENSITIVE_PARAMETERS = ["password"]
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = True  # successful logins are in the audit log (auth.login)
LOGGING["loggers"] = {**LOGGING["loggers"], "axes": {"level": "WARNING"}}

# Two-factor authentication (django-otp, TOTP + recovery codes): required for
# IPA reviewers and administrators (portal.twofactor), optional for providers.
OTP_TOTP_ISSUER = "免除対象講座ポータル"
OTP_TOTP_TOLERANCE = 1

# Rate limits of sign-up and password reset (portal.throttle.allow): uses per
# client address and per e-mail address within the window.
ABUSE_RATE_LIMITS = {
    "signup": {"ip": 10, "email": 3, "window_seconds": 60 * 60},
    "password_reset": {"ip": 20, "email": 3, "window_seconds": 60 * 60},
}
# An unconfirmed sign-up's link is valid this long; then it is deleted.
SIGNUP_CONFIRMATION_HOURS = 24
CELERY_BEAT_SCHEDULE["delete-expired-signups"] = {
    "task": "providers.delete_expired_signups",
    "schedule": crontab(minute=40),
}
