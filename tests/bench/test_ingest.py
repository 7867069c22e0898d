"""`bench ingest` runs end to end on a slice (figures printed, nothing timed), its time shift
keeps tag blocks valid."""
import re
import subprocess
import sys

from bench.ingest import line_time, read_lines, receiver_reads, shift_line
from data_sources.ais import AisDecoder
from tests.conftest import ROOT

NY_HOUR = ROOT / "data/ais/NYHarbor_2020_06_30_first_hour.nmea"


def _bench(*args):
    return subprocess.run([sys.executable, str(ROOT / "app.py"), "bench", "ingest", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_bench_ingest_on_a_slice_prints_the_ratio_last():
    proc = _bench("--limit", "1200", "--round-lines", "300")
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    assert re.fullmatch(r"ratio=\d+\.\d+", lines[-1]), proc.stdout
    out = proc.stdout
    assert "bare pyais: 1,200 lines" in out and "pipeline:   1,200 lines" in out
    for stage in ("decode", "state", "port calls", "alerts", "store"):
        assert f"{stage} " in out.split("stages (s):")[1].splitlines()[0]
    assert "engine errors 0, store write errors 0" in out
    # three paired runs by default; the ratio printed last is the median run's
    runs = re.search(r"runs \(3\): ratio ([\d.]+), ([\d.]+), ([\d.]+);", out)
    assert runs, out
    assert float(lines[-1].split("=")[1]) == sorted(float(r) for r in runs.groups())[1]


def test_paired_runs_give_bare_pyais_the_same_lines_a_round_at_a_time():
    """Bare pyais decodes each round's lines right before the pipeline takes them: it counts
    the messages of the same lines (a message cut by a round's end is lost to it, no more)."""
    from bench.ingest import DEFAULT_PORT, pipeline
    lines = read_lines(NY_HOUR, limit=1500)
    run = pipeline(lines, DEFAULT_PORT, 300, timed_stages=False, paired=True)
    assert run["rounds"] == 5 and run["bare_seconds"] > 0 and run["seconds"] > 0
    assert 0 <= run["messages"] - run["bare_messages"] <= run["rounds"]
    alone = pipeline(lines, DEFAULT_PORT, 300, timed_stages=False)
    assert alone["bare_messages"] == 0 and alone["messages"] == run["messages"]


def test_bench_ingest_takes_another_port_and_a_position_recording():
    proc = _bench("--port", str(ROOT / "data/ports/pugetsound"), "--file",
                  str(ROOT / "data/sources/pugetsound/PugetSound_2020_06_30.traj"),
                  "--limit", "600")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert re.fullmatch(r"ratio=\d+\.\d+", proc.stdout.strip().splitlines()[-1])
    assert "port pugetsound" in proc.stdout


def test_repeated_copies_are_shifted_and_still_decode():
    base = read_lines(NY_HOUR, limit=50)
    two = read_lines(NY_HOUR, repeat=2)
    n = len(two) // 2
    assert two[:50] == base
    span = line_time(two[n]) - line_time(two[0])
    assert span > 3600 - 60                              # past the end of the first copy
    assert line_time(shift_line(base[0], 100)) == line_time(base[0]) + 100
    def decoded(lines):
        decoder = AisDecoder()
        return [r for r in (decoder.feed(ln, 0.0) for ln in lines) if r is not None]
    before, after = decoded(base), decoded([shift_line(ln, 7200) for ln in base])
    assert len(after) == len(before) > 0                  # tag block checksums redone
    assert [r["ts"] for r in after] == [r["ts"] + 7200 for r in before]



def test_the_transport_reads_the_bench_hands_over_keep_every_lines_arrival():
    """A read holds the lines of one receive second: each line arrives at the receiver's
    clock it had line by line, the rounds keep their size, nothing is lost or reordered."""
    lines = read_lines(NY_HOUR, limit=3000)
    times = [line_time(ln) for ln in lines]
    rounds = receiver_reads(lines, times, times[0], 500, 16)
    assert len(rounds) == 6
    got = [(ln, arrival) for reads, _ in rounds for chunk, arrival in reads for ln in chunk]
    assert [ln for ln, _ in got] == lines
    clock, expected = times[0], []
    for t in times:
        clock = max(clock, t) if t is not None else clock
        expected.append(clock)
    assert [a for _, a in got] == expected
    assert all(0 < len(chunk) <= 16 for reads, _ in rounds for chunk, _ in reads)
    assert all(sum(len(c) for c, _ in reads) == 500 for reads, _ in rounds)
    assert [clock for _, clock in rounds][-1] == expected[-1]
