"""Django settings, all read from the environment so one build runs embedded or in production.

Embedded defaults (SQLite file, no Redis) let the quick start run on a bare machine;
production and the test suite point ``DATABASE_URL`` at PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from millet.core.client_address import parse_trusted_proxies
from millet.core.private_files import create_private, create_private_once
from millet.core.redis_client import CONNECT_TIMEOUT, SOCKET_TIMEOUT, is_cluster
from millet.core.secret_strength import weak_secret_reason

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("MILLET_DATA_DIR", Path.cwd() / "var"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


# Production mode is safe by default: DEBUG off whatever MILLET_DEBUG says, a strong secret key or
# no start, HTTPS only (secure cookies, HSTS, redirect), see "Production" in the README.
PRODUCTION = _env_bool("MILLET_PRODUCTION", False)
DEBUG = _env_bool("MILLET_DEBUG", False) and not PRODUCTION


class InsecureConfiguration(ImproperlyConfigured):
    """Raised at startup: production mode refuses to run on settings that would make it unsafe."""


def _local_secret_key() -> str:
    """A random key made once per data directory (0600), so a local install never runs on a known key."""
    return create_private_once(DATA_DIR / "secret_key", lambda: secrets.token_urlsafe(50)).strip()


if PRODUCTION:
    if not os.environ.get("MILLET_SECRET_KEY"):
        raise InsecureConfiguration("MILLET_SECRET_KEY must be set when MILLET_PRODUCTION is on")
    if reason := weak_secret_reason(os.environ["MILLET_SECRET_KEY"]):
        raise InsecureConfiguration(
            f"MILLET_SECRET_KEY is too weak for production: {reason}. "
            'Make one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
SECRET_KEY = os.environ.get("MILLET_SECRET_KEY") or _local_secret_key()
ALLOWED_HOSTS = os.environ.get("MILLET_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")

# Proxies whose X-Forwarded-For (and X-Forwarded-Proto) are believed: IPs or CIDR networks, none by
# default. millet.core.client_address resolves the client's address for every per-address limit.
try:
    MILLET_TRUSTED_PROXIES = parse_trusted_proxies(os.environ.get("MILLET_TRUSTED_PROXIES", ""))
except ValueError as exc:
    raise InsecureConfiguration(str(exc)) from None

INSTALLED_APPS = [
    # Product names and descriptions in every site language (django-modeltranslation, kept since
    # 2009): a column per language on the same row, so a page reads its language with no join. It
    # must come before the admin, whose forms it extends with a tab per language.
    "modeltranslation",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",  # the form renderer finds Django's widget templates beside ours (web.forms)
    "ninja",  # serves Swagger UI from its own static files, so /api/docs works without a CDN
    "axes",  # failed sign-ins per account and per address: see millet.accounts.signin
    "millet.core",  # the kernel: its one table holds the idempotency keys of creating API requests
    "millet.web",  # the base layout, components and formats every domain's pages use (docs/WEB.md)
    "millet.accounts",
    # django.contrib.admin, open to the back-office roles (millet.accounts.backoffice); after
    # accounts, whose admin templates (the site's icon, the service forms) come first
    "millet.accounts.apps.BackOfficeConfig",
    "millet.regions",
    "millet.catalog",
    "millet.inventory",
    "millet.stores",
    "millet.finance",
    "millet.lending",
    "millet.insurance",
    "millet.sales",
    "millet.devices",
    "millet.devices.telemetry",
    "millet.flashsale",
    "millet.vision",
    "millet.insights",
    "millet.demo",
    # Sign-up, sign-in, email verification and password reset for the web store and staff alike
    # (django-allauth: the well-kept Django library for exactly this; its templates are overridden
    # by millet.accounts', which come first, so every page is in the base layout and translated).
    "allauth",
    "allauth.account",
]

MIDDLEWARE = [
    "millet.core.client_address.ForwardedHeadersMiddleware",  # before anything reads those headers
    "django.middleware.security.SecurityMiddleware",
    "millet.core.nul.RejectNulInUrlMiddleware",
    "millet.core.nul.RejectNulInFormMiddleware",
    # A view's Redis outage answers 503 with Retry-After (a middleware's: handler500, millet/urls.py)
    "millet.core.outage.OutageMiddleware",
    "millet.flashsale.middleware.GateFastPathMiddleware",  # answers the gate's claims, nothing else
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "millet.web.middleware.MarketMiddleware",  # after LocaleMiddleware: a page's market picks its language
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a sign-in lockout into the 429 answer
]

ROOT_URLCONF = "millet.urls"
WSGI_APPLICATION = "millet.wsgi.application"

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
                "millet.web.context.web",  # market, switchers, navigation for the base layout
            ]
        },
    }
]

_sqlite_default = f"sqlite:///{DATA_DIR / 'millet.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _sqlite_default),
        conn_max_age=int(os.environ.get("MILLET_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend plus an owner's reset for append-only tables (see millet/core/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "millet.core.sqlite"
    # Created 0600 before SQLite opens it: it holds password hashes (SQLite gives its WAL the same mode).
    create_private(Path(DATABASES["default"]["NAME"]))
    # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue on busy_timeout instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file (not :memory:) so threads in the tests share it; named after the main file so parallel
    # runs with different DATABASE_URLs never share a test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATABASES["default"]["NAME"]) + ".test"}

# PostgreSQL streaming replicas for read-only work (millet/core/replicas.py): aliases replica1, replica2…
# In tests a replica mirrors the test database, as Django's multi-database testing guide does.
for _number, _url in enumerate(filter(None, os.environ.get("DATABASE_REPLICA_URLS", "").split(",")), 1):
    DATABASES[f"replica{_number}"] = dj_database_url.parse(
        _url.strip(), conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]
    ) | {"TEST": {"MIRROR": "default"}}
# PostgreSQL binds parameters on the server, and psycopg prepares a statement once a connection has
# run it 5 times: each connection then parses and plans the hot paths' statements once, not on every
# request (a checkout's PostgreSQL CPU about halves). A pooler in transaction mode that cannot keep
# prepared statements needs MILLET_DB_PREPARE=0.
if os.environ.get("MILLET_DB_PREPARE", "1") != "0":
    for _db in DATABASES.values():
        if _db["ENGINE"] == "django.db.backends.postgresql":
            _db["OPTIONS"] = {**_db.get("OPTIONS", {}), "server_side_binding": True, "prepare_threshold": 5}
if len(DATABASES) > 1:
    DATABASE_ROUTERS = ["millet.core.replicas.PrimaryReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
        "millet.core.replicas.PrimaryPinMiddleware",
    )
MILLET_REPLICA_PIN_SECONDS = int(os.environ.get("MILLET_REPLICA_PIN_SECONDS", "5"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One Redis (redis://host:port/db) or a Redis Cluster (redis+cluster://node1:port,node2:port), see
# millet/core/redis_client.py; every Redis user builds its client there.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    _cache_backend = "millet.core.cluster_cache.ClusterCache" if is_cluster(REDIS_URL) else None
    CACHES = {
        "default": {
            "BACKEND": _cache_backend or "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that stops answering fails the request in seconds (503, millet/core/outage.py)
            # instead of holding it forever: redis-py waits without limit by default.
            "OPTIONS": {"socket_timeout": SOCKET_TIMEOUT, "socket_connect_timeout": CONNECT_TIMEOUT},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# A signed-in page reads its session from the shared cache (Redis), written through to the database,
# which stays the record (and is read while Redis is down: millet/core/sessions.py); a per-process
# cache could not hear a sign-out in another process, so without Redis every request reads the database.
SESSION_ENGINE = "millet.core.sessions" if REDIS_URL else "django.contrib.sessions.backends.db"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out account name or address
    # django-allauth's backend is Django's ModelBackend plus sign-in by email; it alone checks
    # passwords, so a failed guess costs one hash whether or not the account exists (as before).
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Sign-in limits (django-axes, see millet.accounts.signin): 10 failures per account name, and
# separately per client address, lock that name or address out for 15 minutes. Counted in Redis when
# REDIS_URL is set, else in the database: both are shared by every worker process.
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = (
    "axes.handlers.cache.AxesCacheHandler" if REDIS_URL else "axes.handlers.database.AxesDatabaseHandler"
)
AXES_USERNAME_CALLABLE = "millet.accounts.signin.attempted_account"
AXES_CLIENT_IP_CALLABLE = "millet.accounts.signin.axes_client_address"
AXES_LOCKOUT_CALLABLE = "millet.accounts.signin.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # no row per successful sign-in; failures are what is counted
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文"), ("hi", "हिन्दी"), ("de", "Deutsch")]
# Each domain with pages keeps its own catalog (millet/<app>/locale), so parallel work never edits
# one shared .po file; millet/locale holds the strings of apps without one. Deepest first, because
# makemessages files each source under the first of these whose parent folder holds it. Then by
# path: Django merges the catalogs and the first to hold a msgid wins it on every page, so the order
# must not follow the file system's listing (which differs between machines); tests/i18n keeps the
# catalogs from disagreeing on a msgid at all, and this keeps any slip the same everywhere.
LOCALE_PATHS = [
    *sorted(
        (p for p in BASE_DIR.glob("**/locale") if p != BASE_DIR / "locale"), key=lambda p: (-len(p.parts), p)
    ),
    BASE_DIR / "locale",
]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
# The market a visitor lands in when neither the URL, their earlier choice nor their browser's
# languages name one (docs/WEB.md, "Markets in the URL").
MILLET_DEFAULT_MARKET = os.environ.get("MILLET_DEFAULT_MARKET", "CN")
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# Uploads (product images from the back office) under MILLET_DATA_DIR/media, served at /media/.
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
# Translated model fields (catalog/translation.py): English is the source and the fallback of a
# language whose text is missing.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "zh-hans", "hi", "de")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

FORM_RENDERER = "millet.web.forms.FormRenderer"

# One sign-in for shoppers and staff (django-allauth, see millet/accounts/adapter.py): by username or
# email; sign-up by email with mandatory verification; no page or message tells whether an account
# exists (sign-up with a taken address and a reset for an unknown one mail that address instead).
# Failed sign-ins are counted by django-axes only (AXES_* above), so allauth's own count is off.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:profile"
ACCOUNT_ADAPTER = "millet.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "millet.accounts.forms.SignInForm",
    "signup": "millet.accounts.forms.SignUpForm",
    "reset_password": "millet.accounts.forms.PasswordResetForm",
    "reset_password_from_key": "millet.accounts.forms.PasswordResetFromKeyForm",
    "change_password": "millet.accounts.forms.ChangePasswordForm",
    "set_password": "millet.accounts.forms.SetPasswordForm",
    "add_email": "millet.accounts.forms.AddEmailForm",
}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # a link scanner opening the mail must not confirm it
ACCOUNT_LOGOUT_ON_GET = False  # signing out is a POST with CSRF, never a link
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Millet: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
ACCOUNT_RATE_LIMITS = {"login_failed": None}

# Email goes through Django's backends. The default writes each message to a file under
# MILLET_DATA_DIR/mail, so the quick start needs no mail server; production sets an SMTP backend.
EMAIL_BACKEND = os.environ.get("MILLET_EMAIL_BACKEND", "millet.core.mail.PrivateFileEmailBackend")
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = os.environ.get("MILLET_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("MILLET_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("MILLET_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("MILLET_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("MILLET_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("MILLET_EMAIL_FROM", "Millet <no-reply@millet.local>")

# Security headers, in every mode: the pages are tested as production serves them.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp, Mozilla's, kept for Django since 2012): scripts only from our
# own static files, none inline and no eval, so the vendored htmx and the CSP build of Alpine.js
# (@alpinejs/csp; standard Alpine needs 'unsafe-eval') are what can run. Styles allow 'unsafe-inline'
# for the style attributes of the admin and the pages' own <style> blocks; CSS cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# HTTPS only in production: secure cookies, HSTS for a year and a redirect from plain HTTP.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = PRODUCTION
SECURE_REDIRECT_EXEMPT = [r"^api/health$"]  # a load balancer's liveness probe talks plain HTTP to the app
SECURE_HSTS_SECONDS = 31_536_000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
# TLS terminated at a proxy (MILLET_TLS_PROXY=1): its X-Forwarded-Proto says whether the request came
# over HTTPS. Only a proxy named in MILLET_TRUSTED_PROXIES can say so (ForwardedHeadersMiddleware
# drops the header from anyone else), so the two settings go together.
if _env_bool("MILLET_TLS_PROXY", False):
    if not MILLET_TRUSTED_PROXIES:
        raise InsecureConfiguration(
            "MILLET_TLS_PROXY needs MILLET_TRUSTED_PROXIES: the proxies that terminate TLS"
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# How long a checkout holds stock before an unpaid reservation lapses.
MILLET_RESERVATION_TTL_SECONDS = int(os.environ.get("MILLET_RESERVATION_TTL_SECONDS", "900"))
# The one currency consolidated figures are reported in (insights); rates into it are entered in the
# back office. Xiaomi reports in yuan.
MILLET_REPORTING_CURRENCY = os.environ.get("MILLET_REPORTING_CURRENCY", "CNY")
# Payment gateway used for orders; "test" is the built-in TestGateway, which moves no real money.
MILLET_PAYMENT_GATEWAY = os.environ.get("MILLET_PAYMENT_GATEWAY", "test")
# Sub-accounts of the two ledger accounts every checkout in a market books to (gateway and customer
# funds), each order's payment in one chosen by its number, so checkouts do not queue on one row lock.
MILLET_LEDGER_SUB_ACCOUNTS = int(os.environ.get("MILLET_LEDGER_SUB_ACCOUNTS", "8"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MILLET_LOG_LEVEL", "WARNING")},
    # Django logs every 4xx answer as a warning: a sold-out claim, a 404, a refused form. Those are
    # answers the client gets, not incidents, and on Singles Day one line per sold-out claim (about
    # 20 us each) floods the log. Server errors (5xx) are still logged; refused sign-ins are
    # axes's, suspicious requests django.security's.
    "loggers": {"django.request": {"level": "ERROR"}},
}
