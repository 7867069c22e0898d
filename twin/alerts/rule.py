"""The shape every rule has. A rule is a small class: its name, whether its alerts are
state- or event-based, a default severity, its thresholds as a dataclass (``Params``, the
keys of its table in ``alerts.toml``), and one or both hooks:

* ``on_fix(fix, vessel, ctx)`` — after each position report of a vessel the rule applies to
  (the engine hands a round's reports to ``on_fixes``, which calls ``on_fix`` for each; a
  rule overrides ``on_fixes`` to pass over the reports that cannot concern it without a call);
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

    @property
    def watches_fixes(self) -> bool:
        """Whether the engine hands this rule position reports at all."""
        return type(self).on_fix is not Rule.on_fix or type(self).on_fixes is not Rule.on_fixes

    def on_fixes(self, items, ctx):
        """A round's (fix, vessel) pairs, in time order, of the vessels the rule applies to:
        the conditions of each, in turn. An override must give what ``on_fix`` of every
        pair would, in the same order — only faster, by passing over pairs for which
        ``on_fix`` could neither raise, clear nor change what the rule remembers."""
        on_fix = self.on_fix
        for fix, vessel in items:
            yield from on_fix(fix, vessel, ctx)

    def on_tick(self, now: float, ctx) -> list[Condition]:
        return []

    def condition(self, fix, active: bool = True, **kw) -> Condition:
        return Condition(self.name, fix.mmsi, fix.ts, fix.lon, fix.lat, active, **kw)
