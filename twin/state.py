"""Live state of the fleet: the last known state of every vessel and its short trail.

``FleetState`` is written by the engine thread and read by the views through immutable
``FleetSnapshot`` objects (column arrays in a pandas DataFrame), so a view never sees a
half-applied update.
"""
from __future__ import annotations

import math
import threading
from array import array
from collections import Counter, deque
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data_sources.events import (FixedStation, MetHydroObservation, ReplayRestarted,
                                 StaticReport, VesselReport)

from .footprint import metres_per_degree
from .vessel_types import activity, ship_category

STATIC_FIELDS = ("name", "imo", "callsign", "ship_type", "length", "width", "draught",
                 "destination", "eta", "ais_class", "to_bow", "to_stern", "to_port",
                 "to_starboard")


@dataclass
class Vessel:
    mmsi: int
    first_seen: float
    last_seen: float
    source: str
    lon: float
    lat: float
    sog: float | None = None
    cog: float | None = None
    heading: float | None = None
    nav_status: int | None = None
    name: str | None = None
    imo: int | None = None
    callsign: str | None = None
    ship_type: int | None = None
    length: float | None = None
    width: float | None = None
    draught: float | None = None
    destination: str | None = None
    eta: float | None = None
    ais_class: str | None = None
    to_bow: float | None = None
    to_stern: float | None = None
    to_port: float | None = None
    to_starboard: float | None = None
    reports: int = 0
    trail: "Trail" = field(default_factory=lambda: Trail())  # (ts, lon, lat)


class Trail:
    """A vessel's recent track as three packed arrays of doubles (time, lon, lat): 24 bytes a
    point instead of ~136 for a deque of tuples — a twin holding 20-minute trails of thousands
    of vessels keeps them in a few megabytes. Points are appended at the end and dropped from
    the front (``drop_before``); it iterates as (ts, lon, lat) tuples."""

    __slots__ = ("ts", "lon", "lat", "_start")

    def __init__(self):
        self.ts, self.lon, self.lat = array("d"), array("d"), array("d")
        self._start = 0

    def __len__(self) -> int:
        return len(self.ts) - self._start

    def __iter__(self):
        return zip(self.ts[self._start:], self.lon[self._start:], self.lat[self._start:])

    def last(self) -> tuple[float, float, float] | None:
        return (self.ts[-1], self.lon[-1], self.lat[-1]) if len(self) else None

    def append(self, ts: float, lon: float, lat: float) -> None:
        self.ts.append(ts)
        self.lon.append(lon)
        self.lat.append(lat)

    def drop_before(self, oldest: float) -> None:
        ts, i = self.ts, self._start
        while i < len(ts) and ts[i] < oldest:
            i += 1
        self._start = i
        if i > 64 and i * 2 > len(ts):          # compact: the dropped front is most of it
            for a in (self.ts, self.lon, self.lat):
                del a[:i]
            self._start = 0

    def clear(self) -> None:
        for a in (self.ts, self.lon, self.lat):
            del a[:]
        self._start = 0


SNAPSHOT_COLUMNS = ("mmsi", "lon", "lat", "sog", "cog", "heading", "course", "nav_status",
                    "name", "imo", "callsign", "ship_type", "category", "activity", "length",
                    "width", "to_bow", "to_stern", "to_port", "to_starboard", "draught",
                    "destination", "eta", "ais_class", "last_seen", "age_s", "first_seen",
                    "reports", "source")


STATION_COLUMNS = ("mmsi", "kind", "lon", "lat", "name", "aid_type", "virtual", "off_position",
                   "last_seen")


