"""Settings for Facility Directory.

Every deployment choice comes from an environment variable (12-factor); see
`.env.example` for the full list with defaults. Nothing here differs between
development and production except what those variables say.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.settings_checks import check_secret_key, parse_networks

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable into a list of non-empty items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    """Read an integer environment variable, failing loudly on a malformed value."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


# --- Core -------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
DEBUG = env_bool("DEBUG", default=False)

# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production needs a long random value "
            '(python -c "import secrets; print(secrets.token_urlsafe(50))"); '
            "set DEBUG=true for local development, where a throwaway key is used."
        )
    SECRET_KEY = "insecure-development-key-never-used-when-DEBUG-is-false"  # noqa: S105
elif not DEBUG:
    # Refuses keys under 50 characters or with under 5 distinct ones, "django-insecure-…" and
    # known placeholders (.env.example's among them), saying why (config/settings_checks.py).
    check_secret_key(SECRET_KEY)

# https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- Security (https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/) ---
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto: set SECURE_PROXY_SSL_HEADER=true.
if env_bool("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=False)
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Content-Security-Policy (django-csp: https://django-csp.readthedocs.io/) ------
# Strict everywhere: this site's own scripts, styles, fonts and fetches only, images from here
# or data: URLs, no plugins, no <base> hijack, never framed, forms post only here. The few pages
# that need more widen it for themselves with django-csp's view decorators: the API docs
# (api/docs.py: nonces, ReDoc's blob: worker) and the embed widgets, which any site may frame
# (embed/views.py); admin pages allow six fixed inline attributes of third-party templates and
# of import-export's diff, each by its hash (config/security.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Sign-in lockout (django-axes: https://django-axes.readthedocs.io/) ------------
# Failed admin sign-ins are counted per username AND client IP together: a password guesser
# gets AXES_FAILURE_LIMIT tries at an account from one address, then that pair is refused (even
# with the right password) for AXES_COOLOFF_HOURS. Locking by IP alone would lock out a whole
# office behind one NAT address; by username alone, anyone could lock a curator out from
# anywhere. A successful sign-in resets the count. Unlock early: `manage.py axes_reset`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)  # an int is hours for django-axes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# An admin-styled 429 page that says how long the lock lasts (and Retry-After).
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
# The networks of the reverse proxies in front of the app (comma-separated CIDRs or addresses;
# docker-compose.yml: its own network). X-Forwarded-For is read only when the socket's peer
# (REMOTE_ADDR) is one of them, walked from the right past the trusted proxies' entries; from
# anyone else the header is ignored and REMOTE_ADDR is the client (config.security.client_ip,
# the address of both the rate limit and the sign-in lockout). Empty: no proxy is trusted.
TRUSTED_PROXIES = parse_networks("TRUSTED_PROXIES", env_list("TRUSTED_PROXIES"))
# Its predecessor trusted a number of X-Forwarded-For entries from any peer: a deployment that
# still sets it stops here rather than silently lose its proxy's client addresses.
if "TRUSTED_PROXY_COUNT" in os.environ and os.environ["TRUSTED_PROXY_COUNT"].strip():
    raise ImproperlyConfigured(
        "TRUSTED_PROXY_COUNT was replaced by TRUSTED_PROXIES: trusting a number of "
        "X-Forwarded-For entries from any peer let a client that reached the app directly "
        "choose its own address. Remove TRUSTED_PROXY_COUNT and set TRUSTED_PROXIES to the "
        "networks of your proxies, comma-separated CIDRs (e.g. 172.31.250.0/24)."
    )
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
# No banner on every process start. Logged attempts mask the username and address; the admin's
# Axes pages (access attempts, failures, logs) show them to administrators.
AXES_VERBOSE = False

# --- Applications -----------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "corsheaders",
    "simple_history",
    "import_export",
    "rest_framework",
    # DRF's plain-text tokens: no longer used to authenticate. Still installed because the
    # migrations that moved its keys into hashed tokens (api 0002) and created the role
    # groups (directory 0007) read it; its table is emptied by that move.
    "rest_framework.authtoken",
    # Hashed, expiring API tokens, several per user (the model is api.ApiToken, below).
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
]
LOCAL_APPS = [
    "directory",
    "api",
    "embed",
    # The site's own pages (the landing page at /: templates and static files) and commands.
    "config",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    # First, so every log line of the request carries its id, and the timing covers it all.
    "config.observability.RequestIdMiddleware",
    # Decides once whether the request takes the lean path (an anonymous read of the API, the
    # widgets, the feeds or oEmbed) or the full stack: config/request_stacks.py. The entries
    # from config.request_stacks below are the library's middleware, on the full stack only.
    "config.request_stacks.RequestStackMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # ETag from the body and 304 on If-None-Match / If-Modified-Since for every GET.
    "django.middleware.http.ConditionalGetMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # A NUL character in the path, a parameter or a cookie: 400 naming it, before anything
    # can send it to the database (inside CORS, so partner pages can read the answer).
    "config.nul_characters.RefuseNulCharactersMiddleware",
    # A URL over config.errors.MAX_URL_LENGTH: 414 naming the limit (gunicorn reads any length).
    "config.errors.RefuseLongUrlsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # ?lang=en|ja wins over Accept-Language for every message of the request (API, widgets).
    "config.query_language.QueryLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Inside ConditionalGet (304s from cached bodies) and CORS; after Locale (the key's language).
    "config.response_cache.ResponseCacheMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The anonymous rate limit (API_ANON_RATE) on the widgets, the feeds and oEmbed, which no
    # DRF throttle covers; after authentication, so signed-in staff are not limited.
    "config.throttles.AnonymousRateLimitMiddleware",
    "config.request_stacks.MessageMiddleware",
    # Records who made each change (admin and API) in the history tables.
    "config.request_stacks.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Inside the response cache, like X-Frame-Options: a cached answer keeps the policy its
    # view chose (the embed widgets' frame-ancestors *), which the view's decorator set on the
    # original response object only.
    # django-csp's CSPMiddleware, plus the admin's few hashed inline attributes.
    "config.security.CSPMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into its 429 page.
    "config.request_stacks.AxesMiddleware",
]
# The lean path (config/request_stacks.py): anonymous GET/HEAD/OPTIONS under these prefixes skip
# messages, history attribution and django-axes, which serve only signed-in and admin
# pages. LEAN_PATH=false sends every request through the full stack.
LEAN_PATH = env_bool("LEAN_PATH", default=True)
LEAN_PATH_PREFIXES = ("/api/", "/embed/", "/feeds/", "/oembed")
# django-axes looks for its middleware by its dotted name; here it is config.request_stacks'
# subclass of it (full stack only), which tests/test_lean_path.py checks is in MIDDLEWARE.
SILENCED_SYSTEM_CHECKS = ["axes.W002"]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
# Embedded SQLite by default; DATABASE_URL=postgres://... selects PostgreSQL (production).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _postgres_options(database: dict) -> None:
    """Server-side parameters and prepared statements on PostgreSQL, unless turned off.

    A list page repeats the same few statements with new values; prepared once per
    connection, PostgreSQL stops planning them again (the briefs query spent longer in the
    planner than running), and psycopg stops quoting every value into the SQL text.
    DATABASE_PREPARED_STATEMENTS=false for a transaction-mode pooler that cannot hold
    prepared statements (PgBouncer before 1.21).
    """
    if database.get("ENGINE") == "django.db.backends.postgresql" and env_bool(
        "DATABASE_PREPARED_STATEMENTS", default=True
    ):
        database.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=2)


