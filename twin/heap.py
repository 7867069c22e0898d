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
"""
from __future__ import annotations

import ctypes
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
