"""Radar + AIS fusion: which radar track is which AIS ship, and which tracks have no AIS.

Per radar scan, in the port's metric frame (UTM):

1. every AIS ship heard in the last ``max_dr_s`` is dead-reckoned to the scan time;
2. **gating**: a radar track and a ship can pair only if their positions are within
   ``gate_m`` (growing with the AIS report's age and the ship's speed: dead-reckoning error)
   and their velocity vectors differ by less than ``gate_kn``;
3. **assignment**: one-to-one, minimising Σ (distance/σ_pos)² + (velocity difference/σ_vel)²
   (``scipy.optimize.linear_sum_assignment``), each pair's cost smoothed over the scans it
   has been in the gate (``smoothing``; radar noise averages out, so two ships moored 60 m
   apart are told apart); a pair already confirmed costs less (``stickiness``), so ships
   side by side do not swap;
4. **confirmation, M of N**: a pair is confirmed when the ship was assigned to the track in
   ``confirm_m`` of the last ``confirm_n`` scans, and dropped after ``confirm_n`` scans in a
   row without it — pairs do not flicker;
5. **one fused target per ship** (IMO MSC.192(79)): AIS data shown by default; the radar
   position when the AIS report is older than ``ais_stale_s``; when a confirmed pair drifts
   more than ``split_m`` apart they are split back into two targets without an alarm;
6. **dark targets**: radar tracks tracked for ``dark_after_scans`` scans with no AIS partner
   (and not split from one within ``split_grace_s``). The alert engine raises
   "unidentified track in area" when one is inside a designated zone.

``measure`` scores association against a simulator's truth (share of correct pairs, dark
craft found, ID swaps).
"""
from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from pyproj import Transformer
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree

from data_sources.events import RadarTrackReport, ReplayRestarted, VesselReport

KN = 1852.0 / 3600.0
BIG = 1e9


def velocity(speed_kn: float | None, course: float | None) -> tuple:
    """(east, north) m/s from speed over ground and course; (0, 0) for a ship slower than
    0.5 kn with no course; (None, None) when unknown."""
    if speed_kn is not None and course is not None:
        s = speed_kn * KN
        return s * math.sin(math.radians(course)), s * math.cos(math.radians(course))
    if speed_kn is not None and speed_kn < 0.5:
        return 0.0, 0.0
    return None, None


@dataclass
class FusionParams:
    gate_m: float = 250.0
    gate_growth_ms: float = 0.5      # + metres per second of AIS age (dead-reckoning error) …
    gate_growth_speed: float = 0.25  # … + this share of the ship's speed per second of age
    gate_kn: float = 6.0
    sigma_m: float = 50.0
    sigma_kn: float = 2.0
    confirm_m: int = 3
    confirm_n: int = 5
    smoothing: float = 0.15          # weight of this scan in a pair's running cost
    stickiness: float = 0.3          # cost factor of an already confirmed pair
    split_m: float = 600.0
    ais_stale_s: float = 60.0
    max_dr_s: float = 400.0          # moored and anchored ships report every 3 min
    dark_after_scans: int = 8        # 20 s at 2.5 s a scan
    split_grace_s: float = 300.0
    forget_track_s: float = 60.0     # a radar track not reported this long is gone


@dataclass
class RadarTrack:
    target: str
    source: str
    ts: float
    lon: float
    lat: float
    x: float
    y: float
    vx: float | None
    vy: float | None
    speed: float | None
    course: float | None
    status: str
    simulated: bool
    scans: int = 0
    history: deque = field(default_factory=deque)      # assigned mmsi (or None) per scan
    mmsi: int | None = None                           # confirmed AIS partner
    paired_since: float | None = None
    last_paired: float | None = None                  # when it last had a partner
    unpaired_scans: int = 0
    diverged: int = 0
    scores: dict = field(default_factory=dict)        # mmsi -> smoothed cost (gated ships)