_postgres_options(DATABASES["default"])
# Read replicas (https://docs.djangoproject.com/en/5.2/topics/db/multi-db/): comma-separated
# URLs become the aliases replica1, replica2, … Writes go to the primary, reads to a replica,
# and a request that wrote reads the primary from then on (config/db_router.py).
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS")
for _number, _url in enumerate(DATABASE_REPLICA_URLS, start=1):
    DATABASES[f"replica{_number}"] = {
        **dj_database_url.parse(
            _url,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        ),
        # Test runs use the primary's test database for replicas instead of an empty one.
        "TEST": {"MIRROR": "default"},
    }
    _postgres_options(DATABASES[f"replica{_number}"])
if DATABASE_REPLICA_URLS:
    DATABASE_ROUTERS = ["config.db_router.PrimaryReplicaRouter"]
    # First, so that it wraps every query of the request (see its docstring).
    MIDDLEWARE.insert(0, "config.db_router.ReplicaRoutingMiddleware")

# --- Cache -------------------------------------------------------------------
# REDIS_URL=redis://HOST:6379/0 shares one cache between every app server (production); without
# it each process keeps its own in memory (the embedded default). The Redis backend degrades to
# "no cache" when Redis is down (config/cache.py) so the API keeps answering from the database.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    _cache_backend = {
        "BACKEND": "config.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {
            # Fail fast: a slow or dead Redis must cost milliseconds, not seconds.
            "socket_connect_timeout": env_int("REDIS_TIMEOUT_MS", 250) / 1000,
            "socket_timeout": env_int("REDIS_TIMEOUT_MS", 250) / 1000,
        },
    }
