"""The views' cache keeps only what has not expired, whatever its threshold (a quiet wall must
not fill it up to the threshold over half an hour)."""
import time

from flask import Flask
from flask_caching import Cache


def test_expired_entries_leave_on_the_next_write():
    app = Flask(__name__)
    cache = Cache(app, config={"CACHE_TYPE": "callbacks.cache.ExpiringSimpleCache",
                               "CACHE_THRESHOLD": 300, "CACHE_DEFAULT_TIMEOUT": 60})
    for i in range(50):
        cache.set(f"layers-{i}", b"x" * 1000, timeout=1)
    cache.set("kept", 1)
    time.sleep(1.1)
    cache.set("new", 2)
    assert sorted(cache.cache._cache) == ["kept", "new"]
    assert cache.get("kept") == 1
