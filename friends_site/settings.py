"""Settings for Friends, read from the environment (see README, "Configuration")."""

import ipaddress
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# With debug off and no key, SECRET_KEY stays empty: offline commands (makemigrations, check)
# still run, while the web server and the workers refuse to start (friends_site/startup.py).
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "django-insecure-development-key-never-used-in-production"

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

# Absolute base of links in emails (password reset, welcome).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_rq",
    "csp",
    # The project's apps, in the one order they may import each other (import-linter, CI).
    "core",
    "media",
    "accounts",
    "posts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    # Before anything reads the URL or the cookies: text the database cannot store is a 400.
    "core.text.UnstorableTextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the person's setting (core.middleware.UserLanguageMiddleware, after
    # authentication), else the switcher's cookie, else Accept-Language, else LANGUAGE_CODE.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.RateLimitedMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",
    # After the CSRF check (which parses a form's body) and RateLimitedMiddleware (whose 429
    # page it replaces with the form's own for uploads): media/uploadhandlers.py.
    "media.uploadhandlers.UploadLimitMiddleware",
]

ROOT_URLCONF = "friends_site.urls"
WSGI_APPLICATION = "friends_site.wsgi.application"

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
                "friends_site.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if "DATABASE_URL" not in env.ENVIRON:
    VAR_DIR.mkdir(exist_ok=True)  # the embedded default lives in var/, made on first use
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write at the same time: WAL and immediate transactions
    # make SQLite wait for the lock instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Django's backend with the log-in limits (accounts.limits): pages, API and admin alike.
AUTHENTICATION_BACKENDS = ["accounts.backends.LimitedModelBackend"]

# Argon2id at OWASP's parameters (accounts/hashers.py: about 37 ms of CPU a hash, against
# 0.4 s for Django's default PBKDF2); PBKDF2 hashes made earlier still check and are upgraded at
# the next log-in.
PASSWORD_HASHERS = [
    "accounts.hashers.OwaspArgon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- Redis: queues, cache -------------------------------------------------------------------

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")

# Every queue the app uses; workers serve all of them (README, "Production").
# The jobs of durable work give their own timeout (EMAIL_JOB_TIMEOUT, MEDIA_JOB_TIMEOUT).
RQ_QUEUES = {
    "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300},
    "email": {"URL": REDIS_URL},
    "media": {"URL": REDIS_URL},
}
RQ = {"WORKER_CLASS": "friends_site.worker.Worker"}
RQ_SHOW_ADMIN_LINK = True

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "friends",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}
# Sessions live in the database so that logging in keeps working while Redis is down.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
# How many proxies of the deployment stand in front of gunicorn (core/client.py): 0 when it
# faces the internet, 1 behind nginx or a platform router, 2 behind a load balancer and nginx.
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)

# --- Email ----------------------------------------------------------------------------------

if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
# A mail server that hangs must not hold a worker forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Friends <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Benchmark only (scripts/bench_signup.py): send the email inside the request, to compare.
EMAIL_SEND_INLINE = env.bool("EMAIL_SEND_INLINE", default=False)

# --- Durable work (core.durable) ------------------------------------------------------------
# A worker's claim on a row (an email being sent, a photo being processed) is refreshed every
# CLAIM_HEARTBEAT seconds; a claim silent for CLAIM_TIMEOUT belongs to a dead worker and the
# minute sweep hands the work out again. The sweep leaves pending rows younger than
# SWEEP_GRACE to the job queued after their commit. Each kind has <PREFIX>_MAX_ATTEMPTS,
# <PREFIX>_RETRY_INTERVALS (seconds before each retry) and <PREFIX>_JOB_TIMEOUT.
CLAIM_HEARTBEAT = env.float("CLAIM_HEARTBEAT", default=5)
CLAIM_TIMEOUT = env.int("CLAIM_TIMEOUT", default=30)
SWEEP_GRACE = env.int("SWEEP_GRACE", default=30)
# A worker that finds the database gone (a restart, a fail-over) waits for it up to this many
# seconds before it claims a row or records how the work went (core.durable).
DURABLE_DATABASE_WAIT = env.int("DURABLE_DATABASE_WAIT", default=60)
# One sweep per SWEEP_INTERVAL_SECONDS across every worker of every host (friends_site/worker.py).
SWEEP_INTERVAL_SECONDS = env.int("SWEEP_INTERVAL_SECONDS", default=60)

