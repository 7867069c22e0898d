"""The views' cache: flask-caching's SimpleCache, which drops expired entries on every write.

cachelib's SimpleCache removes expired entries only once it holds more than its threshold, so
a quiet wall fills it up to the threshold over half an hour (300 map-layer entries of ~75 KB:
+22 MB of RSS that looks like a leak in a soak) before anything leaves. Dropping the expired
ones on each write keeps it at what the last minute needs; the threshold still caps a burst.
"""
from __future__ import annotations

import time

from flask_caching.backends.simplecache import SimpleCache


class ExpiringSimpleCache(SimpleCache):
    def set(self, key, value, timeout=None):
        with self._lock:
            self._remove_expired(time.time())
            return super().set(key, value, timeout)

    def add(self, key, value, timeout=None):
        with self._lock:
            self._remove_expired(time.time())
            return super().add(key, value, timeout)
