"""Live state of the fleet: the last known state of every vessel and its short trail.

``FleetState`` is written by the engine thread and read by the views through immutable
``FleetSnapshot`` objects (column arrays, read as a pandas DataFrame), so a view never sees a
half-applied update. The state itself is columnar: every vessel's latest values are a row of
NumPy arrays updated as events are applied, its trail a block of one shared slab of points, so
a snapshot is array gathers (≈ 20 ms at 10,000 vessels, not 0.5 s of Python objects). The
engine builds one at the end of each round and publishes it (``Engine.snapshot``).
"""
from __future__ import annotations

import functools
import math
import threading
from array import array
from collections import Counter
from collections.abc import Mapping
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


@dataclass(frozen=True, eq=False)
class FleetSnapshot:
    """The fleet at one moment. ``columns`` holds one array per ``SNAPSHOT_COLUMNS`` name, a
    row per vessel; ``vessels`` is the same as a DataFrame, made the first time it is read and
    kept (the engine makes a snapshot every round, the views read one a second or less: a
    round does not pay for a frame nobody reads).

    Missing values are NaN (numbers) or None (text). ``course`` is the heading, or the course
    over ground where the heading is not available. Trails are flattened: ``trail_lonlat`` holds
    every point, ``trail_starts`` where each vessel's trail begins, ``trail_mmsi`` whose it is.
    """

    version: int
    time: float                       # epoch seconds UTC: the twin's now
    columns: dict                     # SNAPSHOT_COLUMNS name -> array (one row per vessel)
    trail_lonlat: np.ndarray          # (points, 2)
    trail_starts: np.ndarray          # (trails,) uint32
    trail_mmsi: np.ndarray            # (trails,) int64
    stations: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=STATION_COLUMNS))

    @functools.cached_property
    def vessels(self) -> pd.DataFrame:
        """The vessels as a DataFrame (made once; two threads reading it first at once may
        each make one — the same frame)."""
        return pd.DataFrame({name: self.columns[name] for name in SNAPSHOT_COLUMNS})

    def __getstate__(self):
        """What a pickle (the twin image) carries: the columns, not the frame made of them."""
        state = dict(self.__dict__)
        state.pop("vessels", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

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


# The fleet's latest values live in NumPy columns, one row per vessel (an index per MMSI; rows of
# expired vessels are reused), so a snapshot is a handful of array gathers instead of a walk over
# Python objects. Numbers are float64 with NaN for "not available", text in object arrays.
_NUMERIC = ("lon", "lat", "sog", "cog", "heading", "nav_status", "imo", "ship_type", "length",
            "width", "to_bow", "to_stern", "to_port", "to_starboard", "draught", "eta",
            "last_seen", "first_seen")
_TEXT = ("name", "callsign", "destination", "ais_class", "source", "category", "activity")
_TEXT_STATIC = frozenset(("name", "callsign", "destination", "ais_class"))
_NAN = float("nan")
_MIN_TRAIL = 8                     # points in a vessel's first trail block
_SLAB_MIN = 4096                   # points in the smallest trail slab


def _number(value) -> float:
    """A value as a float column would hold it (what ``pd.to_numeric(errors="coerce")`` did)."""
    if value is None:
        return _NAN
    try:
        return float(value)
    except (TypeError, ValueError):
        return _NAN


def _opt(x):
    return None if isinstance(x, float) and math.isnan(x) else x


class _VesselView(Mapping):
    """``FleetState.vessels``: MMSI -> ``Vessel`` (a copy made from the columns on access)."""

    def __init__(self, state: "FleetState"):
        self._state = state

    def __getitem__(self, mmsi: int) -> Vessel:
        return self._state._vessel(self._state._row[mmsi])

    def __contains__(self, mmsi) -> bool:
        return mmsi in self._state._row

    def __iter__(self):
        return iter(list(self._state._row))

    def __len__(self) -> int:
        return len(self._state._row)


class FleetState:
    """The fleet's latest state, kept in column arrays updated as events are applied.

    Each vessel has a row (``_row``: MMSI -> row); its trail is a block of a shared slab of
    (time, lon, lat) points: rows ``[lo, hi)`` of the block at ``off`` (``cap`` long), appended
    at ``hi`` and dropped from ``lo``; a full block slides its points to the front (when a
    quarter of it is dropped) or moves to a block half as big again, and the slab is compacted
    — and fitted, so it shrinks after a busy spell — when a quarter of it is abandoned blocks.
    The bounds keep a 20-minute window's slab within about 2–3× its live points.
    """

    def __init__(self, trail_s: float = 1200.0, expire_s: float = 1800.0):
        self.trail_s = trail_s
        self.expire_s = expire_s
        # static data of vessels not yet positioned: MMSI -> (time of the last report, fields)
        self.static_only: dict[int, tuple[float, dict]] = {}
        self.stations: dict[int, FixedStation] = {}   # aids to navigation and base stations
        self.met_hydro: dict[str, MetHydroObservation] = {}   # latest observation per station
        self.version = 0
        self.out_of_order = 0
        self._lock = threading.Lock()
        self._row: dict[int, int] = {}
        self._free: list[int] = []
        self._rows = 0                 # rows in use or freed (the columns' filled length)
        self._cap = 0
        self._col: dict[str, np.ndarray] = {}
        self._grow(64)
        self._order: np.ndarray | None = None         # live rows in first-seen order (cache)
        self._stations_changed = True
        self._station_df: pd.DataFrame | None = None
        # trail slab and the per-row block bookkeeping (packed int64 arrays: read per report
        # like a list, seen by NumPy without a copy when a snapshot is taken)
        self._tts = np.empty(_SLAB_MIN)
        self._tll = np.empty((_SLAB_MIN, 2))
        self._top = 0                  # slab filled up to here
        self._garbage = 0              # slab points in abandoned blocks
        self._t_off, self._t_cap = array("q"), array("q")
        self._t_lo, self._t_hi = array("q"), array("q")
        self._reports = array("q")     # reports per row (the vessels' "reports" column)
        self.vessels = _VesselView(self)

    # ---- columns -------------------------------------------------------------------------
    def _grow(self, cap: int) -> None:
        def grown(old, fill, dtype):
            new = np.full(cap, fill, dtype=dtype)
            if old is not None:
                new[:len(old)] = old
            return new
        col = self._col
        for name in _NUMERIC:
            col[name] = grown(col.get(name), _NAN, float)
        for name in _TEXT:
            col[name] = grown(col.get(name), None, object)
        col["mmsi"] = grown(col.get("mmsi"), 0, np.int64)
        col["alive"] = grown(col.get("alive"), False, bool)
        self._cap = cap

    def _new_row(self, r: VesselReport) -> int:
        if self._free:
            row = self._free.pop()
        else:
            if self._rows == self._cap:
                self._grow(self._cap * 2)
            row = self._rows
            self._rows += 1
            for lst in (self._t_off, self._t_cap, self._t_lo, self._t_hi, self._reports):
                lst.append(0)
        col = self._col
        for name in _NUMERIC:
            col[name][row] = _NAN
        for name in _TEXT:
            col[name][row] = None
        col["mmsi"][row] = r.mmsi
        self._reports[row] = 0
        col["alive"][row] = True
        col["first_seen"][row] = col["last_seen"][row] = r.ts
        col["source"][row] = r.source
        col["lon"][row], col["lat"][row] = r.lon, r.lat
        self._t_off[row] = self._t_cap[row] = self._t_lo[row] = self._t_hi[row] = 0
        self._row[r.mmsi] = row
        self._order = None
        for name, value in self.static_only.pop(r.mmsi, (0, {}))[1].items():
            self._set_static(row, name, value)
        col["category"][row] = ship_category(col["ship_type"][row], r.mmsi)
        return row

    def _set_static(self, row: int, name: str, value) -> None:
        if name in _TEXT_STATIC:
            self._col[name][row] = value
        elif name == "ship_type":
            code, column = _number(value), self._col["ship_type"]
            if code != column[row] or self._col["category"][row] is None:   # (NaN: again)
                column[row] = code
                self._col["category"][row] = ship_category(code, int(self._col["mmsi"][row]))
        else:
            self._col[name][row] = _number(value)

    def _vessel(self, row: int) -> Vessel:
        col = self._col
        v = Vessel(mmsi=int(col["mmsi"][row]), first_seen=float(col["first_seen"][row]),
                   last_seen=float(col["last_seen"][row]), source=col["source"][row],
                   lon=float(col["lon"][row]), lat=float(col["lat"][row]),
                   reports=self._reports[row])
        for name in ("sog", "cog", "heading", "nav_status", "imo", "ship_type") + \
                tuple(f for f in STATIC_FIELDS if f not in _TEXT_STATIC):
            setattr(v, name, _opt(float(col[name][row])))
        for name in ("nav_status", "imo", "ship_type"):
            if getattr(v, name) is not None:
                setattr(v, name, int(getattr(v, name)))
        for name in _TEXT_STATIC:
            setattr(v, name, col[name][row])
        off, lo, hi = self._t_off[row], self._t_lo[row], self._t_hi[row]
        for t, (lon, lat) in zip(self._tts[off + lo:off + hi], self._tll[off + lo:off + hi]):
            v.trail.append(float(t), float(lon), float(lat))
        return v

    # ---- trails --------------------------------------------------------------------------
    def _trail_append(self, row: int, ts: float, lon: float, lat: float) -> None:
        off, cap, lo, hi = self._t_off[row], self._t_cap[row], self._t_lo[row], self._t_hi[row]
        if hi == cap:
            n = hi - lo
            if cap and n * 4 <= cap * 3:          # a quarter dropped: slide to the front
                self._tts[off:off + n] = self._tts[off + lo:off + hi]
                self._tll[off:off + n] = self._tll[off + lo:off + hi]
            else:                                 # full: a block half as big again
                new_cap = max(_MIN_TRAIL, cap + cap // 2)
                new_off = self._alloc(new_cap)
                off = self._t_off[row]            # (a compaction may have moved it)
                lo, hi = self._t_lo[row], self._t_hi[row]
                self._tts[new_off:new_off + n] = self._tts[off + lo:off + hi]
                self._tll[new_off:new_off + n] = self._tll[off + lo:off + hi]
                self._garbage += cap
                off, cap = new_off, new_cap
                self._t_off[row], self._t_cap[row] = off, cap
            lo, hi = 0, n
            self._t_lo[row] = 0
        k, tll = off + hi, self._tll
        self._tts[k] = ts
        tll[k, 0] = lon
        tll[k, 1] = lat
        self._t_hi[row] = hi + 1

    def _alloc(self, size: int) -> int:
        if self._top + size > len(self._tts):
            if self._garbage * 4 > self._top:     # a quarter abandoned: compact (and fit)
                self._compact(size)
            if self._top + size > len(self._tts):
                self._resize(max(len(self._tts) * 3 // 2, self._top + size))
        off = self._top
        self._top += size
        return off

    def _resize(self, points: int) -> None:
        ts, ll = np.empty(points), np.empty((points, 2))
        ts[:self._top], ll[:self._top] = self._tts[:self._top], self._tll[:self._top]
        self._tts, self._tll = ts, ll

    def _compact(self, room: int = 0) -> None:
        """Copy the live blocks (each keeps its size) to a fresh slab half as big again as
        they and ``room`` need: it shrinks after a busy spell as well as growing."""
        size = max(_SLAB_MIN, (self._top - self._garbage + room) * 3 // 2)
        ts, ll = np.empty(size), np.empty((size, 2))
        top = 0
        for row in range(self._rows):
            cap = self._t_cap[row]
            if not cap:
                continue
            off, lo, hi = self._t_off[row], self._t_lo[row], self._t_hi[row]
            n = hi - lo
            ts[top:top + n], ll[top:top + n] = self._tts[off + lo:off + hi], \
                self._tll[off + lo:off + hi]
            self._t_off[row], self._t_lo[row], self._t_hi[row] = top, 0, n
            top += cap
        self._tts, self._tll, self._top, self._garbage = ts, ll, top, 0

    def _drop_trail(self, row: int) -> None:
        self._garbage += self._t_cap[row]
        self._t_off[row] = self._t_cap[row] = self._t_lo[row] = self._t_hi[row] = 0

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
                    self._stations_changed = True
                elif isinstance(event, MetHydroObservation):
                    last = self.met_hydro.get(event.station)
                    if last is None or event.ts >= last.ts:
                        self.met_hydro[event.station] = event
                elif isinstance(event, ReplayRestarted):
                    # a new pass: do not join its tracks to the last one
                    self._t_lo = array("q", self._t_hi)
            self.version += 1

    def _apply_static(self, r: StaticReport) -> None:
        known = {name: value for name in STATIC_FIELDS
                 if (value := getattr(r, name)) is not None}
        row = self._row.get(r.mmsi)
        if row is None:                     # no position yet: keep it for when one comes
            _, fields = self.static_only.get(r.mmsi, (r.ts, {}))
            fields.update(known)
            self.static_only[r.mmsi] = (r.ts, fields)
            return
        for name, value in known.items():
            self._set_static(row, name, value)

    def _apply_report(self, r: VesselReport) -> None:
        row = self._row.get(r.mmsi)
        if row is None:
            row = self._new_row(r)
        col = self._col
        if r.ais_class is not None:
            col["ais_class"][row] = r.ais_class
        if r.static:                        # static data: a blank report keeps what we know
            for name in STATIC_FIELDS:
                value = getattr(r, name)
                if value is not None:
                    self._set_static(row, name, value)
        self._reports[row] += 1
        ts = r.ts
        if ts < col["last_seen"][row]:      # late report: its static data is fine, its
            self.out_of_order += 1          # position would move the ship backwards in time
            return
        # dynamic data (position, speed, course, heading, status): the latest report rules
        sog, status = r.sog, r.nav_status
        try:
            col["sog"][row] = _NAN if sog is None else sog
            col["cog"][row] = _NAN if r.cog is None else r.cog
            col["heading"][row] = _NAN if r.heading is None else r.heading
            col["nav_status"][row] = _NAN if status is None else status
            col["activity"][row] = activity(None if status is None else int(status), sog)
        except (TypeError, ValueError):     # not a number: "not available"
            for name in ("sog", "cog", "heading", "nav_status"):
                col[name][row] = _number(getattr(r, name))
            s, g = col["nav_status"][row], col["sog"][row]
            col["activity"][row] = activity(None if s != s else int(s), None if g != g else g)
        # a trail's last point is always the vessel's latest position: a new one is appended
        lon, lat, c_lon, c_lat = r.lon, r.lat, col["lon"], col["lat"]
        if self._t_lo[row] == self._t_hi[row] or c_lon[row] != lon or c_lat[row] != lat:
            self._trail_append(row, ts, lon, lat)
        c_lon[row], c_lat[row] = lon, lat
        col["last_seen"][row] = ts
        col["source"][row] = r.source
        # drop what is older than the trail (drop_before of the vessel's latest report)
        off, lo, hi = self._t_off[row], self._t_lo[row], self._t_hi[row]
        oldest, tts = ts - self.trail_s, self._tts
        while lo < hi and tts[off + lo] < oldest:
            lo += 1
        self._t_lo[row] = lo

    def expire(self, now: float) -> int:
        """Forget vessels not heard from for ``expire_s``; returns how many went. Static data
        of vessels that never reported a position (out of the area on a wide feed) goes too."""
        with self._lock:
            n = self._rows
            col = self._col
            gone = np.flatnonzero(col["alive"][:n] & (now - col["last_seen"][:n] > self.expire_s))
            for row in gone.tolist():
                del self._row[int(col["mmsi"][row])]
                col["alive"][row] = False
                self._drop_trail(row)
                self._free.append(row)
            if len(gone):
                self._order = None
            if self._garbage * 4 > self._top * 3 and len(self._tts) > _SLAB_MIN:
                self._compact()             # most of the fleet gone: give its trails back
            for m in [m for m, (ts, _) in self.static_only.items() if now - ts > self.expire_s]:
                del self.static_only[m]
            if len(gone):
                self.version += 1
            return len(gone)

    # ---- reading (any thread) ----------------------------------------------------------
    def _first_seen_order(self) -> np.ndarray:
        """Rows of the known vessels by (first seen, MMSI): a vessel that appears is appended,
        so the index of every vessel already on screen stays the same between refreshes
        (clicks resolve by index). Cached until a vessel comes or goes."""
        if self._order is None:
            n = self._rows
            rows = np.flatnonzero(self._col["alive"][:n])
            keys = (self._col["mmsi"][rows], self._col["first_seen"][rows])
            self._order = rows[np.lexsort(keys)]
        return self._order

    def _stations_frame(self) -> pd.DataFrame:
        if self._stations_changed or self._station_df is None:
            self._station_df = pd.DataFrame.from_records(
                [(st.mmsi, st.kind, st.lon, st.lat, st.name, st.aid_type, st.virtual,
                  st.off_position, st.ts) for st in self.stations.values()],
                columns=STATION_COLUMNS)
            self._stations_changed = False
        return self._station_df

    def snapshot(self, now: float) -> FleetSnapshot:
        """The fleet at ``now``: vessels heard from within ``expire_s``, their trails of the
        last ``trail_s``. Column gathers under the lock (a consistent copy), frames after."""
        with self._lock:
            col = self._col
            order = self._first_seen_order()
            rows = order[now - col["last_seen"][order] <= self.expire_s]
            data = {name: col[name][rows] for name in _NUMERIC + _TEXT + ("mmsi",)}
            data["reports"] = (np.frombuffer(self._reports, dtype=np.int64)[rows]
                               if len(self._reports) else np.zeros(0, np.int64))
            off, lo, hi = (np.frombuffer(a, dtype=np.int64)[rows] if len(a) else
                           np.zeros(0, np.int64) for a in (self._t_off, self._t_lo, self._t_hi))
            tts, tll = self._tts, self._tll
            cutoff = now - self.trail_s
            has = hi > lo
            # the snapshot's own cut (a vessel silent for a while keeps older points): of
            # each trail that begins before the cutoff, its points before it (a trail is in
            # time order, so they are its first ones) are counted, for all at once
            cut = np.flatnonzero(has)[tts[(off + lo)[has]] < cutoff]
            if len(cut):
                n_pts = hi[cut] - lo[cut]
                at = np.zeros(len(cut), dtype=np.int64)
                np.cumsum(n_pts[:-1], out=at[1:])
                pts = np.repeat(off[cut] + lo[cut] - at, n_pts) + np.arange(int(n_pts.sum()))
                lo[cut] += np.add.reduceat(tts[pts] < cutoff, at, dtype=np.int64)
            lengths = hi - lo
            keep = lengths >= 2
            lengths, first = lengths[keep], (off + lo)[keep]
            trail_mmsi = data["mmsi"][keep]
            total = int(lengths.sum())
            starts = np.zeros(len(lengths), dtype=np.int64)
            if len(lengths):
                np.cumsum(lengths[:-1], out=starts[1:])
            idx = np.repeat(first - starts, lengths) + np.arange(total)
            # one 16-byte gather per point (lon, lat as one complex) instead of a 2-D fancy index:
            # the same bits, ~3x faster
            lonlat = tll.view(np.complex128).ravel()[idx].view(np.float64).reshape(-1, 2)
            station_df = self._stations_frame()
            version = self.version
        data["course"] = np.where(np.isnan(data["heading"]), data["cog"], data["heading"])
        data["age_s"] = now - data["last_seen"]
        return FleetSnapshot(version=version, time=now,
                             columns={name: data[name] for name in SNAPSHOT_COLUMNS},
                             trail_lonlat=lonlat,
                             trail_starts=starts.astype(np.uint32), trail_mmsi=trail_mmsi,
                             stations=station_df)
