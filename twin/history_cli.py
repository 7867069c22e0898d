"""``python app.py history load FILE`` and ``python app.py portcalls …``: the port-call tracker
over a file of positions (MarineCadastre CSV, tracktable .traj or NMEA), the same tracker the
engine runs live."""
from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from data_sources.jsonout import safe_cell
from data_sources.positions import load_positions

from .config import Config, default_store_url
from .history import HistoryStore, Thinning
from .kpis import berth_occupancy, port_kpis, visits_table
from .port import Port
from .portcalls import PortCallRules, run_batch
from .stays import stays_table

TIME_COLUMNS = ("arrival_port_area", "anchorage_arrival", "anchorage_departure", "berth_arrival",
                "berth_departure", "port_area_departure", "last_seen")


def store_url(url: str | None, port: Path | None = None) -> str:
    """``--db``, else ``PORTTWIN_HISTORY_URL``, else the port's own store (``var/<locode>
    .sqlite``: the one the app of that port uses)."""
    if url:
        return url
    env = Config.load()
    if env.history_url and env.history_url.lower() != "none":
        return env.history_url
    return default_store_url(port if port is not None else env.port_dir)


def open_store(url: str | None, retention_days: float = 400.0,
               port: Path | None = None) -> HistoryStore:
    url = store_url(url, port)
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    return HistoryStore(url, retention_days=retention_days)


def port_dir(given: Path | None) -> Path:
    """The port package of a command: ``--port``, else ``PORTTWIN_PORT_DIR`` (the deployment's),
    else the bundled one."""
    return given if given is not None else Config.load().port_dir


def history_source(path) -> str:
    return f"history:{Path(path).name}"


def calls_from_file(path, port: Port, rules: PortCallRules | None, rejects: Counter,
                    source: str = ""):
    """Positions of a file through the port-call tracker -> (fixes, static data, tracker)."""
    df, static = load_positions(path, rejects)
    ship_types = {m: s["ship_type"] for m, s in static.items() if s.get("ship_type")}
    return df, static, run_batch(df, port.geometry, rules, ship_types, source=source)


def load_history(store: HistoryStore, path, port: Port, rules: PortCallRules | None = None,
                 rejects: Counter | None = None) -> dict:
    """Load a position file into the store as source ``history:<file name>`` (replacing an
    earlier load of it): thinned positions, port calls, visits, tracker state, a KPI snapshot."""
    t0 = time.perf_counter()
    rejects = rejects if rejects is not None else Counter()
    source = history_source(path)
    df, static, tracker = calls_from_file(path, port, rules, rejects, source)
    thinning, kept, fixes = Thinning(), {}, []
    for m, t, x, y, sog, st in df.sort_values(["ts"], kind="stable")[
            ["mmsi", "ts", "lon", "lat", "sog", "nav_status"]].itertuples(index=False):
        status = None if st != st else int(st)
        if thinning.keep(kept.get(m), t, x, y, status):
            kept[m] = (t, x, y, status)
            fixes.append({"mmsi": int(m), "ts": float(t), "lon": float(x), "lat": float(y),
                          "sog": None if sog != sog else float(sog), "nav_status": status})
    calls = tracker.all_calls()
    now = float(df["ts"].max()) if len(df) else time.time()
    start = float(df["ts"].min()) if len(df) else now
    store.replace_source(source)
    for i in range(0, len(fixes), 20_000):           # big loads in a few transactions
        store.write_round(source, fixes=fixes[i:i + 20_000])
    store.write_round(source, calls=calls,
                      states={m: tracker.state_of(m) for m in tracker.tracks},
                      static=static, watermark=now, now=now)
    rows = [c.to_row(now) for c in calls]
    import pandas as pd
    kpis = port_kpis(pd.DataFrame(rows), start, now + 1, now, rules)
    store.write_kpis(source, now, kpis)
    return {"source": source, "fixes": len(df), "stored_fixes": len(fixes),
            "vessels": int(df["mmsi"].nunique()) if len(df) else 0, "calls": len(calls),
            "rejects": dict(rejects), "seconds": time.perf_counter() - t0, "kpis": kpis,
            "start": start, "end": now}