@dataclass(frozen=True)
class FleetSnapshot:
    """The fleet at one moment. ``vessels`` has one row per vessel in ``SNAPSHOT_COLUMNS``.

    Missing values are NaN (numbers) or None (text). ``course`` is the heading, or the course
    over ground where the heading is not available. Trails are flattened: ``trail_lonlat`` holds
    every point, ``trail_starts`` where each vessel's trail begins, ``trail_mmsi`` whose it is.
    """

    version: int
    time: float                       # epoch seconds UTC: the twin's now
    vessels: pd.DataFrame
    trail_lonlat: np.ndarray          # (points, 2)
    trail_starts: np.ndarray          # (trails,) uint32
    trail_mmsi: np.ndarray            # (trails,) int64
    stations: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=STATION_COLUMNS))

    def vessel(self, mmsi: int) -> dict | None:
        rows = self.vessels.loc[self.vessels["mmsi"] == mmsi]
        if rows.empty:
            return None
        return {k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in rows.iloc[0].to_dict().items()}

    def distance_m(self, mmsi: int, lon: float, lat: float) -> float | None:
        """Metres from a vessel's reported position to a point (local plane; fine < 10 km)."""
        rows = self.vessels.loc[self.vessels["mmsi"] == mmsi]
        if rows.empty:
            return None
        return float(self._distances(lon, lat, rows)[0])

    def nearest(self, lon: float, lat: float, max_m: float) -> int | None:
        """MMSI of the vessel nearest to a point, if one is within ``max_m`` metres."""
        if self.vessels.empty:
            return None
        d = self._distances(lon, lat, self.vessels)
        i = int(np.argmin(d))
        return int(self.vessels["mmsi"].iloc[i]) if d[i] <= max_m else None

    @staticmethod
    def _distances(lon: float, lat: float, rows: pd.DataFrame) -> np.ndarray:
        m_lon, m_lat = metres_per_degree(np.array([lat]))
        dx = (rows["lon"].to_numpy() - lon) * m_lon[0]
        dy = (rows["lat"].to_numpy() - lat) * m_lat[0]
        return np.hypot(dx, dy)

    def counts(self) -> dict:
        """Vessels in the area, by activity and by ship-type group."""
        v = self.vessels
        return {
            "total": len(v),
            "by_activity": Counter(v["activity"]) if len(v) else Counter(),
            "by_category": Counter(v["category"]) if len(v) else Counter(),
        }


