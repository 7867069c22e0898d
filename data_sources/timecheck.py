"""Which message times to believe.

Every time that arrives from outside (a tag block's ``c:``, a CSV's ``BaseDateTime``, a JSON
document's ``time``) is untrusted: one bit flip turns 2020 into 2286, and ``nan``, ``inf`` or
``1e93475727`` parse as floats. Three checks, used by every feed:

* ``plausible_epoch``: finite and between 1980 and 2100 — anything else is no time at all;
* ``LiveTimeCheck``: a live feed's message time is used only when it is at most
  ``max_ahead_s`` ahead of the receive clock and at most ``max_latency_s`` behind it (the
  feed's configured latency: a terrestrial receiver seconds, a satellite feed up to hours);
  otherwise the receive time is used and the reason counted;
* ``recording_window``: for a recording replayed from a file, the span the bulk of its times
  lie in, widened by a margin. A time outside it (one row dated 2120 in a 2020 file) is a
  corrupt record, rejected — it must not stretch the replay over a century.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ABS_MIN = 315_532_800.0      # 1980-01-01T00:00Z (GPS epoch; AIS began in 2002)
ABS_MAX = 4_102_444_800.0    # 2100-01-01T00:00Z


def plausible_epoch(t) -> bool:
    """A finite epoch second between 1980 and 2100."""
    try:
        return math.isfinite(t) and ABS_MIN <= t <= ABS_MAX
    except TypeError:
        return False


@dataclass
class LiveTimeCheck:
    """Message time vs receive time for a live feed. ``check`` returns the time to use and
    the reason the message's own time was not used (None when it was)."""

    max_ahead_s: float = 300.0
    max_latency_s: float = 600.0

    def check(self, ts: float | None, arrival: float) -> tuple[float, str | None]:
        try:                     # the common case first: plausible and inside the window
            if ABS_MIN <= ts <= ABS_MAX and \
                    arrival - self.max_latency_s <= ts <= arrival + self.max_ahead_s:
                return ts, None
        except TypeError:        # None (or no number at all): below
            pass
        if ts is None:
            return arrival, None
        if not plausible_epoch(ts):
            return arrival, "time_implausible"
        if ts > arrival + self.max_ahead_s:
            return arrival, "time_ahead"
        if ts < arrival - self.max_latency_s:
            return arrival, "time_too_old"
        return ts, None


def recording_window(times, margin_s: float = 3600.0, quantile: float = 0.01
                      ) -> tuple[float, float] | None:
    """(first, last) believable time of a recording: the span of its plausible times with
    the ``quantile`` most extreme on each side — and at least one on each side, given three
    or more — left out, then widened by ``margin_s`` and by that span itself (so a recording
    whose times are spread evenly loses nothing). None when no time is plausible.

    Outliers fewer than that on a side cannot move the window, however far off they are: one
    row dated 2120 in a 2020 file does not stretch its replay over a century."""
    t = np.asarray(times, dtype=float)
    t = np.sort(t[np.isfinite(t) & (t >= ABS_MIN) & (t <= ABS_MAX)])
    if t.size == 0:
        return None
    k = int(quantile * t.size) + 1 if t.size >= 3 else 0
    k = min(k, (t.size - 1) // 2)
    lo, hi = t[k], t[t.size - 1 - k]
    widen = margin_s + (hi - lo)
    return float(max(ABS_MIN, lo - widen)), float(min(ABS_MAX, hi + widen))
