"""A simulated VTS radar observing real AIS traffic — for scenarios with no real radar data.

No VTS radar recording of New York is public, so the NY scenario's radar is **simulated** (and
labelled so on screen): a radar at a configured site (``radar.toml`` of the port package)
observes the replayed real AIS traffic as a radar would:

* the true position of each ship is its AIS track interpolated to each scan (every
  ``scan_s``, 2.5 s ≈ 24 rpm); a ship is seen only inside the range and bearing sector, and
  only across AIS silences shorter than ``max_gap_s`` (where its track is known);
* each detection has polar noise (range σ, bearing σ) and is missed with probability
  1 − Pd (lower for small craft);
* two ships closer than the radar's resolution (range and bearing cells) make one echo
  (the larger ship's) — a tug alongside, a barge being pushed;
* the radar's tracker (an α-β filter per track) starts a track after ``acquire_scans`` plots
  in a row, reports position, speed and course ("acquiring" at first, then "tracking"), coasts
  through misses and loses the track after ``lose_after`` misses in a row (a new target
  number when the ship is seen again);
* a few **small craft with no AIS** (``[[dark_craft]]``) move on plausible paths, while the
  recording has traffic to watch (within ``max_gap_s`` of an AIS fix).

The work follows the traffic, not the recording's span: scans are simulated only where a
subject is known, a chunk (``CHUNK_S``) at a time, and the tracker skips empty scans, so a
gap of days (or one fix dated a century off) costs nothing.

``simulate`` returns the radar reports and the truth (which ship or dark craft each target
number followed), so association can be measured (``twin.fusion.measure``).
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pyproj import Geod, Transformer
from scipy.spatial import cKDTree

from .events import RadarTrackReport, VesselReport

GEOD = Geod(ellps="WGS84")
KN = 1852.0 / 3600.0                     # m/s per knot


@dataclass
class RadarSite:
    id: str
    name: str
    lon: float
    lat: float
    range_nm: float = 12.0
    sector: tuple[float, float] = (0.0, 360.0)     # clockwise from, to (degrees true)
    scan_s: float = 2.5
    range_sigma_m: float = 15.0
    bearing_sigma_deg: float = 0.25
    range_cell_m: float = 45.0                     # echoes closer than both cells merge
    bearing_cell_deg: float = 0.8
    detect_p: float = 0.95                         # ships ≥ small_craft_m
    detect_p_small: float = 0.85                   # smaller or unknown length
    small_craft_m: float = 20.0
    acquire_scans: int = 3        # plots in a row that start a track (reported "acquiring"
                                  # until twice that many, then "tracking")
    lose_after: int = 12                           # misses in a row (30 s) -> lost
    max_gap_s: float = 600.0
    alpha: float = 0.5
    beta: float = 0.15

    def covers(self, rng_m: np.ndarray, brg: np.ndarray) -> np.ndarray:
        lo, hi = self.sector
        inside = (brg - lo) % 360.0 <= (hi - lo) % 360.0 if (hi - lo) % 360 else \
            np.ones(len(brg), bool)
        return (rng_m <= self.range_nm * 1852.0) & inside


@dataclass
class DarkCraft:
    id: str
    name: str
    path: list                  # [[lon, lat], ...]
    speed_kn: float
    start_s: float = 0.0        # after the recording starts
    loop: bool = True           # back and forth along the path until the recording ends
    length_m: float = 8.0


@dataclass
class RadarScenario:
    sites: list[RadarSite]
    dark_craft: list[DarkCraft] = field(default_factory=list)
    seed: int = 20200630
    note: str = ""

    @classmethod
    def load(cls, path: str | Path) -> "RadarScenario":
        path = Path(path)
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
            sites = [RadarSite(**{**s, "sector": tuple(s.get("sector", (0, 360)))})
                     for s in doc.get("site", [])]
            craft = [DarkCraft(**c) for c in doc.get("dark_craft", [])]
        except (OSError, tomllib.TOMLDecodeError, TypeError) as exc:
            raise ValueError(f"{path}: not a radar scenario ({exc})") from exc
        if not sites:
            raise ValueError(f"{path}: no [[site]]")
        return cls(sites, craft, int(doc.get("seed", 20200630)), doc.get("note", ""))


@dataclass
class Truth:
    """What each radar target really was: ``target -> ("ais", mmsi)`` or ``("dark", id)``."""

    target: dict = field(default_factory=dict)
    dark_ids: list = field(default_factory=list)
    # target -> other subjects whose echo merged into the target's at some scan (a radar
    # cannot tell them apart: pairing the target with one of them is not an error)
    shared: dict = field(default_factory=dict)
    # the work done, which follows the traffic, not the span (bounds checked in the tests)
    scans: int = 0              # scans the tracker worked through
    positions: int = 0          # true (scan, subject) positions simulated


def simulate(reports, scenario: RadarScenario, start: float | None = None,
             end: float | None = None, lengths: dict | None = None,
             source: str = "radar-sim") -> tuple[list[RadarTrackReport], Truth]:
    """Radar reports of every site over the AIS ``reports`` (``VesselReport``s), in time
    order, with the truth. ``lengths`` = mmsi -> LOA (m) where static data knows it.

    Work and memory follow the traffic, not the span from ``start`` to ``end``: only scans
    where a ship's track is known (or a dark craft moves while there is traffic) are
    simulated, a few hours of scans at a time (``CHUNK_S``), and the tracker skips scans
    with nothing to see — one report dated a century off costs a scan, not a century."""
    reports = [r for r in reports if isinstance(r, VesselReport) and math.isfinite(r.ts)]
    if not reports:
        return [], Truth()
    rng = np.random.default_rng(scenario.seed)
    start = min(r.ts for r in reports) if start is None else start
    end = max(r.ts for r in reports) if end is None else end
    lengths = dict(lengths or {})
    for r in reports:
        if r.length:
            lengths[r.mmsi] = r.length
    out: list[RadarTrackReport] = []
    truth = Truth(dark_ids=[c.id for c in scenario.dark_craft])
    for site in scenario.sites:
        out.extend(_one_site(reports, scenario.dark_craft, site, start, end, lengths, rng,
                             truth, source))
    out.sort(key=lambda r: r.ts)
    return out, truth


CHUNK_S = 2 * 3600.0     # scans simulated together; the bundled NY hour is one chunk (so its
                         # random draws, hence its figures, are those of one pass over it)


class _ScanAxis:
    """The scan times ``start + i·step`` (i < n) — numpy.arange's values — without the array,
    so a long span costs nothing until its scans are simulated."""

    def __init__(self, start: float, end: float, step: float):
        self.start = float(start)
        self.delta = (self.start + step) - self.start          # as numpy.arange steps
        ok = math.isfinite(start) and math.isfinite(end) and end >= start and step > 0
        self.n = max(0, math.ceil((end + 1e-9 - start) / step)) if ok else 0

    def time(self, i):
        return self.start + np.asarray(i, dtype=float) * self.delta

    def first_at_or_after(self, v) -> np.ndarray:
        """Index of the first scan at or after each time of ``v`` (n where none)."""
        v = np.asarray(v, dtype=float)
        i = np.clip(np.ceil((v - self.start) / self.delta), 0, self.n).astype(np.int64)
        i -= (i > 0) & (self.time(i - 1) >= v)                 # rounding either way
        i += (i < self.n) & (self.time(i) < v)
        return i

    def last_at_or_before(self, v) -> np.ndarray:
        """Index of the last scan at or before each time of ``v`` (-1 where none)."""
        v = np.asarray(v, dtype=float)
        i = np.clip(np.floor((v - self.start) / self.delta), -1, self.n - 1).astype(np.int64)
        i += (i < self.n - 1) & (self.time(i + 1) <= v)
        i -= (i >= 0) & (self.time(i) > v)
        return i


def _ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The integers of the inclusive ranges ``lo[j] … hi[j]``, concatenated."""
    n = hi - lo + 1
    if not len(n):
        return np.zeros(0, np.int64)
    return np.repeat(lo - np.concatenate([[0], np.cumsum(n)[:-1]]), n) + np.arange(n.sum())


