"""The shape every rule has. A rule is a small class: its name, whether its alerts are
state- or event-based, a default severity, its thresholds as a dataclass (``Params``, the
keys of its table in ``alerts.toml``), and one or both hooks:

* ``on_fix(fix, vessel, ctx)`` — after each position report of a vessel the rule applies to;
* ``on_tick(now, ctx)`` — once a round (pairs of vessels, silences).

Both return ``Condition``s; the engine turns them into alerts (lifecycle, incidents, acks).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .model import STATE, Condition, RuleSettings


class Rule:
    name = ""
    kind = STATE
    default_severity = "warning"
    clear_s = 60.0               # state rules: how long "not holding" lasts before it clears
    sees_rejected = False        # also called for reports the plausibility check rejected

    @dataclass
    class Params:
        pass

    def __init__(self, settings: RuleSettings | None = None, params: dict | None = None):
        self.settings = settings or RuleSettings(severity=self.default_severity)
        known = {f.name for f in dataclasses.fields(self.Params)}
        unknown = set(params or {}) - known
        if unknown:
            raise ValueError(f"alerts.toml [{self.name}]: unknown keys {sorted(unknown)} "
                             f"(known: {sorted(known)})")
        self.p = self.Params(**(params or {}))

    def applies(self, vessel) -> bool:
        return not self.settings.excludes(vessel.mmsi, vessel.category)

    def on_fix(self, fix, vessel, ctx) -> list[Condition]:
        return []

    def on_tick(self, now: float, ctx) -> list[Condition]:
        return []

    def condition(self, fix, active: bool = True, **kw) -> Condition:
        return Condition(self.name, fix.mmsi, fix.ts, fix.lon, fix.lat, active, **kw)
