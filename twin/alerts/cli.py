"""``python app.py alerts --port DIR --positions FILE --out alerts.jsonl``: the alert engine
over a position file (MarineCadastre CSV, tracktable .traj, NMEA), one JSON line per alert
(rule, severity, mmsi, start, end, position, details), and the volume per vessel-hour by rule
on stdout."""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from data_sources.jsonout import dumps

from .engine import RULES, run_alerts

GAP_S = 1800.0       # vessel-hours: time between consecutive reports up to this counts


def vessel_hours(fixes: pd.DataFrame) -> float:
    """Hours of observed presence: per vessel, the time between consecutive reports, gaps
    longer than 30 min left out (a vessel out of sight is not watched)."""
    df = fixes.sort_values(["mmsi", "ts"])
    dt = df.groupby("mmsi")["ts"].diff().to_numpy()
    dt = dt[~np.isnan(dt)]
    return float(dt[dt <= GAP_S].sum() / 3600)


def volume(alerts, hours: float) -> pd.DataFrame:
    """Alerts (incidents) per rule and per vessel-hour, every rule listed."""
    counts = Counter(a.rule for a in alerts)
    rows = [{"rule": r, "alerts": counts.get(r, 0),
             "per_vessel_hour": counts.get(r, 0) / hours if hours else float("nan")}
            for r in RULES]
    rows.append({"rule": "all", "alerts": sum(counts.values()),
                 "per_vessel_hour": sum(counts.values()) / hours if hours else float("nan")})
    return pd.DataFrame(rows)


def _iso(ts):
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc).isoformat()


def alert_json(a) -> dict:
    return {"rule": a.rule, "severity": a.severity, "mmsi": a.mmsi, "other_mmsi": a.other_mmsi,
            "start": _iso(a.start), "end": _iso(a.end), "last": _iso(a.last),
            "position": {"lon": a.lon, "lat": a.lat}, "sector": a.sector,
            "occurrences": a.occurrences, "details": a.details, "id": a.alert_id}


def main(argv: list[str]) -> int:
    from data_sources.positions import load_positions
    from twin.port import Port

    parser = argparse.ArgumentParser(prog="app.py alerts", description=__doc__)
    parser.add_argument("--port", type=Path, default=None,
                        help="port package (its alerts.toml sets the thresholds; default: "
                             "PORTTWIN_PORT_DIR, else the bundled one)")
    parser.add_argument("--positions", type=Path, required=True)
    parser.add_argument("--out", type=Path, help="JSON lines (default: stdout)")
    parser.add_argument("--config", type=Path, help="alerts TOML instead of the port's")
    args = parser.parse_args(argv)

    from twin.history_cli import port_dir
    port = Port.load(port_dir(args.port))
    config = None
    if args.config:
        import tomllib
        config = tomllib.loads(args.config.read_text(encoding="utf-8"))
    rejects: Counter = Counter()
    started = time.perf_counter()
    fixes, static = load_positions(args.positions, rejects)
    engine = run_alerts(fixes, port, config, static=static, source=f"file:{args.positions.name}")
    alerts = sorted(engine.all_alerts(), key=lambda a: a.start)
    out = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
    try:
        for a in alerts:
            out.write(dumps(alert_json(a)) + "\n")
    finally:
        if args.out:
            out.close()
    hours = vessel_hours(fixes)
    table = volume(alerts, hours)
    report = sys.stderr if not args.out else sys.stdout
    print(f"{len(fixes)} fixes, {fixes['mmsi'].nunique()} vessels, {hours:.1f} vessel-hours, "
          f"{time.perf_counter() - started:.1f} s; rejected: {dict(rejects) or 'none'}",
          file=report)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"), file=report)
    return 0
