"""`bench scale`: the synthetic fleet goes through the real engine path and the figures print."""
import re
import subprocess
import sys

from bench.scale import SyntheticFleet
from tests.conftest import ROOT


def test_the_synthetic_fleet_reports_at_ais_rates_inside_the_bounds():
    fleet = SyntheticFleet(300, 5, bounds=(-74.3, 40.45, -73.7, 40.95))
    events = []
    while not fleet.done():
        events += fleet.poll()
    assert len({e.mmsi for e in events}) == 300
    assert all(-74.35 < e.lon < -73.65 and 40.4 < e.lat < 41.0 for e in events)
    per_vessel = len(events) / 300
    assert 5 < per_vessel < 30                   # 5 minutes at 6 s … 3 min intervals
    assert all(e.name for e in events if e.static) and sum(e.static for e in events) == 300


def test_bench_scale_prints_the_figures():
    out = subprocess.run([sys.executable, "app.py", "bench", "scale", "--vessels", "2000",
                          "--trail-minutes", "5", "--repeat", "2"], cwd=ROOT,
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "2,000 vessels (2,000 live)" in text
    for figure in (r"snapshot \(web request, Engine.snapshot\): median [\d.]+ ms, max [\d.]+ ms",
                   r"snapshot build \(FleetState.snapshot\): median [\d.]+ ms",
                   r"layer build: median [\d.]+ ms",
                   r"map update: [\d.]+ MB raw, [\d.]+ MB gzip-6",
                   r"panels: median [\d.]+ ms",
                   r"RSS: \d+ MB now, \d+ MB peak"):
        assert re.search(figure, text), (figure, text)