# Email deliveries (accounts.EmailDelivery); the media kinds are with the media settings.
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=5)
EMAIL_RETRY_INTERVALS = env.list("EMAIL_RETRY_INTERVALS", cast=int, default=[30, 120, 600, 1800])
EMAIL_JOB_TIMEOUT = env.int("EMAIL_JOB_TIMEOUT", default=120)

# Notifications (posts.NotificationEvent, queue default): read ones older than
# NOTIFICATION_KEEP_READ_DAYS are deleted by the sweep.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
NOTIFICATION_RETRY_INTERVALS = env.list(
    "NOTIFICATION_RETRY_INTERVALS", cast=int, default=[10, 60, 300, 900]
)
NOTIFICATION_JOB_TIMEOUT = env.int("NOTIFICATION_JOB_TIMEOUT", default=60)
NOTIFICATION_KEEP_READ_DAYS = env.int("NOTIFICATION_KEEP_READ_DAYS", default=90)
# Seconds between two looks of an open page for its count of unread notifications.
NOTIFICATION_POLL_SECONDS = env.int("NOTIFICATION_POLL_SECONDS", default=25)

# --- Live updates (core/events.py, core/streams.py: server-sent events at /events/) --------
# Channels of Redis pub/sub are shared by all of a server's databases: the prefix keeps sites
# apart. A stream writes a comment every EVENTS_HEARTBEAT_SECONDS (proxies close silent
# connections) and tells the browser to reconnect after EVENTS_RETRY_MS.
EVENTS_CHANNEL_PREFIX = env("EVENTS_CHANNEL_PREFIX", default="events")
EVENTS_HEARTBEAT_SECONDS = env.float("EVENTS_HEARTBEAT_SECONDS", default=15)
EVENTS_RETRY_MS = env.int("EVENTS_RETRY_MS", default=3000)

# Leaving (accounts.AccountDeletion, queue default): the job deletes a whole account.
ACCOUNT_DELETION_MAX_ATTEMPTS = env.int("ACCOUNT_DELETION_MAX_ATTEMPTS", default=5)
ACCOUNT_DELETION_RETRY_INTERVALS = env.list(
    "ACCOUNT_DELETION_RETRY_INTERVALS", cast=int, default=[30, 120, 600, 1800]
)
ACCOUNT_DELETION_JOB_TIMEOUT = env.int("ACCOUNT_DELETION_JOB_TIMEOUT", default=600)

# Data exports (posts.DataExport, queue default): the job writes the zip of a person's data;
# its download link works for EXPORT_LINK_DAYS, then the sweep deletes the file.
EXPORT_MAX_ATTEMPTS = env.int("EXPORT_MAX_ATTEMPTS", default=3)
EXPORT_RETRY_INTERVALS = env.list("EXPORT_RETRY_INTERVALS", cast=int, default=[60, 600])
EXPORT_JOB_TIMEOUT = env.int("EXPORT_JOB_TIMEOUT", default=3600)
EXPORT_LINK_DAYS = env.int("EXPORT_LINK_DAYS", default=7)

# Invitations by email: at most INVITATIONS_PER_DAY a person in any 24 hours.
INVITATIONS_PER_DAY = env.int("INVITATIONS_PER_DAY", default=5)

# --- Static and media files ----------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    # S3-compatible storage (django-storages): the standard AWS_* variables configure it,
    # e.g. AWS_S3_ENDPOINT_URL, AWS_S3_REGION_NAME, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default=None)
    AWS_S3_CUSTOM_DOMAIN = env("AWS_S3_CUSTOM_DOMAIN", default=None)
    # "path" for S3-compatible servers addressed by IP or without wildcard DNS (moto, MinIO).
    AWS_S3_ADDRESSING_STYLE = env("AWS_S3_ADDRESSING_STYLE", default=None)
    PUBLIC_MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"location": "public", "querystring_auth": False, "file_overwrite": True},
    }
    PRIVATE_MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "location": "private",
            # No ACL on any object (as AWS's default "ACLs disabled" wants): the bucket policy
            # makes public/* readable and nothing else (docs/OPERATIONS.md).
            "querystring_auth": True,
            "custom_domain": None,
            "file_overwrite": True,
        },
    }