def _runs(t: np.ndarray, max_gap_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(first, last) time of each run of sorted times ``t`` with no gap over ``max_gap_s``."""
    breaks = np.nonzero(np.diff(t) > max_gap_s)[0]
    return t[np.concatenate([[0], breaks + 1])], t[np.concatenate([breaks, [len(t) - 1]])]


@dataclass
class _Piece:
    """What one subject contributes: its known scan ranges (inclusive) and how to place it."""

    sid: int
    lo: np.ndarray
    hi: np.ndarray
    place: object          # scan indices -> (x, y)
    length: float


def _one_site(reports, craft, site: RadarSite, start, end, lengths, rng, truth, source):
    to_m = Transformer.from_crs("EPSG:4326", f"+proj=aeqd +lat_0={site.lat} +lon_0={site.lon}",
                                always_xy=True)
    axis = _ScanAxis(start, end, site.scan_s)
    if axis.n == 0:
        return []
    # ---- where each subject is known: ranges of scans, no array over the span -------------
    subjects: list = []            # ("ais", mmsi) / ("dark", id)
    pieces: list[_Piece] = []
    by_vessel: dict[int, list] = {}
    for r in reports:
        by_vessel.setdefault(r.mmsi, []).append(r)
    for mmsi, rs in by_vessel.items():
        rs.sort(key=lambda r: r.ts)
        t = np.array([r.ts for r in rs])
        if axis.first_at_or_after(t[0]) > axis.last_at_or_before(t[-1]):
            continue
        x, y = to_m.transform([r.lon for r in rs], [r.lat for r in rs])
        x, y = np.asarray(x), np.asarray(y)
        # a ship is seen between fixes at most max_gap_s apart (and at a fix itself): never
        # across an AIS silence, which may be days long
        first, last = _runs(t, site.max_gap_s)
        lo, hi = axis.first_at_or_after(first), axis.last_at_or_before(last)
        subjects.append(("ais", mmsi))
        pieces.append(_Piece(len(subjects) - 1, lo[lo <= hi], hi[lo <= hi],
                             lambda i, t=t, x=x, y=y: (np.interp(axis.time(i), t, x),
                                                       np.interp(axis.time(i), t, y)),
                             lengths.get(mmsi, np.nan)))
    # dark craft move while the radar has traffic to watch (within max_gap_s of an AIS fix),
    # from their start until the recording ends
    times = np.sort(np.array([r.ts for r in reports]))
    first, last = _runs(times, site.max_gap_s)
    act_lo = axis.first_at_or_after(first - site.max_gap_s)
    act_hi = axis.last_at_or_before(last + site.max_gap_s)
    for c in craft:
        cx, cy = to_m.transform([p[0] for p in c.path], [p[1] for p in c.path])
        seg = np.hypot(np.diff(cx), np.diff(cy))
        along = np.concatenate([[0.0], np.cumsum(seg)])
        lo = np.maximum(act_lo, axis.first_at_or_after(start + c.start_s))
        subjects.append(("dark", c.id))
        pieces.append(_Piece(len(subjects) - 1, lo[lo <= act_hi], act_hi[lo <= act_hi],
                             lambda i, c=c, cx=cx, cy=cy, along=along:
                             _dark_place(c, axis.time(i) - start, cx, cy, along),
                             c.length_m))
    # ---- scan by scan, a chunk of scans at a time -----------------------------------------
    width = max(1, int(CHUNK_S // site.scan_s))
    chunks: dict[int, list[_Piece]] = {}
    for p in pieces:                                   # subject order kept in each chunk
        for k in np.unique(_ranges(p.lo // width, p.hi // width)):
            chunks.setdefault(int(k), []).append(p)
    tracker = _Tracker(site, axis, subjects, truth)
    for k in sorted(chunks):
        c0, c1 = k * width, min((k + 1) * width, axis.n)
        _one_chunk(chunks[k], c0, c1, site, rng, tracker)
    tracker.run(np.zeros(0, np.int64), None, None, None, None, axis.n)  # the last losses
    truth.scans += tracker.scans
    truth.positions += tracker.truth_rows
    return _reports(tracker.rows, to_m, source)


def _dark_place(c: DarkCraft, since_start, cx, cy, along):
    """Position of a dark craft ``since_start`` seconds into the recording (NaN once a
    one-way craft has arrived)."""
    total = along[-1]
    d = (since_start - c.start_s) * c.speed_kn * KN
    if c.loop:
        d = np.where((d // total) % 2 == 0, d % total, total - d % total)   # to and fro
    else:
        d = np.where(d <= total, d, np.nan)
    return np.interp(d, along, cx), np.interp(d, along, cy)


def _one_chunk(pieces, c0: int, c1: int, site: RadarSite, rng, tracker) -> None:
    """Detections of scans ``c0 … c1 − 1``, fed to the tracker."""
    rows = []
    for p in pieces:
        sel = (p.lo < c1) & (p.hi >= c0)
        idx = _ranges(np.maximum(p.lo[sel], c0), np.minimum(p.hi[sel], c1 - 1))
        x, y = p.place(idx)
        ok = ~np.isnan(x)                              # a one-way dark craft arrived
        idx, x, y = idx[ok], x[ok], y[ok]
        rows.append((idx, np.full(len(idx), p.sid), x, y, np.full(len(idx), p.length)))
    scan_i = np.concatenate([r[0] for r in rows])
    tracker.truth_rows += len(scan_i)
    if not len(scan_i):
        tracker.run(scan_i, None, None, None, (), c1)
        return
    subj = np.concatenate([r[1] for r in rows])
    tx = np.concatenate([r[2] for r in rows])
    ty = np.concatenate([r[3] for r in rows])
    tlen = np.concatenate([r[4] for r in rows])
    rng_m = np.hypot(tx, ty)
    brg = np.degrees(np.arctan2(tx, ty)) % 360.0
    keep = site.covers(rng_m, brg)
    # ---- detection: probability, resolution, noise ---------------------------------------
    pd_ = np.where(tlen >= site.small_craft_m, site.detect_p, site.detect_p_small)
    keep &= rng.random(len(pd_)) < pd_
    order = np.lexsort((subj, scan_i))
    order = order[keep[order]]
    scan_i, subj, tx, ty, tlen, rng_m, brg = (a[order] for a in
                                             (scan_i, subj, tx, ty, tlen, rng_m, brg))
    into = _merged(scan_i - c0, tx, ty, tlen, rng_m, brg, site)
    merged = into >= 0
    sharing: dict[int, set] = {}                # kept detection -> subjects in its echo
    for j in np.nonzero(merged)[0]:
        sharing.setdefault(int(into[j]), set()).add(int(subj[j]))
    kept = np.nonzero(~merged)[0]
    shared = [sharing.get(int(k), ()) for k in kept]
    scan_i, subj, rng_m, brg = (a[~merged] for a in (scan_i, subj, rng_m, brg))
    n = len(scan_i)
    rng_m = rng_m + rng.normal(0, site.range_sigma_m, n)
    brg = brg + rng.normal(0, site.bearing_sigma_deg, n)
    px = rng_m * np.sin(np.radians(brg))
    py = rng_m * np.cos(np.radians(brg))
    tracker.run(scan_i, subj, px, py, shared, c1)


def _merged(scan_i, x, y, length, rng_m, brg, site: RadarSite) -> np.ndarray:
    """For each detection, the detection whose echo it merges into (a larger ship the radar
    cannot tell it apart from in the same scan), else -1."""
    into = np.full(len(scan_i), -1)
    # a scan index big enough to separate scans in one k-d tree (no two scans interact)
    tree = cKDTree(np.column_stack([x, y, scan_i * 1e7]))
    reach = max(site.range_cell_m, site.range_nm * 1852 * math.radians(site.bearing_cell_deg))
    for i, j in tree.query_pairs(reach, output_type="ndarray"):
        if abs(rng_m[i] - rng_m[j]) > site.range_cell_m:
            continue
        if abs((brg[i] - brg[j] + 180) % 360 - 180) > site.bearing_cell_deg:
            continue
        li = -1.0 if np.isnan(length[i]) else length[i]
        lj = -1.0 if np.isnan(length[j]) else length[j]
        small, large = (j, i) if li >= lj else (i, j)
        if into[large] >= 0:
            large = into[large]
        into[small] = large
    return into


class _Tracker:
    """The radar's tracker (an α-β filter per track), fed chunk by chunk. A scan with no
    plot and no live track changes nothing, so it is skipped: the work follows the plots
    (and ``lose_after`` scans after them), not the span."""

    def __init__(self, site: RadarSite, axis: _ScanAxis, subjects, truth: Truth):
        self.site, self.axis, self.subjects, self.truth = site, axis, subjects, truth
        self.rows: list = []                  # (t, target, x, y, vx, vy, status)
        self.tracks: dict[int, dict] = {}     # subject -> track
        self.number = 0
        self.next_scan = 0
        self.scans = 0                        # scans worked through (a measure of work)
        self.truth_rows = 0                   # (scan, subject) positions simulated

    def run(self, scan_i, subj, px, py, shared, stop: int) -> None:
        """Scans from where the last call stopped up to ``stop`` (exclusive), given the plots
        of those scans (sorted by scan)."""
        uniq, first = np.unique(scan_i, return_index=True)
        bounds = np.append(first, len(scan_i))
        pos, s = 0, self.next_scan
        while s < stop:
            if pos < len(uniq) and uniq[pos] == s:
                plots = range(bounds[pos], bounds[pos + 1])
                pos += 1
            elif self.tracks:
                plots = ()
            elif pos < len(uniq):
                s = int(uniq[pos])                  # nothing to see until the next plot
                continue
            else:
                break
            self._scan(s, plots, subj, px, py, shared)
            s += 1
        self.next_scan = stop

    def _scan(self, s, plots, subj, px, py, shared) -> None:
        site, tracks, rows = self.site, self.tracks, self.rows
        self.scans += 1
        t = float(self.axis.time(s))
        dt = site.scan_s
        seen = set()
        for k in plots:
            sid = int(subj[k])
            seen.add(sid)
            tr = tracks.get(sid)
            if tr is None:                      # a tentative track: not reported yet
                tracks[sid] = tr = {"target": None, "x": px[k], "y": py[k], "vx": 0.0,
                                    "vy": 0.0, "hits": 1, "miss": 0}
            else:
                # predict, then correct with the plot (α-β filter)
                step = dt * (tr["miss"] + 1)
                gx, gy = tr["x"] + tr["vx"] * step, tr["y"] + tr["vy"] * step
                rx, ry = px[k] - gx, py[k] - gy
                tr["x"], tr["y"] = gx + site.alpha * rx, gy + site.alpha * ry
                tr["vx"] += site.beta / step * rx
                tr["vy"] += site.beta / step * ry
                tr["hits"] += 1
                tr["miss"] = 0
            if tr["target"] is None:
                if tr["hits"] < site.acquire_scans:
                    continue
                self.number += 1                # VTS track numbers are not reused
                tr["target"] = f"{site.id}:{self.number}"
                self.truth.target[tr["target"]] = self.subjects[sid]
            for other in shared[k]:             # ships inside this echo too
                self.truth.shared.setdefault(tr["target"], set()).add(self.subjects[other])
            rows.append((t, tr["target"], tr["x"], tr["y"], tr["vx"], tr["vy"],
                         "tracking" if tr["hits"] > 2 * site.acquire_scans else "acquiring"))
        for sid in list(tracks):
            if sid in seen:
                continue
            tr = tracks[sid]
            tr["miss"] += 1
            if tr["target"] is None and tr["miss"] >= 2:
                del tracks[sid]                 # never confirmed: dropped silently
            elif tr["miss"] >= site.lose_after:
                del tracks[sid]
                rows.append((t, tr["target"], tr["x"], tr["y"], tr["vx"], tr["vy"], "lost"))


def _reports(rows, to_m, source) -> list[RadarTrackReport]:
    if not rows:
        return []
    t, target, x, y, vx, vy, status = zip(*rows)
    x, y, vx, vy = (np.asarray(a, float) for a in (x, y, vx, vy))
    lon, lat = to_m.transform(x, y, direction="INVERSE")
    speed = np.round(np.hypot(vx, vy) / KN, 2)
    course = np.round(np.degrees(np.arctan2(vx, vy)) % 360.0, 1)
    dist = np.round(np.hypot(x, y), 1)
    brg = np.round(np.degrees(np.arctan2(x, y)) % 360.0, 2)
    return [RadarTrackReport(ts=t[i], source=source, target=target[i], lon=float(lon[i]),
                             lat=float(lat[i]), speed=float(speed[i]),
                             course=float(course[i]) if speed[i] >= 0.5 else None,
                             status=status[i], distance_m=float(dist[i]),
                             bearing=float(brg[i]), simulated=True)
            for i in range(len(rows))]
