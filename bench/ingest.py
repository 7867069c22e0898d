"""Benchmark: the real ingest — NMEA lines through the whole live twin — against bare pyais.

    python app.py bench ingest [--file FILE] [--port DIR] [--repeat N] [--round-lines 500]
                               [--read-lines 16] [--limit LINES] [--runs 3] [--profile OUT.prof]

The same NMEA lines are read twice:

* **bare pyais**: ``pyais.stream.IterMessages`` over the lines (pyais assembles multi-sentence
  messages) and ``decode()`` of every message;
* **the pipeline**, wired as the app wires a live feed (``app.build_store`` with a temporary
  SQLite file, ``app.build_engine`` with the port package's feeds, admission, fleet state, port
  activity with the port-call tracker and the alert engine): the lines go, a round at a time
  (``--round-lines``, default 500 — what a busy live feed gives in half a second), into the
  project's AIS source (``AisSource.on_lines``: framing, reassembly, duplicates, time check,
  decode, static repeats, twin events), a read of the transport at a time (the lines of one
  receive second, at most ``--read-lines``), and then ``Engine.step()``. The source is the
  live ``AisSource`` fed from memory instead of a socket; its clock is the time of the
  lines (tag block ``c:``) rather than the wall clock, so an hour of recording is an hour to
  the twin (port calls, alert windows, tide) however fast it runs.

The pipeline writes what a live one writes: each round's positions, calls and alerts, and
the port-call tracker's state of a vessel when it is new, when its call changed, and else at
most every 30 s of wall clock (``PortActivity.checkpoint_s``) — a run of a second writes the
first two kinds only, as a live twin does within any 30 s; the count is printed.

Both run with Python's garbage collector set as ``Engine.start`` sets it for a running twin
(``twin.heap.tune_collector``).

Bare pyais and the pipeline take turns a round at a time: right before the pipeline takes a
round, bare pyais decodes the same lines, each timed on its own, and the ratio is of the
summed times. This machine's speed changes by a factor of up to 1.7 from one second to the
next (a neighbour on the host); timed a second apart, a run of one side and a run of the
other measured the machine as much as the code (single runs of 0.165–0.295 within one
minute). ``--runs N`` (default 3) makes N such runs and prints
the figures of the median one, its ratio last. The seconds per stage come from one more run
of the pipeline with every stage's calls timed (a wrapper around each call costs about 1 %:
the timed runs go without). ``--repeat N`` plays the file N times, each copy's tag-block times
shifted past the previous copy (checksums redone), for a longer run. Prints lines, messages,
seconds and msg/s of each, the pipeline's seconds per stage (decode, admission, models,
state, port calls, alerts, store) and, as the last line, ``ratio=…`` (pipeline msg/s ÷ bare
pyais msg/s).
"""
from __future__ import annotations

import argparse
import functools
import gc
import tempfile
import time
from pathlib import Path

from data_sources import nmea
from data_sources.feed_emulator import stamp
from twin import heap
from twin.config import ROOT

DEFAULT_FILE = ROOT / "data/ais/NYHarbor_2020_06_30_first_hour.nmea"
DEFAULT_PORT = ROOT / "data/ports/nynj"
def line_time(line: str) -> float | None:
    """The time the line's framing gives (tag block ``c:``, as the AIS source reads it)."""
    try:
        t = nmea.parse(line).rx_time
    except nmea.FramingError:
        return None
    return t if t is not None and t == t else None


def shift_line(line: str, offset: float) -> str:
    """The line with its tag block's ``c:`` moved by ``offset`` seconds (checksum redone,
    as the feed emulator stamps a line)."""
    t = line_time(line)
    return line if t is None or not offset else stamp(line, t + offset)


def reencoded_lines(path: Path) -> list[str]:
    """A position recording that is not NMEA (MarineCadastre CSV, tracktable .traj) as NMEA
    lines, as ``data_sources.reencode`` made the NY hour. (Puget Sound ships only a .traj.)"""
    from data_sources.events import VesselReport
    from data_sources.positions import load_recording
    from data_sources.reencode import nmea_lines
    return list(nmea_lines(r for r in load_recording(path, "bench")
                           if isinstance(r, VesselReport)))


