"""Test settings: the embedded default, or PostgreSQL + Redis when the LINLI_TEST_* URLs are set.

``LINLI_TEST_DATABASE_URL`` (e.g. ``postgres://root@127.0.0.1:5432/test``) and
``LINLI_TEST_REDIS_URL`` (e.g. ``redis://127.0.0.1:6379/0``) switch the whole suite onto the real
servers; tests that only make sense there are marked ``postgres_redis`` and skip without them.
"""

import os
import tempfile

os.environ.setdefault("LINLI_DATA_DIR", tempfile.mkdtemp(prefix="linli-test-"))
# A channel-layer prefix of this run's own, so parallel runs and leftovers never cross; the
# server processes of the end-to-end tests inherit it.
os.environ.setdefault("LINLI_CHANNEL_PREFIX", f"linli-test-{os.getpid()}")
_db_url = os.environ.get("LINLI_TEST_DATABASE_URL", "")
_redis_url = os.environ.get("LINLI_TEST_REDIS_URL", "")
if _db_url:
    os.environ["DATABASE_URL"] = _db_url
else:
    os.environ.pop("DATABASE_URL", None)
if _redis_url:
    os.environ["REDIS_URL"] = _redis_url
else:
    os.environ.pop("REDIS_URL", None)

from server.settings import *  # noqa: E402,F403
from server.settings import DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only, tests only

if not _db_url:
    # An in-memory SQLite database cannot be shared with the threads consumers run ORM calls on;
    # a file can.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(os.environ["LINLI_DATA_DIR"], "test.sqlite3")
    }
else:
    DATABASES["default"]["OPTIONS"].pop("pool", None)
    # A test database of this run's own: two runs on one server never drop each other's.
    DATABASES["default"]["TEST"] = {"NAME": f"test_linli_{os.getpid()}"}

if not _redis_url:
    # Round-trip every layer payload through msgpack, as Redis would, so a datetime or a model
    # instance in an event fails here and not in production.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "tests.layers.MsgpackCheckingInMemoryChannelLayer",
            "CONFIG": {"capacity": 1000},
        }
    }
