"""Django settings for Linli, read from the environment (twelve-factor).

Every variable is listed with its default in the README's configuration table. With nothing set,
Linli runs embedded: SQLite in ``LINLI_DATA_DIR`` and Channels' in-memory layer, one process.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DATA_DIR = Path(env.str("LINLI_DATA_DIR", default=str(Path.cwd() / "var"))).resolve()
PRODUCTION = env.bool("LINLI_PRODUCTION", default=False)
#: Off unless asked for: ``linli serve`` is safe by default (no debug pages, which print settings);
#: ``linli demo`` turns it on for itself. Never on in production.
DEBUG = env.bool("DEBUG", default=False) and not PRODUCTION


def _kept_secret(name: str, filename: str) -> str:
    """A secret from the environment; in development, one generated once and kept in DATA_DIR.

    Production refuses to start without the variable: a key generated on one worker would differ
    from its siblings' and silently break sessions (SECRET_KEY) or joins (the ID hash key).
    """
    value = env.str(name, default="")
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when LINLI_PRODUCTION is on.")
    path = DATA_DIR / filename
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _kept_secret("SECRET_KEY", "secret_key")
LINLI_ID_HASH_KEY = _kept_secret("LINLI_ID_HASH_KEY", "id_hash_key")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "ninja",
    "server",
    "community",
    "chat",
    "presence",
]

MIDDLEWARE = [
    "server.security.ContentSecurityPolicyMiddleware",  # every response, static files included
    "django.middleware.security.SecurityMiddleware",
    "server.static.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "server.urls"
DEFAULT_EXCEPTION_REPORTER_FILTER = "server.reporting.CredentialsFilter"
ASGI_APPLICATION = "server.asgi.application"
AUTH_USER_MODEL = "community.Person"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "server" / "templates"],
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

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'linli.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so a read that later writes never dies with
    # "database is locked"; WAL lets readers go on while one writer commits.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI every sync_to_async thread holds its own connection: pool them instead of
    # persistent connections (Django's advice for async deployments).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    if env.bool("LINLI_DB_POOL", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": env.int("LINLI_DB_POOL_SIZE", default=8),
            # A request waits this long for a connection; during a database outage that is
            # how long a send takes to be answered "unavailable".
            "timeout": env.float("LINLI_DB_POOL_TIMEOUT", default=3.0),
        }

#: Handshakes a worker works on at once; the rest wait their turn in order (serving/admission.py).
LINLI_CONNECT_CONCURRENCY = env.int("LINLI_CONNECT_CONCURRENCY", default=8)
#: Threads each worker runs database work on (core/dbthreads.py); 0: 4 on PostgreSQL, 1 on SQLite.
LINLI_DB_THREADS = env.int("LINLI_DB_THREADS", default=0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and cache -----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
LINLI_CHANNEL_LAYER = env.str("LINLI_CHANNEL_LAYER", default="pubsub")

#: Several Redis servers spread the layer's groups (sharding); default: REDIS_URL alone.
LINLI_LAYER_REDIS_URLS = env.list(
    "LINLI_LAYER_REDIS_URLS", default=[REDIS_URL] if REDIS_URL else []
)
LINLI_CHANNEL_PREFIX = env.str("LINLI_CHANNEL_PREFIX", default="linli")

if REDIS_URL:
    _layer_hosts = [{"address": url} for url in LINLI_LAYER_REDIS_URLS]
    if LINLI_CHANNEL_LAYER == "core":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": _layer_hosts,
                    "prefix": LINLI_CHANNEL_PREFIX,
                    # The layer is a doorbell (the database is the truth), but a full channel
                    # (each process has one, chat/fanout.py) drops whole group messages
                    # silently: keep it well above a burst.
                    "capacity": 5000,
                    "expiry": 60,
                    "group_expiry": 86400,
                },
            }
        }
    else:
        CHANNEL_LAYERS = {
            "default": {
                # channels-redis' pub/sub layer with pipelined publishes (serving/layers.py).
                "BACKEND": "serving.layers.PipelinedPubSubChannelLayer",
                "CONFIG": {"hosts": _layer_hosts, "prefix": LINLI_CHANNEL_PREFIX},
            }
        }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # The rate limits' counters under the deployment's own prefix, like the layer's and
            # presence's keys: several deployments (or test runs) share a Redis safely.
            "KEY_PREFIX": LINLI_CHANNEL_PREFIX,
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            # The process's one channel (chat/fanout.py: one per process, not per socket): a
            # burst of a busy room's events must fit; past it events are dropped and sockets
            # refill the gap from the database.
            "CONFIG": {"capacity": 1000},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_ENGINE = "django.contrib.sessions.backends.db"
# The session cookie authenticates the browser's socket and API calls: never readable by scripts,
# never sent on cross-site subrequests (the socket checks Origin besides).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Passwords --------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    # Django's rules with Linli's texts (Django 5.2's Chinese lacks "too short").
    {"NAME": "community.passwords.MinimumLengthValidator"},
    {"NAME": "community.passwords.CommonPasswordValidator"},
]

# --- Language: Chinese first, English second ----------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "server" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("LINLI_STATIC_ROOT", default=str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # served by servestatic once collected
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

# --- Security in production -----------------------------------------------------------------------
if PRODUCTION:
    SESSION_COOKIE_SECURE = env.bool("LINLI_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LINLI_LOG_LEVEL", default="WARNING")},
}

# --- Linli's own knobs ----------------------------------------------------------------------
#: The base of printed and sent links (community.links); required in production (linli.E020).
LINLI_PUBLIC_URL = env.str("LINLI_PUBLIC_URL", default="")
#: What one socket may send: a person types a few messages a second at most; a burst allows a
#: paste of several. The benchmark raises these for its single fast sender.
LINLI_SEND_RATE = env.float("LINLI_SEND_RATE", default=5.0)
LINLI_SEND_BURST = env.float("LINLI_SEND_BURST", default=20.0)
#: What one person may send over all their sockets on one worker together (chat/ratelimit.py):
#: a phone and a browser both busy, not sixteen sockets at sixteen times the rate.
LINLI_PERSON_RATE = env.float("LINLI_PERSON_RATE", default=2 * LINLI_SEND_RATE)
LINLI_PERSON_BURST = env.float("LINLI_PERSON_BURST", default=2 * LINLI_SEND_BURST)
#: Refused frames in a row before the socket is closed for flooding (close code 4008).
LINLI_FLOOD_STRIKES = env.int("LINLI_FLOOD_STRIKES", default=50)
#: Bytes waiting unsent to one socket before it is closed as a slow consumer (code 4010): a
#: client that stopped reading must not grow the server's memory; it reconnects and syncs.
LINLI_OUTBOX_LIMIT = env.int("LINLI_OUTBOX_LIMIT", default=1024 * 1024)
# --- Plain HTTP when the worker faces clients itself (`linli serve`, `linli demo`;
# serving/http_guard.py); behind nginx, deploy/nginx/linli.conf sets the same limits ---------
#: The largest request body (bytes, by its Content-Length); larger: 413 without reading it.
LINLI_MAX_REQUEST_BODY = env.int("LINLI_MAX_REQUEST_BODY", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = LINLI_MAX_REQUEST_BODY  # Django's own check, behind nginx too
#: The largest request line plus headers (bytes); larger: 431.
LINLI_MAX_REQUEST_HEAD = env.int("LINLI_MAX_REQUEST_HEAD", default=32 * 1024)
#: Seconds a request's headers may take from its first byte; then the connection is closed.
LINLI_HEADER_TIMEOUT = env.float("LINLI_HEADER_TIMEOUT", default=10.0)
#: Connections of one address whose request headers are still arriving; one more is closed.
LINLI_UNFINISHED_PER_ADDRESS = env.int("LINLI_UNFINISHED_PER_ADDRESS", default=32)
#: Bytes of answers waiting unsent before a connection's next pipelined request waits its turn.
LINLI_HTTP_UNSENT_LIMIT = env.int("LINLI_HTTP_UNSENT_LIMIT", default=256 * 1024)
#: Seconds a connection with answers waiting may read nothing before it is closed.
LINLI_HTTP_STALL_TIMEOUT = env.float("LINLI_HTTP_STALL_TIMEOUT", default=60.0)
#: Bytes of ready message frames a worker keeps for ``sync`` (chat/recent.py), all rooms together.
LINLI_RECENT_BYTES = env.int("LINLI_RECENT_BYTES", default=16 * 1024 * 1024)
#: Sockets one person may hold open on one worker (phones, tablets, browser tabs); one more is
#: closed at once with code 4029 (BAD-INPUTS F3; nginx's limit_conn caps each address).
LINLI_SOCKETS_PER_PERSON = env.int("LINLI_SOCKETS_PER_PERSON", default=16)
# Peers (addresses or CIDR networks, e.g. the nginx host) whose X-Forwarded-For the login rate
# limiter believes. Empty: the TCP peer (REMOTE_ADDR) is the client.
LINLI_TRUSTED_PROXIES = env.list("LINLI_TRUSTED_PROXIES", default=[])
#: A stopping worker tells each socket to reconnect after 1 s to this many seconds, at random.
LINLI_RESTART_SPREAD_S = env.float("LINLI_RESTART_SPREAD_S", default=10.0)
#: Days a bearer token works from its issue; then the client logs in again (community.tokens).
LINLI_TOKEN_TTL_DAYS = env.float("LINLI_TOKEN_TTL_DAYS", default=30.0)

# --- Garbage collection (serving/heap.py) ---------------------------------------------------------
#: Long-lived state is frozen this often (seconds), so collections walk only what is new; 0: never.
LINLI_GC_FREEZE_INTERVAL = env.float("LINLI_GC_FREEZE_INTERVAL", default=10.0)
#: Everything is unfrozen and collected once this often (seconds): a safety net for cycles,
#: since closed connections leave none (serving/teardown.py).
LINLI_GC_FULL_INTERVAL = env.float("LINLI_GC_FULL_INTERVAL", default=21600.0)
#: A stall of the event loop this long (ms) or longer is logged with its cause
#: (serving/loopwatch.py).
LINLI_STALL_LOG_MS = env.float("LINLI_STALL_LOG_MS", default=100.0)
#: Log the longest stall of every period of this many seconds (0: never; the benchmark sets it).
LINLI_LOOP_REPORT_S = env.float("LINLI_LOOP_REPORT_S", default=0.0)

# --- Presence (docs/presence.md) --------------------------------------------------------------
#: "redis": shared by every worker (needs REDIS_URL); "memory": this process only (embedded).
LINLI_PRESENCE_BACKEND = env.str(
    "LINLI_PRESENCE_BACKEND", default="redis" if REDIS_URL else "memory"
)
LINLI_PRESENCE_PREFIX = env.str("LINLI_PRESENCE_PREFIX", default=f"{LINLI_CHANNEL_PREFIX}:presence")
#: A connection not refreshed for this long is gone (its worker was killed): each worker refreshes
#: all of its connections every TTL/3 seconds, in one round trip.
LINLI_PRESENCE_TTL = env.float("LINLI_PRESENCE_TTL", default=45.0)
#: How often one worker (any) takes the expired people offline and announces it.
LINLI_PRESENCE_SWEEP = env.float("LINLI_PRESENCE_SWEEP", default=5.0)
#: At most one `presence` frame per room this often (seconds), small rooms / rooms over the limit
#: below. Ghost bound: TTL + SWEEP + LINLI_PRESENCE_BIG_INTERVAL ≤ 60 s (checked: linli.W010).
LINLI_PRESENCE_INTERVAL = env.float("LINLI_PRESENCE_INTERVAL", default=1.0)
LINLI_PRESENCE_BIG_INTERVAL = env.float("LINLI_PRESENCE_BIG_INTERVAL", default=5.0)
#: Rooms with at most this many members name who came online or went offline (`users`); bigger
#: rooms get counts only.
LINLI_PRESENCE_USERS_MAX = env.int("LINLI_PRESENCE_USERS_MAX", default=50)