def read_lines(path: Path, repeat: int = 1, limit: int | None = None) -> list[str]:
    """The file's lines (comments and blanks left out), ``repeat`` times with times shifted.
    A position recording that is not NMEA is re-encoded first (``reencoded_lines``)."""
    from data_sources.positions import kind_of
    from data_sources.transport import file_lines
    if kind_of(path) != "nmea":
        base = reencoded_lines(path)
    else:
        base = [ln for ln in file_lines(path, encoding="latin-1")
                if ln.strip() and not ln.startswith("#")]
    times = [t for t in map(line_time, base) if t is not None]
    span = (max(times) - min(times) + 60.0) if times else 0.0
    lines: list[str] = []
    for k in range(max(1, repeat)):
        lines.extend(base if k == 0 else [shift_line(ln, k * span) for ln in base])
        if limit is not None and len(lines) >= limit:
            break
    return lines[:limit] if limit is not None else lines


# ---- (a) bare pyais -----------------------------------------------------------------------
def bare_pyais(lines: list[str]) -> int:
    from pyais.stream import IterMessages

    from bench.ais import decode_count
    return decode_count(IterMessages([ln.encode("latin-1") for ln in lines]))


# ---- (b) the pipeline ---------------------------------------------------------------------
class Stages:
    """Exclusive seconds per stage: a timed call's time goes to its stage, less the time of
    the timed calls inside it (alerts inside port calls count as alerts)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._inner: list[float] = []
        self._wrapped: list[tuple] = []          # (obj, name, what it had) for ``unwrap``

    def wrap(self, obj, name: str, stage: str) -> None:
        fn = getattr(obj, name)
        self._wrapped.append((obj, name, obj.__dict__.get(name) if hasattr(obj, "__dict__")
                              else None))

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            self._inner.append(0.0)
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = time.perf_counter() - t0
                inner = self._inner.pop()
                self.seconds[stage] = self.seconds.get(stage, 0.0) + dt - inner
                if self._inner:
                    self._inner[-1] += dt
        setattr(obj, name, timed)

    def unwrap(self) -> None:
        """Every wrapped call as it was (a module's function is the module's again)."""
        for obj, name, had in reversed(self._wrapped):
            if had is None:
                delattr(obj, name)               # an instance's: its class's method again
            else:
                setattr(obj, name, had)
        self._wrapped.clear()

    def add(self, stage: str, seconds: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds
        if self._inner:
            self._inner[-1] += seconds


def build_pipeline(port_dir: Path, store_path: Path | None, history_url: str | None = None):
    """The engine as ``app.py`` builds it for a live AIS feed, on a SQLite store at
    ``store_path`` (or the store at ``history_url``); its AIS source is fed from memory and
    keeps the lines' time."""
    from app import build_engine, build_store
    from data_sources.ais_source import AisSource, static_repeat_window
    from twin.config import Config
    from twin.port import Port

    class MemoryAisSource(AisSource):
        """The live AIS source with the lines handed in by the bench (no socket) and the
        lines' time as its clock."""
        clock = float("-inf")

        def data_time(self) -> float:
            return self.clock

    # the transport is built but never started: the bench calls ``on_line`` itself
    config = Config.load(env={}, port_dir=port_dir, ais="tcp://127.0.0.1:9",
                         history_url=history_url or f"sqlite:///{store_path}",
                         history_autoload=False,
                         history_alerts=False)
    port = Port.load(config.port_dir)
    config = config.for_port(port)
    source = MemoryAisSource(config.ais, source_id="ais-nmea", label="bench ingest",
                             stale_after_s=config.stale_after_s,
                             max_latency_s=config.ais_max_latency_s,
                             max_ahead_s=config.ais_max_ahead_s,
                             static_repeat_s=static_repeat_window(config.expire_minutes * 60))
    store = build_store(config, port)
    engine = build_engine(config, port, store, source)
    return engine, source, store


def instrument(engine) -> Stages:
    stages = Stages()
    if engine.admission is not None:
        stages.wrap(engine.admission, "admit", "admission")
    for model in engine.models:
        stages.wrap(model, "apply", "models")
    stages.wrap(engine.state, "apply", "state")
    stages.wrap(engine.state, "expire", "state")
    act = engine.activity
    if act is not None:
        stages.wrap(act, "apply", "port calls")
        stages.wrap(act, "tick", "port calls")
        stages.wrap(act, "flush", "port calls")       # the tracker's state, the round's rows
        if act.alerts is not None:
            for name in ("update", "tick", "take_changes"):
                stages.wrap(act.alerts, name, "alerts")
        if act.store is not None:
            # the round's rows built for the store (on the engine's thread), and the commit
            import twin.activity
            stages.wrap(twin.activity, "round_rows", "store")
            for name in ("commit", "prune"):
                stages.wrap(act.store, name, "store")
    return stages


