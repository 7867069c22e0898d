"""Unauthorised anchoring: a vessel stopped for ``min_stop_s`` inside the port limits but
outside every anchorage and away from every berth — and more than ``shore_m`` from land (a
ship stopped close to the shore is most likely alongside a pier the port package does not
map). Stopped is the port-call definition (``StopTracker``): below 0.2 kn, or reporting "at
anchor" / "moored" below 0.5 kn; moving again once faster than 0.5 kn and more than 100 m from
where it stopped. State-based: it holds while the ship stays."""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..portcalls import PortCallRules
from .context import STATUS_AT_ANCHOR, STATUS_MOORED
from .rule import Rule


class StopTracker:
    """Per vessel: since when and where it has been stopped, by the port-call definition
    (``PortCallRules``: one definition of "stopped" for port calls and alerts)."""

    def __init__(self, rules: PortCallRules = PortCallRules()):
        self.stop_kn, self.status_stop_kn = rules.stop_start_kn, rules.status_stop_kn
        self.move_kn, self.radius_m = rules.stop_end_kn, rules.stop_radius_m
        self.stops: dict[int, tuple] = {}      # mmsi -> (since, x, y, lon, lat)

    def may_start(self, fix) -> bool:
        """Whether this fix would begin a stop (``update`` of a vessel not stopped)."""
        speed = fix.sog
        return (speed is not None and speed < self.stop_kn) or (
            fix.nav_status in (STATUS_AT_ANCHOR, STATUS_MOORED)
            and (speed is None or speed < self.status_stop_kn))

    def update(self, fix) -> tuple | None:
        stop = self.stops.get(fix.mmsi)
        speed = fix.sog
        if stop is None:
            status = fix.nav_status in (STATUS_AT_ANCHOR, STATUS_MOORED)
            if (speed is not None and speed < self.stop_kn) or (
                    status and (speed is None or speed < self.status_stop_kn)):
                stop = self.stops[fix.mmsi] = (fix.ts, fix.x, fix.y, fix.lon, fix.lat)
            return stop
        moved = math.hypot(fix.x - stop[1], fix.y - stop[2]) > self.radius_m
        if moved and (speed is None or speed > self.move_kn):
            del self.stops[fix.mmsi]
            return None
        return stop


class UnauthorisedAnchoring(Rule):
    name = "unauthorised_anchoring"
    default_severity = "warning"

    @dataclass
    class Params:
        min_stop_s: float = 15 * 60.0
        shore_m: float = 250.0

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.stops = StopTracker()
        self._active: set[int] = set()

    def on_fixes(self, items, ctx):
        stops, active, may_start = self.stops.stops, self._active, self.stops.may_start
        for fix, vessel in items:           # stopped, stopping, or held an alert
            m = fix.mmsi
            if m in stops or m in active or may_start(fix):
                yield from self.on_fix(fix, vessel, ctx)

    def on_fix(self, fix, vessel, ctx):
        stop = self.stops.update(fix)
        outside = (fix.in_port and fix.anchorage is None and fix.berth is None
                   and fix.shore_m > self.p.shore_m)
        if stop is not None and outside and fix.ts - stop[0] >= self.p.min_stop_s:
            self._active.add(fix.mmsi)
            c = self.condition(fix, details={"stopped_since": stop[0],
                                             "shore_m": round(min(fix.shore_m, 1e6))})
            c.since, c.lon, c.lat = stop[0], stop[3], stop[4]
            return [c]
        if fix.mmsi in self._active and (stop is None or not outside):
            self._active.discard(fix.mmsi)
            return [self.condition(fix, active=False)]
        return []
