"""Django settings for Pingan.

Every value comes from the environment (``PINGAN_*``, ``DATABASE_URL``, ``REDIS_URL``) and the
defaults work on a laptop with nothing set: SQLite and generated secrets under ``var/``.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc


def envfloat(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from exc


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


VAR_DIR = Path(env("PINGAN_VAR_DIR", str(BASE_DIR / "var"))).resolve()


def secret_from_file(name: str, filename: str, kind: str = "token") -> str:
    """Return ``$NAME``, else the file ``$NAME_FILE``, else a secret generated into var/.

    ``kind`` "fernet" generates a Fernet key (32 url-safe base64 bytes) instead of a token.
    """
    if env(name):
        return env(name)
    if env(f"{name}_FILE"):
        return Path(env(f"{name}_FILE")).read_text().strip()
    path = VAR_DIR / filename
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        # Written with 0600 so the key never becomes world-readable on a shared server.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            if kind == "fernet":
                fh.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
            else:
                fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = secret_from_file("PINGAN_SECRET_KEY", "secret_key")
# Personal data (ARCHITECTURE rule 6): phone and ID numbers are encrypted with these Fernet keys
# (comma-separated, newest first: older keys still decrypt during a rotation) and looked up
# through an HMAC with the hash key. Both come from the environment, a *_FILE, or a file
# created under var/ on first run, never from the repository.
PINGAN_FIELD_KEYS = envlist("PINGAN_FIELD_KEYS") or [
    secret_from_file("PINGAN_FIELD_KEY", "field_key", "fernet")
]
PINGAN_HASH_KEY = secret_from_file("PINGAN_HASH_KEY", "hash_key")
DEBUG = envbool("PINGAN_DEBUG", False)
ALLOWED_HOSTS = envlist("PINGAN_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("PINGAN_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "huey.contrib.djhuey",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "simple_history",
    "csp",
    "pingan.core",
    "pingan.geo",
    "pingan.accounts",
    "pingan.notify",
    "pingan.workflow",
    "pingan.events",
    "pingan.people",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed for a phone on a weak network (static files come compressed from
    # WhiteNoise above). Django's GZip pads each response against BREACH; CSRF tokens are masked.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After authentication: edits of rules and categories record the acting user.
    "simple_history.middleware.HistoryRequestMiddleware",
    "pingan.accounts.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pingan.urls"
WSGI_APPLICATION = "pingan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "pingan.core.context_processors.pingan",
                "pingan.accounts.context_processors.scope",
                "pingan.notify.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'pingan.sqlite3'}"),
        conn_max_age=envint("PINGAN_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker and the web server write without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pingan",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work (Huey): SQLite under var/ (no extra server), Redis when REDIS_URL is set.
# `pingan worker` runs the consumer, periodic tasks included.
HUEY = {
    "name": "pingan",
    "huey_class": "huey.RedisHuey" if REDIS_URL else "huey.SqliteHuey",
    "connection": {"url": REDIS_URL} if REDIS_URL else {"filename": str(VAR_DIR / "tasks.sqlite3")},
    "immediate": envbool("PINGAN_TASKS_IMMEDIATE", False),
    "results": True,
    "store_none": False,
    "utc": True,
    "consumer": {
        "workers": envint("PINGAN_WORKER_THREADS", 4),
        "worker_type": "thread",
        "periodic": True,
        "check_worker_health": True,
    },
}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Failed logins are throttled per (username, IP): five failures lock that pair for the cool-off.
AXES_ENABLED = envbool("PINGAN_AXES_ENABLED", True)
AXES_FAILURE_LIMIT = envint("PINGAN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envfloat("PINGAN_LOGIN_COOLOFF_HOURS", 0.25)
# Lock a (username, address) pair, not a username everywhere; and an address trying many
# usernames (password spraying), at its own higher threshold. pingan/accounts/lockout.py.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
PINGAN_LOGIN_ADDRESS_FAILURE_LIMIT = envint("PINGAN_LOGIN_ADDRESS_FAILURE_LIMIT", 30)
AXES_HANDLER = "pingan.accounts.lockout.LockoutHandler"
# Behind nginx every request comes from 127.0.0.1: the client is X-Forwarded-For's last entry.
AXES_CLIENT_IP_CALLABLE = "pingan.accounts.lockout.client_address"
# The lock lasts AXES_COOLOFF_TIME from the failure that set it: more failures do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
# API tokens expire this many days after they are issued.
PINGAN_TOKEN_DAYS = envint("PINGAN_TOKEN_DAYS", 7)
if PINGAN_TOKEN_DAYS < 1:
    raise ImproperlyConfigured("PINGAN_TOKEN_DAYS must be at least 1")
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Two-factor login (TOTP). When required, admins and centre dispatchers must enrol a device.
PINGAN_REQUIRE_2FA = envbool("PINGAN_REQUIRE_2FA", False)
PINGAN_2FA_ROLES = envlist("PINGAN_2FA_ROLES", "admin,center")
OTP_TOTP_ISSUER = env("PINGAN_OTP_ISSUER", "Pingan 平安")

# Edit history of rules and categories (django-simple-history): the admin shows past versions
# and never saves one back, which would skip the inlines and the checks of the edit pages.
SIMPLE_HISTORY_REVERT_DISABLED = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("PINGAN_STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request without it
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("PINGAN_MEDIA_ROOT", str(VAR_DIR / "media")))
# Static files: `collectstatic` (run by `make static` and `pingan demo`) writes them under
# hashed names with gzip and brotli copies beside them; WhiteNoise serves those compressed, as
# the browser asks, and lets browsers keep them a year without asking again
# (a changed file gets a new name). Tests use the plain storage: see conftest.py.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def static_cache_headers(headers, path: str, url: str) -> None:
    """Cache hashed static files one year, the most HTTP caches keep (WhiteNoise says ten)."""
    if "immutable" in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = "max-age=31536000, public, immutable"


WHITENOISE_ADD_HEADERS_FUNCTION = static_cache_headers
# Source maps are fetched by developer tools only: not worth half the time of collectstatic.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("PINGAN_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = envint("PINGAN_SESSION_SECONDS", 8 * 3600)
X_FRAME_OPTIONS = "DENY"
# A failed CSRF check gets a page that says why it usually happens and offers a retry.
CSRF_FAILURE_VIEW = "pingan.core.errors.csrf_failure"
PINGAN_BEHIND_PROXY = envbool("PINGAN_BEHIND_PROXY", False)
if PINGAN_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # "Authorization: Token <key>": hashed tokens with a lifetime (pingan/accounts/tokens.py).
        "pingan.accounts.authentication.TokenAuthentication",
        # Intake systems (sensors, other platforms): "Authorization: Api-Key <key>".
        "pingan.events.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's three, the JSON one with a size and a nesting limit (see pingan.core.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "pingan.core.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "pingan.core.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "pingan.core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# The OpenAPI schema (/api/schema/) and its browsable docs (/api/docs/) need a signed-in user
# unless this is on (`pingan demo` turns it on): the schema maps every endpoint and field.
PINGAN_PUBLIC_API_DOCS = envbool("PINGAN_PUBLIC_API_DOCS", False)
SPECTACULAR_SETTINGS = {
    "TITLE": "Pingan API",
    "SERVE_PERMISSIONS": ["pingan.core.api.SchemaAccess"],
    "DESCRIPTION": "平安 — grids, jurisdictions and (in later versions) events, disputes and care. "
    "Authenticate with POST /api/v1/auth/token, then send `Authorization: Token <token>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation declares the error answers it may give (pingan/core/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "pingan.core.openapi.declare_errors",
    ],
    # Tags and operation ids start after the version: "grids", "grids_list".
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Several models have a "kind" or "role"; name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "GridKindEnum": "pingan.geo.models.Grid.Kind",
        "DepartmentKindEnum": "pingan.accounts.models.Department.Kind",
        "RoleEnum": "pingan.accounts.models.Role",
        "GridMemberRoleEnum": "pingan.geo.models.GridMember.Role",
        "EventStatusEnum": "pingan.events.models.Event.Status",
        "EventChannelEnum": "pingan.events.models.Event.Channel",
        "SupervisionEnum": "pingan.events.models.Event.Supervision",
        "SlaUnitEnum": "pingan.core.sla.Unit",
        "EscalationLevelEnum": "pingan.events.serializers.EscalationLevel",
        "RegionLevelEnum": "pingan.geo.models.Region.Level",
    },
}

# Map: no tile server is reachable offline, so the base layer is opt-in. Examples: an
# intranet tile server, or Tianditu with its key: https://t0.tianditu.gov.cn/...&tk=KEY
PINGAN_MAP_TILE_URL = env("PINGAN_MAP_TILE_URL")
PINGAN_MAP_TILE_ATTRIBUTION = env("PINGAN_MAP_TILE_ATTRIBUTION")


def csp_source_of(url: str) -> str:
    """Return the CSP source (scheme://host[:port]) serving a tile URL template, '' for this site.

    Leaflet's ``{s}`` subdomain placeholder in the first label becomes CSP's ``*.`` wildcard
    (``https://t{s}.tianditu.gov.cn/…`` → ``https://*.tianditu.gov.cn``).
    """
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return ""  # a path on this site: 'self' already allows it
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImproperlyConfigured(f"PINGAN_MAP_TILE_URL must be an http(s) URL, not {url!r}")
    host, _colon, port = parts.netloc.rpartition("@")[2].partition(":")
    labels = host.lower().split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if any("{" in label for label in labels) or (port and not port.isdigit()):
        raise ImproperlyConfigured(
            "PINGAN_MAP_TILE_URL may have a placeholder only in the first label of its host name, "
            f"not in {parts.netloc!r}"
        )
    return f"{parts.scheme}://{'.'.join(labels)}{':' + port if port else ''}"


# Content-Security-Policy (django-csp): pages load scripts, styles, fonts and images from this
# site only, and nothing inline — no <script> bodies, no on…="" handlers, no style="" (see
# static/pingan/base.js and pingan.css); core/tests/test_headers.py keeps templates that way.
# data: images are Bootstrap's SVG icons inside its CSS; a base-map tile server is allowed as
# an image source when PINGAN_MAP_TILE_URL names one.
_TILE_SOURCE = csp_source_of(PINGAN_MAP_TILE_URL)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *([_TILE_SOURCE] if _TILE_SOURCE else [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Permissions-Policy (django-permissions-policy): the grid worker's report page asks for GPS;
# every other powerful feature is off. Photos are taken through a file input, which opens the
# phone's camera app and needs no camera permission.
# Only names chromium knows: it logs an error on every page for any other.
_FEATURES_OFF = """
    accelerometer autoplay browsing-topics camera clipboard-read display-capture encrypted-media
    fullscreen gamepad gyroscope hid idle-detection local-fonts magnetometer microphone midi
    otp-credentials payment picture-in-picture publickey-credentials-create
    publickey-credentials-get screen-wake-lock serial usb window-management xr-spatial-tracking
""".split()
PERMISSIONS_POLICY = {"geolocation": ["self"], **{feature: [] for feature in _FEATURES_OFF}}

# Grid codes: 15 digits by default (12-digit village code + 3-digit sequence).
PINGAN_GRID_CODE_REGEX = env("PINGAN_GRID_CODE_REGEX", r"^\d{15}$")
# locate(): how far (km) from any grid a point may be and still fall back to the nearest village.
PINGAN_LOCATE_FALLBACK_KM = envfloat("PINGAN_LOCATE_FALLBACK_KM", 5.0)
# locate(): how often (s) a process checks whether another process changed the grids.
PINGAN_LOCATE_RECHECK_SECONDS = envfloat("PINGAN_LOCATE_RECHECK_SECONDS", 5.0)
# Deadlines: the warning comes at this fraction (0–1) of a deadline's running time; the sweep
# (every minute, in the worker) fires hooks in batches of this many deadlines per transaction.
PINGAN_DEADLINE_WARN_FRACTION = envfloat("PINGAN_DEADLINE_WARN_FRACTION", 0.8)
if not 0 <= PINGAN_DEADLINE_WARN_FRACTION <= 1:
    raise ImproperlyConfigured("PINGAN_DEADLINE_WARN_FRACTION must lie between 0 and 1")
PINGAN_SWEEP_BATCH = envint("PINGAN_SWEEP_BATCH", 1000)
if PINGAN_SWEEP_BATCH < 1:
    raise ImproperlyConfigured("PINGAN_SWEEP_BATCH must be at least 1")

# Notifications: robots, e-mail and SMS. Links in messages are made absolute with the site URL.
PINGAN_SITE_URL = env("PINGAN_SITE_URL", "http://127.0.0.1:8000")
# The local stand-in for a group robot (offline demos only; `pingan demo` turns it on).
PINGAN_DEMO_ROBOT = envbool("PINGAN_DEMO_ROBOT", False)
PINGAN_SMS_BACKEND = env("PINGAN_SMS_BACKEND", "pingan.notify.channels.LoggingSMSBackend")
PINGAN_WEBHOOK_TIMEOUT = envfloat("PINGAN_WEBHOOK_TIMEOUT", 5.0)
PINGAN_NOTIFY_MAX_ATTEMPTS = envint("PINGAN_NOTIFY_MAX_ATTEMPTS", 5)
# Retry back-off: base seconds × 2^(attempt-1), at most the cap.
PINGAN_NOTIFY_RETRY_SECONDS = envint("PINGAN_NOTIFY_RETRY_SECONDS", 30)
PINGAN_NOTIFY_RETRY_MAX_SECONDS = envint("PINGAN_NOTIFY_RETRY_MAX_SECONDS", 3600)
EMAIL_BACKEND = env("PINGAN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("PINGAN_DEFAULT_FROM_EMAIL", "pingan@localhost")
EMAIL_HOST = env("PINGAN_EMAIL_HOST", "localhost")
EMAIL_PORT = envint("PINGAN_EMAIL_PORT", 25)
EMAIL_HOST_USER = env("PINGAN_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("PINGAN_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("PINGAN_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("PINGAN_EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = envint("PINGAN_EMAIL_TIMEOUT", 10)

# Events (事件): supervision grades rise by how long an event has been overdue; verification by
# the grid is due this many hours after the department reports it resolved; keyword
# classification below this confidence leaves the event unclassified for the centre.
PINGAN_SUPERVISION_YELLOW_HOURS = envfloat("PINGAN_SUPERVISION_YELLOW_HOURS", 24.0)
PINGAN_SUPERVISION_RED_HOURS = envfloat("PINGAN_SUPERVISION_RED_HOURS", 72.0)
PINGAN_VERIFY_HOURS = envfloat("PINGAN_VERIFY_HOURS", 24.0)
PINGAN_CLASSIFY_THRESHOLD = envfloat("PINGAN_CLASSIFY_THRESHOLD", 0.5)
PINGAN_DUPLICATE_DAYS = envint("PINGAN_DUPLICATE_DAYS", 7)
# A second 催办 of the same event within this many minutes is refused with a warning.
PINGAN_URGE_REPEAT_MINUTES = envint("PINGAN_URGE_REPEAT_MINUTES", 10)
# Photos and files attached to events: allowed size (MB) and count per upload.
PINGAN_UPLOAD_MAX_MB = envfloat("PINGAN_UPLOAD_MAX_MB", 10.0)
PINGAN_UPLOAD_MAX_FILES = envint("PINGAN_UPLOAD_MAX_FILES", 9)
# Basic data: records not verified for this many days are listed for the grid worker again.
PINGAN_VERIFY_AFTER_DAYS = envint("PINGAN_VERIFY_AFTER_DAYS", 180)
# How many synthetic residents `pingan load-demo` adds to the demo county (0: none).
PINGAN_DEMO_RESIDENTS = envint("PINGAN_DEMO_RESIDENTS", 25000)
# How many demo events `pingan load-demo` / `pingan demo` add to the demo county (0: none).
PINGAN_DEMO_EVENTS = envint("PINGAN_DEMO_EVENTS", 3000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A 403 or a bad request is one line (what, where, why), not a traceback: core/logfilters.py.
    "filters": {"one_line_4xx": {"()": "pingan.core.logfilters.OneLineClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["one_line_4xx"]}},
    "root": {"handlers": ["console"], "level": env("PINGAN_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # The worker (huey's consumer) gives the "huey" logger a handler of its own: passed on
        # to the root's as well, every line printed twice. Elsewhere it has no handler, and
        # Python's last resort still prints its warnings and errors.
        "huey": {"propagate": False},
    },
}