def receiver_reads(lines: list[str], times: list, first: float, round_lines: int,
                   read_lines: int) -> list:
    """The lines as the live transport hands them over: rounds of ``round_lines``, each a
    list of reads with their arrival time, and the round's clock at its end. The arrival is
    the receiver's clock — the latest framing time heard so far, to the second — and a read
    holds the lines of one such second, at most ``read_lines``: every line arrives when it
    did line by line (in the NY hour a read has 4.4 lines on average). Worked out before the
    timed run: the bench's stand-in for a receiver is not the pipeline's work."""
    out, clock = [], first
    for start in range(0, len(lines), round_lines):
        reads, at = [], start
        for k in range(start, min(start + round_lines, len(lines))):
            t = times[k]
            if t is not None and t > clock:          # the receiver's clock moves on
                if k > at:
                    reads.append((lines[at:k], clock))
                at, clock = k, t
            elif k - at >= read_lines:
                reads.append((lines[at:k], clock))
                at = k
        end = min(start + round_lines, len(lines))
        if end > at:
            reads.append((lines[at:end], clock))
        out.append((reads, clock))
    return out


def pipeline(lines: list[str], port_dir: Path, round_lines: int, profile: str | None = None,
             read_lines: int = 16, timed_stages: bool = True, paired: bool = False) -> dict:
    """One run of the pipeline over ``lines``. ``timed_stages``: each stage's calls timed
    (``instrument``: a wrapper around every call, which costs the run about 1 %).
    ``paired``: right before the pipeline takes a round, bare pyais decodes the round's
    lines, timed on its own (``bare_seconds``, ``bare_messages``): both sides of the ratio
    are measured within milliseconds of each other, so a slow spell of a shared machine —
    its speed here changes by a factor of 1.7 from one second to the next — hits both."""
    with tempfile.TemporaryDirectory() as tmp:
        engine, source, store = build_pipeline(port_dir, Path(tmp) / "ingest.sqlite")
        stages = instrument(engine) if timed_stages else Stages()
        times = [line_time(ln) for ln in lines]
        first = next((t for t in times if t is not None), time.time())
        rounds_in = receiver_reads(lines, times, first, round_lines, read_lines)
        round_text = [lines[k:k + round_lines] for k in range(0, len(lines), round_lines)]
        on_lines, step = source.on_lines, engine.step
        gc.collect()                 # every run starts from a collected heap (see main)
        profiler = None
        if profile:
            import cProfile
            profiler = cProfile.Profile()
        seconds = bare_seconds = 0.0
        bare_messages = rounds = 0
        for (reads, clock), text in zip(rounds_in, round_text):
            if paired:
                # once to warm it up (after a round of the pipeline the caches hold the
                # pipeline's code and data: a cold bare pyais ran 9 % slower than on the
                # whole file at once, which would flatter the ratio), then timed
                bare_pyais(text)
                b0 = time.perf_counter()
                bare_messages += bare_pyais(text)
                bare_seconds += time.perf_counter() - b0
            if profiler is not None:
                profiler.enable()
            t0 = time.perf_counter()
            for chunk, arrival in reads:
                on_lines(chunk, arrival)          # one read of the transport
            source.clock = clock
            stages.add("decode", time.perf_counter() - t0)
            step()
            seconds += time.perf_counter() - t0
            if profiler is not None:
                profiler.disable()
            rounds += 1
        if profiler is not None:
            profiler.dump_stats(profile)
        stages.unwrap()
        health = source.health.status()
        result = {"seconds": seconds, "rounds": rounds,
                  "bare_seconds": bare_seconds, "bare_messages": bare_messages,
                  # decoded messages, and those merged as duplicates (handled too)
                  "messages": health["messages"] + source.decoder.duplicates,
                  "duplicates": source.decoder.duplicates,
                  "vessels": len(engine.state.vessels),
                  "calls": len(engine.activity.calls()) if engine.activity else 0,
                  "alerts": len(engine.activity.alerts.by_id)
                  if engine.activity and engine.activity.alerts is not None else 0,
                  "states": engine.activity.states_written if engine.activity else 0,
                  "errors": engine.errors, "write_errors":
                  engine.activity.write_errors if engine.activity else 0,
                  "stages": stages.seconds, "health": health}
        store.close()
    return result


