"""Benchmark: does the port model hold the stops an independent finder sees?

    python app.py bench stops --port DIR --positions FILE [FILE …]
        [--max-kn 0.5] [--min-minutes 30] [--merge-m 250] [--max-gap-minutes 60]

The finder (``find_stops``) is written apart from the project's stop detector
(``twin.portcalls``) on purpose, with pandas / NumPy over each vessel's fixes and different rules,
so that agreement means something:

* **speed** — the AIS SOG where the file has one, else implied: the distance from the latest fix
  at least ``min_dt_s`` (60 s) earlier, on a local equirectangular projection (no pyproj), over
  the time between. A vessel's first fix has no speed (not slow);
* **slow runs** — consecutive fixes below ``max_kn`` (0.5 kn); a gap of more than
  ``max_gap_minutes`` (60 min) between two fixes ends a run (silence is not a stop);
* **merging** — consecutive runs of one vessel whose median positions are within ``merge_m``
  (250 m) and less than ``min_minutes`` apart are one stop (GPS jitter or warping along a quay
  does not split it);
* **stops** — merged runs lasting at least ``min_minutes`` (30 min); position: the median of
  their fixes.

Printed, for the finder's stops inside the package's port limits:

* the share that are **port-call stays**: a stay (``PortCall.visits``, any kind: berth,
  anchorage or "other") of the same MMSI overlapping it in time; and, for comparison, the share
  overlapped by a stop of the tracker's stop log (``PortCallTracker.stops()``, any kind,
  anywhere);
* the share **at a named berth or anchorage**: by the finder stop's own position (within the
  tracker's berth distance of a quay line, or inside an anchorage polygon), and by the kind of
  the overlapping stay.
"""
from __future__ import annotations

import argparse
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from data_sources.positions import load_positions
from twin.port import Port
from twin.portcalls import run_batch

EARTH_M = 6_371_008.8
KN = 1852 / 3600            # m/s per knot


def find_stops(fixes: pd.DataFrame, max_kn: float = 0.5, min_minutes: float = 30,
               merge_m: float = 250, max_gap_minutes: float = 60,
               min_dt_s: float = 60) -> pd.DataFrame:
    """Stops of every vessel (see the module docstring): mmsi, start, end, lon, lat, fixes."""
    rows = []
    for mmsi, g in fixes.sort_values(["mmsi", "ts"]).groupby("mmsi", sort=False):
        ts = g["ts"].to_numpy(float)
        lon = g["lon"].to_numpy(float)
        lat = g["lat"].to_numpy(float)
        speed = _speed_kn(ts, lon, lat, g["sog"].to_numpy(float) if "sog" in g else None,
                          min_dt_s)
        slow = speed < max_kn                       # NaN (unknown) is not slow
        gap = np.diff(ts, prepend=ts[0]) > max_gap_minutes * 60
        # a run starts at a slow fix whose predecessor is not slow or lies across a gap
        start = slow & (~np.roll(slow, 1) | gap)
        start[0] = slow[0]
        run_id = np.cumsum(start)
        idx = np.flatnonzero(slow)
        runs = []
        if len(idx):                                # first and last fix of each run
            _, first = np.unique(run_id[idx], return_index=True)
            last = np.r_[first[1:], len(idx)] - 1
            runs = [[a, b] for a, b in zip(idx[first], idx[last])]
        merged: list[list] = []
        for a, b in runs:
            if merged:
                pa, pb = merged[-1]
                close = _metres(np.median(lon[pa:pb + 1]), np.median(lat[pa:pb + 1]),
                                np.median(lon[a:b + 1]), np.median(lat[a:b + 1])) <= merge_m
                soon = ts[a] - ts[pb] < min_minutes * 60
                silent = np.diff(ts[pb:a + 1]).max(initial=0) > max_gap_minutes * 60
                if close and soon and not silent:
                    merged[-1][1] = b
                    continue
            merged.append([a, b])
        for a, b in merged:
            if ts[b] - ts[a] >= min_minutes * 60:
                rows.append((int(mmsi), ts[a], ts[b], float(np.median(lon[a:b + 1])),
                             float(np.median(lat[a:b + 1])), int(b - a + 1)))
    return pd.DataFrame(rows, columns=["mmsi", "start", "end", "lon", "lat", "fixes"])


def _metres(lon1, lat1, lon2, lat2):
    """Distance on a local equirectangular projection (good to far below a metre at the few
    hundred metres that matter here)."""
    k = math.pi / 180
    x = (np.asarray(lon2) - lon1) * k * np.cos((np.asarray(lat2) + lat1) / 2 * k)
    y = (np.asarray(lat2) - lat1) * k
    return EARTH_M * np.hypot(x, y)


def _speed_kn(ts, lon, lat, sog, min_dt_s) -> np.ndarray:
    """SOG where known, else the implied speed from the latest fix >= ``min_dt_s`` earlier."""
    j = np.searchsorted(ts, ts - min_dt_s, side="right") - 1     # latest fix old enough
    ok = j >= 0
    implied = np.full(len(ts), np.nan)
    jj = j[ok]
    implied[ok] = _metres(lon[jj], lat[jj], lon[ok], lat[ok]) / (ts[ok] - ts[jj]) / KN
    if sog is None:
        return implied
    return np.where(np.isfinite(sog), sog, implied)


