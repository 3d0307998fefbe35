"""Kabinet's Redis cache backend (core.redis_cache): Django's, with one redis-py client per pool."""

import os
import subprocess
import sys
import uuid

from kabinet.core.redis_cache import RedisCache


def backend(live_redis: str, location: str | list[str] | None = None) -> RedisCache:
    return RedisCache(location or f"{live_redis}/13", {"KEY_PREFIX": f"test-kept-{uuid.uuid4().hex}"})


def test_one_client_per_pool_for_every_call(live_redis):
    cache = backend(live_redis)
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client("any key") is client
    assert client.connection_pool is cache._cache._get_connection_pool(write=True)
    cache.set("k", {"a": 1}, 30)
    assert cache.get("k") == {"a": 1}
    assert cache._cache.get_client() is client  # still the one client after the calls


def test_replicas_keep_a_client_each_and_writes_go_to_the_first(live_redis):
    cache = backend(live_redis, [f"{live_redis}/13", f"{live_redis}/12"])
    writer = cache._cache.get_client(write=True)
    reader = cache._cache.get_client()
    assert writer is not reader
    assert writer.connection_pool.connection_kwargs["db"] == 13
    assert reader.connection_pool.connection_kwargs["db"] == 12
    assert cache._cache.get_client() is reader


def test_settings_with_redis_use_it_with_one_client_for_every_call(tmp_path, live_redis):
    """With REDIS_URL (production), the cache is this backend: three calls make one client between them."""
    code = (
        "import django; django.setup()\n"
        "from django.core.cache import caches\n"
        "backend = caches['default']\n"
        "print(type(backend).__module__ + '.' + type(backend).__name__)\n"
        "made = []\n"
        "original = backend._cache._client\n"
        "backend._cache._client = lambda **kw: made.append(1) or original(**kw)\n"
        "backend.set('probe', 1, 30); backend.get('probe'); backend.get('probe')\n"
        "print(len(made))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kabinet.settings", "REDIS_URL": f"{live_redis}/13",
           "KABINET_CACHE_PREFIX": f"test-kept-{uuid.uuid4().hex}", "KABINET_DATA_DIR": str(tmp_path)}  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["kabinet.core.redis_cache.RedisCache", "1"]
