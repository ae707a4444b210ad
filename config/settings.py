"""Settings for the integrations service.

Every setting is read here, once, from the environment (and an optional `.env` at the
repository root). Other modules read `django.conf.settings`, never `os.environ`.
"""

import os
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from config.security import DEVELOPMENT_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parent.parent


class _Env(environ.Env):
    """django-environ, whose casts name the variable when a value does not parse (it would
    raise a bare ValueError: `invalid literal for int()`). manage.py and the WSGI app turn
    ImproperlyConfigured into one line."""

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except (ValueError, TypeError) as exc:
            raise environ.ImproperlyConfigured(f"{var}: cannot read its value ({exc})") from None


env = _Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _mapping(name: str, default: str) -> dict[str, str]:
    """Parse `field=Notion property,field2=Other` (variable `name`) into an ordered dict."""
    result: dict[str, str] = {}
    for item in env(name, default=default).split(","):
        if not item.strip():
            continue
        field, sep, prop = item.partition("=")
        if not sep or not field.strip() or not prop.strip():
            raise environ.ImproperlyConfigured(
                f"{name}: cannot parse {item!r}: expected field=Notion property name"
            )
        result[field.strip()] = prop.strip()
    return result


def _int_list(name: str) -> list[int]:
    """`-1001234,-1005678` -> [-1001234, -1005678]; a bad item is one clear error."""
    result = []
    for item in env.list(name, default=[]):
        try:
            result.append(int(item.strip()))
        except ValueError:
            raise environ.ImproperlyConfigured(
                f"{name}: {item!r} is not a chat id (comma-separated integers, e.g. -1001234567890)"
            ) from None
    return result


# The services refuse this default unless DEBUG is on (config/security.py).
SECRET_KEY = env("SECRET_KEY", default="") or DEVELOPMENT_SECRET_KEY
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

# --- HTTPS and cookies (production: behind a TLS-terminating proxy; see .env.example) ---
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# `HTTP_X_FORWARDED_PROTO,https`: trust the proxy's header saying the request came over HTTPS.
_proxy_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_header and len(_proxy_header) != 2:
    raise environ.ImproperlyConfigured(
        "SECURE_PROXY_SSL_HEADER must be a header and a value, e.g. HTTP_X_FORWARDED_PROTO,https"
    )
SECURE_PROXY_SSL_HEADER = tuple(_proxy_header) if _proxy_header else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# The container health check calls http://127.0.0.1:8000/healthz: never redirect it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)

INSTALLED_APPS = [
    # Admin modules are discovered by config/urls.py when the web app loads, not at every
    # start: management commands (`sync` from cron, the worker, the bot) never need them.
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Before django_q: its `qcluster` command extends django-q2's (ends sync runs on stop).
    "integrations",
    "axes",
    "django_q",
    "people",
    "directions",
    "botapp",
    "lists",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's static files under gunicorn (from `collectstatic`'s STATIC_ROOT).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

# --- Admin login: brute-force protection (django-axes) ----------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out logins
    "django.contrib.auth.backends.ModelBackend",
]
# Wrong passwords for one username from one address lock that pair out after
# AXES_FAILURE_LIMIT; for one username from everywhere after AXES_USERNAME_FAILURE_LIMIT
# (config/login_lockout.py): a stranger cannot lock the admin out with a few guesses, and
# guessing from many addresses still ends. Successful logins reset the counts.
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_USERNAME_FAILURE_LIMIT = env.int("AXES_USERNAME_FAILURE_LIMIT", default=50)
AXES_FAILURE_LIMIT = "config.login_lockout.failure_limit"
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_RESET_ON_SUCCESS = True
# Reverse proxies in front of the web app that append to X-Forwarded-For (1 for one nginx);
# the client's address is the entry the outermost one appended (config/client_ip.py).
# 0: no proxy, the connection's address. (AXES_IPWARE_PROXY_COUNT is its older name.)
TRUSTED_PROXY_COUNT = env.int(
    "TRUSTED_PROXY_COUNT", default=env.int("AXES_IPWARE_PROXY_COUNT", default=0)
)
if TRUSTED_PROXY_COUNT < 0:
    raise environ.ImproperlyConfigured(
        f"TRUSTED_PROXY_COUNT must be 0 or more (the number of reverse proxies), "
        f"not {TRUSTED_PROXY_COUNT}"
    )
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"

