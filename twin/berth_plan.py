"""The berth plan in the twin, and plan vs actual.

Plans come as ``PlannedCall`` events (``data_sources.berth_plan``). Each plan's berth is
resolved to a berth of the port package (id, else name); each plan is matched to AIS vessels
by MMSI, else IMO, else name. Actual events come from the located AIS fixes the alert rules
see (``observe``): a vessel *arrives* with its first fix inside the port area from 12 h
before its ETA; it is *at the planned berth* when stopped (< 0.5 kn) at it; a berth's
*occupant* is the vessel last stopped at it (within 10 min).

What the alert rules ask (``twin.alerts.plan_rules``): late and early arrival, overstay past
ETD, two plans overlapping one berth, a berth occupied by another vessel than the plan's.
"""
from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

from data_sources.berth_plan import PlanReplaced
from data_sources.events import PlannedCall

from .copies import CopiedUnderLock

ARRIVAL_WINDOW_S = 12 * 3600
STOPPED_KN = 0.5
OCCUPANT_FRESH_S = 600


@functools.lru_cache(maxsize=65536)     # asked twice for every AIS fix; names repeat
def _norm(name: str | None) -> str:
    """A name as plans and AIS are matched by: capitals and digits only."""
    return re.sub(r"[^A-Z0-9]", "", (name or "").upper())


@dataclass
class Plan:
    call: PlannedCall
    berth_id: str | None
    eta: float | None
    etb: float | None
    etd: float | None
    arrived: float | None = None        # first fix in the port area
    berthed: float | None = None        # first stopped fix at the planned berth
    last_at_berth: float | None = None

    @property
    def id(self) -> str:
        return self.call.plan_id

    @property
    def start(self) -> float:
        return self.etb if self.etb is not None else self.eta

    def window(self) -> tuple[float, float | None]:
        return self.start, self.etd


