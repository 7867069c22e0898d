"""Benchmark: AIS messages per second, bare pyais decode vs our pipeline.

    python app.py bench ais [--corpus FILE ...] [--repeat 11]

* bare pyais: ``pyais.FileReaderStream`` + ``decode()`` of every message (pyais joins fragments);
* ours, AIS layer: read -> frame (tag blocks, trailers, checksums) -> reassemble -> merge
  duplicates -> check -> decode -> clean -> twin events (what ``data_sources`` hands the twin);
* ours, with the twin: the same, then ``FleetState.apply`` of the events (in batches, as the
  engine does each tick).

Default corpora: the gpsd files and the re-encoded NY hour. Best of ``--repeat`` runs; ratios
are ours / bare pyais in messages per second.
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
# Arrival time of line i in files with no times of their own (the gpsd captures): far enough
# apart that no message is merged as a duplicate — every message is decoded, as pyais does.
# The duplicate check still runs. Files with times (tag blocks) use theirs.
ARRIVAL_STEP_S = 10.0


def decode_count(messages) -> int:
    """How many of pyais's messages decode (bare pyais: the reference of the benches)."""
    n = 0
    for msg in messages:
        try:
            msg.decode()
            n += 1
        except Exception:
            pass
    return n


def bare_pyais(path: Path) -> int:
    return decode_count(FileReaderStream(str(path)))


def ais_layer(path: Path) -> int:
    decoder, n = AisDecoder(), 0
    for i, line in enumerate(file_lines(path, encoding="latin-1")):
        record = decoder.feed(line, i * ARRIVAL_STEP_S)
        if record is not None:
            n += 1
            to_events(record, "bench")
    return n + decoder.duplicates     # merged duplicates were handled too


def pipeline(path: Path) -> int:
    decoder, state = AisDecoder(), FleetState()
    batch, n = [], 0
    for i, line in enumerate(file_lines(path, encoding="latin-1")):
        record = decoder.feed(line, i * ARRIVAL_STEP_S)
        if record is not None:
            n += 1
            batch.extend(to_events(record, "bench"))
            if len(batch) >= BATCH:
                state.apply(batch)
                batch = []
    state.apply(batch)
    return n + decoder.duplicates


def best_of(fns, path, repeat):
    """(messages, best seconds) per function; the functions take turns within each repeat, so
    a slow spell on a shared machine hits all of them rather than one."""
    times = [[] for _ in fns]
    counts = [0] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            counts[i] = fn(path)
            times[i].append(time.perf_counter() - t0)
    return [(n, min(ts)) for n, ts in zip(counts, times)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="app.py bench ais", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, nargs="+", default=CORPORA)
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args(argv)
    head = (f"{'corpus':<36} {'msgs':>6} {'pyais msg/s':>11} | {'AIS layer':>9} {'ratio':>5} "
            f"| {'+ twin':>7} {'ratio':>5}")
    print(head)
    print("-" * len(head))
    for path in args.corpus:
        (n_bare, t_bare), (n_ais, t_ais), (n_all, t_all) = best_of(
            (bare_pyais, ais_layer, pipeline), path, args.repeat)
        bare, ais, full = n_bare / t_bare, n_ais / t_ais, n_all / t_all
        print(f"{path.name[:36]:<36} {n_bare:>6,} {bare:>11,.0f} | {ais:>9,.0f} {ais / bare:>5.2f} "
              f"| {full:>7,.0f} {full / bare:>5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
