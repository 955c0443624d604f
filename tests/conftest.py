import os

import pytest

from tests import twisted_tcp
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
def tcp_connection():
    """A real Twisted TCP connection as daphne serves one (``tests.twisted_tcp``)."""
    with twisted_tcp.tcp_connection() as connection:
        yield connection


@pytest.fixture
def cast(db):
    """The standard community and its people (see tests.factories.Cast)."""
    return make_cast()


@pytest.fixture
def tcast(transactional_db):
    """The same cast, for tests whose code runs on other threads (consumers)."""
    return make_cast()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """After the run, end the sessions that consumer threads left open, so the test database
    can be dropped (PostgreSQL refuses to drop a database others are connected to)."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
