"""Speed limit in a zone: a vessel inside a zone with ``speed_limit_kn`` going faster than the
limit + ``tolerance_kn`` for ``min_fixes`` reports in a row (one fast report is often a
speed-over-ground glitch). State-based: the alert starts at the first fast report and clears
after ``min_fixes`` reports at or under the limit, or when the vessel has left the zone."""
from __future__ import annotations

from dataclasses import dataclass

from .rule import Rule


class ZoneSpeed(Rule):
    name = "zone_speed"
    default_severity = "warning"

    @dataclass
    class Params:
        tolerance_kn: float = 0.5
        min_fixes: int = 3

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._runs: dict[tuple, list] = {}     # (mmsi, zone) -> [fast run, slow run, first ts]
        self._active: set[tuple] = set()

    def on_fix(self, fix, vessel, ctx):
        out = []
        for zid in fix.zones:
            limit = ctx.zone_by_id[zid].speed_limit_kn
            if limit is None or fix.sog is None:
                continue
            key = (fix.mmsi, zid)
            run = self._runs.setdefault(key, [0, 0, None])
            if fix.sog > limit + self.p.tolerance_kn:
                if run[0] == 0:
                    run[2] = (fix.ts, fix.lon, fix.lat)
                run[0], run[1] = run[0] + 1, 0
                if run[0] >= self.p.min_fixes:
                    self._active.add(key)
                    c = self.condition(fix, qualifier=zid, details={
                        "zone": zid, "zone_name": ctx.zone_by_id[zid].name,
                        "limit_kn": limit, "sog": fix.sog})
                    if run[0] == self.p.min_fixes:     # it started with the first fast one
                        c.since, c.lon, c.lat = run[2]
                    out.append(c)
            else:
                run[0], run[1] = 0, run[1] + 1
                if key in self._active and run[1] >= self.p.min_fixes:
                    self._active.discard(key)
                    out.append(self.condition(fix, active=False, qualifier=zid))
        for key in [k for k in self._active if k[0] == fix.mmsi and k[1] not in fix.near_zones]:
            self._active.discard(key)
            self._runs.pop(key, None)
            out.append(self.condition(fix, active=False, qualifier=key[1]))
        return out
