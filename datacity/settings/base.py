"""Settings shared by every environment, driven by environment variables (see README, "Configuration")."""

from email.utils import getaddresses
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
# `make bench` only (bench_pages turns it on for its own gunicorn): adds /bench/minimal/, a tiny response through
# the whole middleware, the ceiling the pages' throughput is compared with. Never on in a deployment.
BENCH_MINIMAL_VIEW = env.bool("BENCH_MINIMAL_VIEW", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    # modeltranslation must come before the admin so its admin integration is picked up.
    "modeltranslation",
    "datacity.admin_site.AdminConfig",  # django.contrib.admin, its index ordered around the program
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth's two-factor pages use it
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "django_celery_beat",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "datacity.accounts",
    "datacity.audit",
    "datacity.notifications",
    "datacity.core",
    "datacity.demo",
    "partners",
    "challenges",
    "startups",
    "datasets",
    # Last, as it asks: deletes a stored file once the row holding it is deleted or points to another file.
    "django_cleanup.apps.CleanupConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise (static files come compressed ahead of time): gzip only for answers holding no secret, i.e.
    # anonymous visitors' pages that used no CSRF token (BREACH); see datacity/pagecache.py.
    "datacity.pagecache.AnonymousGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who acts, from which address, under which request id: read by the audit log (services never see requests).
    "datacity.audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Below the user, the audit context and messages: a session past its idle or absolute limit is logged out
    # (audited) and sent to the login page with a message; under /api/ it goes on as an anonymous visitor's.
    "datacity.accounts.sessions.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication: staff and jury members go to two-factor enrolment until they have enrolled.
    "datacity.accounts.middleware.RequireMFAMiddleware",
    # Last: anonymous visitors' public pages from the cache. It sees the user and the cookies, a hit skips only the
    # view, and every middleware above still adds its headers (request id, CSP, security) to a cached page.
    "datacity.pagecache.PublicPageCacheMiddleware",
]

ROOT_URLCONF = "datacity.urls"
WSGI_APPLICATION = "datacity.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # The unread count in the header: counted only when a page shows it.
                "datacity.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Data -----------------------------------------------------------------------------------------------------
# One database engine everywhere: PostgreSQL through psycopg2 (constraints, exclusion constraints, SKIP LOCKED).
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/datacity")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The database role the application runs as, when it is not the one that owns the tables (README, "Database
# role"): `migrate`, run as the owner, grants it what it needs, and on the audit log only SELECT and INSERT.
DATABASE_APP_ROLE = env("DATABASE_APP_ROLE", default="")

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")

# Django's Redis cache, keeping one redis-py client instead of making one per call (datacity/pagecache.py).
CACHES = {
    "default": {
        "BACKEND": "datacity.pagecache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "datacity",
    }
}

# Anonymous visitors' public pages (views marked @public_page) are kept this long in the cache at most, and never past
# the next phase or edition boundary; a committed write drops them all (datacity/pagecache.py). 0 turns it off.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=300)

# The platform's public address: links in mails and in work done outside a request (tasks, commands) start with it.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The platform's name in mails and page titles (a city may call its program otherwise).
SITE_NAME = env("SITE_NAME", default="DataCity")

# --- Accounts -------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # allauth's backend, refusing demo accounts unless DEMO_ACCOUNTS_ENABLED (see datacity.accounts.backends).
    "datacity.accounts.backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "my_space"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
# Security notices (password changed or set, email address changed, two-factor added or removed): always sent.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http")
# The platform's rules on top of allauth's: addresses that fit the database, rate-limited logins audited.
ACCOUNT_ADAPTER = "datacity.accounts.adapter.AccountAdapter"
# Reverse proxies in front of the web server that append the visitor's address to X-Forwarded-For (0: none, the
# address is REMOTE_ADDR). One rule for the audit log's address (datacity.audit.context.client_ip), allauth's login
# limits and the API's throttles; set it to 1 behind one proxy, or every visitor counts as the proxy's address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# Rate limits live in the cache (Redis): five failed logins for one address within five minutes, then refusal.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "20/m/ip,5/300s/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = "DataCity"
# WebAuthn needs a secure context: https, or localhost while developing.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=False)

