"""Anchor drag: a ship at anchor that leaves its swing circle while not under way.

At anchor = reporting status 1, or stopped inside an anchorage polygon, for ``settle_s``. The
anchor is taken where the ship first stopped (it is let go with the ship stopped over it; the
ship then falls back on its chain), and the swing circle's radius is the ship's length +
``margin_m`` (the chain — scope 5–7 × depth in 15–25 m of water is 100–150 m — plus GPS
error): wherever wind and tide swing the ship, its antenna stays inside. Dragging = ``min_fixes`` reports in a row outside the
circle at no more than ``max_drag_kn`` and not reporting "under way using engine" (a ship
heaving up and leaving reports under way, or soon goes faster). Event-based: raised once at
the first report outside; the ship is then at anchor afresh once it settles again."""
from __future__ import annotations

import math
from dataclasses import dataclass

from .model import EVENT
from .anchoring import StopTracker
from .context import STATUS_AT_ANCHOR
from .rule import Rule

UNDER_WAY_STATUSES = (0, 8)


class AnchorDrag(Rule):
    name = "anchor_drag"
    kind = EVENT
    default_severity = "warning"

    @dataclass
    class Params:
        settle_s: float = 10 * 60.0
        margin_m: float = 150.0
        default_length_m: float = 100.0
        max_drag_kn: float = 2.0
        min_fixes: int = 2

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.stops = StopTracker()
        self._anchor: dict[int, tuple] = {}       # mmsi -> (x, y, radius, since)
        self._outside: dict[int, list] = {}       # mmsi -> reports outside in a row

    def on_fixes(self, items, ctx):
        anchors, stops, may_start = self._anchor, self.stops.stops, self.stops.may_start
        for fix, vessel in items:           # anchored, stopped, or stopping now
            m = fix.mmsi
            if m in anchors or m in stops or may_start(fix):
                yield from self.on_fix(fix, vessel, ctx)

    def on_fix(self, fix, vessel, ctx):
        m = fix.mmsi
        anchor = self._anchor.get(m)
        if anchor is not None:
            return self._check(fix, vessel, anchor)
        stop = self.stops.update(fix)
        at_anchor = stop is not None and (fix.nav_status == STATUS_AT_ANCHOR or (
            fix.anchorage is not None and fix.berth is None))
        if not at_anchor:
            return []
        if fix.ts - stop[0] >= self.p.settle_s:
            radius = (vessel.length or self.p.default_length_m) + self.p.margin_m
            self._anchor[m] = (stop[1], stop[2], radius, stop[0])
        return []

    def _check(self, fix, vessel, anchor):
        m = fix.mmsi
        x, y, radius, since = anchor
        distance = math.hypot(fix.x - x, fix.y - y)
        if distance <= radius:
            self._outside.pop(m, None)
            return []
        leaving = fix.nav_status in UNDER_WAY_STATUSES or (
            fix.sog is not None and fix.sog > self.p.max_drag_kn)
        if leaving:                                # weighing anchor, not dragging
            self._forget(m)
            return []
        run = self._outside.setdefault(m, [])
        run.append(fix)
        if len(run) < self.p.min_fixes:
            return []
        first = run[0]
        self._forget(m)
        c = self.condition(first, details={"distance_m": round(distance),
                                           "radius_m": round(radius), "anchored_since": since,
                                           "sog": fix.sog})
        return [c]

    def _forget(self, m: int) -> None:
        self._anchor.pop(m, None)
        self._outside.pop(m, None)
        self.stops.stops.pop(m, None)
