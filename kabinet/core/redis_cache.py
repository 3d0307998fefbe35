"""Django's Redis cache, with one redis-py client per connection pool instead of one per call.

Django's `RedisCacheClient.get_client` makes a new `redis.Redis` for every cache call, over the
same pool, and redis-py copies its table of reply callbacks into each new client: about 70 µs
of CPU, as much as the GET itself. A signed-in page makes two or three such calls (the cached
session, the footer's version, a fragment), so this was a tenth of the home page's CPU
(docs/performance.md, step 6). A client over a pool is safe to share; Django's caches are
per thread already, so each thread keeps its own backend, clients and pools, and they go with
the backend."""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class KeptClientRedisCacheClient(RedisCacheClient):
    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:  # as Django's _get_connection_pool, for this index
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(DjangoRedisCache):
    """`CACHES["default"]["BACKEND"]` when `REDIS_URL` is set (settings.py)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient
