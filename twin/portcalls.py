"""Port calls: one state machine, fed fix by fix — live by the engine, in batch over history.

A vessel's fixes (time, position, speed if known, nav status if known) go through ``update``;
the tracker keeps, per vessel, whether it is in the port area, whether it is stopped, where,
and its open call. Stages and timestamps use the IALA S-211 / PortCDM vocabulary:

    arrival_port_area      (Arrival_Vessel_PortArea)
    anchorage_arrival      (Arrival_Vessel_AnchorageArea)    first anchorage stay of the call
    anchorage_departure    (Departure_Vessel_AnchorageArea)
    berth_arrival          (Arrival_Vessel_Berth, "all fast") first berth of the call
    berth_departure        (Departure_Vessel_Berth)          last berth of the call
    port_area_departure    (Departure_Vessel_PortArea)

Every rule and threshold is documented in docs/definitions.md ("Port calls"). In short:

* stopped when speed < 0.2 kn, under way again when > 0.5 kn (hysteresis); nav status 1/5
  ("at anchor", "moored") starts a stop below 0.5 kn — a hint, never believed against speed;
* speed is the AIS SOG when the feed has it, else implied by the distance over time from a fix
  at least 30 s earlier (pyproj.Geod);
* every stop in the port area is a stay: at a berth (within 150 m of a quay line), in an
  anchorage (inside its polygon), or "other" (anywhere else; its position is kept, and the stay
  tables name the nearest known place); stays shorter than the minimum (15 min) do not count;
  an "other" stay that drifts into a berth's or anchorage's reach becomes that stay;
* stopping again at the same berth or anchorage within the re-stop window (1 h) after leaving
  it continues that stay (short "other" stops in between — drifting off the quay — fold in);
* an open stay ends, for every duration, at the vessel's last fix — never at the end of the
  data or at "now"; a vessel unseen past the gap limit closes its call as ``lost``;
* the port area is entered inside the port limits and left only beyond the limits + 500 m;
* a gap <= 4 h continues the call; > 24 h ends it (at the last fix) and starts afresh; in
  between the call continues only if the vessel is back within 1 km of where it was last seen;
* tugs, pilot boats and service craft (AIS ship type) get calls that are not counted in KPIs
  unless configured.

The tracker's state is plain data (``state_of`` / ``restore``) so the history store can keep
it and a restarted engine resumes open calls where they were.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pyproj import Geod

from .vessel_types import ship_category

GEOD = Geod(ellps="WGS84")
MS_TO_KN = 3600 / 1852


@dataclass(frozen=True)
class PortCallRules:
    stop_start_kn: float = 0.2         # a stop starts below this speed …
    stop_end_kn: float = 0.5           # … and ends above this one, once the ship is
    stop_radius_m: float = 100.0       # … this far from where it stopped (not GPS jitter)
    status_stop_kn: float = 0.5        # nav status at anchor / moored starts a stop below this
    implied_min_dt_s: float = 30.0     # implied speed only over at least this much time
    implied_max_dt_s: float = 1800.0   # … and at most this (older: no speed known)
    min_berth_s: float = 15 * 60       # shortest stay that counts as a berth visit
    min_anchorage_s: float = 15 * 60   # shortest stay that counts as waiting at anchor
    min_stop_s: float = 15 * 60        # shortest stop of any kind kept in the stop log
    rejoin_s: float = 3600.0           # stopping again at the same berth within this: one stay
    # a stop broken off before it became a stay goes on when the vessel stops again this
    # soon and this close (a tug or launch nudging about one spot, a boat drifting on the
    # tide is stopped there, not in and out of a dozen short stops)
    stop_merge_s: float = 10 * 60
    stop_merge_m: float = 250.0
    gap_continue_s: float = 4 * 3600   # a gap up to this continues the call
    gap_new_call_s: float = 24 * 3600  # a gap beyond this always ends it
    gap_same_place_m: float = 1000.0   # in between: continues if back within this distance
    count_service_craft: bool = False  # count calls of tugs, pilots, service craft in KPIs

    @classmethod
    def from_dict(cls, values: dict | None) -> "PortCallRules":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in (values or {}).items() if k in known})


SERVICE_CATEGORIES = ("tug", "service")
_STAGE = {"berth": "at_berth", "anchorage": "at_anchorage", "other": "stopped"}
# PortCall.stage values (translated on the vessel card as stage_<name>)
CALL_STAGES = ("in_port_area", "at_anchorage", "at_berth", "stopped", "under_way", "departed")


VISIT_KINDS = ("berth", "anchorage", "other")


@dataclass
class Visit:
    kind: str            # "berth", "anchorage" or "other" (a stop at no known place)
    place: str           # berth / anchorage id; "" for an "other" stay
    arrival: float
    departure: float | None = None
    lon: float | None = None        # the stay's mean position
    lat: float | None = None

    @property
    def open(self) -> bool:
        return self.departure is None


@dataclass
class PortCall:
    call_id: str
    mmsi: int
    arrival_port_area: float
    arrival_observed: bool             # False: already in the port area when first seen
    category: str = "unknown"
    visits: list = field(default_factory=list)
    port_area_departure: float | None = None
    ended_by: str | None = None        # "departure", "gap", "lost", or None while open
    last_seen: float = 0.0
    stage: str = "in_port_area"

    # -- S-211 timestamps and durations, from the visits ---------------------------------
    def _visits(self, kind: str) -> list:
        return [v for v in self.visits if v.kind == kind]

    def _first(self, kind: str, attr: str, last: bool = False) -> float | None:
        visits = self._visits(kind)
        return getattr(visits[-1 if last else 0], attr) if visits else None

    @property
    def berth_arrival(self) -> float | None:
        return self._first("berth", "arrival")

    @property
    def berth_departure(self) -> float | None:
        return self._first("berth", "departure", last=True)

    @property
    def anchorage_arrival(self) -> float | None:
        return self._first("anchorage", "arrival")

    @property
    def anchorage_departure(self) -> float | None:
        return self._first("anchorage", "departure")

    def _end(self, visit: Visit, now: float | None) -> float:
        """A stay's end; an open one counts up to the vessel's last fix (and no later than
        ``now``): a ship unseen since is not assumed to be still there."""
        if visit.departure is not None:
            return visit.departure
        return min(self.last_seen, now) if now is not None else self.last_seen

    def waiting_s(self, now: float | None = None) -> float | None:
        """Time at anchor before the first berth (the whole anchorage time when it never
        berthed); an open stay counts up to ``now``."""
        first_berth = self.berth_arrival
        waits = [max(0.0, self._end(v, now) - v.arrival) for v in self._visits("anchorage")
                 if first_berth is None or v.arrival < first_berth]
        return sum(waits) if waits else None

    def berth_s(self, now: float | None = None) -> float | None:
        berths = self._visits("berth")
        if not berths:
            return None
        return sum(max(0.0, self._end(v, now) - v.arrival) for v in berths)

    def port_time_s(self) -> float | None:
        """Arrival at the port area -> last berth departure (closed berth stays only)."""
        dep = self.berth_departure
        return None if dep is None else dep - self.arrival_port_area

    @property
    def kind(self) -> str:
        """berth (it berthed), anchorage_only, other_only (it stopped, at no known place) or
        transit (it never stopped)."""
        if self._visits("berth"):
            return "berth"
        if self._visits("anchorage"):
            return "anchorage_only"
        return "other_only" if self._visits("other") else "transit"

    @property
    def is_open(self) -> bool:
        return self.ended_by is None

    def berth_ids(self) -> list:
        """The berths in the order visited; a return to the berth it just left is one entry."""
        return _distinct_runs(v.place for v in self._visits("berth"))

    def anchorage_ids(self) -> list:
        return _distinct_runs(v.place for v in self._visits("anchorage"))

    def other_stays(self) -> int:
        return len(self._visits("other"))

    def to_row(self, now: float | None = None) -> dict:
        return {
            "call_id": self.call_id, "mmsi": self.mmsi, "category": self.category,
            "kind": self.kind, "open": self.is_open, "stage": self.stage,
            "arrival_port_area": self.arrival_port_area,
            "arrival_observed": self.arrival_observed,
            "anchorage_arrival": self.anchorage_arrival,
            "anchorage_departure": self.anchorage_departure,
            "berth_arrival": self.berth_arrival, "berth_departure": self.berth_departure,
            "port_area_departure": self.port_area_departure,
            "waiting_s": self.waiting_s(now), "berth_s": self.berth_s(now),
            "port_time_s": self.port_time_s(), "shifts": max(0, len(self.berth_ids()) - 1),
            "anchorages": ";".join(self.anchorage_ids()), "berths": ";".join(self.berth_ids()),
            "other_stays": self.other_stays(),
            "ended_by": self.ended_by, "last_seen": self.last_seen,
        }

    def to_dict(self) -> dict:
        """Plain data (what ``dataclasses.asdict`` gives, from the fields directly: this runs
        for every vessel seen in a round when the engine persists the tracker's state, and
        asdict's deep copy was most of that round's cost)."""
        d = dict(vars(self))
        d["visits"] = [dict(vars(v)) for v in self.visits]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "PortCall":
        d = dict(d)
        d["visits"] = [Visit(**v) for v in d.get("visits", [])]
        return cls(**d)


def _distinct_runs(items) -> list:
    """``a a b a`` -> ``a b a``: consecutive repeats are one."""
    out = []
    for item in items:
        if not out or out[-1] != item:
            out.append(item)
    return out


@dataclass
class _Track:
    """What the tracker knows of one vessel between fixes."""

    mmsi: int
    last_ts: float
    last_lon: float
    last_lat: float
    ref_ts: float                       # the fix implied speed is measured from
    ref_lon: float
    ref_lat: float
    in_port: bool = False
    stopped: bool = False
    stop_start: float | None = None
    stop_kind: str | None = None        # "berth", "anchorage", "other"
    stop_place: str | None = None
    stop_last: float | None = None      # last fix of the stop
    stop_lon: float | None = None       # where it stopped
    stop_lat: float | None = None
    stop_n: int = 0                     # fixes of the stop, and the sums of their positions
    stop_sum_lon: float = 0.0           # (the stop's mean position, for the stop log)
    stop_sum_lat: float = 0.0
    speed_kn: float | None = None
    # the vessel's previous stop: (start, last fix, fixes, sum lon, sum lat, kind, place) — a
    # new stop soon and close enough continues it
    last_stop: tuple | None = None
    call: PortCall | None = None


_TRACK_FIELDS = frozenset(_Track.__dataclass_fields__) - {"call"}


class PortCallTracker:
    """Fixes in, port calls out. ``on_change(call)`` is told of every call that changed
    (opened, a visit began or ended, closed)."""

    def __init__(self, rules: PortCallRules | None = None, on_change=None, source: str = ""):
        self.rules = rules or PortCallRules()
        self.on_change = on_change or (lambda call: None)
        self.source = source
        self.tracks: dict[int, _Track] = {}
        self.closed: list[PortCall] = []
        self.late_fixes = 0
        self.stop_log: list[tuple] = []   # every ended stop >= min_stop_s, anywhere
        self.dirty: set[int] = set()    # vessels whose state changed since the last save

    # ---- the state machine ------------------------------------------------------------
    def update(self, mmsi: int, ts: float, lon: float, lat: float, sog: float | None,
               nav_status: int | None, berth: str | None, anchorage: str | None,
               in_port: bool, near_port: bool, ship_type: int | None = None) -> None:
        r = self.rules
        tr = self.tracks.get(mmsi)
        if tr is None:
            tr = self.tracks[mmsi] = _Track(mmsi, ts, lon, lat, ts, lon, lat)
            self._first_fix(tr, ts, in_port, ship_type)
        elif ts <= tr.last_ts:
            self.late_fixes += 1
            return
        else:
            gap = ts - tr.last_ts
            if gap > r.gap_continue_s:
                moved = GEOD.inv(tr.last_lon, tr.last_lat, lon, lat)[2]
                if gap > r.gap_new_call_s or moved > r.gap_same_place_m:
                    self._end_gap(tr)
                    tr.ref_ts, tr.ref_lon, tr.ref_lat = ts, lon, lat
                    tr.last_ts, tr.last_lon, tr.last_lat = ts, lon, lat
                    tr.speed_kn = None
                    self._first_fix(tr, ts, in_port, ship_type)
        self.dirty.add(mmsi)

        # speed: reported, else implied over a long-enough interval
        speed = sog
        if speed is None:
            dt = ts - tr.ref_ts
            if dt >= r.implied_min_dt_s:
                if dt <= r.implied_max_dt_s:
                    dist = GEOD.inv(tr.ref_lon, tr.ref_lat, lon, lat)[2]
                    tr.speed_kn = dist / dt * MS_TO_KN
                else:
                    tr.speed_kn = None
                tr.ref_ts, tr.ref_lon, tr.ref_lat = ts, lon, lat
            speed = tr.speed_kn
        else:
            tr.speed_kn = speed
            tr.ref_ts, tr.ref_lon, tr.ref_lat = ts, lon, lat

        # port area, with different lines in and out
        if tr.call is None:
            if in_port:
                self._open_call(tr, ts, observed=True, ship_type=ship_type)
        elif not near_port:
            self._close_call(tr, ts, "departure")

        # stopped / under way, with hysteresis; status is a hint below 0.5 kn only
        if speed is not None:
            if not tr.stopped:
                hint = nav_status in (1, 5) and speed < r.status_stop_kn
                if speed < r.stop_start_kn or hint:
                    tr.stopped, tr.stop_start, tr.stop_last = True, ts, ts
                    tr.stop_lon, tr.stop_lat = lon, lat
                    tr.stop_n, tr.stop_sum_lon, tr.stop_sum_lat = 0, 0.0, 0.0
                    tr.stop_kind, tr.stop_place = self._place(berth, anchorage)
                    self._continue_last_stop(tr, ts, lon, lat)
            elif speed > r.stop_end_kn and (
                    r.stop_radius_m <= 0 or
                    GEOD.inv(tr.stop_lon, tr.stop_lat, lon, lat)[2] > r.stop_radius_m):
                self._end_stop(tr, ts)
        if tr.stopped:
            tr.stop_last = ts
            tr.stop_n += 1
            tr.stop_sum_lon += lon
            tr.stop_sum_lat += lat
            if tr.stop_kind == "other":            # drifted into a berth's or anchorage's reach
                tr.stop_kind, tr.stop_place = self._place(berth, anchorage)
            self._maybe_start_visit(tr)
        tr.last_ts, tr.last_lon, tr.last_lat = ts, lon, lat
        if tr.call is not None:
            tr.call.last_seen = ts

    @staticmethod
    def _place(berth, anchorage) -> tuple[str, str | None]:
        if berth is not None:
            return "berth", berth
        if anchorage is not None:
            return "anchorage", anchorage
        return "other", None

    def _first_fix(self, tr: _Track, ts: float, in_port: bool, ship_type) -> None:
        if in_port:
            self._open_call(tr, ts, observed=False, ship_type=ship_type)

    def _open_call(self, tr: _Track, ts: float, observed: bool, ship_type) -> None:
        tr.in_port = True
        call_id = f"{self.source + ':' if self.source else ''}{tr.mmsi}:{int(ts)}"
        tr.call = PortCall(call_id=call_id, mmsi=tr.mmsi, arrival_port_area=ts,
                           arrival_observed=observed, category=ship_category(ship_type, tr.mmsi),
                           last_seen=ts)
        self.on_change(tr.call)

    def _maybe_start_visit(self, tr: _Track) -> None:
        """A stop of an open call becomes a stay once it has lasted the minimum, or at once
        when it continues a stay of the same place left within the re-stop window."""
        call = tr.call
        if call is None or tr.stop_kind is None:
            return
        current = call.visits[-1] if call.visits and call.visits[-1].open else None
        if current is not None:
            if current.kind == "other" and tr.stop_kind != "other":
                current.kind, current.place = tr.stop_kind, tr.stop_place   # drifted in
                call.stage = _STAGE[tr.stop_kind]
                self.on_change(call)
            current.lon, current.lat = self._stop_position(tr)
            return
        if tr.stop_kind != "other" and self._rejoin(call, tr):
            return
        needed = {"berth": self.rules.min_berth_s, "anchorage": self.rules.min_anchorage_s,
                  "other": self.rules.min_stop_s}[tr.stop_kind]
        if tr.stop_last - tr.stop_start >= needed:
            lon, lat = self._stop_position(tr)
            call.visits.append(Visit(tr.stop_kind, tr.stop_place or "", tr.stop_start,
                                     lon=lon, lat=lat))
            call.stage = _STAGE[tr.stop_kind]
            self.on_change(call)

    def _rejoin(self, call: PortCall, tr: _Track) -> bool:
        """Stopping again at the place of the call's last berth / anchorage stay, within the
        re-stop window of leaving it: that stay goes on ("other" stays since — the ship
        drifting off its quay — are folded into it)."""
        i = len(call.visits) - 1
        while i >= 0 and call.visits[i].kind == "other":
            i -= 1
        if i < 0:
            return False
        last = call.visits[i]
        if last.kind != tr.stop_kind or last.place != tr.stop_place or \
                tr.stop_start - last.departure > self.rules.rejoin_s:
            return False
        del call.visits[i + 1:]
        last.departure = None
        call.stage = _STAGE[tr.stop_kind]
        self.on_change(call)
        return True

    @staticmethod
    def _stop_position(tr: _Track) -> tuple[float, float]:
        """The stop's mean position (where it stopped, before its first fix is counted)."""
        if tr.stop_n:
            return tr.stop_sum_lon / tr.stop_n, tr.stop_sum_lat / tr.stop_n
        return tr.stop_lon, tr.stop_lat

    def _continue_last_stop(self, tr: _Track, ts: float, lon: float, lat: float) -> None:
        """A stop starting within ``stop_merge_s`` of the vessel's previous stop's last fix
        and within ``stop_merge_m`` of its mean position is that stop going on: it keeps its
        start, fixes and place, so pieces too short to be a stay add up to one, and a stay
        already made is reopened. The rule reads only the fixes, never the port's geometry:
        the same track gives the same stops in any package."""
        prev, tr.last_stop = tr.last_stop, None
        if prev is None:
            return
        start, last, n, sum_lon, sum_lat, kind, place = prev
        if ts - last > self.rules.stop_merge_s or not n:
            return
        if GEOD.inv(sum_lon / n, sum_lat / n, lon, lat)[2] > self.rules.stop_merge_m:
            return
        if last - start >= self.rules.min_stop_s:         # it was logged, and maybe a stay
            call = tr.call
            visit = call.visits[-1] if call is not None and call.visits else None
            if visit is not None and visit.arrival == start:
                visit.departure = None                    # the stay goes on
                call.stage = _STAGE[visit.kind]
                self.on_change(call)
            for i in range(len(self.stop_log) - 1, -1, -1):
                if self.stop_log[i][:2] == (tr.mmsi, start):
                    del self.stop_log[i]
                    break
        tr.stop_start, tr.stop_n, tr.stop_sum_lon, tr.stop_sum_lat = start, n, sum_lon, sum_lat
        tr.stop_lon, tr.stop_lat = sum_lon / n, sum_lat / n
        if kind is not None and kind != "other":          # where it was stopped, it still is
            tr.stop_kind, tr.stop_place = kind, place

    def _end_stop(self, tr: _Track, ts: float) -> None:
        tr.last_stop = (tr.stop_start, tr.stop_last, tr.stop_n, tr.stop_sum_lon,
                         tr.stop_sum_lat, tr.stop_kind, tr.stop_place)
        if tr.stop_last - tr.stop_start >= self.rules.min_stop_s:
            self.stop_log.append((tr.mmsi, tr.stop_start, ts, tr.stop_kind, tr.stop_place,
                                  *self._stop_position(tr)))
        call = tr.call
        if call is not None and call.visits and call.visits[-1].open:
            visit = call.visits[-1]
            visit.departure = ts
            visit.lon, visit.lat = self._stop_position(tr)
            call.stage = "under_way"
            self.on_change(call)
        tr.stopped, tr.stop_start, tr.stop_kind, tr.stop_place, tr.stop_last = (
            False, None, None, None, None)
        tr.stop_lon = tr.stop_lat = None

    def _close_call(self, tr: _Track, ts: float, why: str) -> None:
        if tr.stopped:
            self._end_stop(tr, ts)
        call = tr.call
        call.port_area_departure = ts if why == "departure" else None
        call.ended_by = why
        call.stage = "departed"
        self.closed.append(call)
        tr.call, tr.in_port = None, False
        self.on_change(call)

    def close_lost(self, now: float, after_s: float) -> int:
        """Close the calls of vessels unseen for more than ``after_s`` before ``now``: what
        was open ends at the last fix, the call as ``lost``. Returns how many."""
        lost = [tr for tr in self.tracks.values()
                if tr.call is not None and now - tr.last_ts > after_s]
        for tr in lost:
            if tr.stopped:
                self._end_stop(tr, tr.stop_last or tr.last_ts)
            self._close_call(tr, tr.last_ts, "lost")
            self.dirty.add(tr.mmsi)
        return len(lost)

    def forget(self, before: float) -> int:
        """A live tracker runs for days: closed calls, logged stops and idle tracks (no open
        call) whose last fix is older than ``before`` leave its memory — the history store
        has them. Returns how many calls went."""
        n = len(self.closed)
        self.closed = [c for c in self.closed if c.last_seen >= before]
        self.stop_log = [s for s in self.stop_log if s[2] is None or s[2] >= before]
        for m in [m for m, tr in self.tracks.items()
                  if tr.call is None and tr.last_ts < before and m not in self.dirty]:
            del self.tracks[m]
        return n - len(self.closed)

    def finish(self, end: float) -> int:
        """End of the data: the gap rule applies here too — a vessel unseen for more than
        ``gap_continue_s`` before the end could not be followed, its call is lost at its last
        fix; the others stay open (their open stays end at their last fix)."""
        return self.close_lost(end, self.rules.gap_continue_s)

    def _end_gap(self, tr: _Track) -> None:
        """A gap too long to bridge: what was open ends at the last fix."""
        if tr.stopped:
            self._end_stop(tr, tr.last_ts)
        if tr.call is not None:
            self._close_call(tr, tr.last_ts, "gap")

    # ---- reading -----------------------------------------------------------------------
    def open_calls(self) -> list[PortCall]:
        return [t.call for t in self.tracks.values() if t.call is not None]

    def all_calls(self) -> list[PortCall]:
        return self.closed + self.open_calls()

    def call_of(self, mmsi: int) -> PortCall | None:
        tr = self.tracks.get(mmsi)
        return tr.call if tr else None

    STOP_COLUMNS = ("mmsi", "start", "end", "kind", "place", "lon", "lat")

    def stops(self) -> list[tuple]:
        """(mmsi, start, end, kind, place, lon, lat) of every stop of at least ``min_stop_s``
        anywhere (berth, anchorage or "other"; lon/lat its mean position), ended ones and
        those still going on (end None)."""
        going = [(t.mmsi, t.stop_start, None, t.stop_kind, t.stop_place,
                  *self._stop_position(t))
                 for t in self.tracks.values()
                 if t.stopped and t.stop_last - t.stop_start >= self.rules.min_stop_s]
        return self.stop_log + going

    # ---- persistence -------------------------------------------------------------------
    def state_of(self, mmsi: int) -> dict:
        """The vessel's tracker state as plain data (JSON-compatible once the history store
        has cleaned its scalars), for ``restore``. Its fields directly, not
        ``dataclasses.asdict``: it runs for every vessel of every round."""
        tr = self.tracks[mmsi]
        d = dict(vars(tr))
        d["call"] = tr.call.to_dict() if tr.call is not None else None
        return d

    def restore(self, states: list[dict]) -> None:
        for d in states:
            d = dict(d)
            call = d.pop("call", None)
            tr = _Track(**{k: v for k, v in d.items() if k in _TRACK_FIELDS})  # older stores
            tr.call = PortCall.from_dict(call) if call else None
            self.tracks[tr.mmsi] = tr