# Sessions end after eight hours, and when the browser closes unless "remember me" was ticked.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
ACCOUNT_SESSION_REMEMBER = None
SESSION_COOKIE_SAMESITE = "Lax"
# Session timeouts (datacity/accounts/sessions.py), in seconds: a signed-in session ends after IDLE without a request,
# and ABSOLUTE after its login however active it is; the person signs in again. The last request is written to the
# session once a minute, which slides the cookie's SESSION_COOKIE_AGE: the absolute limit defaults to that age, so
# "sessions end after eight hours" still holds, now counted from the login (14 days would quietly lengthen what
# "remember me" gives). Staff, superusers and jurors hold the admin and unpublished scores: 30 minutes idle and half
# a working day (a jury day signs in again at noon, with two-factor).
SESSION_IDLE_TIMEOUT_SECONDS = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=2 * 60 * 60)
SESSION_ABSOLUTE_TIMEOUT_SECONDS = env.int("SESSION_ABSOLUTE_TIMEOUT_SECONDS", default=SESSION_COOKIE_AGE)
SESSION_IDLE_TIMEOUT_SECONDS_STAFF_JURY = env.int("SESSION_IDLE_TIMEOUT_SECONDS_STAFF_JURY", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT_SECONDS_STAFF_JURY = env.int(
    "SESSION_ABSOLUTE_TIMEOUT_SECONDS_STAFF_JURY", default=min(4 * 60 * 60, SESSION_COOKIE_AGE)
)
CSRF_COOKIE_HTTPONLY = True

# How long an invitation to join a startup, a partner or a jury stays valid.
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)

# Demo accounts (created by `load_demo`) can log in only where this is on; production forces it off.
DEMO_ACCOUNTS_ENABLED = env.bool("DEMO_ACCOUNTS_ENABLED", default=False)

# Map tiles of the experimentation sites' map (a Leaflet URL template); its origin is allowed in img-src below.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
# Leaflet's "{s}" subdomain placeholder becomes a CSP wildcard ("https://{s}.tile.example" -> "https://*.tile.example").
_map_tiles = urlsplit(MAP_TILE_URL.replace("{s}", "*"))
MAP_TILE_ORIGIN = f"{_map_tiles.scheme}://{_map_tiles.netloc}"

# --- Content Security Policy (django-csp 4): our own files only, no inline script or style ------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # TOTP enrolment shows its QR code as a data: image.
        "img-src": ["'self'", "data:", MAP_TILE_ORIGIN],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Open data API (Django REST framework, described by drf-spectacular) ---------------------------------------
