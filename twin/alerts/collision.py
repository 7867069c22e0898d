"""Collision risk: two vessels under way whose closest point of approach (CPA) is under
``cpa_nm`` within the next ``tcpa_min`` minutes, on their reported courses and speeds. Ships
at anchor or moored (status, or slower than ``min_speed_kn``) and ships at a berth are left
out, and so are pairs where neither ship is known to be at least ``min_length_m`` long (VTS
watches its participants: 33 CFR 161.16 makes power-driven vessels of 40 m and more VMRS
users; 0 = every pair). State-based, one alert per pair: it holds while the pair closes and clears once the CPA
has passed or opened up. Evaluated every ``every_s`` seconds."""
from __future__ import annotations

from dataclasses import dataclass

from .context import STATUS_AT_ANCHOR, STATUS_MOORED
from .model import Condition
from .pairs import close_pairs, pair_cleared, cpa_tcpa, fresh_vessels
from .rule import Rule


class CollisionRisk(Rule):
    name = "collision_risk"
    default_severity = "alarm"

    @dataclass
    class Params:
        cpa_nm: float = 0.5
        tcpa_min: float = 6.0
        min_speed_kn: float = 1.0
        min_length_m: float = 0.0
        max_age_s: float = 120.0
        every_s: float = 10.0

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._last = float("-inf")
        self._active: set[tuple] = set()

    def under_way(self, v) -> bool:
        f = v.last
        return (f.sog is not None and f.sog >= self.p.min_speed_kn
                and f.cog is not None and f.berth is None
                and f.nav_status not in (STATUS_AT_ANCHOR, STATUS_MOORED)
                and self.applies(v))            # the fix's own tests first: cheaper

    def on_tick(self, now, ctx):
        if now - self._last < self.p.every_s:
            return []
        self._last = now
        cols = fresh_vessels(ctx, now, self.p.max_age_s, self.under_way)
        cpa_m, tcpa_s = self.p.cpa_nm * 1852, self.p.tcpa_min * 60
        out, holding = [], set()
        if cols["n"] >= 2:
            reach = cpa_m + 2 * 25 * 1852 / 3600 * tcpa_s     # two ships at 25 kn, head on
            pairs = close_pairs(cols, reach)
            if len(pairs):
                cpa, tcpa, dist = cpa_tcpa(cols, pairs)
                hit = (cpa < cpa_m) & (tcpa >= 0) & (tcpa <= tcpa_s)
                for (i, j), c, t, d in zip(pairs[hit], cpa[hit], tcpa[hit], dist[hit]):
                    a, b = cols["vessels"][i], cols["vessels"][j]
                    if self.p.min_length_m and max(a.length or 0, b.length or 0) < \
                            self.p.min_length_m:
                        continue
                    if a.mmsi > b.mmsi:
                        a, b = b, a
                    key = (a.mmsi, b.mmsi)
                    holding.add(key)
                    out.append(Condition(self.name, a.mmsi, now, a.last.lon, a.last.lat, True,
                                         {"cpa_m": round(float(c)), "tcpa_s": round(float(t)),
                                          "distance_m": round(float(d)),
                                          "other_lon": b.last.lon, "other_lat": b.last.lat},
                                         other=b.mmsi))
        for key in self._active - holding:
            out.append(pair_cleared(self.name, key, ctx, now))
        self._active = holding
        return out