else:
    # Served variants under MEDIA_ROOT/public (served by the app at MEDIA_URL); originals under
    # MEDIA_ROOT/private, which has no URL at all.
    PUBLIC_MEDIA_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "public", "base_url": MEDIA_URL},
    }
    PRIVATE_MEDIA_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "private", "base_url": None},
    }
# Direct uploads (S3 only, media/direct_uploads.py): a client sends the file straight to the
# bucket with a presigned POST valid for MEDIA_DIRECT_UPLOAD_EXPIRES_SECONDS, then asks for its
# processing; an upload never completed is deleted by the sweep after
# MEDIA_DIRECT_UPLOAD_TTL_SECONDS.
MEDIA_DIRECT_UPLOAD_EXPIRES_SECONDS = env.int("MEDIA_DIRECT_UPLOAD_EXPIRES_SECONDS", default=600)
MEDIA_DIRECT_UPLOAD_TTL_SECONDS = env.int("MEDIA_DIRECT_UPLOAD_TTL_SECONDS", default=3600)

STORAGES = {
    "default": PUBLIC_MEDIA_STORAGE,
    "private": PRIVATE_MEDIA_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- API ------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a missing or bad token is a 401 with `WWW-Authenticate: Token`.
        "accounts.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "DEFAULT_THROTTLE_CLASSES": ["core.throttles.PersonThrottle", "core.throttles.AddressThrottle"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
}
# Requests per person and per client address over the whole API: "limit/seconds" each.
API_THROTTLE_RATES = {
    scope: tuple(
        int(part) for part in env(f"API_THROTTLE_{scope.upper()}", default=rate).split("/")
    )
    for scope, rate in (("person", "3000/3600"), ("address", "6000/3600"))
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Friends API",
    "DESCRIPTION": "Follow people, post text with photos, read a feed.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request and response shapes apart: what a client sends is not what it reads back.
    "COMPONENT_SPLIT_REQUEST": True,
    # Enums that several components share (a media item, a direct upload) keep one name.
    "ENUM_NAME_OVERRIDES": {
        "MediaKindEnum": "media.models.Media.Kind",
        "MediaStatusEnum": "media.models.Media.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.text_without_nul",
    ],
}

# --- API tokens -----------------------------------------------------------------------------
# One token per device or client (accounts.ApiToken, django-rest-knox: only a digest of the key
# is stored). A token works for API_TOKEN_TTL_DAYS after it is made, never extended; a password
# change or a deactivation ends all of a person's tokens. accounts.services.token_create sets
# the expiry, so knox's own TOKEN_TTL is not used.
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=90)
KNOX_TOKEN_MODEL = "accounts.ApiToken"
REST_KNOX = {"TOKEN_MODEL": KNOX_TOKEN_MODEL, "AUTH_HEADER_PREFIX": "Token"}
# knox's own model is swapped out, yet its migrations would still create its table: an unused
# table whose foreign key to the users blocks flushing them (PostgreSQL refuses to truncate).
MIGRATION_MODULES = {"knox": None}
# Not a rule on passwords: its password_changed() hook, which every way of changing a password
# passes through, ends the person's API tokens (accounts/passwords.py).
AUTH_PASSWORD_VALIDATORS += [{"NAME": "accounts.passwords.ApiTokensEndWithPassword"}]

# --- Security -------------------------------------------------------------------------------

HTTPS = env.bool("DJANGO_HTTPS", default=not DEBUG)
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "core.views.csrf_failure"  # JSON under /api/, the site's 403 page elsewhere
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp) on every answer: scripts only from the site itself, no
# inline script anywhere; style attributes are allowed (a photo's placeholder keeps its shape
# with one), style elements are not. Photos come from the site, or from the bucket or CDN.
_IMAGE_ORIGINS = ["'self'", "data:"]
if AWS_STORAGE_BUCKET_NAME:
    _IMAGE_ORIGINS += [
        f"https://{AWS_S3_CUSTOM_DOMAIN}" if AWS_S3_CUSTOM_DOMAIN else "https://*.amazonaws.com",
        *([AWS_S3_ENDPOINT_URL.rstrip("/")] if AWS_S3_ENDPOINT_URL else []),
    ]