class Fusion:
    def __init__(self, crs: str, params: FusionParams | None = None, record: bool = False):
        self.p = params or FusionParams()
        self._to_m = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        self.ais: dict[int, tuple] = {}        # mmsi -> (ts, x, y, vx, vy) m, m/s
        self.tracks: dict[str, RadarTrack] = {}
        self.by_mmsi: dict[tuple, str] = {}    # (radar source, mmsi) -> target
        self.pending: list[RadarTrackReport] = []
        self.scans = 0
        self.splits = 0
        self.changes = 0                       # a track's confirmed partner replaced
        self.now: float | None = None
        self.record = record
        self.log: list = []                    # (ts, target, mmsi or None, dark) per scan
        self._lock = threading.RLock()

    # ---- input ---------------------------------------------------------------------------
    def apply(self, events) -> None:
        """Events of one round, any order: AIS and radar are taken in time order, each
        radar scan (reports of one radar with one time) associated as a whole."""
        items = sorted((e for e in events if isinstance(e, (VesselReport, RadarTrackReport,
                                                           ReplayRestarted))),
                       key=lambda e: e.ts)
        if not items:
            return
        with self._lock:
            reports = [e for e in items if isinstance(e, VesselReport)]
            xy = {}
            if reports:
                xs, ys = self._to_m.transform([r.lon for r in reports], [r.lat for r in reports])
                xy = {id(r): (xs[i], ys[i]) for i, r in enumerate(reports)}
            scan: list[RadarTrackReport] = []
            for e in items:
                if scan and (not isinstance(e, RadarTrackReport) or e.ts != scan[0].ts
                             or e.source != scan[0].source):
                    self._scan(scan)
                    scan = []
                if isinstance(e, VesselReport):
                    self._ais(e, *xy[id(e)])
                elif isinstance(e, RadarTrackReport):
                    scan.append(e)
                else:                                    # a replay starts its next pass
                    self.tracks.clear()
                    self.by_mmsi.clear()
            if scan:
                self._scan(scan)

    def _ais(self, r: VesselReport, x: float, y: float) -> None:
        vx, vy = velocity(r.sog, r.cog)
        old = self.ais.get(r.mmsi)
        if vx is None and old is not None and 5.0 <= r.ts - old[0] <= 600.0:
            vx, vy = (x - old[1]) / (r.ts - old[0]), (y - old[2]) / (r.ts - old[0])
        if old is None or r.ts >= old[0]:
            self.ais[r.mmsi] = (r.ts, x, y, vx, vy)

    # ---- one scan ------------------------------------------------------------------------
    def _scan(self, reports: list[RadarTrackReport]) -> None:
        p = self.p
        t = reports[0].ts
        self.now = t
        self.scans += 1
        live = []
        xs, ys = self._to_m.transform([r.lon for r in reports], [r.lat for r in reports])
        for i, r in enumerate(reports):
            tr = self.tracks.get(r.target)
            if r.status == "lost":
                if tr is not None:
                    self._unpair(tr)
                    del self.tracks[r.target]
                continue
            vx, vy = velocity(r.speed, r.course)
            if tr is None:
                tr = self.tracks[r.target] = RadarTrack(
                    r.target, r.source, t, r.lon, r.lat, xs[i], ys[i], vx, vy, r.speed,
                    r.course, r.status, r.simulated, history=deque(maxlen=p.confirm_n))
            else:
                tr.ts, tr.lon, tr.lat, tr.x, tr.y, tr.vx, tr.vy = \
                    t, r.lon, r.lat, xs[i], ys[i], vx, vy
                tr.speed, tr.course, tr.status = r.speed, r.course, r.status
            tr.scans += 1
            live.append(tr)
        assigned = self._assign(live, t)
        for tr in live:
            m = assigned.get(tr.target)
            tr.history.append(m)
            self._confirm(tr, m, t)
        for target in [k for k, tr in self.tracks.items() if t - tr.ts > p.forget_track_s
                       and tr.source == reports[0].source]:
            self._unpair(self.tracks.pop(target))
        if self.record:
            for tr in live:
                self.log.append((t, tr.target, tr.mmsi, self._is_dark(tr, t)))

    def _assign(self, live: list[RadarTrack], t: float) -> dict[str, int]:
        p = self.p
        cand = [(m, a) for m, a in self.ais.items() if t - p.max_dr_s <= a[0] <= t + 30]
        if not live or not cand:
            return {}
        mm = np.array([m for m, _ in cand])
        age = np.array([max(0.0, t - a[0]) for _, a in cand])
        avx = np.array([np.nan if a[3] is None else a[3] for _, a in cand])
        avy = np.array([np.nan if a[4] is None else a[4] for _, a in cand])
        ax = np.array([a[1] for _, a in cand]) + np.nan_to_num(avx) * age
        ay = np.array([a[2] for _, a in cand]) + np.nan_to_num(avy) * age
        speed = np.hypot(np.nan_to_num(avx), np.nan_to_num(avy))
        gate = p.gate_m + (p.gate_growth_ms + p.gate_growth_speed * speed) * age
        reach = float(gate.max())
        tree = cKDTree(np.column_stack([ax, ay]))
        rxy = np.array([[tr.x, tr.y] for tr in live])
        near = tree.query_ball_point(rxy, reach)
        cols = sorted({j for js in near for j in js})
        if not cols:
            return {}
        col_of = {j: c for c, j in enumerate(cols)}
        cost = np.full((len(live), len(cols)), BIG)
        source = live[0].source
        for i, js in enumerate(near):
            tr = live[i]
            scores = {}
            for j in js:
                d = math.hypot(tr.x - ax[j], tr.y - ay[j])
                if d > gate[j]:
                    continue
                c = (d / p.sigma_m) ** 2
                if tr.vx is not None and not np.isnan(avx[j]):
                    dv = math.hypot(tr.vx - avx[j], tr.vy - avy[j]) / KN
                    if dv > p.gate_kn:
                        continue
                    c += (dv / p.sigma_kn) ** 2
                m = int(mm[j])
                old = tr.scores.get(m)
                c = c if old is None else old + p.smoothing * (c - old)
                scores[m] = c
                if tr.mmsi == m or self.by_mmsi.get((source, m)) == tr.target:
                    c *= p.stickiness
                cost[i, col_of[j]] = c
            tr.scores = scores
        rows, cs = linear_sum_assignment(cost)
        return {live[i].target: int(mm[cols[c]]) for i, c in zip(rows, cs) if cost[i, c] < BIG}

    def _confirm(self, tr: RadarTrack, m: int | None, t: float) -> None:
        p = self.p
        if tr.mmsi is not None:
            a = self.ais.get(tr.mmsi)
            if a is not None:
                age = max(0.0, t - a[0])
                dx = a[1] + (a[3] or 0.0) * age - tr.x
                dy = a[2] + (a[4] or 0.0) * age - tr.y
                tr.diverged = tr.diverged + 1 if math.hypot(dx, dy) > p.split_m and \
                    age < p.ais_stale_s else 0
            if tr.diverged >= 2:                     # they went apart: two targets again
                self.splits += 1
                self._unpair(tr)
            elif all(h != tr.mmsi for h in tr.history) and len(tr.history) == p.confirm_n:
                self._unpair(tr)                     # N scans in a row without its ship
        if m is not None and m != tr.mmsi and sum(h == m for h in tr.history) >= p.confirm_m:
            if tr.mmsi is not None:
                self.changes += 1
                self._unpair(tr)
            other = self.by_mmsi.get((tr.source, m))
            if other is not None and other in self.tracks:
                self._unpair(self.tracks[other])
            tr.mmsi, tr.paired_since = m, t
            self.by_mmsi[(tr.source, m)] = tr.target
        if tr.mmsi is not None:
            tr.last_paired = t
            tr.unpaired_scans = 0
        elif m is None:
            tr.unpaired_scans += 1
        else:
            tr.unpaired_scans = 0

    def _unpair(self, tr: RadarTrack) -> None:
        if tr.mmsi is not None:
            if self.by_mmsi.get((tr.source, tr.mmsi)) == tr.target:
                del self.by_mmsi[(tr.source, tr.mmsi)]
            tr.last_paired = self.now
            tr.mmsi, tr.paired_since, tr.diverged = None, None, 0

    def _is_dark(self, tr: RadarTrack, t: float) -> bool:
        return (tr.mmsi is None and tr.status == "tracking"
                and tr.unpaired_scans >= self.p.dark_after_scans
                and (tr.last_paired is None or t - tr.last_paired > self.p.split_grace_s))

    # ---- reading -------------------------------------------------------------------------
    def dark_targets(self, now: float | None = None) -> list[RadarTrack]:
        with self._lock:
            now = self.now if now is None else now
            return [tr for tr in self.tracks.values()
                    if now is not None and now - tr.ts <= self.p.forget_track_s
                    and self._is_dark(tr, tr.ts)]

    def fused(self, now: float) -> dict[int, dict]:
        """mmsi -> what the map shows for that ship: its AIS data by default, the radar
        position where the AIS report is stale and a paired radar track is fresh."""
        with self._lock:
            out = {}
            for (source, mmsi), target in self.by_mmsi.items():
                tr = self.tracks.get(target)
                a = self.ais.get(mmsi)
                if tr is None or a is None:
                    continue
                stale = now - a[0] > self.p.ais_stale_s and now - tr.ts < self.p.ais_stale_s
                out[mmsi] = {"target": target, "radar_lon": tr.lon, "radar_lat": tr.lat,
                             "radar_ts": tr.ts, "position": "radar" if stale else "ais"}
            return out

    def status(self) -> dict:
        with self._lock:
            return {"scans": self.scans, "tracks": len(self.tracks),
                    "paired": len(self.by_mmsi), "dark": len(self.dark_targets()),
                    "splits": self.splits, "changes": self.changes}


