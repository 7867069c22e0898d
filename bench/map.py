"""Benchmark: server time and bytes to build one vessel-layer update, binary vs pydeck JSON.

    python app.py bench map [--sizes 1000 10000 50000] [--repeat 5]

The fleet is the real NY/NJ fleet (the bundled MarineCadastre hour, replayed to its end),
scaled by copies: each copy is shifted a few hundred metres and gets its own MMSIs, so every
vessel is a distinct footprint. Both paths build the same to-scale footprints and are timed
up to the bytes Dash would send (``dash._utils.to_json``):

* binary: ``layouts.map_layers.build_vessel_layers`` -> ``layer_data`` typed arrays (base64);
* pydeck JSON: a DataFrame of polygon records serialised by ``pydeck.Layer.to_json``.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd
from dash._utils import to_json

from data_sources import marinecadastre
from layouts.map_layers import VESSELS, build_vessel_layer_pydeck_json, build_vessel_layers
from twin.config import Config
from twin.port import Port
from twin.state import FleetState


def real_fleet() -> pd.DataFrame:
    config = Config.load()
    config = config.for_port(Port.load(config.port_dir))     # the port's own recording
    reports = marinecadastre.load_file(config.ais_replay or config.ais_csv)
    state = FleetState(expire_s=3600)
    state.apply(reports)
    return state.snapshot(reports[-1].ts).vessels


def scaled_fleet(fleet: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    copies = -(-n // len(fleet))
    df = pd.concat([fleet] * copies, ignore_index=True).iloc[:n].copy()
    copy_no = np.arange(n) // len(fleet)
    df["mmsi"] = df["mmsi"].to_numpy() + copy_no * 1_000_000_000
    df["lon"] += np.where(copy_no > 0, rng.normal(0, 0.004, n), 0.0)
    df["lat"] += np.where(copy_no > 0, rng.normal(0, 0.003, n), 0.0)
    return df.reset_index(drop=True)


def _time(fn, repeat: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        payload = fn()
        times.append(time.perf_counter() - t0)
        size = len(payload)
    return statistics.median(times), size


def run(sizes, repeat: int) -> list[dict]:
    fleet = real_fleet()
    rows = []
    for n in sizes:
        df = scaled_fleet(fleet, n)
        drawn = int(((df["length"] > 0) & df["course"].notna()).sum())
        b_s, b_bytes = _time(lambda: to_json({VESSELS: build_vessel_layers(df).data[VESSELS]}),
                             repeat)
        j_s, j_bytes = _time(lambda: build_vessel_layer_pydeck_json(df), repeat)
        rows.append({"vessels": n, "footprints": drawn, "binary_ms": b_s * 1e3,
                     "binary_mb": b_bytes / 1e6, "json_ms": j_s * 1e3, "json_mb": j_bytes / 1e6,
                     "faster": j_s / b_s, "smaller": j_bytes / b_bytes})
    return rows


def print_table(rows) -> None:
    head = (f"{'vessels':>8} {'footprints':>10} | {'binary ms':>10} {'binary MB':>10} | "
            f"{'pydeck JSON ms':>14} {'pydeck JSON MB':>14} | {'faster':>7} {'smaller':>7}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['vessels']:>8,} {r['footprints']:>10,} | {r['binary_ms']:>10.1f} "
              f"{r['binary_mb']:>10.3f} | {r['json_ms']:>14.1f} {r['json_mb']:>14.3f} | "
              f"{r['faster']:>6.1f}x {r['smaller']:>6.1f}x")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="app.py bench map", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--repeat", type=int, default=5, help="runs per cell (median shown)")
    args = parser.parse_args(argv)
    print("Vessel layer update: server build time and bytes sent "
          f"(median of {args.repeat}; real NY/NJ fleet scaled by copies)")
    print_table(run(args.sizes, args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
