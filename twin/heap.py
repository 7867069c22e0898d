"""Give the C heap's free memory back to the operating system.

A twin runs for days. Python frees most of its objects into glibc's malloc, which keeps the
freed pages inside its arenas for reuse; with readers, the engine and the web server's threads
each working in their own arena, a process's resident memory creeps up over hours although
what it holds does not (``bench soak --trace-memory`` prints both: glibc's "free" figure is
memory the process has freed and still holds). ``trim()`` asks glibc to return those pages
(``malloc_trim(0)``, which since glibc 2.8 releases free pages inside every arena, not only
at the top of the main heap); the engine calls it once a minute. ``limit_arenas()`` caps the
arenas (``mallopt(M_ARENA_MAX)``) — the usual setting for threaded servers under a GIL, where
threads seldom allocate at the same moment; it counts only for threads started after it.

On another C library (musl, macOS) both do nothing and say so by returning False.

``tune_collector()`` sets how often Python's cyclic garbage collector looks at young objects
(``gc.set_threshold``): the default, every 700 net allocations of container objects, is made
for small programs; an engine round of a busy feed allocates tens of thousands (events,
records, fixes) that live until the round ends.
"""
from __future__ import annotations

import ctypes
import gc
import logging
import sys

log = logging.getLogger(__name__)

_M_ARENA_MAX = -8                  # glibc's malloc.h


def _glibc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim, libc.mallopt           # noqa: B018 - both there: glibc
        return libc
    except (OSError, AttributeError):
        return None


_LIBC = _glibc()


def trim() -> bool:
    """Return the heap's free pages to the system; True when glibc released some."""
    if _LIBC is None:
        return False
    try:
        return bool(_LIBC.malloc_trim(0))
    except Exception:                    # never a reason for a round to fail
        log.debug("malloc_trim failed", exc_info=True)
        return False


def limit_arenas(arenas: int = 2) -> bool:
    """At most ``arenas`` malloc arenas for the threads started from now on."""
    if _LIBC is None:
        return False
    try:
        return bool(_LIBC.mallopt(_M_ARENA_MAX, int(arenas)))
    except Exception:
        log.debug("mallopt failed", exc_info=True)
        return False


YOUNG_THRESHOLD = 20_000          # net container allocations between young-generation passes


def tune_collector(young: int = YOUNG_THRESHOLD) -> tuple[int, int, int]:
    """Run the young-generation pass of the cyclic collector every ``young`` net container
    allocations instead of 700; the older generations keep their settings. Each pass walks
    every young object still alive — at 700 that was ~2 passes per round over the round's
    own objects, 22 ms of the NY hour's 0.63 s through the whole pipeline (``bench
    ingest``); at 20,000 it is ~2 ms. Cycles are still collected, a little later (tens of
    thousands of objects: a few MB at most). Returns the thresholds before."""
    before = gc.get_threshold()
    gc.set_threshold(int(young), before[1], before[2])
    return before
