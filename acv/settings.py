"""Settings of ACV Suivi, read from the environment.

Development defaults (SQLite file under var/, a throw-away secret key) apply only when DEBUG is on;
with DEBUG off the process refuses to start without a real SECRET_KEY, and the security settings that
`manage.py check --deploy` asks for are on.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ACV_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY doit être défini quand DEBUG est désactivé.")
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production-acv-suivi"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "jobs",
    "conventions",
    "actions",
    "financing",
    "evaluation",
    "exchange",
    # The project itself, for the commands that reach every app (loading the reference data).
    "acv",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Outside every middleware that may answer instead of the view, so that their answers are covered too.
    "acv.middleware.NoStoreWhenSignedInMiddleware",
    # The programme the request works in (roles are per programme), on the user for the request.
    "conventions.middleware.ActiveProgrammeMiddleware",
    # Tells whether this session confirmed a second factor, then sends who must confirm one to do so.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "acv.urls"
WSGI_APPLICATION = "acv.wsgi.application"

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
                "conventions.context_processors.programme",
            ],
        },
    },
]


def database_from_url(url):
    """The database of `url`; SQLite made to queue its writers instead of failing them.

    SQLite lets one writer in at a time. By default a transaction starts as a reader and asks for the
    write lock at its first write: when another writer holds it, SQLite answers "database is locked" at
    once, without waiting, to avoid a deadlock between two upgrading readers. Starting every transaction
    as a writer (BEGIN IMMEDIATE) makes writers wait in line for up to `timeout` seconds instead."""
    config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config.setdefault("OPTIONS", {}).update(
            {"timeout": int(os.environ.get("SQLITE_BUSY_TIMEOUT", "20")), "transaction_mode": "IMMEDIATE"}
        )
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # JIT off: this is short OLTP work (pages of 25-100 rows, roll-ups over indexed tables), where compiling a
        # plan costs more than it saves — on the national set it took most of a partner's list time. A query
        # that would gain from it (a one-off analysis) can still SET jit = on. See docs/deployment.md.
        options = config.setdefault("OPTIONS", {})
        options["options"] = " ".join(filter(None, [options.get("options", ""), "-c jit=off"]))
    return config


DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'acv.sqlite3'}")}
# A PostgreSQL read replica for the reports (acv.replica): only the report tasks read from it. In tests it
# mirrors the primary, so the routing runs against the same rows.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = database_from_url(os.environ["DATABASE_REPLICA_URL"])
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["acv.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out username/IP is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("AXES_PROXY_COUNT", "0")) or None
# Login attempts per client address and minute, whatever the username, on /connexion/ and the admin's
# login page together (see acv.views).
LOGIN_ATTEMPTS_PER_MINUTE = int(os.environ.get("LOGIN_ATTEMPTS_PER_MINUTE", "20"))

# A second factor (TOTP) after the password for administrators and coordinators (accounts.second_factor).
# Off by default in development, where the demo accounts sign in with a password only.
ACV_REQUIRE_OTP = env_bool("ACV_REQUIRE_OTP", default=not DEBUG)
OTP_TOTP_ISSUER = "ACV Suivi"

# Shared by every worker (login, token and API-per-user throttle counters): the database, which they all
# reach. The anonymous API rate guards each worker's own time: counted in its memory (accounts.throttling).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "acv_cache"},
    "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "acv-api-throttle"},
}

# Every page runs with no inline script or style and loads nothing from elsewhere.
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
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Sessions live in the database so that several stateless workers can serve the same users.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

LANGUAGE_CODE = "fr-fr"
# The interface is French only: a browser asking for English must still get French words and formats.
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["acv.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Files the application keeps (reports as presented, payment documents, jobs' results) must be reachable by every
# server and task worker: one disk they share, or — for several machines — an S3-compatible object store through
# django-storages (`pip install -e ".[s3]"`; credentials from the usual AWS_* variables). See docs/deployment.md.
if os.environ.get("ACV_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["ACV_S3_BUCKET"],
            "endpoint_url": os.environ.get("ACV_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("ACV_S3_REGION") or None,
            # Private files: served by the application after its access check, never by a public URL.
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# Long work (semester reports, big exports, imports) runs as tasks of Django's task framework — the django-tasks
# backport, with its database backend: the queue is a table of the same database, so a worker is just
# `manage.py db_worker` on any machine that reaches it (`make run` starts one next to the server). The suite
# runs tasks immediately, in the test's own process (tests/conftest.py), and a few tests the real worker.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
MEDIA_URL = "/media/"

REST_FRAMEWORK = {
    # Token first: an anonymous call gets 401 with "WWW-Authenticate: Token"; the browser's session works too.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "accounts.authentication.SecondFactorSessionAuthentication",
    ],
    # Signed in (401 otherwise) and with a role on the programme (403 otherwise); then each viewset serves
    # only what visible_to / editable_by allow.
    "DEFAULT_PERMISSION_CLASSES": ["conventions.api.permissions.HasProgrammeRole"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's, answering 400 rather than 500 to absurdly nested documents.
    "DEFAULT_PARSER_CLASSES": ["acv.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "acv.pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "acv.api.ApiAutoSchema",
    "EXCEPTION_HANDLER": "acv.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Money travels as strings ("7927732.94"), never as floats.
    "COERCE_DECIMAL_TO_STRING": True,
    # The client's address, for the throttles: X-Forwarded-For is read only as far as our own proxies wrote
    # it (as for django-axes); left unset, DRF would trust the whole header, which any client can vary.
    "NUM_PROXIES": int(os.environ.get("AXES_PROXY_COUNT", "0")),
    # Generous: no client working normally meets them; they stop a runaway script. 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.AnonApiThrottle", "accounts.throttling.UserApiThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_ANON_RATE", "300/minute"),
        "user": os.environ.get("API_USER_RATE", "1000/minute"),
        # Creating a token checks a password: per address, like the login page (acv.api_auth.TokenView).
        "token": os.environ.get("API_TOKEN_RATE", "10/minute"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ACV Suivi — API",
    "DESCRIPTION": (
        "Fiches action, lignes de financement, conventions, organisations, axes, comités et grille "
        "d'évaluation d'un programme Action Cœur de Ville. Authentification par session (navigateur) ou par "
        "jeton (« Authorization: Token <clé> », créé par POST /api/v1/auth/token/ avec le mot de passe ou la session ; "
        "la clé n'est montrée qu'à sa création et cesse de valoir quand le mot de passe change). Montants en chaînes "
        "décimales. Fiches et lignes de financement portent un ETag ; If-Match refuse (412) une "
        "modification faite sur une version dépassée."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are public and the same for everyone: they read no credentials, so that a
    # stale or wrong token sent along (as API clients do on every call) cannot break them. Reading them
    # had a worse effect on the docs page: when its one renderer (HTML) did not match the Accept header,
    # DRF answered 406 before authenticating, and rendering that page authenticated the user lazily,
    # from the template's context, where the token's AuthenticationFailed became a 500.
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from the sidecar package: the docs work without the Internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ActionStatusEnum": "actions.models.ActionStatus",
        "ActionKindEnum": "acv.values.ActionKind",
        "FundingStatusEnum": "financing.models.FundingStatus",
        "OrganisationKindEnum": "conventions.models.OrganisationKind",
        "CommitteeKindEnum": "conventions.models.CommitteeKind",
        "CostKindEnum": "acv.values.CostKind",
        "PrecisionEnum": "acv.values.Precision",
        "BasisEnum": "acv.values.Basis",
        "LinkKindEnum": "actions.models.LinkKind",
        "DocumentChangeKindEnum": "actions.models.DocumentChangeKind",
        "ValidationDecisionEnum": "actions.models.ValidationDecision",
    },
}

# Programme being steered when a page needs one (the engine serves any ACV city).
ACV_DEFAULT_PROGRAMME = os.environ.get("ACV_DEFAULT_PROGRAMME", "acv")
# Where users report an accessibility problem (the déclaration d'accessibilité names it): set per deployment.
ACV_ACCESSIBILITY_CONTACT = os.environ.get("ACV_ACCESSIBILITY_CONTACT", "")

# Limits of an imported workbook (acv.imports): size of the upload, sum of its uncompressed parts, compression
# ratio of one part (zip bombs), rows per sheet. Settings so a deployment — and the tests — can set them.
ACV_IMPORT_MAX_BYTES = int(os.environ.get("ACV_IMPORT_MAX_BYTES", str(10 * 1000 * 1000)))
ACV_IMPORT_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("ACV_IMPORT_MAX_UNCOMPRESSED_BYTES", str(300 * 1000 * 1000)))
ACV_IMPORT_MAX_RATIO = int(os.environ.get("ACV_IMPORT_MAX_RATIO", "200"))
ACV_IMPORT_MAX_ROWS = int(os.environ.get("ACV_IMPORT_MAX_ROWS", "20000"))
# Past this many rows an export is prepared in the background (a job) rather than in the request.
ACV_EXPORT_MAX_SYNC_ROWS = int(os.environ.get("ACV_EXPORT_MAX_SYNC_ROWS", "2000"))
# A list filter with more choices than this becomes a text input with suggestions (one agglomeration: a list;
# the national set's 250 communes: suggestions).
ACV_FILTER_MAX_OPTIONS = int(os.environ.get("ACV_FILTER_MAX_OPTIONS", "60"))

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("BEHIND_TLS_PROXY"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOG_LEVEL = os.environ.get("LOG_LEVEL", "WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's own configuration gives the "django" logger a console handler of its own (when DEBUG is on)
    # and lets its records reach the root's as well: every 403 or 500 traceback was written twice. Its
    # records now go to the root's handler only. ("django.server", runserver's request lines, keeps its own.)
    "loggers": {"django": {"handlers": [], "level": LOG_LEVEL, "propagate": True}},
}
