"""Django's Redis cache on a Redis Cluster (``CACHES`` uses it when ``REDIS_URL`` names a cluster).

Django's own backend builds a plain client per server and sends ``MGET``/``MSET`` for several keys at
once, which a cluster refuses when the keys live in different slots. This backend is Django's, with
the client from ``millet.core.redis_client`` and those two calls split per key (``get_many`` by
redis-py's per-slot ``mget_nonatomic``, ``set_many`` as one ``SET ... EX`` per key in a pipeline);
``clear`` empties every master.

The cluster client sends a command again when its answer is late (``millet.core.redis_client``).
That is harmless for reads and plain sets, but a resent ``INCRBY`` counts twice (a sign-in failure
counted as two), and a resent ``SET NX`` answers "already there" to the caller that put it there. So
``add`` and ``incr`` are sent once, each one command: a late answer raises instead.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from millet.core import redis_client

# Django's incr: a missing key is an error, never created. One command (Django's backend sends EXISTS
# then INCRBY), so that it can be sent once.
_INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
return redis.call('INCRBY', KEYS[1], ARGV[1])
"""


class ClusterCacheClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        return redis_client.shared()

    def _once(self, key, *command):
        """``command``, about ``key``, sent once to the master of its slot (still following a moved
        slot): naming the node turns the cluster client's resends off."""
        client = self.get_client()
        return client.execute_command(*command, target_nodes=client.get_node_from_key(key))

    def add(self, key, value, timeout):
        expiry = ("EX", timeout) if timeout else ()
        added = bool(self._once(key, "SET", key, self._serializer.dumps(value), *expiry, "NX"))
        if added and timeout == 0:  # as Django's backend: a zero timeout adds and deletes at once
            self.delete(key)
        return added

    def incr(self, key, delta):
        value = self._once(key, "EVAL", _INCR_EXISTING, 1, key, delta)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")  # as Django's backend
        return value

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
