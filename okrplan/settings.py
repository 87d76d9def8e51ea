"""okrplan settings: everything that differs between machines comes from the environment (django-environ)."""

import datetime as dt
import sys
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from core.logging import default_log_format, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

# A development key is only acceptable where nothing real is at stake: in development (tests/settings.py sets its
# own key), and for the
# management commands that only read the code (they sign nothing and serve nothing), so `manage.py makemigrations
# --check` works on a bare checkout.
_CODE_ONLY_COMMANDS = {"makemigrations", "showmigrations", "sqlmigrate", "i18n"}
_CODE_ONLY = len(sys.argv) > 1 and Path(sys.argv[0]).name == "manage.py" and sys.argv[1] in _CODE_ONLY_COMMANDS
_DEV_SECRET_KEY = "django-insecure-okrplan-development-only"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if (DEBUG or _CODE_ONLY) else "")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

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
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "core",
    "companies",
    "history",
    "okrplan",
    "objectives",
    "initiatives",
    "budgets",
    "crm",
    "reporting",
    # handover SLAs (issue 18); the import layers are in pyproject.toml
    "sla",
    "review",
]

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",
    "core.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    # Pages and JSON compressed (the 500-objective cascade page: ~3.5 MB of HTML, ~0.2 MB sent). Before every
    # middleware that reads or writes the body. BREACH: CSRF tokens are masked anew on every response (Django) and
    # the middleware pads each gzip stream with random bytes (Django's "Heal The Breach"); secrets in pages are not
    # reflected from request input. Static files come precompressed from WhiteNoise and are left as they are.
    "django.middleware.gzip.GZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "core.middleware.HostileParameterMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.PrivateCacheMiddleware",
    "history.tracking.HistoryActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "okrplan.urls"
WSGI_APPLICATION = "okrplan.wsgi.application"
ASGI_APPLICATION = "okrplan.asgi.application"

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
                "companies.context_processors.tenancy",
            ],
        },
    },
]

DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'okrplan.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# With persistent connections (docker-compose sets 60 s), a connection the server dropped is replaced, not reused.
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing at once; the demo server and a test live server share one file.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
# Sign-in rate limit (companies/ratelimit.py): failures per username and IP address within the window (seconds).
LOGIN_RATE_LIMIT = env.int("LOGIN_RATE_LIMIT", default=5)
LOGIN_RATE_LIMIT_WINDOW = env.int("LOGIN_RATE_LIMIT_WINDOW", default=15 * 60)
# Password spraying: failures from one IP address (any usernames) within the same window.
LOGIN_RATE_LIMIT_PER_ADDRESS = env.int("LOGIN_RATE_LIMIT_PER_ADDRESS", default=20)
LOGIN_RATE_LIMIT_KEY_PREFIX = "login-failures"
# Reverse proxies in front of gunicorn that append to X-Forwarded-For (0: use the socket address).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
LOGIN_REDIRECT_URL = "home"
# Password reset (companies/passwords.py): links expire after this many seconds; requests are limited per client
# address (the form says so) and per e-mail address (silently: no more e-mails), as django-ratelimit rates.
# Invitations to join a company (companies/services.py): how long a link works.
INVITATION_VALID_FOR = dt.timedelta(days=env.int("INVITATION_VALID_DAYS", default=7))
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=2 * 3600)
PASSWORD_RESET_RATE_PER_ADDRESS = env.str("PASSWORD_RESET_RATE_PER_ADDRESS", default="10/h")
PASSWORD_RESET_RATE_PER_EMAIL = env.str("PASSWORD_RESET_RATE_PER_EMAIL", default="3/h")
LOGOUT_REDIRECT_URL = "login"

# Single sign-on with OpenID Connect (companies/sso.py, on mozilla-django-oidc): on when OIDC_ISSUER and
# OIDC_CLIENT_ID are set. The provider's endpoints come from its discovery document ({issuer}/.well-known/
# openid-configuration); the client is registered there with the redirect URI {SITE_URL}/sso/callback/.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="").rstrip("/")
OIDC_RP_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
# The button says "Sign in with <name>" (default: the issuer's host name).
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="")
OIDC_RP_SCOPES = "openid email profile"
OIDC_RP_SIGN_ALGO = env.str("OIDC_SIGN_ALGO", default="RS256")
OIDC_USE_PKCE = True
OIDC_TOKEN_USE_BASIC_AUTH = env.bool("OIDC_TOKEN_USE_BASIC_AUTH", default=True)
# Seconds to wait for the provider (discovery, token, user info, keys) before the page says it is unreachable.
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=10)
OIDC_AUTHENTICATION_CALLBACK_URL = "sso_callback"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # Answers only the callback of a single sign-on (it needs the provider's code, state and nonce).
    "companies.sso.SingleSignOnBackend",
]

