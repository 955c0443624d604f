import os

import pytest

from tests.factories import make_cast

NEEDS_SERVICES = "needs PostgreSQL and Redis: set LINLI_TEST_DATABASE_URL and LINLI_TEST_REDIS_URL"


def pytest_collection_modifyitems(config, items):
    have = os.environ.get("LINLI_TEST_DATABASE_URL") and os.environ.get("LINLI_TEST_REDIS_URL")
    if have:
        return
    skip = pytest.mark.skip(reason=NEEDS_SERVICES)
    for item in items:
        if "postgres_redis" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def cast(db):
    """The standard community and its people (see tests.factories.Cast)."""
    return make_cast()


@pytest.fixture
def tcast(transactional_db):
    """The same cast, for tests whose code runs on other threads (consumers)."""
    return make_cast()