def ratio_of(run: dict) -> float:
    """Pipeline msg/s ÷ bare pyais msg/s of one paired run."""
    if not (run["seconds"] > 0 and run["bare_seconds"] > 0 and run["bare_messages"]):
        return 0.0
    return (run["messages"] / run["seconds"]) / (run["bare_messages"] / run["bare_seconds"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="app.py bench ingest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path,
                        help="NMEA file (default: the NY hour), or a position recording "
                             "(CSV, .traj) re-encoded as NMEA first")
    parser.add_argument("--port", type=Path, default=DEFAULT_PORT, help="port package")
    parser.add_argument("--repeat", type=int, default=1,
                        help="play the file N times, times shifted (default 1)")
    parser.add_argument("--round-lines", type=int, default=500,
                        help="lines per engine round (default 500)")
    parser.add_argument("--read-lines", type=int, default=16,
                        help="at most this many lines per read of the transport, the lines "
                             "of one receive second (default 16: a TCP segment of 1,460 "
                             "bytes holds about 16 tagged NMEA lines)")
    parser.add_argument("--limit", type=int, help="only the first LINES lines")
    parser.add_argument("--runs", type=int, default=3,
                        help="paired runs; the ratio is the median run's (default 3)")
    parser.add_argument("--profile", help="write a cProfile of the pipeline run here")
    args = parser.parse_args(argv)
    if args.round_lines < 1 or args.read_lines < 1:
        parser.error("--round-lines and --read-lines must be at least 1")
    import logging
    logging.basicConfig(level=logging.WARNING)

    if args.file is None:
        if args.port.resolve() != DEFAULT_PORT.resolve():
            parser.error(f"--file: name the recording to play in {args.port}")
        args.file = DEFAULT_FILE
    lines = read_lines(args.file, args.repeat, args.limit)
    heap.tune_collector()     # both run with the collector as a running twin has it (Engine.start)
    runs = []
    for run in range(max(1, args.runs)):
        runs.append(pipeline(lines, args.port, args.round_lines,
                             args.profile if run == 0 else None, args.read_lines,
                             timed_stages=False, paired=True))
    ratios = [ratio_of(r) for r in runs]
    got = runs[sorted(range(len(runs)), key=ratios.__getitem__)[len(runs) // 2]]   # median
    ratio = ratio_of(got)
    # the stages from a run of their own: timing every call is not the pipeline's work
    staged = pipeline(lines, args.port, args.round_lines, None, args.read_lines)
    n_pipe, t_pipe = got["messages"] or 0, got["seconds"]
    n_bare, t_bare = got["bare_messages"], got["bare_seconds"]
    bare = n_bare / t_bare if t_bare > 0 else 0.0
    full = n_pipe / t_pipe if t_pipe > 0 else 0.0
    print(f"file: {args.file.name} ×{args.repeat}, port {args.port.name}, "
          f"{args.round_lines} lines a round ({got['rounds']} rounds), each round's lines "
          f"through bare pyais right before the pipeline takes them")
    print(f"bare pyais: {len(lines):,} lines, {n_bare:,} messages in {t_bare:.2f} s "
          f"= {bare:,.0f} msg/s")
    print(f"pipeline:   {len(lines):,} lines, {n_pipe:,} messages in {t_pipe:.2f} s "
          f"= {full:,.0f} msg/s (duplicates merged {got['duplicates']:,})")
    order = ["decode", "admission", "models", "state", "port calls", "alerts", "store"]
    stages = staged["stages"]
    print("stages (s): " + ", ".join(f"{k} {stages.get(k, 0.0):.2f}" for k in order)
          + f"; other {staged['seconds'] - sum(stages.values()):.2f} (a run of "
          f"{staged['seconds']:.2f} s with every stage's calls timed)")
    rejects = got["health"].get("rejects") or {}
    print(f"twin: {got['vessels']} vessels, {got['calls']} port calls, {got['alerts']} alerts, "
          f"{got['states']:,} tracker states checkpointed, engine errors "
          f"{got['errors']}, store write errors {got['write_errors']}"
          + f"; rejected {sum(rejects.values()):,}")
    if len(runs) > 1:
        print(f"runs ({len(runs)}): ratio " + ", ".join(f"{r:.3f}" for r in ratios)
              + f"; the median run's figures above (best {max(ratios):.3f}, "
              f"worst {min(ratios):.3f})")
    print(f"ratio={ratio:.3f}")
    return 0 if not (got["errors"] or got["write_errors"] or staged["errors"]
                     or staged["write_errors"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
