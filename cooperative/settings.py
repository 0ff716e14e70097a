"""Settings for the cooperative management system.

One module, read from the environment (see README "Configuration"). Bad values stop the process at
start; there is no secret default when DEBUG is off.
"""

import datetime
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from cooperative.csp_policy import content_security_policy
from cooperative.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Development only: a key that is never valid in production because DEBUG must be on.
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long with 5 distinct characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names served when DEBUG is off.")
if "*" in ALLOWED_HOSTS and not DEBUG:
    raise ImproperlyConfigured("ALLOWED_HOSTS must not be '*' when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "cooperative",
    "members",
    "certifications",
    "credit",
    "deliveries",
    "reporting",
    "api",
    "demo",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a login refused for too many failures into the lockout page (cooperative.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cooperative.urls"
WSGI_APPLICATION = "cooperative.wsgi.application"

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
                "cooperative.context_processors.navigation",
            ],
        },
    },
]

# Database: DATABASE_URL, a SQLite file in the project folder by default.
_database_url = env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=env_int("CONN_MAX_AGE", 60))}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] not in (
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
):
    raise ImproperlyConfigured("DATABASE_URL must point to SQLite or PostgreSQL.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Short queries over many rows: PostgreSQL's JIT compilation costs more than it saves (seconds on the
    # dashboard's aggregates at 225,000 members, see docs/PERFORMANCE.md).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: Spanish for users in Peru by default, English available.
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "America/Lima")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# With DEBUG on, WhiteNoise serves straight from the app and project static folders (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# The lockout backend first: it refuses a locked-out user before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login lockout (cooperative.lockout, django-axes): failures are rows in the database, shared by every app
# server. LOGIN_FAILURES_PER_USER wrong passwords for one user name, or LOGIN_FAILURES_PER_ADDRESS from one
# address (an office shares one), lock logins out for LOGIN_LOCKOUT_MINUTES.
LOGIN_FAILURES_PER_USER = env_int("LOGIN_FAILURES_PER_USER", 5)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 30)
if not 1 <= LOGIN_FAILURES_PER_USER <= LOGIN_FAILURES_PER_ADDRESS:
    raise ImproperlyConfigured("LOGIN_FAILURES_PER_USER must be at least 1 and at most LOGIN_FAILURES_PER_ADDRESS.")
AXES_HANDLER = "cooperative.lockout.LoginLockoutHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_USER
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
if LOGIN_LOCKOUT_MINUTES < 1:
    raise ImproperlyConfigured("LOGIN_LOCKOUT_MINUTES must be at least 1.")
AXES_COOLOFF_TIME = datetime.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_CALLABLE = "cooperative.lockout.lockout_response"
# The client's address: REMOTE_ADDR by default, which a client cannot forge. Behind TRUSTED_PROXY_COUNT
# reverse proxies that each append to X-Forwarded-For (nginx's $proxy_add_x_forwarded_for), it is read from
# that header instead; otherwise every login would come from the proxy's address and share its limit. A
# header with more entries than the proxies add (forged by the client) falls back to REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
if TRUSTED_PROXY_COUNT:
    # django-ipware counts the proxies listed in the header besides the client: the last proxy is REMOTE_ADDR.
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1
    AXES_IPWARE_PROXY_ORDER = "right-most"
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
AXES_VERBOSE = False  # its start-up banner; lockouts are still logged as warnings

COOPERATIVE_NAME = env_str("COOPERATIVE_NAME", "Cooperativa Bio Azul")

# Maps (EUDR): a tile server URL such as https://tile.openstreetmap.org/{z}/{x}/{y}.png (respect its usage
# policy) and its attribution; empty = no tiles (the farms are drawn on a plain background).
MAP_TILE_URL = env_str("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "")
# EUDR GeoJSON export: a statement file may be at most 25 MB; larger selections are split (ZIP).
EUDR_EXPORT_MAX_FILE_BYTES = env_int("EUDR_EXPORT_MAX_FILE_BYTES", 25_000_000)

# Shared state (docs/DEPLOY.md). With REDIS_URL (redis://host:6379/0) every app server shares one Redis:
# - "default", the cache (sessions' cache, job progress): a Redis that is down reads as a cache miss
#   (django-redis IGNORE_EXCEPTIONS), so pages still render from the database;
# - "limits", the API throttle: the same Redis without that forgiveness, so that a throttle that cannot
#   count refuses (503, api.throttling) instead of letting every request through;
# - sessions: cached_db, in the database (the record) and in Redis (the fast path).
# Without REDIS_URL the cache and the throttle stay in the process (one process: the demo and the tests) and
# sessions in the database.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL and not re.match(r"rediss?://", REDIS_URL):
    raise ImproperlyConfigured(f"REDIS_URL must start with redis:// or rediss://; got {REDIS_URL!r}.")
if REDIS_URL:
    _redis_options = {
        "CLIENT_CLASS": "django_redis.client.DefaultClient",
        "SOCKET_CONNECT_TIMEOUT": 1,
        "SOCKET_TIMEOUT": 1,
    }
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "coop",
            "OPTIONS": {**_redis_options, "IGNORE_EXCEPTIONS": True},
        },
        "limits": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "coop-limits",
            "OPTIONS": _redis_options,
        },
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
        "limits": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "limits"},
    }

# Partner API: partners send "Authorization: Bearer <token>"; staff may use their session (CSRF enforced).
# API_THROTTLE_RATE: requests per token (or staff user), "<count>/<second|minute|hour|day>".
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "120/minute")
if not re.fullmatch(r"[1-9]\d*/(s|sec|second|m|min|minute|h|hour|d|day)", API_THROTTLE_RATE or ""):
    raise ImproperlyConfigured(f"API_THROTTLE_RATE must look like 120/minute; got {API_THROTTLE_RATE!r}.")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsPartnerOrStaff"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_client": API_THROTTLE_RATE},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON only (plus the lists' CSV and XLSX exports): no browsable HTML API; people explore the API in
    # Swagger UI at /api/v1/docs/.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's defaults with a JSON parser that answers 400 to nesting and numbers DRF's lets through; errors
    # always JSON, a body over DATA_UPLOAD_MAX_MEMORY_SIZE 413 (api.parsers, .errors).
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
}

# OpenAPI schema (/api/v1/schema/) and docs (/api/v1/docs/): served to the API's own clients (same
# authentication and permission as the API), with Swagger UI's assets from our static files: no CDN.
SPECTACULAR_SETTINGS = {
    "TITLE": "Cooperative partner API",
    "DESCRIPTION": "Read-only reports and lists for alliance partners (Bearer token) and staff (session).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["api.permissions.IsPartnerOrStaff"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Security: secure by default when DEBUG is off; behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER via TRUST_X_FORWARDED_PROTO.
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # the load balancer's check comes over plain HTTP
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    if env_bool("TRUST_X_FORWARDED_PROTO", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): our own scripts and styles only, no inline code, not framed; the
# tile server is the one outside origin (cooperative/csp_policy.py).
CONTENT_SECURITY_POLICY = content_security_policy(map_tile_url=MAP_TILE_URL)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes logs every login at INFO; failures and lockouts are warnings, which are kept.
    "loggers": {"axes": {"level": "WARNING"}},
}
