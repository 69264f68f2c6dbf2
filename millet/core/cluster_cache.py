"""Django's Redis cache on a Redis Cluster (``CACHES`` uses it when ``REDIS_URL`` names a cluster).

Django's own backend builds a plain client per server and sends ``MGET``/``MSET`` for several keys at
once, which a cluster refuses when the keys live in different slots. This backend is Django's, with
the client from ``millet.core.redis_client`` and those two calls split per key (``get_many`` by
redis-py's per-slot ``mget_nonatomic``, ``set_many`` as one ``SET ... EX`` per key in a pipeline);
``clear`` empties every master.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from millet.core import redis_client


class ClusterCacheClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        return redis_client.shared()

    def get_many(self, keys):
        keys = list(keys)
        values = self.get_client().mget_nonatomic(keys)
        return {k: self._serializer.loads(v) for k, v in zip(keys, values, strict=True) if v is not None}

    def set_many(self, data, timeout):
        if timeout == 0:  # as Django's backend: a zero timeout deletes
            self.delete_many(list(data))
            return
        pipe = self.get_client().pipeline(transaction=False)
        for key, value in data.items():
            pipe.set(key, self._serializer.dumps(value), ex=timeout)
        pipe.execute()

    def clear(self):
        client = self.get_client()
        return bool(client.flushdb(target_nodes=client.PRIMARIES))


class ClusterCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ClusterCacheClient