def load_history_alerts(store: HistoryStore, path, port: Port) -> dict:
    """The alert rules over a loaded history file, stored under its source (the reports'
    alerts by rule and the playback's alerts). ~35 s for the bundled NY week on this machine,
    so the app runs it in a background thread after its first start."""
    from .alerts.engine import run_alerts
    t0 = time.perf_counter()
    source = history_source(path)
    df, static = load_positions(path, Counter())
    engine = run_alerts(df, port, static=static, source=source)
    rows = [a.to_row() for a in engine.all_alerts()]
    store.write_alerts(source, rows)
    store.set_meta(source, "alerts_loaded", str(len(rows)))
    return {"source": source, "alerts": len(rows), "seconds": time.perf_counter() - t0}


def _iso(ts) -> str:
    if ts is None or ts != ts:
        return ""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def history_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="app.py history", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load", help="load a position file into the history store")
    load.add_argument("file", type=Path)
    load.add_argument("--db", help="SQLAlchemy URL (default: the port's var/<locode>.sqlite)")
    load.add_argument("--port", type=Path, default=None,
                      help="port package (default: PORTTWIN_PORT_DIR, else the bundled one)")
    load.add_argument("--no-alerts", dest="alerts", action="store_false",
                      help="do not run the alert rules over the file")
    prune = sub.add_parser(
        "prune", help="delete one source's positions older than a time (says what it will "
                      "delete; deletes only with --yes)")
    prune.add_argument("--source", help="the source, e.g. live:ais-nmea or "
                                        "history:FILE (omit to list the sources)")
    when = prune.add_mutually_exclusive_group()
    when.add_argument("--before", help="ISO time (UTC unless it has an offset)")
    when.add_argument("--older-than-days", type=float,
                      help="older than this many days before the source's newest position")
    prune.add_argument("--yes", action="store_true", help="delete (else only say what)")
    prune.add_argument("--db", help="SQLAlchemy URL (default: the port's var/<locode>.sqlite)")
    prune.add_argument("--port", type=Path, default=None,
                       help="port package whose store it is (default: PORTTWIN_PORT_DIR)")
    args = parser.parse_args(argv)
    if args.command == "prune":
        return _prune(args)
    port = Port.load(port_dir(args.port))
    store = open_store(args.db, port=port.path)
    result = load_history(store, args.file, port)
    k = result["kpis"]
    print(f"{args.file.name}: {result['fixes']:,} fixes of {result['vessels']} vessels "
          f"({result['stored_fixes']:,} stored after thinning), {result['calls']} calls "
          f"in {result['seconds']:.1f} s -> {store.url}")
    print(f"  calls in period {k['calls']}, arrivals/day {k['arrivals_per_day']:.1f}, "
          f"median waiting {_fmt_h(k['waiting_median_h'])}, median at berth "
          f"{_fmt_h(k['berth_time_median_h'])}")
    if result["rejects"]:
        print("  rejected: " + ", ".join(f"{r} {n}" for r, n in result["rejects"].items()),
              file=sys.stderr)
    if args.alerts:
        got = load_history_alerts(store, args.file, port)
        print(f"  {got['alerts']} alerts in {got['seconds']:.1f} s")
    return 0


