"""Copies of a live model for the twin image (``twin.image``), which travels to web workers in
other processes: a model guarded by ``self._lock`` is copied as it is now, under its lock; the
copy gets a lock of its own and leaves out the caches named in ``_COPY_WITHOUT``."""
from __future__ import annotations

import pickle
import threading


def deep_copy(value):
    """An independent copy of plain data and data classes (a pickle round trip: faster than
    ``copy.deepcopy`` for the port calls and alerts a round copies)."""
    return pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


class CopiedUnderLock:
    _COPY_WITHOUT: tuple = ()           # caches: the copy fills its own

    def __getstate__(self) -> dict:
        with self._lock:
            state = {k: v for k, v in self.__dict__.items()
                     if k != "_lock" and k not in self._COPY_WITHOUT}
            # the values as they are now: copied while the lock is held
            return deep_copy(state)

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for name in self._COPY_WITHOUT:
            self.__dict__.setdefault(name, {})
        self._lock = threading.RLock()
