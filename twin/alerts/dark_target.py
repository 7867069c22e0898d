"""Unidentified track in area: a radar track with no AIS partner (a "dark target", see
``twin.fusion``) inside a designated zone — by default every restricted zone of the port
package (the 33 CFR 165.130 security zones at Earle in NY). State alert: it holds while the
track is in the zone and clears 60 s after it leaves or is identified."""
from __future__ import annotations

from dataclasses import dataclass, field

import shapely

from .model import Condition
from .rule import Rule


class UnidentifiedTrack(Rule):
    name = "unidentified_track"
    default_severity = "warning"

    @dataclass
    class Params:
        zones: list = field(default_factory=list)      # zone ids; [] = every restricted zone
        kinds: list = field(default_factory=lambda: ["restricted"])

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self._inside: set = set()                 # (target, zone) holding last round

    def on_tick(self, now, ctx):
        fusion = getattr(ctx, "fusion", None)
        if fusion is None:
            return []
        zones = [z for z in ctx.zones if (z.id in self.p.zones if self.p.zones
                                          else z.kind in self.p.kinds)]
        out = []
        seen = set()
        dark = fusion.dark_targets(now)
        if zones and dark:
            xs, ys = ctx.geometry.to_metres([d.lon for d in dark], [d.lat for d in dark])
            for d, x, y in zip(dark, xs, ys):
                for z in zones:
                    if shapely.contains_xy(z.geometry, x, y):
                        seen.add((d.target, z.id))
                        out.append(Condition(self.name, None, d.ts, d.lon, d.lat,
                                             subject=f"radar:{d.target}", qualifier=z.id,
                                             details={"target": d.target, "zone": z.id,
                                                      "zone_name": z.name,
                                                      "speed_kn": d.speed,
                                                      "simulated": d.simulated}))
        for target, zone in list(self._inside):
            if (target, zone) not in seen:
                out.append(Condition(self.name, None, now, 0.0, 0.0, active=False,
                                     subject=f"radar:{target}", qualifier=zone))
        self._inside = seen
        return out