def measure(log: list, truth) -> dict:
    """Score a recorded fusion run against the simulator's truth.

    * **correct pairs**: of the (scan, track) moments with a confirmed partner, the share
      whose partner is the ship the track followed or a ship whose echo merged with it (the
      radar could not tell them apart); ``own_ship_share`` counts only the first;
    * **paired**: of the moments a track followed an AIS ship, the share with a partner;
    * **ID swaps**: a track's confirmed partner replaced by another ship (and how many of
      those went to a ship that was neither the track's nor in its echo);
    * **dark craft found**: the simulated craft without AIS that were listed as dark, and
      when (seconds after their track appeared); **false dark**: moments a ship with AIS was
      listed dark.
    """
    paired = correct = strict = ais_moments = wrong_pairs = false_dark = dark_moments = 0
    swaps = wrong_swaps = 0
    last: dict[str, int] = {}
    first_seen: dict[str, float] = {}
    dark_found: dict[str, float] = {}
    for ts, target, mmsi, dark in log:
        kind, who = truth.target.get(target, (None, None))
        first_seen.setdefault(target, ts)
        if kind == "ais":
            ais_moments += 1
            false_dark += bool(dark)
        if dark:
            dark_moments += 1
            if kind == "dark" and who not in dark_found:
                dark_found[who] = ts - first_seen[target]
        if mmsi is not None:
            wrong_pairs += kind != "ais"
            paired += kind == "ais"
            strict += kind == "ais" and who == mmsi
            correct += kind == "ais" and (who == mmsi or ("ais", mmsi) in
                                          truth.shared.get(target, ()))
            if target in last and last[target] != mmsi:
                swaps += 1
                wrong_swaps += not (who == mmsi or ("ais", mmsi) in truth.shared.get(target, ()))
            last[target] = mmsi
    confirmed = paired + wrong_pairs
    return {
        "moments": len(log),
        "confirmed_pairs": confirmed,
        "correct_pair_share": correct / confirmed if confirmed else float("nan"),
        "own_ship_share": strict / confirmed if confirmed else float("nan"),
        "paired_share": paired / ais_moments if ais_moments else float("nan"),
        "id_swaps": swaps,
        "id_swaps_to_wrong_ship": wrong_swaps,
        "tracks": len(first_seen),
        "dark_craft": sorted(truth.dark_ids),
        "dark_found": dark_found,
        "false_dark_share": false_dark / ais_moments if ais_moments else float("nan"),
        "false_dark_moments": false_dark,
    }
