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
        self._runs: dict[int, dict[str, _Run]] = {}      # mmsi -> zone -> its run

    def on_fixes(self, items, ctx):
        runs = self._runs
        for fix, vessel in items:           # in a zone now, or running in one before
            if fix.zones or fix.mmsi in runs:
                yield from self.on_fix(fix, vessel, ctx)

    def on_fix(self, fix, vessel, ctx):
        out = []
        runs = self._runs.setdefault(fix.mmsi, {})
        for zid in fix.zones:
            limit = ctx.zone_by_id[zid].speed_limit_kn
            if limit is None or fix.sog is None:
                continue
            run = runs.setdefault(zid, _Run())
            if fix.sog > limit + self.p.tolerance_kn:
                if run.fast == 0:
                    run.first = (fix.ts, fix.lon, fix.lat)
                run.fast, run.slow = run.fast + 1, 0
                if run.fast >= self.p.min_fixes:
                    run.active = True
                    c = self.condition(fix, qualifier=zid, details={
                        "zone": zid, "zone_name": ctx.zone_by_id[zid].name,
                        "limit_kn": limit, "sog": fix.sog})
                    c.since, c.lon, c.lat = run.first      # it began with the first fast one
                    out.append(c)
            else:
                run.fast, run.slow = 0, run.slow + 1
                if run.active and run.slow >= self.p.min_fixes:
                    run.active = False
                    out.append(self.condition(fix, active=False, qualifier=zid))
        for zid in [z for z in runs if z not in fix.zones]:
            if runs[zid].active and zid in fix.near_zones:
                continue                                  # on the edge: not left yet
            if runs.pop(zid).active:
                out.append(self.condition(fix, active=False, qualifier=zid))
        if not runs:
            del self._runs[fix.mmsi]
        return out


@dataclass
class _Run:
    fast: int = 0                 # reports over the limit in a row
    slow: int = 0                 # reports at or under it in a row
    first: tuple = ()             # (ts, lon, lat) of the first fast report of the run
    active: bool = False