REST_FRAMEWORK = {
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    # Read-only JSON: no browsable API (its pages would need inline script), no writes.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "datacity.opendata.policies.Pages",
    "DEFAULT_THROTTLE_CLASSES": ["datacity.opendata.policies.AnonymousRate", "datacity.opendata.policies.MemberRate"],
    "DEFAULT_SCHEMA_CLASS": "datacity.opendata.schema.OpenDataSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Requests per minute (or "/hour", "/day") to the API, counted in the cache; empty for no limit.
API_RATE_ANONYMOUS = env("API_RATE_ANONYMOUS", default="300/minute") or None
API_RATE_SIGNED_IN = env("API_RATE_SIGNED_IN", default="1200/minute") or None
# The licence the open data files and the API are published under (shown on the open data page).
OPEN_DATA_LICENCE_NAME = env("OPEN_DATA_LICENCE_NAME", default="Creative Commons Attribution 4.0 (CC BY 4.0)")
OPEN_DATA_LICENCE_URL = env("OPEN_DATA_LICENCE_URL", default="https://creativecommons.org/licenses/by/4.0/")
SPECTACULAR_SETTINGS = {
    "TITLE": "DataCity open data API",
    "DESCRIPTION": (
        "Read-only JSON: program editions, challenges, selected startups, results, partnerships and the data "
        "catalogue, under the same rules as the public pages, with no personal data. Texts come in French, Arabic "
        "and English together. Signed-in people also read their own experiments."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PhaseStatusEnum": "challenges.models.PhaseStatus",
        "ProgramStatusEnum": "challenges.models.ProgramStatus",
        "IndicatorStatusEnum": "startups.models.IndicatorStatus",
    },
}

# --- Languages and time ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [
    ("fr", _("French")),
    ("ar", _("Arabic")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# The default time zone of programs and of the interface; Morocco suspends daylight saving time around Ramadan,
# which zoneinfo knows: never compute offsets by hand.
TIME_ZONE = env("TIME_ZONE", default="Africa/Casablanca")

MODELTRANSLATION_DEFAULT_LANGUAGE = "fr"
MODELTRANSLATION_LANGUAGES = ("fr", "ar", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("fr", "en", "ar")}

# --- Files ----------------------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers ask for at the site's root (/favicon.ico), served by WhiteNoise in every setting, DEBUG or not.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
# Uploaded files. On local disk, MEDIA_ROOT/public/ holds what anyone may see (logos), served at MEDIA_URL public/;
# the rest of MEDIA_ROOT is private. Absolute: a storage's base_url gets no script prefix, unlike MEDIA_URL.
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.path("MEDIA_ROOT", default=BASE_DIR / ".data" / "media"))
# Whether Django itself answers MEDIA_URL from MEDIA_ROOT: only under `make run` (dev settings), whatever DEBUG says.
# Elsewhere the reverse proxy serves MEDIA_URL public/ from MEDIA_ROOT/public/, and nothing else of MEDIA_ROOT.
SERVE_MEDIA = False

STORAGES = {
    # Private files: never served as they are (signed URLs on S3, a view checking access otherwise).
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Public files (logos, see datacity.core.storage): shown on public pages, plain URLs anyone can fetch.
    "public": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "public", "base_url": f"{MEDIA_URL}public/"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Logos are small images; anything larger is refused by the form before it is stored.
MAX_LOGO_UPLOAD_BYTES = 2 * 1024 * 1024
# Applications' attachments (pitch decks, documents): the limit per file, shown in the form, and how many files one
# file question takes. A file over the limit, or of a type its bytes do not prove, is refused before it is stored.
APPLICATION_FILE_MAX_BYTES = env.int("APPLICATION_FILE_MAX_BYTES", default=20 * 1024 * 1024)
APPLICATION_FILES_PER_QUESTION = env.int("APPLICATION_FILES_PER_QUESTION", default=5)
# Datasets' files: the limit per uploaded version, shown in the form; the upload is cut as soon as it passes it.
DATASET_FILE_MAX_BYTES = env.int("DATASET_FILE_MAX_BYTES", default=2 * 1024**3)
# Where an upload larger than 2.5 MB is spooled before it goes to storage: a disk with room for the largest one
# (None: the system's temporary directory).
FILE_UPLOAD_TEMP_DIR = env.str("FILE_UPLOAD_TEMP_DIR", default=None)
# Photos of experimentation sites, shown on the public list: the limit per image (PNG, JPEG or WebP, read from its
# bytes) and how many photos one site has. A photo over the limit or of another type is refused before it is stored.
SITE_PHOTO_MAX_BYTES = env.int("SITE_PHOTO_MAX_BYTES", default=5 * 1024 * 1024)
SITE_PHOTOS_PER_SITE = env.int("SITE_PHOTOS_PER_SITE", default=6)
# Antivirus (datacity.core.antivirus): when set (tcp://clamav:3310 or unix:///run/clamav/clamd.ctl), every upload is
# streamed to ClamAV's daemon before it is stored, and refused if infected or if it cannot be checked. Empty: no
# check. The first timeout bounds the connection and each chunk sent (a stalled daemon); the second the wait for the
# verdict after the last byte, when clamd scans the whole file (minutes for a 2 GiB archive).
CLAMAV_URL = env.str("CLAMAV_URL", default="")
CLAMAV_TIMEOUT_SECONDS = env.float("CLAMAV_TIMEOUT_SECONDS", default=30.0)
CLAMAV_SCAN_TIMEOUT_SECONDS = env.float("CLAMAV_SCAN_TIMEOUT_SECONDS", default=600.0)

# --- Mail -----------------------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="DataCity <no-reply@datacity.localhost>")
# The sender of error mails to ADMINS (see "Errors" below).
SERVER_EMAIL = env("SERVER_EMAIL", default="") or DEFAULT_FROM_EMAIL
# A mail provider's API instead of SMTP (django-anymail): EMAIL_BACKEND=anymail.backends.<provider>.EmailBackend
# and its settings as JSON in ANYMAIL, e.g. {"MAILGUN_API_KEY": "..."}.
if env("EMAIL_BACKEND", default=""):
    EMAIL_BACKEND = env("EMAIL_BACKEND")
ANYMAIL = env.json("ANYMAIL") if env("ANYMAIL", default="") else {}

# --- Notifications: the outbox (datacity.notifications) -------------------------------------------------------
# A dispatcher holds the rows it claimed this long; if it dies, they are due again after it (longer than a task).
NOTIFICATION_CLAIM_SECONDS = env.int("NOTIFICATION_CLAIM_SECONDS", default=300)
# A failed mail is retried after about 30 s, 1, 2, 4... minutes (at most an hour), then given up and recorded.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=10)
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=30)
NOTIFICATION_RETRY_MAX_SECONDS = env.int("NOTIFICATION_RETRY_MAX_SECONDS", default=3600)
# How long one dispatch task sends before handing over to a fresh one (under the task's time limit).
NOTIFICATION_DISPATCH_SECONDS = env.int("NOTIFICATION_DISPATCH_SECONDS", default=50)
# /health/ answers 503 when the phase tick has not run for this long.
CLOCK_LATE_SECONDS = env.int("CLOCK_LATE_SECONDS", default=300)

# --- Celery: Redis broker, no result backend, idempotent tasks acknowledged late -------------------------------
CELERY_BROKER_URL = REDIS_URL
# Tasks record their outcome in the database; no result backend to keep or expire.
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "datacity"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# The schedule lives in the database only (seeded once by the notifications app's migration, then edited by staff
# in the admin): no CELERY_BEAT_SCHEDULE here, which beat would write over staff's edits at every start.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Errors: an error tracker when SENTRY_DSN is set, otherwise mail to ADMINS (datacity/observability.py) -------
# Sentry or GlitchTip (same protocol), e.g. https://key@glitchtip.example.org/1; started by production settings only.
SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="")
SENTRY_RELEASE = env("SENTRY_RELEASE", default="")
# The share of requests and tasks traced for performance; 0 turns tracing off.
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
# Who is mailed unhandled errors while no tracker receives them: ADMINS="Name <a@example.org>, Other <b@example.org>".
# Empty: nobody (errors are still logged).
ADMINS = [(name, address) for name, address in getaddresses([env("ADMINS", default="")]) if address]
EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
# Error reports (mails to ADMINS) hide every cookie, uploaded files, passwords in URLs and fields named like secrets.
DEFAULT_EXCEPTION_REPORTER_FILTER = "datacity.observability.SafeReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "datacity.observability.SafeExceptionReporter"

