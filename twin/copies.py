"""Copies of a live model for the twin image (``twin.image``), which travels to web workers in
other processes: a model guarded by ``self._lock`` is copied as it is now, under its lock; the
copy gets a lock of its own and leaves out the caches named in ``_COPY_WITHOUT``."""
from __future__ import annotations

import pickle
import threading


class CopiedUnderLock:
    _COPY_WITHOUT: tuple = ()           # caches: the copy fills its own

    def __getstate__(self) -> dict:
        with self._lock:
            state = {k: v for k, v in self.__dict__.items()
                     if k != "_lock" and k not in self._COPY_WITHOUT}
            # the values as they are now: a deep copy made while the lock is held
            state = pickle.loads(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for name in self._COPY_WITHOUT:
            self.__dict__.setdefault(name, {})
        self._lock = threading.RLock()
