"""Leadership reports: a period's KPIs against the previous period and the year before, berth
occupancy, TEU by month, alerts by rule, CO₂ estimate and the port performance scorecard.

Periods are calendar periods in the port's time zone: a day, an ISO week (Monday–Sunday) or a
calendar month. Definitions of every figure: docs/definitions.md, "Reports".

The scorecard follows the four dimensions of China's port-of-entry comprehensive performance
evaluation (口岸综合绩效评价: capacity use, efficiency, safety, service). The national guidance
names the dimensions, not a formula; the indicators, their 0–100 scoring bands and the weights
below are ours, stated here and in docs/definitions.md, and a port overrides the weights in its
TOML (``[scorecard] weights = {capacity = …}``).
"""
from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Hashable
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .kpis import terminal_share

PERIODS = ("day", "week", "month")
KPI_KEYS = ("arrivals", "vessels_in_port", "waiting_median_h", "berth_time_median_h",
            "terminal_occupancy", "co2_t", "alerts")
DEFAULT_WEIGHTS = {"capacity": 0.25, "efficiency": 0.35, "safety": 0.25, "service": 0.15}
OCCUPANCY_TARGET = 0.70        # UNCTAD: container berths congest above ~70 % occupancy
# the scorecard's safety counts navigational-safety alerts, not data quality (an AIS gap, a
# position jump, an identity conflict) nor plan punctuality
SAFETY_RULES = frozenset({"collision_risk", "close_quarters", "zone_entry", "zone_speed",
                          "unauthorised_anchoring", "anchor_drag", "distress",
                          "unidentified_track", "ukc", "wind_limit", "low_visibility",
                          "extreme_water"})