class BerthPlan(CopiedUnderLock):   # copied into the twin image (twin.copies)
    def __init__(self, berths=None):
        self.plans: dict[str, Plan] = {}
        self.unknown_berth = 0
        self._berth_ids: set = set()
        self._berth_by_name: dict = {}
        if berths is not None and len(berths):
            for bid, name in zip(berths["id"].astype(str), berths.get("name", berths["id"])):
                self._berth_ids.add(bid)
                self._berth_by_name.setdefault(_norm(name), bid)
        self._by_mmsi: dict[int, list] = {}
        self._by_name: dict[str, list] = {}
        self._by_imo: dict[int, list] = {}
        self.occupant: dict[str, tuple[int, float]] = {}     # berth -> (mmsi, ts)
        self._last_seen: dict[int, float] = {}
        self.last_in_port: dict[int, float] = {}              # mmsi -> latest fix in port
        self._names: dict[int, str] = {}
        self.samples = False
        self._lock = threading.RLock()

    # ---- input ---------------------------------------------------------------------------
    def apply(self, events) -> None:
        with self._lock:
            for e in events:
                if isinstance(e, PlanReplaced):
                    for pid in [p for p, v in self.plans.items() if v.call.source == e.source]:
                        del self.plans[pid]
                    self._index()
                elif isinstance(e, PlannedCall):
                    self.add(e)

    def add(self, call: PlannedCall) -> Plan | None:
        shift = call.ts - call.issued            # a replay's later pass moves the plan along
        berth = call.berth if call.berth in self._berth_ids else \
            self._berth_by_name.get(_norm(call.berth))
        if berth is None and self._berth_ids:
            self.unknown_berth += 1
        old = self.plans.get(call.plan_id)
        plan = Plan(call, berth, *(None if t is None else t + shift
                                   for t in (call.eta, call.etb, call.etd)))
        if old is not None and old.start == plan.start:
            plan.arrived, plan.berthed, plan.last_at_berth = \
                old.arrived, old.berthed, old.last_at_berth
        self.plans[call.plan_id] = plan
        self.samples = self.samples or call.sample
        self._index()
        return plan

    def _index(self) -> None:
        self._by_mmsi, self._by_imo, self._by_name = {}, {}, {}
        for p in self.plans.values():
            c = p.call
            if c.mmsi:
                self._by_mmsi.setdefault(c.mmsi, []).append(p)
            if c.imo:
                self._by_imo.setdefault(c.imo, []).append(p)
            if c.name:
                self._by_name.setdefault(_norm(c.name), []).append(p)

    def for_vessel(self, mmsi: int, name: str | None = None, imo: int | None = None) -> list:
        with self._lock:
            found = list(self._by_mmsi.get(mmsi, ()))
            for p in self._by_imo.get(imo, ()) if imo else ():
                if p not in found and p.call.mmsi in (None, mmsi):
                    found.append(p)
            for p in self._by_name.get(_norm(name), ()) if name else ():
                if p not in found and p.call.mmsi in (None, mmsi) and p.call.imo is None:
                    found.append(p)
            return found

    def may_concern(self, mmsi: int, name: str | None = None, imo: int | None = None) -> bool:
        """Whether a plan may be of this vessel (``for_vessel`` could find one): a cheap test
        for every fix."""
        return (mmsi in self._by_mmsi or (bool(imo) and imo in self._by_imo)
                or (bool(name) and _norm(name) in self._by_name))

    def matches(self, plan: Plan, mmsi: int, name: str | None) -> bool:
        c = plan.call
        if c.mmsi is not None:
            return c.mmsi == mmsi
        return bool(name) and _norm(name) == _norm(c.name)

    # ---- actual --------------------------------------------------------------------------
    def observe(self, fix, vessel) -> list[tuple[str, Plan]]:
        """Record what one located fix says about the plans; returns what happened now:
        ("arrived", plan) / ("berthed", plan)."""
        mmsi, ts, name = fix.mmsi, fix.ts, vessel.name
        with self._lock:
            if self._last_seen.get(mmsi) == ts:
                return []
            if name:
                self._names[mmsi] = _norm(name)
            self._last_seen[mmsi] = ts
            if fix.in_port:
                self.last_in_port[mmsi] = ts
            stopped = fix.sog is not None and fix.sog < STOPPED_KN
            if fix.berth is not None and stopped:
                self.occupant[fix.berth] = (mmsi, ts)
            imo = getattr(vessel, "imo", None)
            if not self.may_concern(mmsi, name, imo):
                return []                            # no plan can be this vessel's (most)
            happened = []
            for p in self.for_vessel(mmsi, name, imo):
                ref = p.eta if p.eta is not None else p.start
                if p.arrived is None and fix.in_port and fix.ts >= ref - ARRIVAL_WINDOW_S:
                    p.arrived = fix.ts
                    happened.append(("arrived", p))
                if fix.berth is not None and fix.berth == p.berth_id and stopped:
                    if p.berthed is None:
                        p.berthed = fix.ts
                        happened.append(("berthed", p))
                    p.last_at_berth = fix.ts
            return happened

    def arrived(self, plan: Plan) -> bool:
        """Its vessel has been in the port area since 12 h before the ETA (also when that
        was seen before the plan came)."""
        if plan.arrived is not None:
            return True
        due = plan.eta if plan.eta is not None else plan.start
        mmsis = [plan.call.mmsi] if plan.call.mmsi else \
            [m for m, v in self._names.items() if v == _norm(plan.call.name)]
        return any(self.last_in_port.get(m, -1e18) >= due - ARRIVAL_WINDOW_S for m in mmsis)

    def occupant_of(self, berth: str, now: float) -> int | None:
        got = self.occupant.get(berth)
        return got[0] if got and now - got[1] <= OCCUPANT_FRESH_S else None

    def conflicts(self) -> list[tuple[Plan, Plan, float, float]]:
        """Pairs of plans overlapping on one berth: (a, b, overlap start, overlap end)."""
        with self._lock:
            by_berth: dict[str, list] = {}
            for p in self.plans.values():
                if p.berth_id is not None and p.start is not None and p.etd is not None:
                    by_berth.setdefault(p.berth_id, []).append(p)
            out = []
            for plans in by_berth.values():
                plans.sort(key=lambda p: p.start)
                for i, a in enumerate(plans):
                    for b in plans[i + 1:]:
                        if b.start >= a.etd:
                            break
                        out.append((a, b, b.start, min(a.etd, b.etd)))
            return out

    def expected(self, now: float, horizon_s: float = 3 * 86400) -> list[Plan]:
        """Planned calls not yet arrived whose ETA (else berthing time) is at most
        ``horizon_s`` ahead — including ones already late (the late-arrival rule's ships)."""
        with self._lock:
            out = [p for p in self.plans.values() if p.arrived is None
                   and (p.eta or p.start) is not None and (p.eta or p.start) <= now + horizon_s
                   and (p.etd is None or p.etd > now)]
        return sorted(out, key=lambda p: p.eta or p.start)

    def timeline(self, start: float, end: float) -> list[dict]:
        """Planned occupancy per berth between ``start`` and ``end`` (for the berth
        timeline): berth, vessel, from, to, plan id, sample."""
        with self._lock:
            out = []
            for p in self.plans.values():
                s, e = p.start, p.etd if p.etd is not None else p.start + 3600
                if p.berth_id is None or s is None or e < start or s > end:
                    continue
                out.append({"berth": p.berth_id, "plan_id": p.id,
                            "vessel": p.call.name or str(p.call.mmsi or p.call.imo),
                            "mmsi": p.call.mmsi, "from": s, "to": e, "sample": p.call.sample})
            return sorted(out, key=lambda r: (r["berth"], r["from"]))
