"""The one query layer: every question a page, the REST API or an export asks of the twin.

Views never read the engine, the port-call tracker or the history store directly; they ask a
``TwinQuery``. Its ``scope`` is the one place where the caller's role or company (a shipping
company sees its own ships) filters every answer: each method passes its vessel rows through
``self.scope`` before returning them. Served, the scope is the logged-in user's
(``scope_source``, set by callbacks/access.py); a scope given with ``scoped`` wins.

Answers are plain data (dicts, lists, DataFrames) in SI/AIS units and epoch seconds UTC;
formatting for people (language, time zone) is the views' job.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .emissions import call_hours, estimate_call
from .hydromet import under_keel_clearance
from .vessel_types import as_mmsi, ship_category
from .kpis import berth_occupancy, port_kpis, terminal_occupancy, wait_at_least
from .reports import ReportCache

VESSEL_STATUSES = ("all", "in_port", "at_anchor", "at_berth", "expected")
STAGE_OF_STATUS = {"at_anchor": "at_anchorage", "at_berth": "at_berth"}
DAY = 86400.0


@dataclass(frozen=True)
class Scope:
    """Which vessels a caller may see: ``mmsis`` None = all (the command centre). A company
    scope lists its fleet; alerts and calls of other ships are then left out everywhere."""

    mmsis: frozenset | None = None
    name: str = "all"

    def allows(self, mmsi) -> bool:
        if self.mmsis is None:
            return True
        try:
            return int(mmsi) in self.mmsis
        except (TypeError, ValueError):
            return False

    def rows(self, rows: list[dict], key: str = "mmsi") -> list[dict]:
        return rows if self.mmsis is None else [r for r in rows if self.allows(r.get(key))]

    def alert_rows(self, rows: list[dict]) -> list[dict]:
        """The alerts a scope may see. A company sees alerts about its own ships only (not the
        port's station, radar or other ships' alerts); of one that involves another ship
        (a close encounter) it sees its side: the other ship's MMSI and the rule's details
        are left out."""
        if self.mmsis is None:
            return rows
        out = []
        for r in rows:
            ours = [m for m in (r.get("mmsi"), r.get("other_mmsi"))
                    if m is not None and self.allows(m)]
            if not ours:
                continue
            if r.get("mmsi") is not None and self.allows(r["mmsi"]) and (
                    r.get("other_mmsi") is None or self.allows(r["other_mmsi"])):
                out.append(r)
                continue
            out.append({**r, "mmsi": ours[0], "other_mmsi": None, "details": {},
                        "subject_id": None, "holding": [], "acked_by": None,
                        "ack_comment": None})
        return out

    def frame(self, df: pd.DataFrame, key: str = "mmsi") -> pd.DataFrame:
        if self.mmsis is None or df.empty:
            return df
        return df[df[key].isin(list(self.mmsis))]


INT_FIELDS = ("mmsi", "imo", "ship_type", "nav_status", "other_mmsi")


def _clean(v):
    if v is None:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    return v


def _clean_row(row: dict) -> dict:
    """NaN -> None, NumPy scalars -> Python, identifiers and codes -> int."""
    out = {k: _clean(v) for k, v in row.items()}
    for k in INT_FIELDS:
        if out.get(k) is not None:
            out[k] = int(out[k])
    return out


class TwinQuery:
    def __init__(self, engine, port, store=None, scope: Scope | None = None):
        self.engine = engine
        self.port = port
        self.store = store
        self._scope = scope
        # the scope of the request in progress (callbacks/access.py); None: everything (the
        # command-line tools, the engine)
        self.scope_source = None
        # period reports (twin.reports.build_report), shared by every scoped copy: the scope
        # is part of the key
        self.report_cache = ReportCache(maxsize=32)
        self.activity = engine.activity
        self.forecast_model = None     # twin.forecast_live.LiveForecast, set by create_app
        feeds = engine.feeds
        self.hydromet = getattr(feeds, "hydromet", None)
        self.plan = getattr(feeds, "plan", None)
        self.berth_info = port.geometry.berth_info
        berths = port.layer("berths")
        self.berth_depth, self.berth_lonlat = {}, {}
        if berths is not None and len(berths):
            pts = berths.geometry.representative_point()
            for b, p, d in zip(berths["id"].astype(str), pts,
                               berths["depth_m"] if "depth_m" in berths else [None] * len(pts)):
                self.berth_lonlat[b] = (p.x, p.y)
                if d is not None and d == d:
                    self.berth_depth[b] = float(d)

    def scoped(self, scope: Scope) -> "TwinQuery":
        """The same twin seen through another scope."""
        q = TwinQuery.__new__(TwinQuery)
        q.__dict__.update(self.__dict__)
        q._scope = scope
        return q

    @property
    def scope(self) -> Scope:
        if self._scope is not None:
            return self._scope
        return self.scope_source() if self.scope_source is not None else Scope()

    # ---- live ----------------------------------------------------------------------------
    def now(self) -> float:
        return self.engine.now()

    def feeds(self) -> list[dict]:
        """Every feed's health: state (live / stale / waiting / reconnecting / failed), its
        connection and since when, messages, rate, rejects and notes by reason — what the
        wall's feed panel shows. Feeds are the port's, not a company's: the same for every
        scope."""
        return self.engine.feed_health()

    def _calls_now(self, now: float) -> dict[int, dict]:
        """mmsi -> the open port call's status (stage, place, times)."""
        if self.activity is None:
            return {}
        return {int(r["mmsi"]): r for r in self.activity.open_call_rows(now)}

    def _places_now(self, now: float) -> dict[int, tuple[str, str, float]]:
        """mmsi -> (kind, place, since) of its current berth or anchorage stay."""
        return self.activity.places() if self.activity is not None else {}

    def vessels(self, status: str = "all", q: str | None = None,
                limit: int | None = None) -> list[dict]:
        """Vessels in the live picture (and, for ``expected``, the berth plan's ships not yet
        arrived) with their port-call stage, place and time waiting so far.
        ``status``: all, in_port, at_anchor, at_berth, expected. ``q``: name, MMSI, IMO or
        call sign (case-insensitive substring; digits match MMSI/IMO exactly or as a prefix)."""
        if status not in VESSEL_STATUSES:
            raise ValueError(f"status must be one of {VESSEL_STATUSES}")
        snap = self.engine.snapshot()
        now = snap.time
        if status == "expected":
            rows = self._expected(now)
        else:
            calls, places = self._calls_now(now), self._places_now(now)
            cols = ["mmsi", "name", "imo", "callsign", "ship_type", "category", "activity",
                    "nav_status", "lon", "lat", "sog", "cog", "length", "width", "draught",
                    "destination", "eta", "last_seen", "age_s"]
            rows = []
            for r in snap.vessels[cols].to_dict("records"):
                r = _clean_row(r)
                call = calls.get(r["mmsi"])
                place = places.get(r["mmsi"])
                r["stage"] = call["stage"] if call else None
                r["in_port"] = call is not None
                r["place_kind"], r["place"], r["place_since"] = place or (None, None, None)
                r["berth_name"] = (self.berth_info.get(place[1], {}).get("name")
                                   if place and place[0] == "berth" else None)
                r["waiting_s"] = _clean(call.get("waiting_s")) if call else None
                # at anchor since the data began: its wait is at least this long
                r["waiting_at_least"] = bool(
                    call and place and place[0] == "anchorage"
                    and wait_at_least(call.get("arrival_observed", True),
                                      call["arrival_port_area"], place[2]))
                r["arrival_port_area"] = call["arrival_port_area"] if call else None
                rows.append(r)
            if status == "in_port":
                rows = [r for r in rows if r["in_port"]]
            elif status in STAGE_OF_STATUS:
                rows = [r for r in rows if r["stage"] == STAGE_OF_STATUS[status]]
        if q:
            rows = [r for r in rows if _matches(r, q)]
        rows = self.scope.rows(rows)
        rows.sort(key=lambda r: ((r.get("name") or "~").upper(), r.get("mmsi") or 0))
        return rows[:limit] if limit else rows

    def _expected(self, now: float) -> list[dict]:
        if self.plan is None:
            return []
        out = []
        for p in self.plan.expected(now):
            c = p.call
            out.append({"mmsi": c.mmsi, "imo": c.imo, "name": c.name, "callsign": None,
                        "stage": "expected", "in_port": False, "place_kind": "berth",
                        "place": p.berth_id,
                        "berth_name": self.berth_info.get(p.berth_id, {}).get("name"),
                        "eta": p.eta, "etb": p.etb, "etd": p.etd, "plan_id": p.id,
                        "sample": c.sample, "late_s": (now - p.eta) if p.eta and now > p.eta
                        else None})
        return out

    def find(self, key) -> int | None:
        """MMSI of a vessel known by MMSI (9 digits) or IMO number (7 digits), live or in the
        store's static data; None when unknown."""
        try:
            key = int(str(key).strip())
        except ValueError:
            return None
        snap = self.engine.snapshot()
        v = snap.vessels
        if len(v) and key in set(v["mmsi"].astype(int)):
            return key if self.scope.allows(key) else None
        if len(v):
            hit = v[v["imo"] == key]
            if len(hit):
                m = int(hit["mmsi"].iloc[0])
                return m if self.scope.allows(m) else None
        if as_mmsi(key) is None:                # no MMSI, nor an IMO number (7 digits)
            return None
        m = self.store.mmsi_of(key) if self.store is not None else None
        return m if m is not None and self.scope.allows(m) else None

    def vessel(self, key) -> dict | None:
        """Everything the status card and ``/api/v1/vessels/{id}`` show of one vessel: AIS
        data, the port call with its S-211 timestamps, berth, waiting, UKC with the tide and
        wind at its berth, the call's emission estimate and the berth plan."""
        mmsi = self.find(key)
        if mmsi is None:
            return None
        snap = self.engine.snapshot()
        now = snap.time
        v = snap.vessel(mmsi)
        if v is None:
            v = self._stored_vessel(mmsi)
        else:
            v = _clean_row(v)
            v["live"] = True
        call = self.activity.status(mmsi, now) if self.activity is not None else None
        if call is not None:
            call = _clean_row(call)
            call["berth_name"] = (self.berth_info.get(call.get("place"), {}).get("name")
                                  if call.get("place_kind") == "berth" else None)
            call["emissions"] = self.emissions_of_call(call, v, now)
        berth = (call or {}).get("place") if (call or {}).get("place_kind") == "berth" else None
        plan = self._plan_of(v)
        if berth is None and plan is not None:
            berth = plan["berth"]
        return {"vessel": v, "port_call": call, "time": now, "plan": plan,
                "berth": berth, "conditions": self.conditions_at_berth(berth, v, now),
                "forecast": self.vessel_forecast(mmsi)}

    def not_live(self, mmsi: int) -> dict | None:
        """What the twin knows of a vessel that is not in the live picture (an alert's ship
        that has not arrived yet, or went quiet): its stored static data and its berth plan.
        None when it is no MMSI or the caller's scope may not see it."""
        if as_mmsi(mmsi) is None or not self.scope.allows(mmsi):
            return None
        v = self._stored_vessel(mmsi)
        now = self.engine.snapshot().time
        last = self.store.last_position(mmsi, now) if self.store is not None else None
        return {"vessel": v, "plan": self._plan_of(v), "time": now,
                "last_position": None if last is None else _clean_row(last)}

    def _stored_vessel(self, mmsi: int) -> dict:
        """A vessel as the store last knew it (``live`` False; its MMSI alone if unknown)."""
        row = self.store.static_of(mmsi) if self.store is not None else None
        v = _clean_row(row) if row else {"mmsi": int(mmsi)}
        v["live"] = False
        return v

    def _plan_of(self, v: dict) -> dict | None:
        """The vessel's next berth plan entry (by MMSI, name or IMO), as the cards show it."""
        plans = self.plan.for_vessel(v["mmsi"], v.get("name"), v.get("imo")) if self.plan else []
        if not plans:
            return None
        planned = plans[0]
        return {"plan_id": planned.id, "berth": planned.berth_id,
                "berth_name": self.berth_info.get(planned.berth_id, {}).get("name"),
                "eta": planned.eta, "etb": planned.etb, "etd": planned.etd,
                "sample": planned.call.sample}

    # ---- forecast (twin/forecast_live.py) ----------------------------------------------
    def forecast(self) -> dict:
        """The next 24 h: arrivals per hour with their band, congestion windows, and the
        forecast of each vessel the scope may see (the aggregates are the port's)."""
        fc = self.forecast_model
        if fc is None:
            return {"status": "none", "hours": [], "windows": [], "vessels": []}
        view = fc.port_view(self.engine.snapshot(), self.activity)
        ves = view.get("vessels")
        rows = [] if ves is None or not len(ves) else [
            _clean_row(r) for r in ves.to_dict("records") if self.scope.allows(r["mmsi"])]
        return {**view, "vessels": rows}

    def vessel_forecast(self, mmsi: int) -> dict | None:
        """One vessel's forecast for the card and the API: its next stay's kind, time and
        80 % interval; ``in_stay`` when it is at a berth or anchorage now; None without a
        forecast service."""
        fc = self.forecast_model
        if fc is None or not self.scope.allows(mmsi):
            return None
        fc.look_again()
        if fc.status != "ready":
            return {"status": fc.status}
        if self.activity is not None and int(mmsi) in self.activity.places():
            return {"status": "ready", "in_stay": True}
        view = fc.port_view(self.engine.snapshot(), self.activity)
        ves = view.get("vessels")
        hit = ves[ves["mmsi"] == int(mmsi)] if ves is not None and len(ves) else None
        if hit is None or not len(hit):
            return {"status": "ready", "mid": None,
                    "why": fc.why_not(self.engine.snapshot(), mmsi)}
        return {"status": "ready", **_clean_row(hit.iloc[0].to_dict())}

    def conditions_at_berth(self, berth: str | None, vessel: dict, now: float) -> dict:
        """Depth, water level (observed else predicted, nearest tide station), UKC and wind
        at a berth (or at the ship when it has no berth)."""
        out = {"berth": berth, "depth_m": self.berth_depth.get(berth) if berth else None,
               "water_level_m": None, "water_level_kind": None, "tide_station": None,
               "ukc_m": None, "draught_m": vessel.get("draught"), "wind_kn": None,
               "wind_dir": None, "visibility_nm": None}
        if self.hydromet is None:
            return out
        lon, lat = self.berth_lonlat.get(berth, (vessel.get("lon"), vessel.get("lat")))
        if lon is None or lat is None:
            return out
        level = self.hydromet.water_level(lon, lat, now)
        if level is not None:
            out["water_level_m"], out["water_level_kind"], out["tide_station"] = \
                round(level[0], 2), level[1], level[2]
            if out["depth_m"] is not None and out["draught_m"]:
                out["ukc_m"] = round(under_keel_clearance(out["depth_m"], level[0],
                                                          out["draught_m"]), 2)
        station = out["tide_station"]
        if station is not None:
            out["wind_kn"] = self.hydromet.value(station, "wspeed", now)
            out["wind_dir"] = self.hydromet.value(station, "wdir", now)
            out["visibility_nm"] = self.hydromet.value(station, "visibility", now)
        return out

    def track(self, mmsi: int, hours: float = 24.0) -> list[tuple[float, float, float]]:
        """The vessel's positions over the last ``hours``: the stored (thinned) fixes of the
        live source, then the live trail's newer points; [(ts, lon, lat)]."""
        if not self.scope.allows(mmsi):
            return []
        snap = self.engine.snapshot()
        since = snap.time - hours * 3600
        out = []
        if self.store is not None and self.activity is not None:
            df = self.store.positions(mmsi=mmsi, source=self.activity.source, start=since)
            out = list(zip(df["ts"].astype(float), df["lon"].astype(float),
                           df["lat"].astype(float)))
        last = out[-1][0] if out else -math.inf
        v = snap.vessel(mmsi)
        if v is not None and v["last_seen"] > last:
            out.append((float(v["last_seen"]), float(v["lon"]), float(v["lat"])))
        return out

    def positions_geojson(self, status: str = "all", q: str | None = None) -> dict:
        """The live vessels as a GeoJSON FeatureCollection (RFC 7946, WGS84 lon/lat)."""
        features = []
        for r in self.vessels(status if status != "expected" else "all", q):
            props = {k: r[k] for k in ("mmsi", "name", "imo", "callsign", "category", "stage",
                                       "sog", "cog", "nav_status", "destination", "last_seen",
                                       "place")}
            features.append({"type": "Feature", "id": r["mmsi"], "properties": props,
                             "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]}})
        return {"type": "FeatureCollection", "features": features}

    @staticmethod
    def _names(snap) -> dict[int, str]:
        v = snap.vessels
        return {int(m): n for m, n in zip(v["mmsi"], v["name"]) if isinstance(n, str)}

    def berths_now(self) -> list[dict]:
        """Every berth now: occupant and since when, and its next planned call."""
        now = self.now()
        status = self.activity.berth_status(now) if self.activity is not None else {}
        snap = self.engine.snapshot()
        names = self._names(snap)
        planned = {}
        if self.plan is not None:
            for p in self.plan.timeline(now, now + 2 * DAY):
                planned.setdefault(p["berth"], p)
        out = []
        for b, info in self.berth_info.items():
            occ = status.get(b)
            if occ is not None and not self.scope.allows(occ[0]):
                occ = None                    # another company's ship: "occupied", no name
                hidden = True
            else:
                hidden = False
            nxt = planned.get(b)
            out.append({"berth": b, "name": _clean(info.get("name")),
                        "terminal": _clean(info.get("terminal")),
                        "length_m": _clean(info.get("length_m")),
                        "depth_m": self.berth_depth.get(b),
                        "occupied": occ is not None or hidden,
                        "mmsi": occ[0] if occ else None,
                        "vessel": names.get(occ[0]) if occ else None,
                        "since": occ[1] if occ else None,
                        "next_plan": None if nxt is None else {
                            # another company's planned ship: "planned", no name
                            "vessel": nxt["vessel"] if self.scope.mmsis is None
                            or self.scope.allows(nxt.get("mmsi")) else None,
                            "from": nxt["from"], "to": nxt["to"],
                            "sample": nxt["sample"]}})
        return out

    def berth_timeline(self, before_h: float = 12, after_h: float = 24,
                       top: int | None = 12) -> dict:
        """Per berth, bars over [now − before_h, now + after_h]: actual stays (closed and
        open, from the port calls) and planned calls; the berths with anything to show,
        busiest first."""
        now = self.now()
        start, end = now - before_h * 3600, now + after_h * 3600
        names = self._names(self.engine.snapshot())
        rows: dict[str, dict] = {}

        def row(b):
            info = self.berth_info.get(b, {})
            return rows.setdefault(b, {"berth": b, "name": _clean(info.get("name")) or b,
                                       "terminal": _clean(info.get("terminal")), "actual": [],
                                       "planned": []})
        if self.activity is not None:
            for c in self.activity.calls():
                if not self.scope.allows(c.mmsi):
                    continue
                for v in c.visits:
                    if v.kind != "berth":
                        continue
                    dep = v.departure if v.departure is not None else now
                    if dep >= start and v.arrival <= now:
                        row(v.place)["actual"].append(
                            {"mmsi": c.mmsi, "vessel": names.get(c.mmsi) or str(c.mmsi),
                             "from": max(v.arrival, start), "to": min(dep, now),
                             "open": v.departure is None})
        if self.plan is not None:
            for p in self.plan.timeline(start, end):
                if p["mmsi"] is None or self.scope.allows(p["mmsi"]):
                    row(p["berth"])["planned"].append(
                        {"vessel": p["vessel"], "mmsi": p["mmsi"], "from": max(p["from"], start),
                         "to": min(p["to"], end), "sample": p["sample"]})
        ordered = sorted(rows.values(), key=lambda r: -(
            sum(a["to"] - a["from"] for a in r["actual"]) * 2 + len(r["planned"])))
        return {"start": start, "end": end, "now": now,
                "berths": ordered[:top] if top else ordered}

    def anchorage_queue(self) -> list[dict]:
        if self.activity is None:
            return []
        now = self.now()
        q = self.activity.queue(now)
        snap = self.engine.snapshot()
        names = self._names(snap)
        rows = [{"mmsi": int(r.mmsi), "name": names.get(int(r.mmsi)), "anchorage": r.anchorage,
                 "since": float(r.since), "waiting_s": float(r.waiting_s),
                 "at_least": bool(r.at_least)}
                for r in q.itertuples()]
        return self.scope.rows(rows)

    def alerts(self, state: str = "open", rule: str | None = None, since: float | None = None,
               limit: int | None = None) -> list[dict]:
        """Alerts: ``state`` open (the live engine's), or all (the store's, any source)."""
        if state not in ("open", "all"):
            raise ValueError("state must be open or all")
        engine_alerts = self.activity.alerts if self.activity is not None else None
        if state == "open":
            rows = ([a.to_row() for a in engine_alerts.open_alerts(self.now())]
                    if engine_alerts is not None else [])
        else:
            rows = self.store.alerts(since=since) if self.store is not None else []
        rows = [r for r in rows if (rule is None or r["rule"] == rule)
                and (since is None or (r.get("last") or r["start"]) >= since)]
        rows = self.scope.alert_rows(rows)
        rows.sort(key=lambda r: r["start"], reverse=True)
        return rows[:limit] if limit else rows

    # ---- history -------------------------------------------------------------------------
    def sources(self) -> list[dict]:
        """The sources the store holds port calls of, with their time span."""
        if self.store is None:
            return []
        out = []
        for s in self.store.sources():
            calls = self.store.calls(source=s)
            if calls.empty:
                continue
            out.append({"source": s, "kind": s.split(":", 1)[0],
                        "start": float(calls["arrival_port_area"].min()),
                        "end": float(calls["last_seen"].max()), "calls": int(len(calls))})
        return sorted(out, key=lambda r: (r["kind"] != "history", r["source"]))

    def port_calls(self, source: str | None = None, start: float | None = None,
                   end: float | None = None, mmsi: int | None = None) -> pd.DataFrame:
        """Port calls overlapping [start, end) (S-211 timestamps, durations), any source."""
        if self.store is None:
            return pd.DataFrame()
        calls = self.store.calls(source=source, start=start, end=end)
        if mmsi is not None:
            calls = calls[calls["mmsi"] == int(mmsi)]
        return self.scope.frame(calls)

    def _visits(self, source: str | None) -> pd.DataFrame:
        return self.scope.frame(self.store.visits(source)) if self.store is not None \
            else pd.DataFrame(columns=["call_id", "mmsi", "kind", "place", "arrival",
                                       "departure"])

    def report_now(self, source: str | None, end: float) -> float:
        """"Now" for a period's figures: the live twin's time for the live source (an open
        stay counts up to it), the period's end for loaded history."""
        return end if source and source.startswith("history") else min(end, self.now())

    def occupancy(self, source: str | None, start: float, end: float,
                  visits: pd.DataFrame | None = None, loa: dict | None = None) -> dict:
        """Berth occupancy and quay utilisation per berth and per terminal over a period
        (``visits`` and ``loa``: the source's, when the caller has read them already)."""
        visits = self._visits(source) if visits is None else visits
        now = self.report_now(source, end)
        loa = self.lengths() if loa is None else loa
        per_berth = berth_occupancy(visits, self.berth_info, start, end, now, loa)
        calendar_h = max(0.0, min(end, now) - start) / 3600.0
        return {"berths": per_berth,
                "terminals": terminal_occupancy(per_berth, self.berth_info, calendar_h)}

    def visits(self, source: str | None) -> pd.DataFrame:
        """The stored berth and anchorage stays of a source (in the caller's scope)."""
        return self._visits(source)

    def lengths(self) -> dict:
        """MMSI -> length overall (m) of the stored static data."""
        static = self.store.static() if self.store is not None else pd.DataFrame()
        return dict(zip(static["mmsi"].astype(int), static["length"])) if len(static) else {}

    def kpis(self, source: str | None, start: float, end: float,
             calls: pd.DataFrame | None = None) -> dict:
        """The port's KPIs over [start, end) from the stored calls of a source."""
        calls = self.port_calls(source, start, end) if calls is None else calls
        return port_kpis(calls, start, end, self.report_now(source, end))

    def emissions_of_call(self, call: dict, vessel: dict, now: float) -> dict:
        """The activity-based CO₂ estimate of one live call (``PortActivity.status`` row, with
        its visits) — twin.emissions."""
        speed = self._moving_speeds(mmsi=call["mmsi"], start=call.get("arrival_port_area"))
        return estimate_call(call_hours(call, now, call.get("visits", ())),
                             call.get("category") or vessel.get("category"),
                             vessel.get("length"), speed.get(call["mmsi"]))

    def call_emissions(self, source: str | None, start: float, end: float,
                       calls: pd.DataFrame | None = None) -> pd.DataFrame:
        """The CO₂ estimate of every counted call arriving in [start, end) (``calls``: the
        period's ``port_calls`` when the caller has them already)."""
        columns = ["call_id", "mmsi", "category", "co2_t", "fuel_t", "berth_t", "anchorage_t",
                   "manoeuvring_t"]
        calls = self.port_calls(source, start, end) if calls is None else calls
        if calls.empty:
            return pd.DataFrame(columns=columns)
        calls = calls[(calls["arrival_port_area"] >= start) & (calls["arrival_port_area"] < end)
                      & (calls["kind"] != "transit")]
        visits = self._visits(source)
        by_call = {k: list(zip(g["kind"], g["arrival"], g["departure"]))
                   for k, g in visits.groupby("call_id")} if len(visits) else {}
        static = self.store.static().set_index("mmsi") if self.store is not None else None
        moving = self._moving_speeds(source, start, end + DAY)    # calls run past the end
        rows = []
        for c in calls.to_dict("records"):
            c = _clean_row(c)
            length, category = None, c.get("category")
            if static is not None and c["mmsi"] in static.index:
                # what the store knows of the ship, learnt from any source (a position-only
                # history gets its types and sizes from the ships' later AIS static data)
                known = static.loc[c["mmsi"]]
                length = _clean(known["length"])
                if category in (None, "unknown") and _clean(known["ship_type"]) is not None:
                    category = ship_category(known["ship_type"], c["mmsi"])
            now = c.get("last_seen") or end
            e = estimate_call(call_hours(c, now, by_call.get(c["call_id"], [])),
                              category, length, moving.get(c["mmsi"]))
            rows.append({"call_id": c["call_id"], "mmsi": c["mmsi"], "category": category,
                         "co2_t": e["co2_t"], "fuel_t": e["fuel_t"],
                         **{f"{m}_t": e["by_mode"].get(m) for m in
                            ("berth", "anchorage", "manoeuvring")}})
        return pd.DataFrame(rows, columns=columns)

    def _moving_speeds(self, source=None, start=None, end=None, mmsi=None) -> dict:
        """mmsi -> mean SOG of its stored fixes above 1 kn (the speed it moved at) in
        [start, end); ships with none are absent."""
        if self.store is None:
            return {}
        df = self.store.positions(mmsi=mmsi, source=source, start=start, end=end)
        df = df[df["sog"] > 1.0] if len(df) else df
        return {int(m): float(v) for m, v in df.groupby("mmsi")["sog"].mean().items()} \
            if len(df) else {}

    def forecast_vs_actual(self, source: str | None, start: float, end: float) -> dict:
        """The period's hours the twin forecast, each against the stays that began in it
        (``twin.forecast_live.forecast_vs_actual``; the port's figures, as the forecast)."""
        from .forecast_live import forecast_vs_actual
        return forecast_vs_actual(self.store, source, start, end,
                                  until=self.report_now(source, end))

    def alerts_by_rule(self, start: float, end: float, source: str | None = None) -> dict:
        if self.store is None:
            return {}
        rows = self.scope.alert_rows([r for r in self.store.alerts(source=source)
                                      if start <= r["start"] < end])
        out: dict[str, dict] = {}
        for r in rows:
            d = out.setdefault(r["rule"], {"alerts": 0, "alarm": 0, "warning": 0,
                                           "caution": 0})
            d["alerts"] += 1
            d[r["severity"]] = d.get(r["severity"], 0) + 1
        return out

    def monthly_teu(self) -> pd.DataFrame:
        """The port's monthly container throughput (real published statistics)."""
        if self.store is None:
            return pd.DataFrame()
        return self.store.monthly_teu(self.port.locode)

    def playback(self, source: str, start: float, end: float) -> dict:
        """One playback window: each vessel's stored fixes in [start, end) as a trip with
        timestamps in seconds from ``start``, the berth stays overlapping it, and the alerts
        open at some time in it."""
        if self.store is None:
            return {"start": start, "end": end, "trips": [], "stays": [], "alerts": []}
        fixes = self.scope.frame(self.store.positions(source=source, start=start, end=end))
        static = self.store.static()
        cat = {}
        if len(static):
            cat = {int(m): ship_category(t, int(m)) for m, t in
                   zip(static["mmsi"], static["ship_type"])}
        names = dict(zip(static["mmsi"].astype(int), static["name"])) if len(static) else {}
        trips = []
        for m, g in fixes.groupby("mmsi", sort=False):
            ts = (g["ts"].to_numpy() - start).round(1)
            path = np.column_stack([g["lon"].to_numpy(), g["lat"].to_numpy()]).round(5)
            trips.append({"mmsi": int(m), "name": _clean(names.get(int(m))),
                          "category": cat.get(int(m), "unknown"),
                          "path": path.tolist(), "timestamps": ts.tolist()})
        visits = self._visits(source)
        stays = []
        if len(visits):
            v = visits[(visits["kind"] == "berth") & (visits["arrival"] < end)
                       & (visits["departure"].isna() | (visits["departure"] > start))]
            stays = [{"berth": r.place, "mmsi": int(r.mmsi),
                      "from": float(r.arrival) - start,
                      "to": (float(r.departure) if r.departure == r.departure
                             and r.departure is not None else end) - start}
                     for r in v.itertuples()]
        alerts = [{"rule": a["rule"], "severity": a["severity"], "mmsi": a.get("mmsi"),
                   "subject_id": a.get("subject_id"), "lon": a.get("lon"), "lat": a.get("lat"),
                   "from": a["start"] - start, "to": (a.get("end") or a["last"]) - start}
                  for a in self.scope.alert_rows(self.store.alerts(source=source))
                  if a["start"] < end and (a.get("end") or a["last"]) >= start]
        return {"start": start, "end": end, "trips": trips, "stays": stays, "alerts": alerts}


def _matches(row: dict, q: str) -> bool:
    q = q.strip().upper()
    if not q:
        return True
    if q.isdigit():
        return any(str(row.get(k) or "").startswith(q) for k in ("mmsi", "imo"))
    return any(q in str(row.get(k) or "").upper() for k in ("name", "callsign"))

