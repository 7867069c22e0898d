"""Position jump / spoofing: a report the vessel cannot have reached from where it was —
implied speed above ``max_speed_kn`` *and* a real displacement (more than ``min_jump_m``, so
GPS noise between close reports never counts). Event-based.

``Plausibility`` keeps two "heads" per vessel, which is also what the identity rule needs:
the vessel's track, and the last report that did not fit it. A second report that fits the
odd one while the track has gone silent means the vessel really is there now (the track moves
on, no second alert); one that fits it while the track keeps reporting means two transmitters
share the MMSI (identity conflict).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..portcalls import MS_TO_KN
from .model import EVENT
from .rule import Rule

OK, JUMP, SECOND, MOVED = "ok", "jump", "second", "moved"


@dataclass
class _Head:
    ts: float
    x: float
    y: float
    lon: float
    lat: float
    n: int = 1
    track_since: bool = False        # the main track reported after this head appeared


class Plausibility:
    def __init__(self, max_speed_kn: float, min_jump_m: float, forget_s: float = 1800.0):
        self.max_speed_kn = max_speed_kn
        self.min_jump_m = min_jump_m
        self.forget_s = forget_s
        self._heads: dict[int, list] = {}      # mmsi -> [track head, odd head or None]

    def _fits(self, h: _Head, ts: float, x: float, y: float) -> bool:
        d = math.hypot(x - h.x, y - h.y)
        if d <= self.min_jump_m:
            return True
        dt = ts - h.ts
        return dt > 0 and d / dt * MS_TO_KN <= self.max_speed_kn

    def check(self, mmsi: int, ts: float, x: float, y: float, lon: float, lat: float
              ) -> tuple[str, dict]:
        heads = self._heads.get(mmsi)
        if heads is None:
            self._heads[mmsi] = [_Head(ts, x, y, lon, lat), None]
            return OK, {}
        track, odd = heads
        if odd is not None and ts - odd.ts > self.forget_s:
            odd = heads[1] = None
        if self._fits(track, ts, x, y):
            # the track goes on here (its head moved in place: a track head's n and
            # track_since are never read, only an odd head's)
            track.ts, track.x, track.y, track.lon, track.lat = ts, x, y, lon, lat
            if odd is not None:
                odd.track_since = True
            return OK, {}
        if odd is not None and self._fits(odd, ts, x, y):
            odd.n += 1
            odd.ts, odd.x, odd.y, odd.lon, odd.lat = ts, x, y, lon, lat
            if odd.track_since:
                return SECOND, {"distance_m": round(math.hypot(x - track.x, y - track.y)),
                                "other_lon": track.lon, "other_lat": track.lat}
            heads[0], heads[1] = _Head(ts, x, y, lon, lat), None
            return MOVED, {}
        d = math.hypot(x - track.x, y - track.y)
        dt = ts - track.ts
        heads[1] = _Head(ts, x, y, lon, lat)
        return JUMP, {"distance_m": round(d), "dt_s": round(dt, 1),
                      "implied_kn": round(d / dt * MS_TO_KN, 1) if dt > 0 else None,
                      "from_lon": track.lon, "from_lat": track.lat}

    def forget(self, mmsi: int) -> None:
        self._heads.pop(mmsi, None)

    def forget_all(self) -> None:
        self._heads.clear()


class PositionJump(Rule):
    name = "position_jump"
    sees_rejected = True
    kind = EVENT
    default_severity = "warning"

    @dataclass
    class Params:
        max_speed_kn: float = 50.0     # faster than any ship in a port (HSC ferries ~40 kn)
        min_jump_m: float = 1000.0     # a real displacement, not GPS noise

    def on_fixes(self, items, ctx):
        for fix, vessel in items:
            if fix.check == JUMP:
                yield from self.on_fix(fix, vessel, ctx)

    def on_fix(self, fix, vessel, ctx):
        if fix.check != JUMP:
            return []
        return [self.condition(fix, details=dict(fix.check_details))]