def _prune(args) -> int:
    """``history prune``: the one way to delete stored positions beyond the automatic
    retention's per-pass limit. Without ``--yes`` it only says what it would delete."""
    store = open_store(args.db, port=port_dir(args.port))
    counts = store.position_counts()
    if not args.source or (args.before is None and args.older_than_days is None):
        print("positions per source (first .. last):")
        for source, (n, first, last) in sorted(counts.items()):
            print(f"  {source}: {n:,} ({_iso(first)} .. {_iso(last)})")
        if args.source:
            print("give --before TIME or --older-than-days N", file=sys.stderr)
            return 2
        return 0
    if args.source not in counts:
        print(f"no positions of source {args.source!r}; sources: {sorted(counts)}",
              file=sys.stderr)
        return 2
    if args.before is not None:
        from data_sources.rows import parse_time
        try:
            before = parse_time(args.before)
        except ValueError as exc:
            print(f"--before: {exc}", file=sys.stderr)
            return 2
    else:
        before = counts[args.source][2] - args.older_than_days * 86400
    plan = store.prune_plan(args.source, before)
    print(f"{args.source}: {plan['delete']:,} of {plan['of']:,} positions are before "
          f"{_iso(before)}" + (f" ({_iso(plan['first'])} .. {_iso(plan['last'])})"
                               if plan["delete"] else ""))
    if not args.yes:
        print("nothing deleted: add --yes to delete them")
        return 0
    deleted = store.prune(args.source, before, max_share=None, retention_days=0)
    print(f"deleted {deleted:,} positions of {args.source}")
    return 0


def _fmt_h(h) -> str:
    return "-" if h is None else f"{h:.1f} h"


def portcalls_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="app.py portcalls", description=__doc__)
    parser.add_argument("--port", type=Path, default=None,
                        help="port package (default: PORTTWIN_PORT_DIR, else the bundled one)")
    parser.add_argument("--positions", type=Path, required=True,
                        help="MarineCadastre CSV, tracktable .traj or NMEA file")
    parser.add_argument("--out", type=Path, required=True, help="calls CSV to write")
    parser.add_argument("--stays", type=Path,
                        help="also write one row per stay (berth, anchorage, other) here")
    parser.add_argument("--occupancy", type=Path, help="also write berth occupancy CSV here")
    parser.add_argument("--all", action="store_true",
                        help="include transits (no berth or anchorage stay)")
    args = parser.parse_args(argv)
    rejects: Counter = Counter()
    port = Port.load(port_dir(args.port))
    df, static, tracker = calls_from_file(args.positions, port, None, rejects)
    now = float(df["ts"].max()) if len(df) else 0.0
    rows = [c.to_row(now) for c in tracker.all_calls()]
    if not args.all:
        rows = [r for r in rows if r["kind"] != "transit"]
    rows.sort(key=lambda r: r["arrival_port_area"])
    fields = list(rows[0]) if rows else ["call_id"]
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow({k: safe_cell(_iso(v) if k in TIME_COLUMNS else
                            ("" if v is None else (round(v, 1) if isinstance(v, float) else v)))
                        for k, v in r.items()})
    if args.occupancy:
        start = float(df["ts"].min()) if len(df) else 0.0
        occ = berth_occupancy(visits_table(tracker.all_calls()), port.geometry.berth_info,
                              start, now, now,
                              {m: s.get("length") for m, s in static.items() if s.get("length")})
        occ.map(safe_cell).to_csv(args.occupancy, index=False, float_format="%.3f")
    if args.stays:
        stays = stays_table(tracker.all_calls(), port.geometry, now)
        for col in ("start", "end"):
            stays[col] = stays[col].map(_iso)
        stays.map(safe_cell).to_csv(args.stays, index=False, float_format="%.6g")
        other = stays[stays["kind"] == "other"]
        print(f"{len(stays)} stays ({', '.join(f'{k} {n}' for k, n in stays['kind'].value_counts().items())})"
              f" in {args.stays}; {len(other)} at no known place"
              + (f", median {other['nearest_distance_m'].median():.0f} m from the nearest"
                 if len(other) else ""), file=sys.stderr)
    print(f"{args.positions.name}: {len(df):,} fixes, {df['mmsi'].nunique() if len(df) else 0} "
          f"vessels -> {len(rows)} calls in {args.out}", file=sys.stderr)
    if rejects:
        print("rejected: " + ", ".join(f"{r} {n}" for r, n in rejects.most_common()),
              file=sys.stderr)
    return 0