ROOT_URLCONF = "config.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASES = {
    # An empty DATABASE_URL (as a copied .env may have) means the default, not an error.
    "default": environ.Env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    ),
}
if not DATABASES["default"].get("ENGINE"):
    raise environ.ImproperlyConfigured(
        "DATABASE_URL: unknown kind of database; use sqlite:////absolute/path.sqlite3 or "
        "postgres://user:password@host:5432/name"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time: WAL lets readers go on, IMMEDIATE transactions take the write
    # lock up front (no deadlock upgrades), and a busy timeout queues writers politely.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    )
    # Tests use a file (not :memory:) so real subprocesses (runbot, qcluster) can share it;
    # one per test process so concurrent test runs never meet.
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env(
        "SQLITE_TEST_NAME", default=str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")
    )
else:
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # A transaction left idle (its process vanished with the connection open) would keep
        # its row locks, and the reaper skips locked runs: PostgreSQL ends it after 5 minutes.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options.setdefault("options", "-c idle_in_transaction_session_timeout=300000")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = env("LANGUAGE_CODE", default="ru")
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- Telegram -------------------------------------------------------------------------
TELEGRAM_BOT_TOKEN = env("TELEGRAM_BOT_TOKEN", default="")
TELEGRAM_API_BASE_URL = env("TELEGRAM_API_BASE_URL", default="https://api.telegram.org/bot")
TELEGRAM_WEBHOOK_URL = env("TELEGRAM_WEBHOOK_URL", default="")
TELEGRAM_WEBHOOK_SECRET = env("TELEGRAM_WEBHOOK_SECRET", default="")
TELEGRAM_WEBHOOK_LISTEN = env("TELEGRAM_WEBHOOK_LISTEN", default="127.0.0.1:8443")
# How often the worker edits the "sync started" message with progress.
TELEGRAM_PROGRESS_INTERVAL = env.float("TELEGRAM_PROGRESS_INTERVAL", default=3.0)
# Group chats where the bot serves members (ids, comma-separated); empty = private chats only.
TELEGRAM_GROUP_CHATS = _int_list("TELEGRAM_GROUP_CHATS")
# A command that reaches the bot later than this after it was sent (queued while the bot
# was down) is not executed; the member is told to send it again.
TELEGRAM_STALE_COMMAND_SECONDS = env.int("TELEGRAM_STALE_COMMAND_SECONDS", default=300)
if TELEGRAM_STALE_COMMAND_SECONDS < 0:
    raise environ.ImproperlyConfigured(
        "TELEGRAM_STALE_COMMAND_SECONDS must be 0 (no check) or more seconds, "
        f"not {TELEGRAM_STALE_COMMAND_SECONDS}"
    )
# Per-user flood limit: a burst of this many updates, then one every
# 60 / TELEGRAM_USER_RATE_PER_MINUTE seconds (a token bucket per Telegram user).
TELEGRAM_USER_BURST = env.int("TELEGRAM_USER_BURST", default=10)
TELEGRAM_USER_RATE_PER_MINUTE = env.float("TELEGRAM_USER_RATE_PER_MINUTE", default=20.0)
# Refused access attempts are kept this long, then pruned by a schedule.
ACCESS_ATTEMPTS_KEEP_DAYS = env.int("ACCESS_ATTEMPTS_KEEP_DAYS", default=90)
ACCESS_ATTEMPTS_PRUNE_SCHEDULE = env("ACCESS_ATTEMPTS_PRUNE_SCHEDULE", default="40 4 * * *")

# --- Notion ---------------------------------------------------------------------------
NOTION_TOKEN = env("NOTION_TOKEN", default="")
NOTION_API_BASE_URL = env("NOTION_API_BASE_URL", default="https://api.notion.com").rstrip("/")
NOTION_HUMANS_DATABASE_ID = env("NOTION_HUMANS_DATABASE_ID", default="")
NOTION_DIRECTIONS_DATABASE_ID = env("NOTION_DIRECTIONS_DATABASE_ID", default="")
NOTION_HUMANS_FIELDS = _mapping(
    "NOTION_HUMANS_FIELDS", "telegram=Telegram,email=Email,phone=Phone,status=Status"
)
NOTION_DIRECTIONS_FIELDS = _mapping(
    "NOTION_DIRECTIONS_FIELDS",
    "organizers=Organizers,deputies=Deputies,status=Status,description=Description",
)
NOTION_INACTIVE_STATUSES = [s.strip() for s in env.list("NOTION_INACTIVE_STATUSES", default=[])]
# Requests per second for the whole integration, every process together (a limit shared
# through the database); 0 disables it. NOTION_BURST requests may go at once after a pause.
NOTION_MAX_RPS = env.float("NOTION_MAX_RPS", default=2.5)
NOTION_BURST = env.int("NOTION_BURST", default=2)
NOTION_TIMEOUT = env.float("NOTION_TIMEOUT", default=30.0)  # seconds per request
# A full sync pages disjoint created_time windows at once (integrations/notion/windows.py):
# one window per NOTION_WINDOW_RECORDS records of the mirror, at most NOTION_MAX_WINDOWS
# (1: page sequentially). Each window costs about one request more than a single query.
NOTION_WINDOW_RECORDS = env.int("NOTION_WINDOW_RECORDS", default=1000)
NOTION_MAX_WINDOWS = env.int("NOTION_MAX_WINDOWS", default=8)
# Incremental runs reuse the data source id and schema read by an earlier run for this long
# (full runs always read them again).
NOTION_SCHEMA_MAX_AGE_SECONDS = env.int("NOTION_SCHEMA_MAX_AGE_SECONDS", default=3600)
NOTION_MAX_RETRIES = env.int("NOTION_MAX_RETRIES", default=5)
NOTION_RETRY_BASE_DELAY = env.float("NOTION_RETRY_BASE_DELAY", default=1.0)
NOTION_RETRY_MAX_DELAY = env.float("NOTION_RETRY_MAX_DELAY", default=60.0)

# --- Notion webhooks (POST /notion/webhook/) --------------------------------------------
# The token Notion sent when the subscription was created; it signs every event. Empty: a
# handshake a superuser confirmed in the admin is used instead.
NOTION_WEBHOOK_VERIFICATION_TOKEN = env("NOTION_WEBHOOK_VERIFICATION_TOKEN", default="")
# A refresh waits until no new event came for this long (at most the second value), so a
# burst of edits is one run.
NOTION_WEBHOOK_COALESCE_SECONDS = env.float("NOTION_WEBHOOK_COALESCE_SECONDS", default=1.0)
NOTION_WEBHOOK_COALESCE_MAX_SECONDS = env.float("NOTION_WEBHOOK_COALESCE_MAX_SECONDS", default=5.0)
# Up to this many named pages are read one by one; more, and one query reads what changed.
NOTION_WEBHOOK_RETRIEVE_MAX = env.int("NOTION_WEBHOOK_RETRIEVE_MAX", default=10)
# Failed refreshes of an event before it is left to the regular syncs, and how long a
# refresh waits after a failed one (Notion down: one failed run per event would flood).
NOTION_WEBHOOK_MAX_ATTEMPTS = env.int("NOTION_WEBHOOK_MAX_ATTEMPTS", default=3)
NOTION_WEBHOOK_RETRY_SECONDS = env.int("NOTION_WEBHOOK_RETRY_SECONDS", default=60)

# --- Logging ----------------------------------------------------------------------------
# Every line goes through one handler that redacts these secrets (config/log_filters.py), and
# so does every error message a command prints itself (`log_filters.redact`).
REDACTED_SECRETS = [
    TELEGRAM_BOT_TOKEN,
    TELEGRAM_WEBHOOK_SECRET,
    NOTION_TOKEN,
    NOTION_WEBHOOK_VERIFICATION_TOKEN,
]
# httpx and httpcore log request URLs, which contain the bot token: they stay at WARNING
# whatever LOG_LEVEL says.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {
        "redact_secrets": {
            "()": "config.log_filters.RedactSecrets",
            "secrets": REDACTED_SECRETS,
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
    "loggers": {
        "integrations": {"level": env("LOG_LEVEL", default="INFO"), "propagate": True},
        "botapp": {"level": env("LOG_LEVEL", default="INFO"), "propagate": True},
        "config": {"level": env("LOG_LEVEL", default="INFO"), "propagate": True},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # It logs a traceback for every 429 it passes on (max_retries=0); the notifier and
        # the bot log those in one line themselves.
        "telegram.ext.AIORateLimiter": {"level": "CRITICAL"},
    },
}

# --- Google Sheets (lists of people: `import_list`, /import_list, sync kind `lists`) --
# A service account's JSON key (its `token_uri` is honoured); empty: lists are switched off
# (left out of `sync all` and the schedules; asking for them says what to set).
GOOGLE_SERVICE_ACCOUNT_FILE = env("GOOGLE_SERVICE_ACCOUNT_FILE", default="")
GOOGLE_SHEETS_API_BASE_URL = env(
    "GOOGLE_SHEETS_API_BASE_URL", default="https://sheets.googleapis.com"
).rstrip("/")
# Google allows 60 reads a minute per user (the service account): every process together
# stays under this ceiling (a limit shared through the database); 0 disables it.
GOOGLE_SHEETS_MAX_REQUESTS_PER_MINUTE = env.float(
    "GOOGLE_SHEETS_MAX_REQUESTS_PER_MINUTE", default=50.0
)
GOOGLE_SHEETS_BURST = env.int("GOOGLE_SHEETS_BURST", default=5)
GOOGLE_SHEETS_TIMEOUT = env.float("GOOGLE_SHEETS_TIMEOUT", default=30.0)  # seconds per request
# Retries of 429 / 5xx / timeouts / dropped connections; the backoff doubles up to the
# maximum, so the default rides out a whole minute of exhausted quota.
GOOGLE_SHEETS_MAX_RETRIES = env.int("GOOGLE_SHEETS_MAX_RETRIES", default=6)
GOOGLE_SHEETS_RETRY_BASE_DELAY = env.float("GOOGLE_SHEETS_RETRY_BASE_DELAY", default=1.0)
GOOGLE_SHEETS_RETRY_MAX_DELAY = env.float("GOOGLE_SHEETS_RETRY_MAX_DELAY", default=64.0)
# Phone numbers in sheets written without a country code are read in this region.
LISTS_PHONE_REGION = env("LISTS_PHONE_REGION", default="RU")

# --- Sync -----------------------------------------------------------------------------
# Incremental syncs look back this far before the last successful start: Notion rounds
# last_edited_time down to the minute.
SYNC_INCREMENTAL_LOOKBACK_SECONDS = env.int("SYNC_INCREMENTAL_LOOKBACK_SECONDS", default=120)
SYNC_MASS_DEACTIVATION_RATIO = env.float("SYNC_MASS_DEACTIVATION_RATIO", default=0.2)
SYNC_MASS_DEACTIVATION_MIN = env.int("SYNC_MASS_DEACTIVATION_MIN", default=5)
SYNC_BATCH_SIZE = env.int("SYNC_BATCH_SIZE", default=1000)
# Records a full query did not return are checked one by one (pages.retrieve) before they
# are deactivated, up to this many per run.
SYNC_VERIFY_MISSING_MAX = env.int("SYNC_VERIFY_MISSING_MAX", default=100)
# A run whose heartbeat is older than this is considered dead and failed by the reaper.
SYNC_STALE_AFTER_SECONDS = env.int("SYNC_STALE_AFTER_SECONDS", default=180)
SYNC_HEARTBEAT_SECONDS = env.float("SYNC_HEARTBEAT_SECONDS", default=5.0)
# A queued run no worker picked up within this time is failed (and its lock released).
SYNC_QUEUED_TIMEOUT_SECONDS = env.int("SYNC_QUEUED_TIMEOUT_SECONDS", default=1800)
# A stopped worker (SIGTERM) waits this long for its runs to end before it exits; keep it
# under the stop grace period of the service manager (compose: stop_grace_period).
SYNC_WORKER_STOP_SECONDS = env.float("SYNC_WORKER_STOP_SECONDS", default=20.0)
# How often progress is announced (signals -> bot message edits, CLI progress line).
SYNC_PROGRESS_SECONDS = env.float("SYNC_PROGRESS_SECONDS", default=1.0)

# --- Schedules (django-q2 cron strings, in TIME_ZONE) ---------------------------------
SYNC_SCHEDULE_INCREMENTAL = env("SYNC_SCHEDULE_INCREMENTAL", default="*/15 * * * *")
SYNC_SCHEDULE_FULL = env("SYNC_SCHEDULE_FULL", default="30 3 * * *")
SYNC_SCHEDULE_REAPER = env("SYNC_SCHEDULE_REAPER", default="* * * * *")
# A due full run that failed is tried again after this long; the ticks in between are
# incremental (a failure that waits for a person never stops the regular syncs).
SYNC_FULL_RETRY_SECONDS = env.int("SYNC_FULL_RETRY_SECONDS", default=3600)

# --- django-q2 ------------------------------------------------------------------------
# ORM broker: SQLite alone is enough. A sync that fails is recorded as failed and never
# re-run by the queue (max_attempts=1, ack_failures); `timeout` < `retry` so a long task is
# never delivered twice.
Q_CLUSTER = {
    "name": "integrations",
    "orm": "default",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=3600),
    "retry": env.int("Q_TIMEOUT", default=3600) + 600,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "poll": env.float("Q_POLL", default=0.2),
    "save_limit": 1000,
    "label": "Django Q2",
}
