"""Berth occupancy, anchorage queue and port KPIs from port calls.

Definitions (with sources) are in docs/definitions.md, "Berth occupancy" and "Port KPIs".
Durations are summarised by medians (and p90), never means — one ship laid up for a month must
not move the figure for everyone — except "average ship-days in port per call", which is an
average by definition (Chinese port statistics: 平均每艘次在港停时).

Input is the calls table (``PortCall.to_row`` rows, or the history store's) and, for
occupancy, the berth visits: columns call_id, mmsi, kind, place, arrival, departure.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .portcalls import PortCallRules, counted

DAY = 86400.0
# the columns of the calls table the KPIs read (PortCall.to_row / the store's port_calls)
KPI_COLUMNS = ("kind", "category", "open", "stage", "arrival_port_area", "berth_arrival",
               "berth_departure", "port_area_departure", "waiting_s", "berth_s", "port_time_s")
CLEARANCE_SHARE = 0.10     # quay a ship needs: LOA + 10 % (PIANC / UNCTAD rule of thumb)


def visits_table(calls) -> pd.DataFrame:
    """One row per visit of PortCall objects."""
    rows = [(c.call_id, c.mmsi, v.kind, v.place, v.arrival, v.departure, v.lon, v.lat)
            for c in calls for v in c.visits]
    return pd.DataFrame(rows, columns=["call_id", "mmsi", "kind", "place", "arrival",
                                       "departure", "lon", "lat"])


def _clip(arrival, departure, start, end, now):
    dep = np.where(pd.isna(departure), now, departure).astype(float)
    a = np.clip(arrival.astype(float), start, end)
    d = np.clip(dep, start, end)
    return a, np.maximum(d, a)


def _union_hours(intervals: list[tuple[float, float]]) -> float:
    total, cur_a, cur_b = 0.0, None, None
    for a, b in sorted(intervals):
        if cur_b is None or a > cur_b:
            if cur_b is not None:
                total += cur_b - cur_a
            cur_a, cur_b = a, b
        else:
            cur_b = max(cur_b, b)
    if cur_b is not None:
        total += cur_b - cur_a
    return total / 3600.0


def berth_occupancy(visits: pd.DataFrame, berth_info: dict, start: float, end: float,
                    now: float, loa: dict | None = None) -> pd.DataFrame:
    """Per berth over [start, end): visits, occupied hours (union of stays: two ships at one
    long quay count once), occupancy = occupied h / calendar h, and quay utilisation =
    Σ (LOA + 10 %) × h / (quay length × calendar h) over visits whose LOA is known."""
    loa = loa or {}
    calendar_h = max(0.0, (min(end, now) - start)) / 3600.0
    v = visits[visits["kind"] == "berth"]
    rows = []
    if len(v):
        a, d = _clip(v["arrival"].to_numpy(), v["departure"].to_numpy(), start, end, now)
        v = v.assign(a=a, d=d)
        v = v[v["d"] > v["a"]]
    for berth, grp in (v.groupby("place") if len(v) else []):
        info = berth_info.get(berth, {})
        hours = (grp["d"] - grp["a"]) / 3600.0
        quay = info.get("length_m")
        lengths = grp["mmsi"].map(lambda m: loa.get(int(m)))
        known = lengths.notna()
        util, quay_mh = None, None
        if quay and calendar_h:
            need = (lengths[known].astype(float) * (1 + CLEARANCE_SHARE) * hours[known]).sum()
            util = need / (quay * calendar_h) if known.any() else None
            # the quay metre-hours the stays took, a ship of unknown length the whole berth
            quay_mh = float(need + hours[~known].sum() * quay)
        occupied = _union_hours(list(zip(grp["a"], grp["d"])))
        rows.append({"berth": berth, "name": info.get("name"), "terminal": info.get("terminal"),
                     "length_m": quay, "visits": len(grp), "occupied_h": occupied,
                     "occupancy": occupied / calendar_h if calendar_h else None,
                     "utilisation": util, "quay_mh": quay_mh,
                     "visits_loa_unknown": int((~known).sum())})
    cols = ["berth", "name", "terminal", "length_m", "visits", "occupied_h", "occupancy",
            "utilisation", "quay_mh", "visits_loa_unknown"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("occupancy", ascending=False, ignore_index=True)


TERMINAL_COLUMNS = ["terminal", "berths", "quay_m", "occupied_h", "quay_mh", "occupancy"]


def terminal_occupancy(per_berth: pd.DataFrame, berth_info: dict, calendar_h: float
                       ) -> pd.DataFrame:
    """Per terminal: the share of its quay the stays took — Σ quay metre-hours (LOA + 10 %,
    a ship of unknown length its whole berth) / (the terminal's quay length × calendar
    hours), at most 1 — all its berths counted (an idle berth is idle quay, not a missing
    one). A terminal whose berths have no length falls back to occupied berth-hours /
    (berths × calendar hours). (By berth count alone a 300 m ship along a quay cut into 22
    derived berths filled 1/22 of it: Port Newark read 0.9 %.)"""
    info = pd.DataFrame([{"berth": b, "terminal": i.get("terminal"),
                          "quay_m": i.get("length_m")} for b, i in berth_info.items()])
    if info.empty or not calendar_h:
        return pd.DataFrame(columns=TERMINAL_COLUMNS)
    info = info[info["terminal"].notna()]
    merged = info.merge(per_berth[["berth", "occupied_h", "quay_mh"]], on="berth",
                        how="left").fillna({"occupied_h": 0.0, "quay_mh": 0.0})
    merged["quay_m"] = pd.to_numeric(merged["quay_m"], errors="coerce")
    g = merged.groupby("terminal").agg(berths=("berth", "count"), quay_m=("quay_m", "sum"),
                                       occupied_h=("occupied_h", "sum"),
                                       quay_mh=("quay_mh", "sum")).reset_index()
    g["occupancy"] = terminal_share(g, calendar_h, per_terminal=True)
    return g[TERMINAL_COLUMNS].sort_values("occupancy", ascending=False, ignore_index=True)


def terminal_share(terminals: pd.DataFrame, calendar_h: float, per_terminal: bool = False):
    """The quay share of ``terminal_occupancy``'s rows, each (``per_terminal``) or all
    terminals together (the report's "terminal berth occupancy"): one definition."""
    if not calendar_h or terminals.empty:
        return pd.Series(dtype=float) if per_terminal else None
    quay_m = pd.to_numeric(terminals["quay_m"], errors="coerce").fillna(0.0).astype(float)
    quay_mh = pd.to_numeric(terminals["quay_mh"], errors="coerce").fillna(0.0).astype(float)
    occupied = terminals["occupied_h"].astype(float)
    berths = terminals["berths"].astype(float)
    if per_terminal:
        by_quay = quay_mh / (quay_m.where(quay_m > 0) * calendar_h)
        by_berth = occupied / (berths.where(berths > 0) * calendar_h)
        return by_quay.where(quay_m > 0, by_berth).clip(upper=1.0)
    if quay_m.sum() > 0:
        return float(min(1.0, quay_mh.sum() / (quay_m.sum() * calendar_h)))
    return float(occupied.sum() / (berths.sum() * calendar_h)) if berths.sum() else None


def wait_at_least(arrival_observed: bool, call_arrival: float, stay_arrival: float) -> bool:
    """A wait at anchor is a lower bound, not a measure, when the ship was already at anchor
    when the data began: its call was not seen arriving and the stay began with the call."""
    return not arrival_observed and stay_arrival <= call_arrival


def anchorage_queue(calls, now: float) -> pd.DataFrame:
    """Who is waiting at anchor now and for how long (open anchorage stays of open calls)."""
    rows = []
    for c in calls:
        if c.is_open and c.visits and c.visits[-1].open and c.visits[-1].kind == "anchorage":
            v = c.visits[-1]
            at_least = wait_at_least(c.arrival_observed, c.arrival_port_area, v.arrival)
            rows.append({"mmsi": c.mmsi, "anchorage": v.place, "since": v.arrival,
                         "waiting_s": now - v.arrival, "call_id": c.call_id,
                         "at_least": at_least})
    return pd.DataFrame(rows, columns=["mmsi", "anchorage", "since", "waiting_s", "call_id",
                                       "at_least"]
                        ).sort_values("since", ignore_index=True)


def _q(values: pd.Series, q: float):
    values = values.dropna()
    return float(values.quantile(q)) if len(values) else None


def port_kpis(calls: pd.DataFrame, start: float, end: float, now: float,
              rules: PortCallRules | None = None) -> dict:
    """The port's KPIs over [start, end) (see docs/definitions.md). ``calls`` has the columns
    of ``PortCall.to_row``; only counted calls (not transits; not service craft unless the
    rules say) enter."""
    rules = rules or PortCallRules()
    c = calls.reindex(columns=KPI_COLUMNS)          # an empty table still has its columns
    if len(c):
        c = c[[counted(r, rules) for r in c[["kind", "category"]].to_dict("records")]]
    days = max(0.0, min(end, now) - start) / DAY

    def within(col):
        return c[(c[col] >= start) & (c[col] < end)]

    arrivals = within("arrival_port_area")
    waited = within("berth_arrival")                 # waits that ended in the period
    at_berth_done = within("berth_departure")
    open_now = c[c["open"].astype(bool)]
    port_time = at_berth_done["port_time_s"].dropna()
    return {
        "period_start": start, "period_end": end, "days": days,
        "calls": int(len(arrivals)),
        "arrivals_per_day": len(arrivals) / days if days else None,
        "departures_per_day": len(within("port_area_departure")) / days if days else None,
        "in_port_now": int(len(open_now)),
        "at_anchor_now": int((open_now["stage"] == "at_anchorage").sum()),
        "at_berth_now": int((open_now["stage"] == "at_berth").sum()),
        "waiting_median_h": _h(_q(waited["waiting_s"], 0.5)),
        "waiting_p90_h": _h(_q(waited["waiting_s"], 0.9)),
        "waits": int(waited["waiting_s"].notna().sum()),
        "berth_time_median_h": _h(_q(at_berth_done["berth_s"], 0.5)),
        "port_time_median_h": _h(_q(port_time, 0.5)),
        "ship_days_per_call": float(port_time.mean()) / DAY if len(port_time) else None,
    }


def _h(seconds):
    return None if seconds is None else seconds / 3600.0


def history_summary(store, berth_info: dict, source: str | None = None,
                    top: int = 5) -> dict | None:
    """The KPIs of a loaded history source (by default the first by name) for the wall's port
    panel: the period, the KPI snapshot and the most occupied berths. None without one."""
    if source is None:
        loaded = sorted(s for s in store.sources() if s.startswith("history:"))
        if not loaded:
            return None
        source = loaded[0]
    kpis = store.latest_kpis(source)
    if kpis is None:
        return None
    visits = store.visits(source)
    start, end = kpis["period_start"], kpis["period_end"]
    occ = berth_occupancy(visits, berth_info, start, end, end)
    return {"source": source, "kpis": kpis, "start": start, "end": end,
            "top_berths": occ.head(top)[["berth", "name", "occupancy"]].to_dict("records")}