def period_bounds(period: str, anchor: float, tz: str) -> tuple[float, float]:
    """[start, end) epoch seconds of the calendar day / ISO week / month holding ``anchor``."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}")
    local = datetime.fromtimestamp(anchor, ZoneInfo(tz))
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        start, end = day, day + timedelta(days=1)
    elif period == "week":
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=7)
    else:
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    # re-attach the zone: a period over a DST change is 23 or 25 hours long
    start = start.replace(tzinfo=None).replace(tzinfo=ZoneInfo(tz))
    end = end.replace(tzinfo=None).replace(tzinfo=ZoneInfo(tz))
    return start.timestamp(), end.timestamp()


def default_anchor(query, source: str | None) -> float:
    """The moment a report opens on: the middle of a source's data (of all sources' when none
    is named) — its main period (a loaded week's days, not the partial one it ends in)."""
    spans = [s for s in query.sources() if source is None or s["source"] == source]
    if not spans:
        return query.now()
    return (min(s["start"] for s in spans) + max(s["end"] for s in spans)) / 2


def previous_period(period: str, start: float, tz: str) -> tuple[float, float]:
    return period_bounds(period, start - 1, tz)


def year_before(period: str, start: float, tz: str) -> tuple[float, float]:
    """The same period a year earlier (for a week: the ISO week with the same number)."""
    local = datetime.fromtimestamp(start, ZoneInfo(tz))
    if period == "week":
        iso = local.isocalendar()
        try:
            then = datetime.fromisocalendar(iso.year - 1, iso.week, 1)
        except ValueError:
            then = datetime.fromisocalendar(iso.year - 1, 52, 1)
    else:
        day = 28 if (local.month, local.day) == (2, 29) else local.day   # 29 Feb -> 28 Feb
        then = local.replace(year=local.year - 1, day=day, tzinfo=None)
    return period_bounds(period, then.replace(tzinfo=ZoneInfo(tz)).timestamp() + 3600, tz)


def vessels_in_port(calls: pd.DataFrame, start: float, end: float, now: float) -> float | None:
    """Average number of (counted) vessels in the port area over the period: their summed
    hours in port inside it / the period's hours."""
    hours = max(0.0, min(end, now) - start) / 3600
    if not hours or calls.empty:
        return None if not hours else 0.0
    c = calls[calls["kind"] != "transit"]
    a = c["arrival_port_area"].astype(float).to_numpy()
    d = c["port_area_departure"].astype(float).to_numpy()
    d = np.where(np.isnan(d), np.where(c["open"].astype(bool), now,
                                       c["last_seen"].astype(float)), d)
    overlap = np.clip(np.minimum(d, end) - np.maximum(a, start), 0, None)
    return float(overlap.sum() / 3600 / hours)


@dataclass
class PeriodFigures:
    start: float
    end: float
    figures: dict            # KPI_KEYS -> value or None (no data)
    has_data: bool


def period_figures(query, source: str | None, start: float, end: float) -> PeriodFigures:
    """The report's KPIs over one period (None where the store holds no data for it)."""
    calls = query.port_calls(source, start, end)          # read once for every figure
    now = query.report_now(source, end)
    k = query.kpis(source, start, end, calls)
    occ = query.occupancy(source, start, end)
    term_occ = terminal_share(occ["terminals"], max(0.0, min(end, now) - start) / 3600)
    emissions = query.call_emissions(source, start, end, calls)
    alerts = query.alerts_by_rule(start, end, source)
    arrivals = k["calls"]
    has_data = bool(len(calls))
    figures = {
        "arrivals": arrivals if has_data else None,
        "vessels_in_port": vessels_in_port(calls, start, end, now) if has_data else None,
        "waiting_median_h": k["waiting_median_h"],
        "berth_time_median_h": k["berth_time_median_h"],
        "terminal_occupancy": term_occ if has_data else None,
        "co2_t": float(emissions["co2_t"].sum()) if emissions["co2_t"].notna().any() else None,
        "co2_calls": int(emissions["co2_t"].notna().sum()),
        "calls_counted": int(len(emissions)),
        "alerts": sum(r["alerts"] for r in alerts.values()) if has_data else None,
        "alarms_warnings": sum(r.get("alarm", 0) + r.get("warning", 0)
                               for rule, r in alerts.items() if rule in SAFETY_RULES),
        "waits": k["waits"],
        "waiting_p90_h": k["waiting_p90_h"],
        "calls_waited_over_2h": _waited_over(calls, start, end, 2 * 3600),
    }
    return PeriodFigures(start, end, figures, has_data)


COMPARABLE = 0.9    # a period is compared with another only when both have data for 90 %


def data_span(query, source: str | None) -> tuple[float, float] | None:
    """(first arrival, last report) of the source's data — of all sources' together when
    none is named; None without data."""
    spans = [s for s in query.sources() if source is None or s["source"] == source]
    if not spans:
        return None
    return min(s["start"] for s in spans), max(s["end"] for s in spans)


def coverage(query, source: str | None, start: float, end: float,
             span: tuple[float, float] | None = None) -> float:
    """The share of [start, end) the source's data covers (0–1), up to "now" for the live
    twin. ``span``: ``data_span``'s answer, when the caller has it."""
    span = data_span(query, source) if span is None else span
    if not span or end <= start:
        return 0.0
    lo = max(start, span[0])
    hi = min(end, query.report_now(source, end), span[1])
    return max(0.0, hi - lo) / (end - start)


def daily_figures(query, source: str | None, start: float, end: float,
                  calls: pd.DataFrame, span: tuple[float, float] | None = None) -> list[dict]:
    """Per calendar day of the period (port time): arrivals, median waiting for berth,
    median time at berth and terminal berth occupancy — each by the period's own
    definition (``port_kpis``, ``terminal_share``) over that day; None on a day without
    data. ``calls``: the period's calls."""
    tz = query.port.timezone
    visits, loa = query.visits(source), query.lengths()
    span = data_span(query, source) if span is None else span
    out = []
    day_start = start
    while day_start < end:
        d0, d1 = period_bounds("day", day_start + 1, tz)
        d0, d1 = max(d0, start), min(d1, end)
        share = coverage(query, source, d0, d1, span)
        row = {"day": datetime.fromtimestamp(d0, ZoneInfo(tz)).date().isoformat(),
               "start": d0, "coverage": share, "arrivals": None, "waiting_median_h": None,
               "berth_time_median_h": None, "terminal_occupancy": None}
        if share > 0:
            now = query.report_now(source, d1)
            k = query.kpis(source, d0, d1, calls)
            occ = query.occupancy(source, d0, d1, visits, loa)
            row.update(arrivals=k["calls"], waiting_median_h=k["waiting_median_h"],
                       berth_time_median_h=k["berth_time_median_h"],
                       terminal_occupancy=terminal_share(occ["terminals"],
                                                         max(0.0, min(d1, now) - d0) / 3600))
        out.append(row)
        day_start = d1
    return out


def _waited_over(calls: pd.DataFrame, start: float, end: float, limit_s: float) -> dict:
    """Calls berthed in the period, and how many of them waited longer than ``limit_s``."""
    if calls.empty:
        return {"berthed": 0, "over": 0}
    b = calls[(calls["berth_arrival"] >= start) & (calls["berth_arrival"] < end)]
    return {"berthed": int(len(b)), "over": int((b["waiting_s"].fillna(0) > limit_s).sum())}


def change(now, before) -> float | None:
    """Relative change, None when either side is unknown or the base is zero."""
    if now is None or before is None or before == 0:
        return None
    return (now - before) / before


def _band(value, good, poor) -> float | None:
    """0–100: 100 at ``good`` or better, 0 at ``poor`` or worse, linear between."""
    if value is None:
        return None
    if good < poor:
        return float(np.clip((poor - value) / (poor - good), 0, 1) * 100)
    return float(np.clip((value - poor) / (good - poor), 0, 1) * 100)


def scorecard(f: dict, weights: dict | None = None) -> dict:
    """The four dimensions scored 0–100 and their weighted total (see the module docstring).

    - capacity: terminal berth occupancy against the 70 % target — 100 at 70 %, 0 at 0 % and
      at 100 % (idle quays and congested quays both score low);
    - efficiency: median wait for a berth (100 at ≤ 1 h, 0 at ≥ 24 h) and waiting / berth
      time (UNCTAD's waiting-to-service ratio: 100 at ≤ 0.1, 0 at ≥ 1), averaged;
    - safety: navigational-safety alarms and warnings (``SAFETY_RULES``) per 100 calls (100
      at 0, 0 at ≥ 100, i.e. one per call);
    - service: share of berthed calls that waited under 2 h (100 at ≥ 95 %, 0 at ≤ 50 %).
    A dimension without data is left out and the weights of the others rescaled."""
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    occ = f.get("terminal_occupancy")
    capacity = None if occ is None else float(
        max(0.0, 100 - abs(occ - OCCUPANCY_TARGET) / (OCCUPANCY_TARGET if occ < OCCUPANCY_TARGET
                                                      else 1 - OCCUPANCY_TARGET) * 100))
    wait, berth = f.get("waiting_median_h"), f.get("berth_time_median_h")
    parts = [_band(wait, 1.0, 24.0)]
    if wait is not None and berth:
        parts.append(_band(wait / berth, 0.1, 1.0))
    parts = [p for p in parts if p is not None]
    efficiency = float(np.mean(parts)) if parts else None
    calls = f.get("arrivals")
    safety = (_band(100 * f.get("alarms_warnings", 0) / calls, 0.0, 100.0)
              if calls else None)
    w = f.get("calls_waited_over_2h") or {}
    service = (_band(1 - w["over"] / w["berthed"], 0.95, 0.50) if w.get("berthed") else None)
    scores = {"capacity": capacity, "efficiency": efficiency, "safety": safety,
              "service": service}
    used = {k: weights[k] for k, v in scores.items() if v is not None}
    total = (sum(scores[k] * w for k, w in used.items()) / sum(used.values())
             if used and sum(used.values()) else None)
    return {"scores": scores, "weights": weights, "total": total}


class ReportCache:
    """Built reports, bounded and single-flight.

    A month's report reads every call, visit and fix of the period three times over (it, the
    one before, the year before): seconds of work. Without a cache each request pays it, and
    ten forged requests in parallel stall every page. Here at most ``maxsize`` reports are
    kept (least recently used out first), each for its ``ttl`` seconds; concurrent requests
    for one key compute once (the first computes, the others wait for its result or its
    exception), and at most ``max_building`` different reports are built at a time (the rest
    wait, rather than share the CPU with the wall)."""

    def __init__(self, maxsize: int = 32, max_building: int = 2,
                 clock: Callable[[], float] = time.monotonic):
        self.maxsize = maxsize
        self.clock = clock
        self._building = threading.BoundedSemaphore(max_building)
        self._lock = threading.Lock()
        self._entries: OrderedDict = OrderedDict()       # key -> (expires, value)
        self._flights: dict = {}                         # key -> _Flight in progress

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, ttl: float, compute: Callable[[], object]):
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > self.clock():
                self._entries.move_to_end(key)
                return hit[1]
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = self._flights[key] = _Flight()
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value
        try:
            with self._building:
                flight.value = compute()
            with self._lock:
                self._entries[key] = (self.clock() + ttl, flight.value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.maxsize:
                    self._entries.popitem(last=False)
            return flight.value
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()


@dataclass
class _Flight:
    done: threading.Event = field(default_factory=threading.Event)
    value: object = None
    error: BaseException | None = None


HISTORY_TTL_S = 3600.0   # a loaded history changes only when loaded again (its version)
LIVE_TTL_S = 60.0        # the live twin (alone or among all sources) moves on: a minute old


def _teu_source(query) -> dict:
    """Who publishes the port's monthly TEU (port.toml ``[throughput] source``/``source_zh``),
    for the chart's title; {} when the package names no publisher."""
    tp = getattr(getattr(query, "port", None), "throughput", None) or {}
    en = tp.get("source")
    return {"en": en, "zh": tp.get("source_zh") or en} if en else {}


def build_report(query, source: str | None, period: str, anchor: float,
                 weights: dict | None = None) -> dict:
    """Everything the reports page and its PDF/XLSX exports show, for one period — from
    ``query.report_cache`` (a ``ReportCache``) when the query has one: keyed by scope, source,
    the period's bounds, weights and, for a loaded history, its version (watermark, alerts
    loaded); a history's report is kept an hour, one that involves the live twin a minute.
    Each caller gets its own copy."""
    cache = getattr(query, "report_cache", None)
    if cache is None:
        return _build_report(query, source, period, anchor, weights)
    start, end = period_bounds(period, anchor, query.port.timezone)
    history = bool(source) and source.startswith("history")
    store = getattr(query, "store", None)
    # a history is loaded again (new watermark) or gets its alerts later (history alerts)
    version = (store.watermark(source), store.get_meta(source, "alerts_loaded")) \
        if history and store is not None else None
    key = (getattr(query, "scope", None), source, period, start, end,
           tuple(sorted((weights or {}).items())), version)
    report = cache.get(key, HISTORY_TTL_S if history else LIVE_TTL_S,
                       lambda: _build_report(query, source, period, anchor, weights))
    return copy.deepcopy(report)


def _build_report(query, source: str | None, period: str, anchor: float,
                  weights: dict | None = None) -> dict:
    """The report itself (no cache)."""
    tz = query.port.timezone
    start, end = period_bounds(period, anchor, tz)
    cur = period_figures(query, source, start, end)
    prev = period_figures(query, source, *previous_period(period, start, tz))
    yoy = period_figures(query, source, *year_before(period, start, tz))
    span = data_span(query, source)                   # the store is read once for it
    covered = {"current": coverage(query, source, start, end, span),
               "previous": coverage(query, source, prev.start, prev.end, span),
               "year_before": coverage(query, source, yoy.start, yoy.end, span)}
    # a change is stated only between two periods that both have (nearly) all their data: a
    # week with one day of data is not "−95 %" against a whole one
    vs_prev = prev.has_data and min(covered["current"], covered["previous"]) >= COMPARABLE
    vs_yoy = yoy.has_data and min(covered["current"], covered["year_before"]) >= COMPARABLE
    kpis = []
    for key in KPI_KEYS:
        v = cur.figures[key]
        kpis.append({"key": key, "value": v,
                     "previous": prev.figures[key] if prev.has_data else None,
                     "year_before": yoy.figures[key] if yoy.has_data else None,
                     "vs_previous": change(v, prev.figures[key]) if vs_prev else None,
                     "vs_year_before": change(v, yoy.figures[key]) if vs_yoy else None})
    occ = query.occupancy(source, start, end)
    teu = query.monthly_teu()
    teu_rows = []
    if len(teu):
        t = teu[["month", "teu"]].copy()
        t["yoy"] = t["teu"].pct_change(12, fill_method=None) \
            if t["month"].diff().dt.days.max() < 32 else None
        teu_rows = [{"month": m.strftime("%Y-%m"), "teu": float(v),
                     "yoy": None if y is None or y != y else float(y)}
                    for m, v, y in zip(t["month"], t["teu"], t["yoy"])]
    alerts = query.alerts_by_rule(start, end, source)
    return {"period": period, "start": start, "end": end, "source": source,
            "timezone": tz, "has_data": cur.has_data, "kpis": kpis,
            "figures": cur.figures, "coverage": covered, "partial": covered["current"] < COMPARABLE,
            "daily": daily_figures(query, source, start, end,
                                   query.port_calls(source, start, end), span),
            "previous": {"start": prev.start, "end": prev.end, "has_data": prev.has_data},
            "year_before": {"start": yoy.start, "end": yoy.end, "has_data": yoy.has_data},
            "berths": occ["berths"].head(25).to_dict("records"),
            "terminals": occ["terminals"].to_dict("records"),
            "teu_by_month": teu_rows,
            "teu_source": _teu_source(query),
            "alerts_by_rule": [{"rule": r, **v} for r, v in sorted(
                alerts.items(), key=lambda kv: -kv[1]["alerts"])],
            "scorecard": scorecard(cur.figures, weights),
            "forecast": query.forecast_vs_actual(source, start, end)}