def _intervals(items) -> dict:
    """mmsi -> array of (start, end, named?) rows."""
    out: dict = {}
    for mmsi, start, end, named in items:
        out.setdefault(int(mmsi), []).append((start, end, named))
    return {m: np.array(v, dtype=float) for m, v in out.items()}


def _overlap(stops: pd.DataFrame, by: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per stop: overlapped by any interval of the same vessel; by a named one."""
    any_, named = np.zeros(len(stops), bool), np.zeros(len(stops), bool)
    for i, (m, a, b) in enumerate(stops[["mmsi", "start", "end"]].itertuples(index=False)):
        iv = by.get(int(m))
        if iv is None:
            continue
        hit = (iv[:, 0] <= b) & (iv[:, 1] >= a)
        any_[i] = hit.any()
        named[i] = (hit & (iv[:, 2] > 0)).any()
    return any_, named


def measure(port: Port, fixes: pd.DataFrame, static: dict | None = None, **finder) -> dict:
    """The figures for one package and one history (see the module docstring)."""
    geometry = port.geometry
    found = find_stops(fixes, **finder)
    where = geometry.locate(found["lon"].to_numpy(float), found["lat"].to_numpy(float))
    inside = where["in_port"]
    at_place = np.array([b is not None or a is not None
                         for b, a in zip(where["berth"], where["anchorage"])], bool)
    ship_types = {m: d.get("ship_type") for m, d in (static or {}).items()
                  if d.get("ship_type")}
    tracker = run_batch(fixes, geometry, ship_types=ship_types)
    last = fixes.groupby("mmsi")["ts"].max().to_dict()
    visits = _intervals(
        (c.mmsi, v.arrival, v.departure if v.departure is not None else c.last_seen,
         v.kind in ("berth", "anchorage"))
        for c in tracker.all_calls() for v in c.visits)
    logged = _intervals(
        (m, s, e if e is not None else last[m], k in ("berth", "anchorage"))
        for m, s, e, k, *_ in tracker.stops())
    f = found[inside]
    stay, stay_named = _overlap(f, visits)
    stop, _ = _overlap(f, logged)
    kinds = Counter(v.kind for c in tracker.all_calls() for v in c.visits)
    n = len(f)
    share = (lambda mask: float(mask.sum()) / n if n else float("nan"))
    return {"missed": f[~stay], "fixes": len(fixes), "vessels": int(fixes["mmsi"].nunique()),
            "found": len(found), "inside": n,
            "stays": share(stay), "tracker_stops": share(stop),
            "named_position": share(at_place[inside]), "named_stay": share(stay_named),
            "visit_kinds": dict(kinds), "calls": len(tracker.all_calls())}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="app.py bench stops", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=Path, required=True, help="port package folder")
    parser.add_argument("--positions", type=Path, nargs="+", required=True)
    parser.add_argument("--max-kn", type=float, default=0.5)
    parser.add_argument("--min-minutes", type=float, default=30)
    parser.add_argument("--merge-m", type=float, default=250)
    parser.add_argument("--max-gap-minutes", type=float, default=60)
    parser.add_argument("--show-missed", type=int, default=10, metavar="N",
                        help="list up to N of the finder's stops that are no stay (default 10)")
    args = parser.parse_args(argv)

    port = Port.load(args.port)
    frames, static = [], {}
    for path in args.positions:
        df, known = load_positions(path)
        frames.append(df)
        static.update(known)
    fixes = pd.concat(frames, ignore_index=True)
    r = measure(port, fixes, static, max_kn=args.max_kn, min_minutes=args.min_minutes,
                merge_m=args.merge_m, max_gap_minutes=args.max_gap_minutes)
    names = ", ".join(p.name for p in args.positions)
    print(f"{names} on {args.port}: {r['fixes']:,} fixes, {r['vessels']} vessels, "
          f"{r['calls']} port calls (stays by kind: {r['visit_kinds'] or 'none'})")
    print(f"  finder (< {args.max_kn:g} kn for >= {args.min_minutes:g} min, merged within "
          f"{args.merge_m:g} m): {r['found']} stops, {r['inside']} inside the port limits")
    print(f"  port-call stays (PortCall.visits, any kind) overlapping them: {r['stays']:.1%}"
          f"   [tracker.stops(), any kind: {r['tracker_stops']:.1%}]")
    print(f"  at a named berth or anchorage: by position {r['named_position']:.1%}, "
          f"by the overlapping stay {r['named_stay']:.1%}")
    missed = r["missed"]
    if len(missed) and args.show_missed > 0:
        print(f"  the finder's stops that are no stay ({len(missed)}; up to {args.show_missed}):")
        for m in missed.head(args.show_missed).itertuples():
            start = pd.Timestamp(m.start, unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
            print(f"    {m.mmsi}  {start}  {(m.end - m.start) / 60:5.0f} min  "
                  f"{m.fixes:4d} fixes  {m.lat:.5f} {m.lon:.5f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
