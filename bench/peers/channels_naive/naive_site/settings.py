"""Settings of the channels-naive peer: the Channels tutorial chat, as a typical user deploys it.

Nothing here is tuned. The channel layer is channels-redis' core layer with its defaults
(capacity 100, expiry 60 s), as in the tutorial; only the Redis database number and the key
prefix are the bench's own so that it never meets Linli's or anyone else's keys.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "channels",
    "tutorial_chat",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "naive_site.urls"
ASGI_APPLICATION = "naive_site.asgi.application"

# The tutorial's project keeps Django's default SQLite database; the chat never touches it (no
# session cookie is sent, so AuthMiddlewareStack resolves AnonymousUser without a query).
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [os.environ.get("NAIVE_REDIS_URL", "redis://127.0.0.1:6379/7")],
            "prefix": os.environ.get("NAIVE_REDIS_PREFIX", "linli_bench_naive"),
        },
    },
}

USE_TZ = True
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