else:
    _cache_backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
CACHES = {"default": {**_cache_backend, "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "fd")}}
# Seconds an anonymous GET answer is kept in the response cache (0 turns it off). Every write
# to the directory invalidates the answers it can change (directory.kinds); this only bounds
# how long an answer can outlive an invalidation lost while Redis was unreachable, or a call's
# deadline passing.
RESPONSE_CACHE_SECONDS = env_int("RESPONSE_CACHE_SECONDS", 60)
# Seconds a record's cached representation (api/representations.py) is kept. Keys carry the
# record's version, so a write never serves a stale one; this only bounds the memory held by
# representations of versions nobody reads any more (0 turns the cache off).
REPRESENTATION_CACHE_SECONDS = env_int("REPRESENTATION_CACHE_SECONDS", 86400)

# --- Passwords --------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation ---------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/i18n/
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ja", "日本語")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- History (django-simple-history) ------------------------------------------
# https://django-simple-history.readthedocs.io/en/latest/historical_model.html
# A history entry's reason names the write path and its source ("Seeded from
# fixtures/facilities.json; sources: …"), longer than the default 100 characters.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Serve straight from the app directories when collectstatic has not been run (development, tests).
WHITENOISE_USE_FINDERS = DEBUG
# Django's two finders, plus ReDoc's bundle without the one image it loads from Redocly's CDN
# (api/docs.py): the API docs make no request to another host.
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "api.docs.OfflineRedocFinder",
]

# --- Curation -----------------------------------------------------------------
# One transaction per import: a bad row anywhere and nothing is written.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Rows one admin import file may hold (its preview and its confirmation are each one request,
# which must finish inside gunicorn's 30 s timeout: see directory/admin_import.py). Bigger
# loads: several files, or `manage.py import_directory`.
ADMIN_IMPORT_MAX_ROWS = env_int("ADMIN_IMPORT_MAX_ROWS", 100)
if ADMIN_IMPORT_MAX_ROWS < 1:
    raise ImproperlyConfigured("ADMIN_IMPORT_MAX_ROWS must be at least 1")

# --- Fixtures ---------------------------------------------------------------
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# --- REST framework ---------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.DirectoryAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.DirectoryJSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.DirectoryContentNegotiation",
    # DRF's defaults, with JSON nested more than 64 deep refused as a 400 (api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Tokens for API clients (django-rest-knox, hashed: see API tokens below); sessions for
    # signed-in staff.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # Per client address, through TRUSTED_PROXIES only (config/throttles.py). The one
    # anonymous rate of every public path: the API's views here, and the widgets, the feeds
    # and oEmbed through AnonymousRateLimitMiddleware, all on the same counter per address.
    "DEFAULT_THROTTLE_CLASSES": ["config.throttles.AnonymousRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": os.environ.get("API_ANON_RATE", "600/minute")},
    "URL_FORMAT_OVERRIDE": "format",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# --- API tokens (django-rest-knox: https://jazzband.github.io/django-rest-knox/) ----------
# Stored as SHA-512 digests (the key is shown once, when it is issued), each with a name and
# an expiry; several per user (one per script or device), each revocable on its own. Sent as
# `Authorization: Token <key>`, as DRF's tokens were, so clients keep their header.
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 90)
if API_TOKEN_TTL_DAYS < 1:
    raise ImproperlyConfigured("API_TOKEN_TTL_DAYS must be at least 1 (tokens always expire)")
