"""A SAMPLE berth plan derived from real port calls — for scenarios with no published plan.

No berth plan of the NY/NJ terminals is public. To show plan vs actual on real traffic, the
sample plan is made from the port calls the twin itself finds in the bundled AIS hour, with
these stated perturbations (seeded, reproducible):

* every berth visit of a cargo ship or tanker (what a terminal's line-up lists; ferries, tugs
  and service craft are not planned this way) becomes a plan at that berth: ETB = actual berthing + N(0, 20 min); ETA = ETB − 1 h; ETD = actual
  departure + N(0, 30 min) (a vessel still there at the end: ETB + 12 h); rounded to 5 min;
  a visit already going on when the recording starts gets ETB 2–10 h before it; where real
  ships shared a berth the earlier plan ends at the next one's ETB;
* four scripted cases so each plan-vs-actual alert shows: two vessels (not tugs, service or
  pleasure craft) that really enter the port area during the recording, one planned 3 h later than it arrives (early arrival) and
  one planned 1 h before (late arrival), each at a berth no other plan uses; one whose ETD is 20 min into the recording while it stays (overstay), and one
  plan for another vessel at a berth that is really occupied then (a plan overlap and an
  occupant other than planned).

Every row is marked ``sample=true``; the UI labels the plan a sample.

    python app.py berthplan sample --positions FILE --out plan.csv
"""
from __future__ import annotations

import csv
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from data_sources.jsonout import safe_cell

from .port import Port
from .portcalls import run_batch
from .vessel_types import ship_category

PLANNED = {"cargo", "tanker"}          # merchant ships: what a terminal's line-up lists
NOT_PLANNED = {"tug", "service", "pleasure", "sar"}


def _iso(ts: float) -> str:
    ts = round(ts / 300) * 300
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_sample(fixes, static: dict, port: Port, seed: int = 630) -> list[dict]:
    rng = np.random.default_rng(seed)
    start, end = float(fixes["ts"].min()), float(fixes["ts"].max())
    types = {m: s.get("ship_type") for m, s in static.items()}
    tracker = run_batch(fixes, port.geometry, ship_types=types)
    names = {m: s.get("name") for m, s in static.items()}
    rows = []
    for call in sorted(tracker.all_calls(), key=lambda c: (c.mmsi, c.arrival_port_area)):
        if ship_category(types.get(call.mmsi), call.mmsi) not in PLANNED:
            continue
        for v in call.visits:
            if v.kind != "berth":
                continue
            began_before = v.arrival <= start + 60
            etb = (v.arrival - rng.uniform(2, 10) * 3600 if began_before
                   else v.arrival + rng.normal(0, 20 * 60))
            etd = (etb + 12 * 3600 if v.departure is None or v.departure >= end - 60
                   else max(etb + 1800, v.departure + rng.normal(0, 30 * 60)))
            rows.append({"plan_id": f"S-{len(rows) + 1:03d}", "berth": v.place,
                         "eta": etb - 3600, "etb": etb, "etd": etd, "mmsi": call.mmsi,
                         "imo": static.get(call.mmsi, {}).get("imo"),
                         "name": names.get(call.mmsi) or "", "actual_arrival": v.arrival,
                         "actual_departure": v.departure, "began_before": began_before,
                         "observed": call.arrival_observed, "area": call.arrival_port_area,
                         "note": "derived"})
    entering = [c for c in tracker.all_calls() if c.arrival_observed
                and c.arrival_port_area > start + 20 * 60
                and ship_category(types.get(c.mmsi), c.mmsi) not in NOT_PLANNED]
    used = {r["berth"] for r in rows}
    free = [b for b in port.layer("berths")["id"].astype(str) if b not in used]
    _no_overlaps(rows)
    _scripted(rows, start, end, entering, free, names, static)
    out = []
    for r in rows:
        out.append({"plan_id": r["plan_id"], "berth": r["berth"], "eta": _iso(r["eta"]),
                    "etb": _iso(r["etb"]), "etd": _iso(r["etd"]), "mmsi": r["mmsi"] or "",
                    "imo": r["imo"] or "", "name": r["name"], "cargo": "", "company": "",
                    "sample": "true", "note": r["note"]})
    return out


def _no_overlaps(rows: list[dict]) -> None:
    """A planner does not plan two ships into one berth at once: an earlier plan's ETD is
    cut to the next plan's ETB at that berth (ships that really shared a berth)."""
    by_berth: dict = {}
    for r in rows:
        by_berth.setdefault(r["berth"], []).append(r)
    for plans in by_berth.values():
        plans.sort(key=lambda r: r["etb"])
        for a, b in zip(plans, plans[1:]):
            a["etd"] = min(a["etd"], b["etb"])


def _scripted(rows, start, end, entering, free, names, static) -> None:
    staying = [r for r in rows if r["began_before"] and r["actual_departure"] is None]
    for call, (shift, note) in zip(entering, [
            (3 * 3600, "scripted: arrives 3 h before its ETA"),
            (-60 * 60, "scripted: ETA 1 h before it arrives")]):
        eta = call.arrival_port_area + shift
        rows.append({"plan_id": f"S-{len(rows) + 1:03d}", "berth": free.pop(0), "eta": eta,
                     "etb": eta + 3600, "etd": eta + 13 * 3600, "mmsi": call.mmsi,
                     "imo": static.get(call.mmsi, {}).get("imo"),
                     "name": names.get(call.mmsi) or "", "note": note})
    if staying:
        r = staying[0]                                   # overstay: ETD 20 min in
        r["etd"] = start + 20 * 60
        r["etb"] = min(r["etb"], r["etd"] - 3600)
        r["eta"] = r["etb"] - 3600
        r["note"] = "scripted: ETD passes while it stays"
    if len(staying) > 1:
        occupied = staying[1]                            # another vessel planned there
        rows.append({**occupied, "plan_id": f"S-{len(rows) + 1:03d}", "mmsi": None,
                     "imo": None, "name": "SAMPLE PLANNED VESSEL",
                     "eta": start + 5 * 60, "etb": start + 15 * 60, "etd": end + 6 * 3600,
                     "note": f"scripted: planned at {occupied['berth']} while "
                             f"{occupied['mmsi']} is there"})


def main(argv=None) -> int:
    import argparse
    from data_sources.positions import load_positions
    parser = argparse.ArgumentParser(prog="app.py berthplan sample", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["sample"])
    parser.add_argument("--port", type=Path, default=Path(__file__).resolve().parent.parent
                        / "data" / "ports" / "nynj")
    parser.add_argument("--positions", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    fixes, static = load_positions(args.positions)
    rows = make_sample(fixes, static, Port.load(args.port))
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        fh.write("# SAMPLE berth plan derived from real AIS port calls; see twin/berth_plan_sample.py\n")
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({k: safe_cell(v) for k, v in r.items()} for r in rows)
    print(f"{len(rows)} sample plans -> {args.out}", file=sys.stderr)
    return 0