def run_batch(fixes, geometry, rules: PortCallRules | None = None, ship_types=None,
              source: str = "") -> PortCallTracker:
    """Port calls over a table of fixes (pandas DataFrame with mmsi, ts, lon, lat and
    optionally sog, nav_status), in time order, through the same tracker the engine uses."""
    import numpy as np

    tracker = PortCallTracker(rules, source=source)
    df = fixes.sort_values(["ts", "mmsi"], kind="stable")
    where = geometry.locate(df["lon"].to_numpy(), df["lat"].to_numpy())
    sog = df["sog"].to_numpy() if "sog" in df else np.full(len(df), np.nan)
    status = df["nav_status"].to_numpy() if "nav_status" in df else np.full(len(df), np.nan)
    ship_types = ship_types or {}
    update = tracker.update
    for mmsi, ts, lon, lat, s, st, b, a, ip, npo in zip(
            df["mmsi"].to_numpy(), df["ts"].to_numpy(), df["lon"].to_numpy(),
            df["lat"].to_numpy(), sog, status, where["berth"], where["anchorage"],
            where["in_port"], where["near_port"]):
        mmsi = int(mmsi)
        update(mmsi, float(ts), float(lon), float(lat),
               None if s != s else float(s), None if st != st else int(st), b, a,
               bool(ip), bool(npo), ship_types.get(mmsi))
    if len(df):
        tracker.finish(float(df["ts"].iloc[-1]))
    return tracker


def counted(row_or_call, rules: PortCallRules) -> bool:
    """Whether a call counts in the KPIs: it went to a berth or an anchorage, and it is not a
    tug's, pilot's or service craft's (unless the rules say to count those)."""
    get = row_or_call.get if isinstance(row_or_call, dict) else \
        (lambda k: getattr(row_or_call, k))
    if get("kind") == "transit":
        return False
    return rules.count_service_craft or get("category") not in SERVICE_CATEGORIES
