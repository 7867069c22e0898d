"""The twin gives freed C-heap memory back to the system (twin/heap.py)."""
import pytest

from bench.soak import rss_mb as _rss_mb
from twin import heap


@pytest.mark.skipif(heap._LIBC is None, reason="not glibc: nothing to trim")
def test_freed_heap_goes_back_to_the_system():
    """200 MB of 2 kB blocks freed, all but the last one (which pins the heap's top, so only
    a trim that reaches inside the heap can give anything back): the trim returns most of it."""
    blocks = [bytes(2048) + bytes([i % 256]) for i in range(100_000)]
    keep = blocks[-1]
    del blocks
    before = _rss_mb()
    assert heap.trim()
    after = _rss_mb()
    assert before - after > 100, (before, after)
    assert keep[-1] == 99_999 % 256
