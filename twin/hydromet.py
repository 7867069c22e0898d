"""Hydro-meteorology in the twin: stations, their latest observations, the predicted tide, and
the water level anywhere in the port (for under-keel clearance).

* **Stations** are the port's tide stations (``tide_stations`` in port.toml; harmonics in the
  package's own ``harmonics/noaa_<id>.json``, else the bundled ``data/hydromet/harmonics``:
  ``twin.tide.harmonics_file``) plus any station that sends observations (CO-OPS, MQTT, CSV,
  AIS met-hydro messages). A listed station without usable harmonics is left out and named in
  ``missing_harmonics`` (the feed panel says so, ``port check`` reports it as an error): the
  app starts without its predicted tide rather than not at all.
* **Water level at a place and time**: the nearest tide station's *observed* level when an
  observation is at most ``observed_fresh_s`` old, else its *predicted* (astronomical) tide.
  Heights are metres above the chart datum (MLLW), like charted depths, so
  **UKC = charted depth + water level − draught**.
* **Wind and visibility** exist only where a station observes them; with no source (the NY
  scenario) they are ``None`` and the panel shows the slot empty — weather is not invented.
"""
from __future__ import annotations

import logging
import math
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pyproj import Geod

from data_sources.events import MetHydroObservation

from .copies import CopiedUnderLock
from .tide import HarmonicsError, TidePredictor, TideStation, harmonics_file

GEOD = Geod(ellps="WGS84")
HARMONICS = Path(__file__).resolve().parent.parent / "data" / "hydromet" / "harmonics"
log = logging.getLogger(__name__)


@dataclass
class Station:
    id: str
    name: str
    lon: float | None
    lat: float | None
    predictor: TidePredictor | None = None
    latest: dict = field(default_factory=dict)         # quantity -> (ts, value)
    levels: deque = field(default_factory=lambda: deque(maxlen=2000))   # (ts, observed m)
    sources: set = field(default_factory=set)


