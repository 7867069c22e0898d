"""Close quarters: two vessels closer than ``loa_factor`` × the longer one's length (at most
``max_m``) for ``min_duration_s`` — whatever their courses. Not applied where ships are close
by design: at berths and inside anchorages. A length not known counts as
``default_length_m``. State-based, one alert per pair, starting when they came that close."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import Condition
from .pairs import close_pairs, pair_cleared, fresh_vessels
from .rule import Rule


class CloseQuarters(Rule):
    name = "close_quarters"
    default_severity = "warning"

    @dataclass
    class Params:
        loa_factor: float = 3.0
        max_m: float = 1000.0
        min_duration_s: float = 240.0
        default_length_m: float = 50.0
        max_age_s: float = 120.0
        every_s: float = 10.0

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._last = float("-inf")
        self._since: dict[tuple, float] = {}
        self._active: set[tuple] = set()

    def eligible(self, v) -> bool:
        f = v.last
        return f.berth is None and f.anchorage is None and self.applies(v)

    def on_tick(self, now, ctx):
        if now - self._last < self.p.every_s:
            return []
        self._last = now
        cols = fresh_vessels(ctx, now, self.p.max_age_s, self.eligible)
        close, out = {}, []
        pairs = close_pairs(cols, self.p.max_m) if cols["n"] >= 2 else np.empty((0, 2), int)
        if len(pairs):
            dist = np.hypot(cols["x"][pairs[:, 1]] - cols["x"][pairs[:, 0]],
                            cols["y"][pairs[:, 1]] - cols["y"][pairs[:, 0]])
            for (i, j), d in zip(pairs, dist):
                a, b = cols["vessels"][i], cols["vessels"][j]
                longer = max(a.length or self.p.default_length_m,
                             b.length or self.p.default_length_m)
                limit = min(self.p.loa_factor * longer, self.p.max_m)
                if d < limit:
                    if a.mmsi > b.mmsi:
                        a, b = b, a
                    close[(a.mmsi, b.mmsi)] = (a, b, float(d), limit)
        self._since = {k: self._since.get(k, now) for k in close}
        for key, (a, b, d, limit) in close.items():
            since = self._since[key]
            if now - since >= self.p.min_duration_s:
                self._active.add(key)
                out.append(Condition(self.name, a.mmsi, now, a.last.lon, a.last.lat, True,
                                     {"distance_m": round(d), "limit_m": round(limit),
                                      "other_lon": b.last.lon, "other_lat": b.last.lat},
                                     other=b.mmsi, since=since))
        for key in [k for k in self._active if k not in close]:
            self._active.discard(key)
            out.append(pair_cleared(self.name, key, ctx, now))
        return out
