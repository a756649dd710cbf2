"""Settings for the test suite: real PostgreSQL and Redis, one Redis database and Celery queue per xdist worker."""

import os

from .base import *  # noqa: F403
from .base import MEDIA_URL, REDIS_URL, env

SECRET_KEY = "test-only-key-" + "x" * 40
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
DEMO_ACCOUNTS_ENABLED = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; argon2 is checked in production
# TEST_EMAIL_BACKEND and TEST_CELERY_QUEUE are for a Celery worker that a test runs as a process of its own
# (tests/notifications/test_dispatch_faults.py): it delivers to a file and consumes a queue nobody else does.
EMAIL_BACKEND = env("TEST_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "public": {"BACKEND": "django.core.files.storage.InMemoryStorage", "OPTIONS": {"base_url": f"{MEDIA_URL}public/"}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# pytest-xdist runs workers gw0, gw1...: each gets its own Redis database and Celery queue, otherwise one worker's
# Celery consumer steals another's tasks and writes into the wrong test database.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_worker_index = int(XDIST_WORKER.removeprefix("gw") or 0)
_redis_base = REDIS_URL.rsplit("/", 1)[0] if REDIS_URL.count("/") > 2 else REDIS_URL
TEST_REDIS_URL = env("TEST_REDIS_URL", default=f"{_redis_base}/{1 + _worker_index % 15}")
CACHES = {
    "default": {
        "BACKEND": "datacity.pagecache.RedisCache",
        "LOCATION": TEST_REDIS_URL,
        "KEY_PREFIX": f"test-{XDIST_WORKER}",
    }
}
# Public pages from the cache are off: factories write around the services, so no write would drop a kept page and a
# test writing between two requests would read the first page again. tests/test_page_cache.py turns it on.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=0)
CELERY_BROKER_URL = TEST_REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = env("TEST_CELERY_QUEUE", default=f"test-{XDIST_WORKER}")

# Serve static files straight from the apps and static/ without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# PostgreSQL with one difference: the flush between transactional tests may empty the audit log, which the database
# otherwise refuses to truncate (tests/database_backend explains how).
DATABASES["default"]["ENGINE"] = "tests.database_backend"  # noqa: F405
