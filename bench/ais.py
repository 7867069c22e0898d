"""Benchmark: AIS messages per second, bare pyais decode vs our whole pipeline.

    python app.py bench ais [--corpus FILE ...] [--repeat 3]

* bare pyais: ``pyais.FileReaderStream`` + ``decode()`` of every message (pyais joins fragments);
* ours: read -> frame (tag blocks, trailers, checksums) -> reassemble -> check -> decode -> clean
  -> twin events -> ``FleetState.apply`` (in batches, as the engine does each tick).

Default corpora: the gpsd files and the re-encoded NY hour. Best of ``--repeat`` runs (7).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from pyais.stream import FileReaderStream

from data_sources.ais import AisDecoder
from data_sources.ais_source import to_events
from data_sources.transport import file_lines
from twin.config import ROOT
from twin.state import FleetState

CORPORA = [ROOT / "data/ais/conformance/gpsd/sample.aivdm",
           ROOT / "data/ais/conformance/gpsd/ais-nmea-type6-fid55.log",
           ROOT / "data/ais/NYHarbor_2020_06_30_first_hour.nmea"]
BATCH = 500


def bare_pyais(path: Path) -> int:
    n = 0
    for msg in FileReaderStream(str(path)):
        try:
            msg.decode()
            n += 1
        except Exception:
            pass
    return n


def pipeline(path: Path) -> int:
    decoder, state = AisDecoder(), FleetState()
    batch, n, now = [], 0, time.time()
    for line in file_lines(path, encoding="latin-1"):
        record = decoder.feed(line, now)
        if record is not None:
            n += 1
            batch.extend(to_events(record, "bench"))
            if len(batch) >= BATCH:
                state.apply(batch)
                batch = []
    state.apply(batch)
    return n + decoder.duplicates     # merged duplicates were handled too


def best(fn, path, repeat):
    times, n = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = fn(path)
        times.append(time.perf_counter() - t0)
    return n, min(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="app.py bench ais", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, nargs="+", default=CORPORA)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    head = (f"{'corpus':<38} {'pyais msgs':>10} {'pyais msg/s':>12} | {'ours msgs':>9} "
            f"{'ours msg/s':>11} | {'ratio':>5}")
    print(head)
    print("-" * len(head))
    for path in args.corpus:
        n_bare, t_bare = best(bare_pyais, path, args.repeat)
        n_ours, t_ours = best(pipeline, path, args.repeat)
        rate_bare, rate_ours = n_bare / t_bare, n_ours / t_ours
        print(f"{path.name[:38]:<38} {n_bare:>10,} {rate_bare:>12,.0f} | {n_ours:>9,} "
              f"{rate_ours:>11,.0f} | {rate_ours / rate_bare:>5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
