"""AIS gap / going dark: a vessel inside the port that stops reporting for longer than its
class and state allow. ITU-R M.1371-5 Table 1 reporting intervals: Class A under way every
2–10 s, at anchor or moored (≤ 3 kn) every 3 min; Class B "SO" every 30 s above 2 kn, 3 min
below. The thresholds are several intervals long (receivers miss messages) and are set per
feed: a thinned recording (MarineCadastre keeps about one report a minute) needs longer ones.

State-based: raised at the moment the silence passes the threshold, cleared by the next
report. Not raised for a vessel last seen stopped at a berth (ships switch AIS off alongside) unless
``at_berth_s`` is set, nor for one last seen within ``edge_m`` of the port limits (it may
simply have left receiver coverage).
"""
from __future__ import annotations

from dataclasses import dataclass

import shapely

from .context import STATUS_AT_ANCHOR, STATUS_MOORED
from .rule import Rule


class AisGap(Rule):
    name = "ais_gap"
    default_severity = "warning"
    clear_s = 0.0

    @dataclass
    class Params:
        class_a_under_way_s: float = 60.0      # 6 x 10 s
        class_a_stationary_s: float = 900.0    # 5 x 3 min (at anchor / moored, <= 3 kn)
        class_b_under_way_s: float = 300.0     # 10 x 30 s
        class_b_stationary_s: float = 900.0    # 5 x 3 min
        at_berth_s: float = 0.0                # 0: not raised for ships last seen at a berth
        stationary_kn: float = 3.0
        edge_m: float = 1852.0                 # last seen this close to the limits: left cover
        forget_s: float = 6 * 3600.0           # a vessel silent this long has gone: clear

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._dark: set[int] = set()

    def threshold(self, fix, vessel) -> float:
        p = self.p
        moving = fix.sog is not None and fix.sog > p.stationary_kn
        if fix.berth is not None and not moving:          # alongside, not passing by
            return p.at_berth_s
        if vessel.ais_class == "B":
            return p.class_b_under_way_s if moving else p.class_b_stationary_s
        stationary = fix.nav_status in (STATUS_AT_ANCHOR, STATUS_MOORED) or (
            fix.sog is not None and fix.sog <= p.stationary_kn)
        return p.class_a_stationary_s if stationary and not moving else p.class_a_under_way_s

    def on_fixes(self, items, ctx):
        dark = self._dark
        for fix, vessel in items:           # a report only ends a silence
            if fix.mmsi in dark:
                yield from self.on_fix(fix, vessel, ctx)

    def on_fix(self, fix, vessel, ctx):
        if fix.mmsi in self._dark:
            self._dark.discard(fix.mmsi)
            return [self.condition(fix, active=False)]
        return []

    def shortest(self) -> float:
        """The shortest silence any vessel may keep before it is raised (0s are "never")."""
        p = self.p
        limits = [s for s in (p.class_a_under_way_s, p.class_a_stationary_s,
                              p.class_b_under_way_s, p.class_b_stationary_s, p.at_berth_s)
                  if s > 0]
        return min(limits) if limits else float("inf")

    def on_tick(self, now, ctx):
        out = []
        dark, shortest = self._dark, self.shortest()
        for mmsi, v in ctx.vessels.items():
            f = v.last
            if f is None or not f.in_port:
                continue
            silent = now - f.ts
            if silent <= shortest and mmsi not in dark:
                continue                        # heard lately: no threshold is passed (most)
            if not self.applies(v):
                continue
            if mmsi in dark:
                if silent > self.p.forget_s:
                    dark.discard(mmsi)
                    out.append(self.condition(f, active=False))
                continue
            limit = self.threshold(f, v)
            if limit <= 0 or silent <= limit or silent > self.p.forget_s:
                continue
            if shapely.distance(ctx.geometry.limit_boundary,
                                shapely.Point(f.x, f.y)) < self.p.edge_m:
                continue
            dark.add(mmsi)
            c = self.condition(f, details={"last_report": f.ts, "threshold_s": limit,
                                           "sog": f.sog, "nav_status": f.nav_status})
            c.ts = f.ts + limit
            out.append(c)
        return out
