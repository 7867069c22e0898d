"""The independent stop finder of `bench stops` on tracks whose stops are known, and the bench
on the Puget Sound package (figures printed, nothing timed)."""
import subprocess
import sys

import numpy as np
import pandas as pd

from bench.stops import find_stops
from tests.conftest import ROOT

DEG_PER_M = 1 / 111_195          # latitude degrees per metre


def _track(segments, mmsi=1, lat0=40.0, lon0=-74.0, step_s=60):
    """Fixes every ``step_s`` along (duration_s, speed_m_s northwards) segments, no SOG."""
    rows, t, lat = [], 0.0, lat0
    rng = np.random.default_rng(0)
    for duration, speed in segments:
        for _ in range(int(duration // step_s)):
            t += step_s
            lat += speed * step_s * DEG_PER_M
            jitter = rng.normal(0, 2) * DEG_PER_M          # GPS jitter of a few metres
            rows.append((mmsi, t, lon0, lat + jitter, np.nan))
    return pd.DataFrame(rows, columns=["mmsi", "ts", "lon", "lat", "sog"])


def test_a_stop_of_40_min_is_found_and_one_of_20_is_not():
    fixes = _track([(600, 5), (2400, 0), (600, 5), (1200, 0), (600, 5)])
    stops = find_stops(fixes)
    assert len(stops) == 1
    assert 2200 <= stops["end"].iloc[0] - stops["start"].iloc[0] <= 2400


def test_a_stop_broken_by_a_short_shift_is_one_stop():
    # 20 min stopped, 3 min moving 90 m, 20 min stopped: within 250 m -> one stop of ~43 min
    fixes = _track([(600, 5), (1200, 0), (180, 0.5), (1200, 0), (600, 5)])
    stops = find_stops(fixes)
    assert len(stops) == 1 and stops["end"].iloc[0] - stops["start"].iloc[0] > 2400


def test_silence_is_not_a_stop():
    fixes = _track([(600, 5), (600, 0)])
    later = _track([(2400, 0)])
    later["ts"] += fixes["ts"].max() + 2 * 3600              # two hours without a fix
    stops = find_stops(pd.concat([fixes, later]))
    assert len(stops) == 1 and stops["start"].iloc[0] > fixes["ts"].max()


def test_reported_speed_is_used_where_known():
    fixes = _track([(3600, 0)])
    fixes["sog"] = 3.0                                        # the file says it was moving
    assert find_stops(fixes).empty


def test_bench_stops_prints_the_figures():
    res = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "bench", "stops",
         "--port", str(ROOT / "data" / "ports" / "pugetsound"),
         "--positions", str(ROOT / "data" / "sources" / "pugetsound" /
                            "PugetSound_2020_06_30.traj")],
        capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "inside the port limits" in res.stdout
    assert "port-call stays" in res.stdout and "at a named berth or anchorage" in res.stdout
