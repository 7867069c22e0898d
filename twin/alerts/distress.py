"""Distress: an AIS-SART, man-overboard or EPIRB-AIS device (MMSI 970xxyyyy, 972xxyyyy,
974xxyyyy, ITU-R M.585 Annex 2) or a vessel reporting navigational status 14 ("AIS-SART
active"). Event-based, alarm: it stays until an operator acknowledges it."""
from __future__ import annotations

from .model import EVENT
from .rule import Rule

DEVICES = {970: "ais_sart", 972: "mob", 974: "epirb_ais"}


class Distress(Rule):
    name = "distress"
    sees_rejected = True
    kind = EVENT
    default_severity = "alarm"

    def on_fixes(self, items, ctx):
        for fix, vessel in items:           # nothing but a device's MMSI or status 14 counts
            if fix.mmsi // 1_000_000 in DEVICES or fix.nav_status == 14:
                yield from self.on_fix(fix, vessel, ctx)

    def on_fix(self, fix, vessel, ctx):
        device = DEVICES.get(fix.mmsi // 1_000_000)
        if device is None and fix.nav_status == 14:
            device = "status_14"
        return [self.condition(fix, details={"device": device})] if device else []
