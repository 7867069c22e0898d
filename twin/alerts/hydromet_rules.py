"""Rules on water and weather (they read ``ctx.hydromet``, a ``twin.hydromet.HydroMet``).

* ``ukc`` — under-keel clearance of a deep-draught ship at a berth or in a channel with a
  known depth: depth + water level (observed, else predicted) − AIS draught, below the larger
  of ``min_ukc_m`` and ``min_ukc_fraction`` × draught in a fairway (PIANC guidance: 10 % of
  draught in sheltered water), below ``berth_min_ukc_m`` alongside. State, alarm.
* ``wind_limit`` — observed wind (gusts if reported) above the berthing/crane limit at a
  station. State, warning.
* ``low_visibility`` — observed visibility below the limit at a station (restricted
  visibility, COLREG rule 19). State, warning.
* ``extreme_water`` — water level (observed, else predicted) above MHHW + ``high_above_mhhw_m``
  or below MLLW − ``low_below_mllw_m`` at a tide station. State, warning.

With no source for a quantity (no wind or visibility in the NY scenario) the rule has nothing
to look at and raises nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from .model import Condition
from .rule import Rule


class UnderKeelClearance(Rule):
    name = "ukc"
    default_severity = "alarm"

    @dataclass
    class Params:
        min_draught_m: float = 8.0          # "deep-draught": the rule looks at these
        min_ukc_m: float = 0.6              # in a channel: the larger of this …
        min_ukc_fraction: float = 0.10      # … and this share of the draught
        berth_min_ukc_m: float = 0.6        # alongside (static, no squat or waves)

    def on_fixes(self, items, ctx):
        if getattr(ctx, "hydromet", None) is None:
            return
        least = self.p.min_draught_m
        for fix, vessel in items:           # deep-draught vessels only
            if vessel.draught is not None and vessel.draught >= least:
                yield from self.on_fix(fix, vessel, ctx)

    def on_fix(self, fix, vessel, ctx):
        hm = getattr(ctx, "hydromet", None)
        draught = vessel.draught
        if hm is None or draught is None or draught < self.p.min_draught_m:
            return []
        depth, where = ctx.depth_at(fix)
        if depth is None:
            return []
        level = hm.water_level(fix.lon, fix.lat, fix.ts)
        if level is None:
            return []
        ukc = depth + level[0] - draught
        limit = (self.p.berth_min_ukc_m if where.startswith("berth:")
                 else max(self.p.min_ukc_m, self.p.min_ukc_fraction * draught))
        return [self.condition(fix, active=ukc < limit, qualifier="", details={
            "ukc_m": round(ukc, 2), "limit_m": round(limit, 2), "depth_m": depth,
            "water_level_m": round(level[0], 2), "level_kind": level[1], "station": level[2],
            "draught_m": draught, "where": where})]


class _StationRule(Rule):
    """A rule on one observed quantity at each station, once a round."""

    quantity = ""

    def value(self, hm, station, now):
        return hm.value(station.id, self.quantity, now)

    def breached(self, value, station) -> bool:
        raise NotImplementedError

    def on_tick(self, now, ctx):
        hm = getattr(ctx, "hydromet", None)
        if hm is None:
            return []
        out = []
        for st in list(hm.stations.values()):
            v = self.value(hm, st, now)
            if v is None or st.lon is None:
                continue
            active, details = self.breached(v, st)
            out.append(Condition(self.name, None, now, st.lon, st.lat, active=active,
                                 subject=f"station:{st.id}",
                                 details={"station": st.id, "station_name": st.name,
                                          **details}))
        return out


class WindLimit(_StationRule):
    name = "wind_limit"
    quantity = "wspeed"

    @dataclass
    class Params:
        limit_kn: float = 30.0         # berthing / crane operations stop above this

    def value(self, hm, station, now):
        speed = hm.value(station.id, "wspeed", now)
        gust = hm.value(station.id, "wgust", now)
        return None if speed is None and gust is None else max(v for v in (speed, gust)
                                                                if v is not None)

    def breached(self, v, st):
        return v > self.p.limit_kn, {"wind_kn": round(v, 1), "limit_kn": self.p.limit_kn}


class LowVisibility(_StationRule):
    name = "low_visibility"
    quantity = "visibility"

    @dataclass
    class Params:
        limit_nm: float = 1.0

    def breached(self, v, st):
        return v < self.p.limit_nm, {"visibility_nm": round(v, 2), "limit_nm": self.p.limit_nm}


class ExtremeWater(_StationRule):
    name = "extreme_water"

    @dataclass
    class Params:
        high_above_mhhw_m: float = 0.6     # ~ NWS minor coastal flooding at The Battery
        low_below_mllw_m: float = 0.5

    def value(self, hm, station, now):
        return hm.level_at(station, now)

    def breached(self, v, st):
        level, kind = v
        details = {"water_level_m": round(level, 2), "level_kind": kind}
        if st.predictor is None:
            return False, details
        s = st.predictor.station
        high = s.datum_height("MHHW") + self.p.high_above_mhhw_m
        low = s.datum_height("MLLW") - self.p.low_below_mllw_m
        details.update(high_m=round(high, 2), low_m=round(low, 2))
        return (level > high or level < low), details