class HydroMet(CopiedUnderLock):
    _COPY_WITHOUT = ("_predicted",)   # copied into the twin image (twin.copies)

    def __init__(self, tide_stations=(), harmonics_dir: str | Path | None = None,
                 observed_fresh_s: float = 1800.0, aliases: dict | None = None,
                 port_dir: str | Path | None = None):
        """``harmonics_dir``: look only there; else the port package's own harmonics
        (``port_dir``), then the bundled ones."""
        self.observed_fresh_s = observed_fresh_s
        self.stations: dict[str, Station] = {}
        # listed tide stations left out: station id -> why (no file, unusable file)
        self.missing_harmonics: dict[str, str] = {}
        # observation station ids that are one of our tide stations under another name
        self.aliases = dict(aliases or {})
        self.rejected = 0
        self._predicted: dict = {}
        self._lock = threading.RLock()
        for sid in dict.fromkeys(str(s) for s in tide_stations):
            if harmonics_dir is not None:
                path = Path(harmonics_dir) / f"noaa_{sid}.json"
                path = path if path.is_file() else None
            else:
                path = harmonics_file(sid, port_dir)
            if path is None:
                where = (harmonics_dir if harmonics_dir is not None else
                         f"{Path(port_dir) / 'harmonics'} or {HARMONICS}" if port_dir else
                         HARMONICS)
                self.missing_harmonics[sid] = f"no noaa_{sid}.json in {where}"
                continue
            try:
                predictor = TidePredictor(TideStation.load(path))
            except HarmonicsError as exc:
                self.missing_harmonics[sid] = str(exc)
                continue
            st = predictor.station
            self.stations[sid] = Station(sid, st.name, st.lon, st.lat, predictor)
        for sid, why in self.missing_harmonics.items():
            log.warning("tide station %s: no predicted tide (%s)", sid, why)

    # ---- input ---------------------------------------------------------------------------
    def apply(self, events) -> None:
        with self._lock:
            for e in events:
                if isinstance(e, MetHydroObservation):
                    self.observe(e)

    def observe(self, o: MetHydroObservation) -> None:
        sid = self.aliases.get(o.station, o.station)
        st = self.stations.get(sid)
        if st is None:
            st = self.stations[sid] = Station(sid, sid, o.lon, o.lat)
        if st.lon is None and o.lon is not None:
            st.lon, st.lat = o.lon, o.lat
        st.sources.add(o.source)
        for k, v in o.values.items():
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            old = st.latest.get(k)
            if old is None or o.ts >= old[0]:
                st.latest[k] = (o.ts, v)
        level = o.values.get("waterlevel")
        if level is not None:
            st.levels.append((o.ts, float(level)))

    # ---- reading -------------------------------------------------------------------------
    def nearest_tide_station(self, lon: float, lat: float) -> Station | None:
        best, best_d = None, math.inf
        for st in self.stations.values():
            if st.predictor is None and "waterlevel" not in st.latest:
                continue
            if st.lon is None:
                continue
            d = GEOD.inv(lon, lat, st.lon, st.lat)[2]
            if d < best_d:
                best, best_d = st, d
        return best

    def water_level(self, lon: float, lat: float, ts: float) -> tuple[float, str, str] | None:
        """(metres above chart datum, "observed" / "predicted", station id) at the nearest
        station, or None where the port has no tide station."""
        with self._lock:
            st = self.nearest_tide_station(lon, lat)
            level = None if st is None else self.level_at(st, ts)
            return None if level is None else (*level, st.id)

    def level_at(self, st: Station, ts: float) -> tuple[float, str] | None:
        """(metres above chart datum, "observed" / "predicted") at one station: its
        observation when at most ``observed_fresh_s`` old, else its predicted tide."""
        with self._lock:
            obs = st.latest.get("waterlevel")
            if obs is not None and abs(ts - obs[0]) <= self.observed_fresh_s:
                return float(obs[1]), "observed"
            if st.predictor is not None:
                return self.predicted(st, ts), "predicted"
            return None

    def predicted(self, st: Station, ts: float) -> float:
        """The station's predicted tide at whole minutes, linear within the minute (the rules
        ask every round and for every deep-draught fix; the tide moves < 1 cm a minute). The
        minutes of one hour are computed together, once per station and hour (UTide's nodal
        factors once per station and day: ``TidePredictor.heights``)."""
        minute = int(ts // 60)
        hour, k = divmod(minute, 60)
        key = (st.id, hour)
        got = self._predicted.get(key)
        if got is None:
            if len(self._predicted) > 500:
                self._predicted.clear()
            got = self._predicted[key] = st.predictor.heights(
                hour * 3600.0 + 60.0 * np.arange(61)).tolist()
        a, b = got[k], got[k + 1]
        return a + (b - a) * (ts / 60.0 - minute)        # linear within the minute

    def value(self, station: str, quantity: str, now: float, max_age_s: float = 1800.0):
        """The latest observed value of one quantity, if fresh; else None."""
        with self._lock:
            st = self.stations.get(station)
            got = st and st.latest.get(quantity)
            if not got or now - got[0] > max_age_s:
                return None
            return got[1]

    def snapshot(self, now: float) -> list[dict]:
        """Each station now: predicted and observed water level, wind, visibility (None
        where nothing observes it) — what the map and the panel show."""
        out = []
        with self._lock:
            for st in self.stations.values():
                row = {"id": st.id, "name": st.name, "lon": st.lon, "lat": st.lat,
                       "predicted_m": None, "observed_m": None, "observed_age_s": None,
                       "wspeed_kn": None, "wdir": None, "wgust_kn": None,
                       "visibility_nm": None, "sources": sorted(st.sources)}
                if st.predictor is not None:
                    row["predicted_m"] = round(self.predicted(st, now), 2)
                obs = st.latest.get("waterlevel")
                if obs is not None and now - obs[0] <= self.observed_fresh_s:
                    row["observed_m"], row["observed_age_s"] = round(obs[1], 2), now - obs[0]
                for q, key in (("wspeed", "wspeed_kn"), ("wdir", "wdir"),
                               ("wgust", "wgust_kn"), ("visibility", "visibility_nm")):
                    v = self.value(st.id, q, now)
                    row[key] = None if v is None else round(float(v), 1)
                out.append(row)
        return out

    def tide_curve(self, station: str, now: float, before_h: float = 12, after_h: float = 12,
                   step_s: float = 600) -> dict:
        """Predicted curve around ``now`` and the observed levels in that window."""
        with self._lock:
            st = self.stations.get(station)
            if st is None:
                return {"times": [], "predicted": [], "observed_times": [], "observed": []}
            times = np.arange(now - before_h * 3600, now + after_h * 3600 + 1, step_s)
            predicted = (st.predictor.heights(times).round(3).tolist()
                         if st.predictor is not None else [])
            obs = [(t, v) for t, v in st.levels if times[0] <= t <= times[-1]]
        return {"station": st.id, "name": st.name, "times": times.tolist(),
                "predicted": predicted, "observed_times": [t for t, _ in obs],
                "observed": [v for _, v in obs]}


def under_keel_clearance(depth_m: float, water_level_m: float, draught_m: float) -> float:
    """UKC (m) = charted depth below chart datum + water level above chart datum − draught."""
    return depth_m + water_level_m - draught_m