# The page's script sends photos straight to the bucket when S3 is configured (direct uploads):
# to the endpoint itself, never through the CDN. The bucket needs a CORS rule for the site.
_UPLOAD_ORIGINS = []
if AWS_STORAGE_BUCKET_NAME:
    _UPLOAD_ORIGINS = (
        [AWS_S3_ENDPOINT_URL.rstrip("/")] if AWS_S3_ENDPOINT_URL else ["https://*.amazonaws.com"]
    )
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": _IMAGE_ORIGINS,
        "font-src": ["'self'"],
        "connect-src": ["'self'", *_UPLOAD_ORIGINS],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- i18n, logging --------------------------------------------------------------------------

# English and Korean (README "Languages"): catalogs in locale/, compiled .mo files committed.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "한국어")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # No email address in any log line or traceback (core/logging.py).
    "filters": {"redact_emails": {"()": "core.logging.RedactEmailsFilter"}},
    # The level on the handler too: records of Django's own loggers reach it by propagation.
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "level": LOG_LEVEL,
            "filters": ["redact_emails"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Media: limits and variants -------------------------------------------------------------
# The request checks size, format (sniffed from the bytes) and header pixel count; the worker
# checks the rest while decoding. Clients read these from GET /api/v1/limits/.

MEDIA_MAX_UPLOAD_BYTES = env.int("MEDIA_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
MEDIA_MAX_PIXELS = env.int("MEDIA_MAX_PIXELS", default=40_000_000)
MEDIA_MAX_FRAMES = env.int("MEDIA_MAX_FRAMES", default=300)
MEDIA_MAX_ANIMATION_PIXELS = env.int("MEDIA_MAX_ANIMATION_PIXELS", default=100_000_000)
MEDIA_MAX_PER_POST = env.int("MEDIA_MAX_PER_POST", default=10)
# Long side of the served variants, in pixels (never upscaled). Animations keep their frames
# at MEDIA_ANIMATED_DISPLAY_SIZE at most, which bounds the worker's memory.
MEDIA_DISPLAY_SIZE = 2048
MEDIA_THUMBNAIL_SIZE = 640
MEDIA_ANIMATED_DISPLAY_SIZE = 1024
MEDIA_AVATAR_SIZES = (400, 96)
MEDIA_WEBP_QUALITY = 82
# The media jobs (durable work): a timeout fails the item (the same image would time out again);
# transient errors (storage, database) are retried after these intervals, up to the attempts.
MEDIA_JOB_TIMEOUT = env.int("MEDIA_JOB_TIMEOUT", default=180)
MEDIA_RETRY_INTERVALS = env.list("MEDIA_RETRY_INTERVALS", cast=int, default=[10, 60, 300, 900])
MEDIA_MAX_ATTEMPTS = env.int("MEDIA_MAX_ATTEMPTS", default=5)
# Uploads never attached (a photo never posted) are deleted after this; failed items (attached
# or not: a post's photo, an avatar) MEDIA_FAILED_TTL_SECONDS after they failed, their owner
# seeing why until then.
MEDIA_UNATTACHED_TTL_SECONDS = env.int("MEDIA_UNATTACHED_TTL_SECONDS", default=24 * 3600)
MEDIA_FAILED_TTL_SECONDS = env.int("MEDIA_FAILED_TTL_SECONDS", default=24 * 3600)
# What one request may send, checked while it arrives (media/uploadhandlers.py): a body whose
# Content-Length passes MEDIA_MAX_REQUEST_BYTES (default: a post's photos at the largest size and
# 1 MB of fields) is a 413 before it is read; reading stops, also a 413, as soon as one file
# passes MEDIA_MAX_UPLOAD_BYTES.
MEDIA_MAX_REQUEST_BYTES = env.int(
    "MEDIA_MAX_REQUEST_BYTES", default=MEDIA_MAX_UPLOAD_BYTES * MEDIA_MAX_PER_POST + 1024 * 1024
)
# What one person may upload (core.ratelimit "uploads" and "upload_bytes", which RATELIMIT_RATES
# may replace): MEDIA_UPLOAD_RATE uploads ("60/3600": so many in so many seconds) and
# MEDIA_DAILY_UPLOAD_BYTES a day. Past either, a 429 with Retry-After.
MEDIA_UPLOAD_RATE = tuple(
    int(part) for part in env("MEDIA_UPLOAD_RATE", default="60/3600").replace(",", "/").split("/")
)
MEDIA_DAILY_UPLOAD_BYTES = env.int("MEDIA_DAILY_UPLOAD_BYTES", default=500 * 1024 * 1024)
# Uploads: multipart bodies are read 1 MB at a time instead of Django's 64 kB, which under
# gunicorn takes a 7 MB photo's upload from about 3x to about 2x the time of a tiny one (see
# media/uploadhandlers.py). Files over FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) stream to a
# temporary file in FILE_UPLOAD_TEMP_DIR (default: the system's); keep it on the filesystem of
# MEDIA_ROOT, so storing the original is a rename and not a second copy.
MEDIA_UPLOAD_CHUNK_SIZE = 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "media.uploadhandlers.UploadLimitHandler",  # first: it sees every chunk before it is kept
    "media.uploadhandlers.LargeChunkMemoryFileUploadHandler",
    "media.uploadhandlers.LargeChunkTemporaryFileUploadHandler",
]
FILE_UPLOAD_TEMP_DIR = env("FILE_UPLOAD_TEMP_DIR", default=None)
# The API reads multipart bodies with the same limit: a body cut short is a 413.
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "rest_framework.parsers.JSONParser",
    "rest_framework.parsers.FormParser",
    "media.uploadhandlers.LimitedMultiPartParser",
]

