"""`check --deploy` refuses a production process without the shared Redis (core.checks)."""

from kabinet.core.checks import check_shared_cache

LOCAL = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS = {"default": {"BACKEND": "kabinet.core.redis_cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/13"}}


def test_a_production_process_without_redis_is_refused(settings):
    """A cron-run import with its own cache would leave the web's kept API answers stale."""
    settings.DEBUG, settings.CACHES = False, LOCAL
    assert [error.id for error in check_shared_cache(None)] == ["kabinet.E004"]


def test_redis_or_debug_passes(settings):
    settings.DEBUG, settings.CACHES = False, REDIS
    assert check_shared_cache(None) == []
    settings.DEBUG, settings.CACHES = True, LOCAL
    assert check_shared_cache(None) == []