# --- Logging --------------------------------------------------------------------------------------------------
# Each line carries the request id (the task id in a Celery task: the audit log's `request_id`, the X-Request-ID
# header, the 500 page's reference, the error tracker's `request_id` tag) and the acting person's id, never the
# address; "-" when there is none. Celery uses this configuration too (datacity/celery.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "datacity.audit.context.RequestIdLogFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s user=%(user_id)s] %(name)s %(message)s"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
        # Unhandled errors by mail, sent straight through EMAIL_URL and not through the notification outbox: they
        # must leave when the database is down (see datacity/observability.py). Silent while Sentry reports them.
        "mail_admins": {
            "class": "datacity.observability.AdminErrorEmailHandler",
            "level": "ERROR",
            "formatter": "plain",
            "filters": ["require_debug_false", "request_id"],
        },
    },
    "loggers": {
        # Replaces Django's default handlers of "django" (its own mail to ADMINS for every django.* error, and a
        # second console while DEBUG): its lines go to the root's console only.
        "django": {"handlers": [], "propagate": True},
        # Unhandled exceptions in requests.
        "django.request": {"handlers": ["mail_admins"], "propagate": True},
        # Tasks that fail (raised, or past their time limit, or their worker lost).
        "celery.app.trace": {"handlers": ["mail_admins"], "propagate": True},
        "celery.worker.request": {"handlers": ["mail_admins"], "propagate": True},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