class FleetState:
    def __init__(self, trail_s: float = 1200.0, expire_s: float = 1800.0):
        self.trail_s = trail_s
        self.expire_s = expire_s
        self.vessels: dict[int, Vessel] = {}
        # static data of vessels not yet positioned: MMSI -> (time of the last report, fields)
        self.static_only: dict[int, tuple[float, dict]] = {}
        self.stations: dict[int, FixedStation] = {}   # aids to navigation and base stations
        self.met_hydro: dict[str, MetHydroObservation] = {}   # latest observation per station
        self.version = 0
        self.out_of_order = 0
        self._lock = threading.Lock()

    # ---- writing (engine thread) -------------------------------------------------------
    def apply(self, events) -> None:
        with self._lock:
            for event in events:
                if isinstance(event, VesselReport):
                    self._apply_report(event)
                elif isinstance(event, StaticReport):
                    self._apply_static(event)
                elif isinstance(event, FixedStation):
                    self.stations[event.mmsi] = event
                elif isinstance(event, MetHydroObservation):
                    last = self.met_hydro.get(event.station)
                    if last is None or event.ts >= last.ts:
                        self.met_hydro[event.station] = event
                elif isinstance(event, ReplayRestarted):
                    for v in self.vessels.values():
                        v.trail.clear()   # a new pass: do not join its tracks to the last one
            self.version += 1

    def _apply_static(self, r: StaticReport) -> None:
        known = {name: getattr(r, name) for name in STATIC_FIELDS
                 if getattr(r, name) is not None}
        v = self.vessels.get(r.mmsi)
        if v is None:                       # no position yet: keep it for when one comes
            _, fields = self.static_only.get(r.mmsi, (r.ts, {}))
            fields.update(known)
            self.static_only[r.mmsi] = (r.ts, fields)
            return
        for name, value in known.items():
            setattr(v, name, value)

    def _apply_report(self, r: VesselReport) -> None:
        v = self.vessels.get(r.mmsi)
        if v is None:
            v = self.vessels[r.mmsi] = Vessel(mmsi=r.mmsi, first_seen=r.ts, last_seen=r.ts,
                                              source=r.source, lon=r.lon, lat=r.lat)
            for name, value in self.static_only.pop(r.mmsi, (0, {}))[1].items():
                setattr(v, name, value)
        if r.ais_class is not None:
            v.ais_class = r.ais_class
        if r.static:                        # static data: a blank report keeps what we know
            for name in STATIC_FIELDS:
                value = getattr(r, name)
                if value is not None:
                    setattr(v, name, value)
        v.reports += 1
        if r.ts < v.last_seen:              # late report: its static data is fine, its
            self.out_of_order += 1          # position would move the ship backwards in time
            return
        # dynamic data (position, speed, course, heading, status): the latest report rules
        v.lon, v.lat, v.sog, v.cog, v.heading, v.nav_status = (
            r.lon, r.lat, r.sog, r.cog, r.heading, r.nav_status)
        v.last_seen = r.ts
        v.source = r.source
        trail = v.trail
        last = trail.last()
        if last is None or last[1] != r.lon or last[2] != r.lat:
            trail.append(r.ts, r.lon, r.lat)
        trail.drop_before(r.ts - self.trail_s)

    def expire(self, now: float) -> int:
        """Forget vessels not heard from for ``expire_s``; returns how many went. Static data
        of vessels that never reported a position (out of the area on a wide feed) goes too."""
        with self._lock:
            gone = [m for m, v in self.vessels.items() if now - v.last_seen > self.expire_s]
            for m in gone:
                del self.vessels[m]
            for m in [m for m, (ts, _) in self.static_only.items() if now - ts > self.expire_s]:
                del self.static_only[m]
            if gone:
                self.version += 1
            return len(gone)

    # ---- reading (any thread) ----------------------------------------------------------
    def snapshot(self, now: float) -> FleetSnapshot:
        with self._lock:
            live = [v for v in self.vessels.values() if now - v.last_seen <= self.expire_s]
            rows = [(v.mmsi, v.lon, v.lat, v.sog, v.cog, v.heading, v.nav_status, v.name, v.imo,
                     v.callsign, v.ship_type, v.length, v.width, v.to_bow, v.to_stern, v.to_port,
                     v.to_starboard, v.draught, v.destination, v.eta, v.ais_class, v.last_seen,
                     v.first_seen, v.reports, v.source) for v in live]
            trails = [(v.mmsi, [(lon, lat) for t, lon, lat in v.trail if t >= now - self.trail_s])
                      for v in live]
            stations = list(self.stations.values())
            version = self.version
        cols = ("mmsi", "lon", "lat", "sog", "cog", "heading", "nav_status", "name", "imo",
                "callsign", "ship_type", "length", "width", "to_bow", "to_stern", "to_port",
                "to_starboard", "draught", "destination", "eta", "ais_class", "last_seen",
                "first_seen", "reports", "source")
        df = pd.DataFrame.from_records(rows, columns=cols)
        for c in ("sog", "cog", "heading", "nav_status", "ship_type", "length", "width",
                  "to_bow", "to_stern", "to_port", "to_starboard", "draught", "eta", "imo"):
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
        df["mmsi"] = df["mmsi"].astype("int64")
        df["course"] = df["heading"].fillna(df["cog"])
        df["age_s"] = now - df["last_seen"]
        df["category"] = [ship_category(t, m) for t, m in zip(df["ship_type"], df["mmsi"])]
        df["activity"] = [activity(None if math.isnan(s) else int(s), None if math.isnan(g) else g)
                          for s, g in zip(df["nav_status"], df["sog"])]
        # First-seen order: a vessel that appears is appended, so the index of every vessel
        # already on screen stays the same between refreshes (clicks resolve by index).
        df = df.loc[:, list(SNAPSHOT_COLUMNS)].sort_values(["first_seen", "mmsi"],
                                                           ignore_index=True)

        paths = [(m, pts) for m, pts in trails if len(pts) >= 2]
        if paths:
            lengths = np.array([len(p) for _, p in paths])
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.uint32)
            lonlat = np.array([pt for _, p in paths for pt in p], dtype=float)
            tm = np.array([m for m, _ in paths], dtype=np.int64)
        else:
            starts, lonlat, tm = (np.zeros(0, np.uint32), np.zeros((0, 2)),
                                  np.zeros(0, np.int64))
        station_df = pd.DataFrame.from_records(
            [(st.mmsi, st.kind, st.lon, st.lat, st.name, st.aid_type, st.virtual,
              st.off_position, st.ts) for st in stations],
            columns=STATION_COLUMNS)
        return FleetSnapshot(version=version, time=now, vessels=df, trail_lonlat=lonlat,
                             trail_starts=starts, trail_mmsi=tm, stations=station_df)