# Internationalisation: German first, English second; every string has a German translation (tests enforce it).
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="de")
LANGUAGES = [("de", _("German")), ("en", _("English"))]
# One catalogue per area (locale/<area>/de/...), so parallel work never edits the same file.
LOCALE_PATHS = sorted(p for p in (BASE_DIR / "locale").glob("*") if p.is_dir())
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG else "core.storage.StaticStorage"
    },
}

# Redis: the broker for Celery and the shared cache (rate limits, locks). Unset: everything runs in-process.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # CACHE_KEY_PREFIX lets several installations (or test runs) share one Redis database without reading each
    # other's rate-limit counters, locks and cached fragments.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default=""),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
# One queue per installation sharing a Redis (and per test run: a worker left over from another run never takes
# this run's tasks).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic tasks are declared per app in <app>/schedule.py (see okrplan/celery.py).
CELERY_BEAT_SCHEDULE: dict = {}
# Workers log through LOGGING below (JSON in production) instead of Celery's own root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Largest upload every import accepts (cascade XLSX/CSV, budget CSVs); checked from the upload's size before a byte
# is read. The CRM import streams in a worker and has its own, larger CRM_IMPORT_MAX_BYTES (crm/services/imports.py).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)

# Live CRM connections (crm/connectors): Fernet keys for the stored credentials (first encrypts, all decrypt; unset:
# one derived from SECRET_KEY), the HubSpot API's address, a CA bundle to trust instead of the system's (a TLS proxy),
# how often the sync runs, how many tries a call gets and the longest Retry-After the sync waits out in place.
CRM_CREDENTIALS_KEYS = env.list("CRM_CREDENTIALS_KEYS", default=[])
HUBSPOT_API_URL = env.str("HUBSPOT_API_URL", default="https://api.hubapi.com").rstrip("/")
CRM_CONNECTOR_CA_BUNDLE = env.str("CRM_CONNECTOR_CA_BUNDLE", default="")
CRM_CONNECTOR_TIMEOUT = env.int("CRM_CONNECTOR_TIMEOUT", default=30)
CRM_SYNC_INTERVAL_MINUTES = env.int("CRM_SYNC_INTERVAL_MINUTES", default=60)
CRM_SYNC_ATTEMPTS = env.int("CRM_SYNC_ATTEMPTS", default=5)
CRM_SYNC_MAX_WAIT = env.int("CRM_SYNC_MAX_WAIT", default=120)
# A Salesforce org's daily API allowance is shared with its other integrations: a sync stops at this share of it.
CRM_SALESFORCE_API_SHARE = env.float("CRM_SALESFORCE_API_SHARE", default=0.8)

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="okrplan <okrplan@localhost>")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON depth and strings PostgreSQL cannot store are checked once, in the parser (core.api.SafeJSONParser).
    "DEFAULT_PARSER_CLASSES": [
        "core.api.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "okrplan API",
    "DESCRIPTION": "OKR cascade planning for B2B marketing: cascade, priorities, budgets and board KPIs.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Distinct OpenAPI enum names for choice sets that share a field name across models.
    "ENUM_NAME_OVERRIDES": {
        "CycleKindEnum": "objectives.models.cascade.Cycle.Kind",
        "CycleStateEnum": "objectives.models.cascade.Cycle.State",
        "KeyResultKindEnum": "objectives.models.cascade.KeyResult.Kind",
        "ObjectiveStateEnum": "objectives.models.cascade.Objective.State",
        "KeyResultUnitEnum": "objectives.models.cascade.KeyResult.Unit",
        "TrafficLightEnum": ["red", "amber", "green"],
        "RoleEnum": "companies.permissions.Role",
        "TeamKindEnum": "companies.models.TeamKind",
        "ReviewActionStatusEnum": "review.models.ReviewAction.Status",
    },
    # The schema reveals the API surface: members only (the docs page requires login too, see urls.py).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# Content Security Policy (core.middleware), always on, DEBUG included, so tests see violations: no inline
# scripts or handlers anywhere; inline styles stay allowed (plotly and htmx's indicator style set them).
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
if OIDC_ISSUER:
    # The single sign-on button posts to us and we redirect to the provider: browsers check form-action along the
    # redirect, so the provider's origin is allowed (OIDC_FORM_ACTION_ORIGINS adds others, e.g. when its
    # authorization endpoint lives on another host than the issuer).
    from urllib.parse import urlsplit

    _issuer = urlsplit(OIDC_ISSUER)
    CONTENT_SECURITY_POLICY["form-action"] += [
        f"{_issuer.scheme}://{_issuer.netloc}",
        *env.list("OIDC_FORM_ACTION_ORIGINS", default=[]),
    ]

# One JSON object per line unless DEBUG is on (LOG_FORMAT=json|text overrides); see okrplan/logging.py.
LOG_FORMAT = default_log_format(DEBUG)
LOGGING = logging_config(LOG_FORMAT, env.str("LOG_LEVEL", default="INFO"))

# Production hardening: everything below applies whenever DEBUG is off.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