# --- Operators: health, logs, metrics -------------------------------------------------------
# docs/OPERATIONS.md. /healthz, /readyz and /metrics (core.health, core.metrics) are answered
# before the rest of the middleware (core.health.ProbeMiddleware): no session, cookie, user or
# Host check there; and over plain HTTP, for load balancers and Prometheus inside the network.

# /readyz: each check may take READY_CHECK_TIMEOUT seconds (the whole answer comes within a
# second more); a queue with more than READY_MAX_QUEUE_LENGTH waiting jobs or
# READY_MAX_FAILED_JOBS failed ones makes it answer 503 (0: no limit).
READY_CHECK_TIMEOUT = env.float("READY_CHECK_TIMEOUT", default=2)
READY_MAX_QUEUE_LENGTH = env.int("READY_MAX_QUEUE_LENGTH", default=10_000)
READY_MAX_FAILED_JOBS = env.int("READY_MAX_FAILED_JOBS", default=1_000)
# PostgreSQL: a database host that does not answer is given up after DATABASE_CONNECT_TIMEOUT
# seconds (pages answer 503, /readyz says so) instead of the system's minutes. A
# connect_timeout in DATABASE_URL's query string wins.
if "postgresql" in DATABASES["default"]["ENGINE"]:
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=3)
    )

# Logs: "json" (one object a line: time, level, logger, message, request_id, and the fields
# of the access lines) or "plain" (under DEBUG, for people reading a terminal).
LOG_FORMAT = env("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f'LOG_FORMAT must be "json" or "plain", not "{LOG_FORMAT}"')
LOGGING["formatters"]["json"] = {"()": "core.logging.JsonFormatter"}
LOGGING["filters"]["request_id"] = {"()": "core.request_id.RequestIdFilter"}
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT
LOGGING["handlers"]["console"]["filters"].append("request_id")
# A failing check is in /readyz's answer and its access line: no traceback every probe.
LOGGING["loggers"]["health_check"] = {"level": "ERROR"}

# The request id (core.request_id) is made first and goes into the jobs a request queues;
# django-prometheus's two middleware time everything between them.
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "core.request_id.RequestIdMiddleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "core.health.ProbeMiddleware",
)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
RQ["QUEUE_CLASS"] = "core.request_id.RequestIdQueue"

# /metrics answers the bearer of METRICS_TOKEN (Authorization: Bearer ...) and clients of
# METRICS_ALLOWED_IPS (addresses or networks, as core.client finds them: behind a proxy, set
# TRUSTED_PROXY_HOPS, or every request comes from the proxy); anyone else gets a 404.
# PROMETHEUS_MULTIPROC_DIR (environment only, read by prometheus_client) adds up gunicorn's
# worker processes: docs/OPERATIONS.md.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = [
    str(ipaddress.ip_network(allowed, strict=False))
    for allowed in env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
    if allowed
]
