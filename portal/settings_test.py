"""Fast settings for the test suite."""

import os
import tempfile

from .settings import *  # noqa: F403
from .settings import DATABASES

DEBUG = False
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
ALLOWED_HOSTS = ["*"]

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not ":memory:", so that threads (concurrency tests, the live
    # server, the Celery worker) see one database with real locking.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"fe-portal-test-{os.getpid()}.sqlite3")
    }
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Eager in the main suite even when CI exports a broker; tests/test_worker.py
# switches to the real broker and a real worker.
CELERY_TASK_ALWAYS_EAGER = True
MEDIA_ROOT = os.path.join(tempfile.gettempdir(), f"fe-portal-test-media-{os.getpid()}")
