"""What error pages may show: no credentials from URLs in debug pages (``linli demo``), and a
missing static file is a 404 in debug mode too (server/reporting.py, server/static.py)."""

import pytest
from django.test import Client

from server.reporting import mask_url_credentials

REDIS_WITH_PASSWORD = "redis://:s3cret-redis-pass@127.0.0.1:6379/0"


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    settings.REDIS_URL = REDIS_WITH_PASSWORD
    settings.CACHES = {
        **settings.CACHES,
        "shown": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_WITH_PASSWORD,
        },
    }
    return settings


def test_a_debug_page_never_shows_a_password_inside_a_url(debug):
    page = Client(raise_request_exception=False).get("/", HTTP_HOST="evil.example")
    assert page.status_code == 400
    assert b"REDIS_URL" in page.content  # the page does list the settings …
    assert b"s3cret-redis-pass" not in page.content  # … with the password masked


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:pw@h:6379/0", "redis://:********************@h:6379/0"),
        ("postgres://linli:pw@db/linli", "postgres://linli:********************@db/linli"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ],
)
def test_url_passwords_are_masked_and_nothing_else(url, shown):
    assert mask_url_credentials(url) == shown


@pytest.mark.parametrize("debug_mode", [True, False])
def test_a_missing_static_file_is_404(settings, debug_mode):
    settings.DEBUG = debug_mode
    assert Client(raise_request_exception=False).get("/static/nope.js").status_code == 404
