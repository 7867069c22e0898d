"""Restricted-zone entry: a vessel inside a zone of kind "restricted" (port package layer
``zones``; in NY/NJ the 33 CFR 165.130 security zones). State-based: it holds while the
vessel is inside and clears once the vessel is ``exit_margin_m`` (alerts.toml, top level)
outside — a ship yawing on the edge does not raise it again and again."""
from __future__ import annotations

from .rule import Rule


class ZoneEntry(Rule):
    name = "zone_entry"
    default_severity = "warning"

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._inside: dict[int, set] = {}

    def on_fixes(self, items, ctx):
        inside = self._inside
        for fix, vessel in items:           # in a zone now, or in one before
            if fix.zones or fix.mmsi in inside:
                yield from self.on_fix(fix, vessel, ctx)

    def on_fix(self, fix, vessel, ctx):
        out = []
        inside = self._inside.setdefault(fix.mmsi, set())
        for zid in fix.zones:
            zone = ctx.zone_by_id[zid]
            if zone.kind == "restricted":
                inside.add(zid)
                out.append(self.condition(fix, qualifier=zid,
                                          details={"zone": zid, "zone_name": zone.name}))
        for zid in list(inside):
            if zid not in fix.near_zones:
                inside.discard(zid)
                out.append(self.condition(fix, active=False, qualifier=zid))
        if not inside:
            del self._inside[fix.mmsi]
        return out