KNOX_TOKEN_MODEL = "api.ApiToken"  # noqa: S105 - a model's name, not a secret
# Knox's migrations would still create its own token table, unused once the model is swapped,
# whose foreign key to the users then blocks `flush` on PostgreSQL (TRUNCATE auth_user): knox
# is left without migrations, and Django creates no table for a swapped model.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=API_TOKEN_TTL_DAYS),
    # New keys start "fd_": a leaked one is easy to grep for (logs, repositories, pastes).
    "TOKEN_PREFIX": "fd_",
    "AUTH_HEADER_PREFIX": "Token",
    # Knox can extend a token's expiry on every use; here a token lives its TTL and no longer.
    "AUTO_REFRESH": False,
}

# Seconds partners and browsers may reuse an answer before revalidating (ETag / Last-Modified).
API_CACHE_MAX_AGE = env_int("API_CACHE_MAX_AGE", 60)
SPECTACULAR_SETTINGS = {
    "TITLE": "Facility Directory API",
    "DESCRIPTION": (
        "The reference directory of large research facilities, the programmes that open "
        "them to international teams, and the institutions that run and fund them."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No online validator badge (an image from validator.swagger.io): the docs stay offline.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "DatePrecisionEnum": "directory.choices.DatePrecision",
        "CurrencyEnum": "directory.choices.CURRENCY_CHOICES",
        "FacilityKindEnum": "directory.choices.FacilityKind",
        "FacilityStatusEnum": "directory.choices.FacilityStatus",
        "InstitutionKindEnum": "directory.choices.InstitutionKind",
        "ProgrammeKindEnum": "directory.choices.ProgrammeKind",
        "ProgrammeStatusEnum": "directory.choices.ProgrammeStatus",
        "AgreementKindEnum": "directory.choices.AgreementKind",
        "CallStatusEnum": "directory.choices.CallStatus",
        "RecordKindEnum": "directory.cross_search.KIND_NAMES",
        "SuccessionTypeEnum": "directory.choices.SuccessionType",
        "InstitutionSuccessionTypeEnum": "directory.choices.InstitutionSuccessionType",
    },
    "COMPONENT_SPLIT_REQUEST": True,
    # English whatever Accept-Language says (the models' names are translated for the admin);
    # ?lang= still picks a language (config/openapi.py).
    "DEFAULT_GENERATOR_CLASS": "config.openapi.SchemaGenerator",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.strip_required_from_records",
        "api.schema.examples_are_not_values",
        "api.schema.document_search_scores",
    ],
}

# --- CORS -------------------------------------------------------------------
# Partner sites read the public API from their own pages: reads are open to any origin.
CORS_ALLOW_ALL_ORIGINS = True
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Content-Language", "Link", "Retry-After"]

# --- Logging ----------------------------------------------------------------
# JSON lines (one object per line, with the request id) unless LOG_FORMAT=text.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
# Requests slower than this log a warning with their SQL query count.
SLOW_REQUEST_MS = env_int("SLOW_REQUEST_MS", 500)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "config.observability.RequestIdFilter"},
        "sql_secrets": {"()": "config.observability.SQLSecretsFilter"},
    },
    "formatters": {
        "json": {"()": "config.observability.JSONFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "text" if LOG_FORMAT == "text" else "json",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # DEBUG=true query logs: tokens, session keys and password hashes are withheld.
    "loggers": {"django.db.backends": {"filters": ["sql_secrets"]}},
}
