"""``python app.py bench fuzz [--lines 1000000]``: hostile NMEA through ``decode`` and through the
live TCP path of the app, with figures.

The lines are the real bundled NMEA (NY hour, Kystverket, gpsd's capture and corpus) mutated
by ``bench.mutate`` (bit flips, truncation, random bytes, repeats, inserted bytes, tag blocks
with broken checksums and absurd times, USCG trailers with absurd times, random payloads with
good checksums, lines of 100 kB).

1. **decode**: the mutated lines (with their recorded times) go to a file and through
   ``python app.py decode`` as a subprocess. Every stdout line must parse as strict JSON
   (no NaN/Infinity), every position must be on Earth; the exit status must be 0.
2. **live**: the same kind of lines, stamped with the time of sending as a receiver would,
   go over a loopback TCP connection into the app's own engine (``app.build_engine``: feed
   health, admission, fleet state, port calls, alerts, a SQLite history store). At the end:
   the reader still connected, no engine round failed, no line raised (``internal_error``),
   every vessel in the twin and every stored position inside the port's region of interest.

Prints the counts by mutation kind and rejects by reason; the last line is
``crashes=… non_strict_json=… out_of_range=… lines=…``.
"""
from __future__ import annotations

import argparse
import json
import math
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench.mutate import ROOT, encode, mutations, real_lines


def _no_constants(name):
    raise ValueError(f"not strict JSON: {name}")


def run_decode(lines: list[str], n: int, seed: int) -> dict:
    kinds: Counter = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mutated.nmea"
        with open(path, "wb") as fh:
            for line in mutations(lines, n, seed, counts=kinds):
                fh.write(encode(line))
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "decode", str(path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        records = non_strict = out_of_range = 0
        for raw in proc.stdout:
            records += 1
            try:
                rec = json.loads(raw, parse_constant=_no_constants)
            except ValueError:
                non_strict += 1
                continue
            lon, lat = rec.get("lon"), rec.get("lat")
            if (lon is not None and not -180 <= lon <= 180) or \
                    (lat is not None and not -90 <= lat <= 90):
                out_of_range += 1
        stderr = proc.stderr.read().decode("utf-8", "replace")
        rc = proc.wait()
    return {"kinds": kinds, "records": records, "non_strict": non_strict,
            "out_of_range": out_of_range, "rc": rc, "stderr": stderr.strip(),
            "seconds": time.perf_counter() - t0}


class _Sender:
    """A loopback 'receiver' that sends ``n`` mutated lines, stamped as it sends them, to the
    one client that connects, at most ``rate`` lines a second."""

    def __init__(self, lines, n, seed, rate):
        self.lines, self.n, self.seed, self.rate = lines, n, seed, rate
        self.kinds: Counter = Counter()
        self.sent = 0
        self.done = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        conn, _ = self.server.accept()
        start = time.monotonic()
        batch = []
        with conn:
            for line in mutations(self.lines, self.n, self.seed, now=time.time,
                                  counts=self.kinds):
                batch.append(encode(line))
                self.sent += 1
                if len(batch) >= 200:
                    conn.sendall(b"".join(batch))
                    batch.clear()
                    if self.rate:
                        ahead = start + self.sent / self.rate - time.monotonic()
                        if ahead > 0:
                            time.sleep(ahead)
            conn.sendall(b"".join(batch))
            self.done.set()
            time.sleep(2.0)                        # let the last lines be read


def run_live(lines: list[str], n: int, seed: int, rate: float) -> dict:
    from app import build_engine, build_store
    from twin.config import Config
    from twin.history import positions
    from sqlalchemy import func, select

    sender = _Sender(lines, n, seed, rate)
    with tempfile.TemporaryDirectory() as tmp:
        config = Config.load(env={}, ais=f"tcp://127.0.0.1:{sender.port}",
                             history_url=f"sqlite:///{Path(tmp) / 'fuzz.sqlite'}",
                             history_autoload=False, history_alerts=False, radar="none",
                             berth_plan="none")
        from twin.port import Port
        port = Port.load(config.port_dir)
        store = build_store(config)
        engine = build_engine(config, port, store)
        source = engine.primary
        t0 = time.perf_counter()
        engine.start()
        sender.done.wait()
        time.sleep(3.0)                            # the last rounds
        engine.stop()
        seconds = time.perf_counter() - t0
        state = engine.state
        region = engine.admission.region
        inside = [(v.lon, v.lat) for v in state.vessels.values()]
        twin_out = sum(1 for lon, lat in inside if not (
            math.isfinite(lon) and math.isfinite(lat) and region[0] <= lon <= region[2]
            and region[1] <= lat <= region[3]))
        with store.engine.connect() as conn:
            src = positions.c.source == engine.activity.source
            stored = conn.execute(select(func.count()).where(src)).scalar()
            store_out = conn.execute(select(func.count()).where(
                src & ((positions.c.lon < region[0]) | (positions.c.lon > region[2])
                       | (positions.c.lat < region[1]) | (positions.c.lat > region[3])))).scalar()
        health = source.health.status()
        source.stop()
        store.close()
    return {"kinds": sender.kinds, "sent": sender.sent, "seconds": seconds,
            "health": health, "engine_errors": engine.errors,
            "engine_error": engine.last_error, "restarts": source.transport._supervisor.restarts,
            "vessels": len(inside), "twin_out": twin_out, "stored": stored,
            "store_out": store_out, "admission": dict(engine.admission.rejects)}


def _counts(c: dict) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(c.items(), key=lambda kv: -kv[1]))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="app.py bench fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=4000.0,
                        help="live path: lines per second at most (0 = as fast as TCP goes)")
    parser.add_argument("--part", choices=["decode", "live", "both"], default="both")
    args = parser.parse_args(argv)
    lines = real_lines()
    crashes = non_strict = out_of_range = 0
    if args.part in ("decode", "both"):
        d = run_decode(lines, args.lines, args.seed)
        print(f"decode: {args.lines:,} lines ({_counts(d['kinds'])}) in {d['seconds']:.1f} s")
        print(f"  {d['records']:,} records out, non-strict JSON {d['non_strict']}, positions "
              f"out of range {d['out_of_range']}, exit status {d['rc']}")
        print("  " + d["stderr"].replace("\n", "\n  "))
        crashes += d["rc"] != 0
        non_strict += d["non_strict"]
        out_of_range += d["out_of_range"]
    if args.part in ("live", "both"):
        lv = run_live(lines, args.lines, args.seed + 1, args.rate)
        h = lv["health"]
        print(f"live TCP: {lv['sent']:,} lines ({_counts(lv['kinds'])}) in "
              f"{lv['seconds']:.1f} s; {h['messages']:,} messages into the twin, "
              f"connection {h['connection']}, reader restarts {lv['restarts']}, "
              f"engine round errors {lv['engine_errors']}"
              + (f" ({lv['engine_error']})" if lv["engine_error"] else ""))
        print(f"  rejected: {_counts(h['rejects'])}")
        print(f"  used with a note: {_counts(h['notes'])}")
        print(f"  admission: {_counts(lv['admission'])}")
        print(f"  twin: {lv['vessels']} vessels, {lv['twin_out']} outside the region; store: "
              f"{lv['stored']:,} positions, {lv['store_out']} outside the region")
        crashes += lv["restarts"] + lv["engine_errors"] + h["rejects"].get("internal_error", 0)
        out_of_range += lv["twin_out"] + lv["store_out"]
    print(f"crashes={crashes} non_strict_json={non_strict} out_of_range={out_of_range} "
          f"lines={args.lines}")
    return 0 if crashes == 0 and non_strict == 0 and out_of_range == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
