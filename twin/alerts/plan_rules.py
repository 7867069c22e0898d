"""Berth plan vs actual (they read ``ctx.plan``, a ``twin.berth_plan.BerthPlan``).

* ``late_arrival`` — state: ``late_min`` past a plan's ETA (ETB if no ETA) and its vessel has
  not arrived in the port area; clears when it arrives or the plan's ETD passes.
* ``early_arrival`` — event: a vessel arrives more than ``early_min`` before its ETA.
* ``overstay`` — state: a vessel still stopped at its planned berth ``grace_min`` after ETD.
* ``berth_conflict`` — state: two plans overlap one berth (from ``lookahead_h`` before the
  overlap to its end), or a berth is occupied by a vessel other than the one planned there
  now (``details.kind`` says which).
"""
from __future__ import annotations

from dataclasses import dataclass

from .model import EVENT, Condition
from .rule import Rule


def _plan_condition(rule, plan, ts, lon, lat, active=True, mmsi=None, subject=None, **details):
    c = plan.call
    return Condition(rule.name, mmsi if mmsi is not None else c.mmsi, ts, lon, lat,
                     active=active, subject=subject or f"plan:{plan.id}",
                     details={"plan_id": plan.id, "berth": plan.berth_id, "vessel": c.name,
                              "eta": plan.eta, "etb": plan.etb, "etd": plan.etd,
                              "sample": c.sample, **details})


class _PlanRule(Rule):
    """Plan rules read ``ctx.plan``; state ones remember which subjects hold (to clear them)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._holding: set = set()

    @property
    def watches_fixes(self) -> bool:
        return type(self).check_fix is not _PlanRule.check_fix

    def on_fixes(self, items, ctx):
        plan_book = getattr(ctx, "plan", None)
        if plan_book is None or not plan_book.plans:
            return
        for fix, vessel in items:
            if self.concerns(fix, vessel, plan_book):
                yield from self.check_fix(fix, vessel, ctx, plan_book)

    def concerns(self, fix, vessel, plan_book) -> bool:
        """Whether ``check_fix`` could say anything of this fix (a cheap test)."""
        return True

    def on_fix(self, fix, vessel, ctx):
        plan_book = getattr(ctx, "plan", None)
        return [] if plan_book is None else self.check_fix(fix, vessel, ctx, plan_book)

    def on_tick(self, now, ctx):
        plan_book = getattr(ctx, "plan", None)
        return [] if plan_book is None else self.check_tick(now, ctx, plan_book)

    def check_fix(self, fix, vessel, ctx, plan_book):
        return []

    def check_tick(self, now, ctx, plan_book):
        return []

    def _where(self, ctx, plan):
        return ctx.berth_point(plan.berth_id)


class LateArrival(_PlanRule):
    name = "late_arrival"
    default_severity = "caution"

    @dataclass
    class Params:
        late_min: float = 30.0

    def check_tick(self, now, ctx, plan_book):
        out = []
        for plan in list(plan_book.plans.values()):
            due = plan.eta if plan.eta is not None else plan.start
            if due is None:
                continue
            late = (not plan_book.arrived(plan) and now > due + self.p.late_min * 60
                    and (plan.etd is None or now < plan.etd))
            lon, lat = self._where(ctx, plan)
            if late or plan.id in self._holding:
                out.append(_plan_condition(self, plan, now, lon, lat, active=late,
                                           late_min=round((now - due) / 60)))
            (self._holding.add if late else self._holding.discard)(plan.id)
        return out


class EarlyArrival(_PlanRule):
    name = "early_arrival"
    kind = EVENT
    default_severity = "caution"

    @dataclass
    class Params:
        early_min: float = 120.0

    def concerns(self, fix, vessel, plan_book) -> bool:
        return bool(fix.plan_events)

    def check_fix(self, fix, vessel, ctx, plan_book):
        out = []
        for what, plan in fix.plan_events:      # the engine told the plan book of the fix
            if what == "arrived" and plan.eta is not None and \
                    fix.ts < plan.eta - self.p.early_min * 60:
                out.append(_plan_condition(self, plan, fix.ts, fix.lon, fix.lat, mmsi=fix.mmsi,
                                           early_min=round((plan.eta - fix.ts) / 60)))
        return out


class Overstay(_PlanRule):
    name = "overstay"
    default_severity = "caution"

    @dataclass
    class Params:
        grace_min: float = 30.0

    def concerns(self, fix, vessel, plan_book) -> bool:
        return plan_book.may_concern(fix.mmsi, vessel.name)

    def check_fix(self, fix, vessel, ctx, plan_book):
        out = []
        for plan in plan_book.for_vessel(fix.mmsi, vessel.name):
            if plan.etd is None or plan.berth_id is None:
                continue
            at_berth = fix.berth == plan.berth_id and fix.sog is not None and fix.sog < 0.5
            over = at_berth and fix.ts > plan.etd + self.p.grace_min * 60
            if over or (fix.berth != plan.berth_id and plan.id in self._holding):
                out.append(_plan_condition(self, plan, fix.ts, fix.lon, fix.lat, active=over,
                                           mmsi=fix.mmsi,
                                           over_min=round((fix.ts - plan.etd) / 60)))
            (self._holding.add if over else self._holding.discard)(plan.id)
        return out


class BerthConflict(_PlanRule):
    name = "berth_conflict"
    default_severity = "warning"

    @dataclass
    class Params:
        lookahead_h: float = 24.0

    def check_tick(self, now, ctx, plan_book):
        out, holding = [], set()
        for a, b, start, end in plan_book.conflicts():
            subject = f"plan:{a.id}|{b.id}"
            active = start - self.p.lookahead_h * 3600 <= now <= end
            if active or subject in self._holding:
                lon, lat = self._where(ctx, a)
                out.append(_plan_condition(self, a, now, lon, lat, active=active,
                                           subject=subject, kind="plans_overlap",
                                           other_plan=b.id, other_vessel=b.call.name,
                                           overlap_from=start, overlap_to=end))
            if active:
                holding.add(subject)
        for plan in list(plan_book.plans.values()):
            subject = f"plan:{plan.id}:occupant"
            s, e = plan.window()
            occupant = None
            if plan.berth_id is not None and s is not None and s <= now <= (e or s):
                occupant = plan_book.occupant_of(plan.berth_id, now)
                if occupant is not None:
                    v = ctx.vessels.get(occupant)
                    if plan_book.matches(plan, occupant, v.name if v else None):
                        occupant = None
            if occupant is not None or subject in self._holding:
                lon, lat = self._where(ctx, plan)
                out.append(_plan_condition(self, plan, now, lon, lat, active=occupant is not None,
                                           mmsi=occupant, subject=subject,
                                           kind="other_occupant", occupant=occupant))
            if occupant is not None:
                holding.add(subject)
        self._holding = holding
        return out
