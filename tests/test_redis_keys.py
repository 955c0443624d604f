"""Every Redis key of a deployment carries its prefix (``LINLI_CHANNEL_PREFIX``)."""

import pytest
import redis
from django.conf import settings
from django.core.cache import cache

pytestmark = pytest.mark.postgres_redis


def test_the_caches_keys_carry_the_deployments_prefix():
    cache.set("prefix-probe", 1, timeout=30)
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = [k.decode() for k in client.scan_iter(match="*prefix-probe")]
    assert keys
    assert all(k.startswith(settings.LINLI_CHANNEL_PREFIX + ":") for k in keys)
