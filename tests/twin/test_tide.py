"""Tide prediction against NOAA's own published predictions, and the tide CLI."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT
from twin.tide import HarmonicsError, TidePredictor, TideStation

HARMONICS = ROOT / "data" / "hydromet" / "harmonics"
NOAA_HILO = ROOT / "data" / "hydromet" / "coops" / "9447130_predictions_20150101_20150103.json"


def test_high_and_low_waters_match_noaa_published_predictions_within_2cm_rmse():
    predictor = TidePredictor(TideStation.load(HARMONICS / "noaa_9447130.json"))
    noaa = pd.DataFrame(json.loads(NOAA_HILO.read_text())["response"]["predictions"])
    noaa["time"] = pd.to_datetime(noaa["t"], utc=True)
    noaa["v"] = noaa["v"].astype(float)
    ours = predictor.extremes("2014-12-31T22:00Z", "2015-01-03T02:00Z")
    errors, minutes = [], []
    for _, row in noaa.iterrows():
        j = (ours["time"] - row["time"]).abs().idxmin()
        assert ours["type"][j] == row["type"]
        errors.append(ours["height_m"][j] - row["v"])
        minutes.append(abs((ours["time"][j] - row["time"]).total_seconds()) / 60)
    rmse = float(np.sqrt(np.mean(np.square(errors))))
    print(f"NOAA 9447130 high/low waters: RMSE {rmse * 100:.1f} cm, "
          f"max time difference {max(minutes):.1f} min")
    assert rmse < 0.02
    assert max(minutes) < 6


def test_every_bundled_ny_station_predicts_a_plausible_tide():
    for sid, mean_range in (("8518750", 1.38), ("8519483", 1.53), ("8531680", 1.43),
                            ("8516945", 2.16)):
        p = TidePredictor(TideStation.load(HARMONICS / f"noaa_{sid}.json"))
        month = p.series("2020-06-01", "2020-07-01", "6min")
        highs = p.extremes("2020-06-01", "2020-07-01")
        mhw = highs[highs.type == "H"]["height_m"].mean()
        mlw = highs[highs.type == "L"]["height_m"].mean()
        assert abs((mhw - mlw) - mean_range) < 0.25, sid           # NOAA's mean range (MN)
        assert abs(month["height_m"].mean() - p.z0) < 0.1


def test_tide_cli_prints_csv_and_refuses_a_bad_file(tmp_path):
    out = subprocess.run([sys.executable, "app.py", "tide", "--harmonics",
                          str(HARMONICS / "noaa_8518750.json"), "--start", "2020-06-30T00:00Z",
                          "--end", "2020-06-30T01:00Z"], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    lines = out.stdout.splitlines()
    assert lines[0] == "time,height_m" and len(lines) == 12
    assert lines[1].startswith("2020-06-30T00:00:00Z,")
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    r = subprocess.run([sys.executable, "app.py", "tide", "--harmonics", str(bad), "--start",
                        "2020-01-01", "--end", "2020-01-02"], cwd=ROOT, capture_output=True,
                       text=True)
    assert r.returncode == 2 and "not a NOAA harmonic-constants file" in r.stderr
    with pytest.raises(HarmonicsError):
        TideStation.load(bad)


@pytest.mark.parametrize("station", ["noaa_8518750.json", "noaa_9447130.json"])
def test_factors_linearised_per_day_give_the_tide_of_exact_times(station):
    """One FUV per station and UTC day (linearised about its middle) instead of one per call:
    within 0.1 mm of UTide's exact-time factors over ten days, on a NY and a Puget Sound
    station, whatever the order the times come in."""
    from utide.astronomy import ut_astron
    from utide.harmonics import FUV
    from twin.tide import EPOCH_ORDINAL
    p = TidePredictor(TideStation.load(HARMONICS / station))
    ts = 1593475200.0 + 360.0 * np.arange(10 * 240)
    days = EPOCH_ORDINAL + ts / 86400.0
    f, u, v = FUV(days, days[0], p._lind, p.station.lat, [0, 0, 0, 0])      # exact times
    if p._sa is not None:
        v[:, p._sa] += ut_astron(days)[0][5]
    exact = p.z0 + (f * p._amp * np.cos(2 * np.pi * (u + v) - p._phase)).sum(axis=1)
    assert np.abs(p.heights(ts) - exact).max() < 1e-4
    shuffled = np.random.default_rng(7).permutation(len(ts))
    assert np.array_equal(p.heights(ts[shuffled]), p.heights(ts)[shuffled])


def test_many_times_of_one_day_are_taken_in_bounded_steps_with_the_same_heights(monkeypatch):
    """A day asked at one second (86,400 times) goes through in steps of ``_CHUNK`` times —
    its arrays stay bounded — and gives what one step over all of them gives."""
    import twin.tide as tide
    p = TidePredictor(TideStation.load(HARMONICS / "noaa_9447130.json"))
    ts = 1593475200.0 + np.arange(0, 2 * 86400, 1.0)
    assert len(ts) > 4 * tide._CHUNK                   # several steps a day
    stepped = p.heights(ts)
    monkeypatch.setattr(tide, "_CHUNK", len(ts))
    assert np.array_equal(stepped, p.heights(ts))
