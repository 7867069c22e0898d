"""The next-stay forecast on real tracks: examples read only what is known at the moment,
the model's band holds its median, and `forecast evaluate` prints its figures last."""
import re
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT

PS_DAY = ROOT / "data/sources/pugetsound/PugetSound_2020_06_30.traj"


@pytest.fixture(scope="module")
def puget_examples(puget_store):
    from twin.forecast import examples
    port, store, source = puget_store
    return port, store, examples(store, source, port)


def test_examples_are_moments_between_stays_with_their_outcome(puget_examples):
    from twin.forecast import FEATURES, HORIZON_H
    port, store, ex = puget_examples
    assert len(ex) > 200 and ex["mmsi"].nunique() >= 10
    assert ((ex["target_h"] > 0) & (ex["target_h"] <= HORIZON_H)).all()
    assert not ex[list(FEATURES)].isna().any().any()
    visits = store.visits(None)
    for r in ex.sample(50, random_state=1).itertuples():      # not inside one of its stays
        v = visits[visits["mmsi"] == r.mmsi]
        dep = v["departure"].fillna(np.inf)
        assert not ((v["arrival"] <= r.ts) & (r.ts < dep)).any()
        nxt = v[v["arrival"] > r.ts]["arrival"].min()
        assert nxt - r.ts == pytest.approx(r.target_h * 3600)
    # speed made good is worked out from the positions where the file has no speed
    assert (ex["sog"] > 1).mean() > 0.3


def test_the_model_gives_a_band_around_its_forecast(puget_examples):
    from twin.forecast import ForecastModel, evaluate
    port, _, ex = puget_examples
    model = ForecastModel.train(ex)
    band = model.predict(ex)
    assert (band["low"] <= band["mid"]).all() and (band["mid"] <= band["high"]).all()
    r = evaluate(model, ex, port)
    assert r["n"] == len(ex) and 0 <= r["coverage"] <= 1 and r["mae_h"] >= 0


def test_forecast_evaluate_prints_the_figures_last():
    proc = subprocess.run([sys.executable, "app.py", "forecast", "evaluate", "--port",
                           str(ROOT / "data/ports/pugetsound"), "--history", str(PS_DAY),
                           "--test", str(PS_DAY), "--history-until", "2020-06-30T06:00",
                           "--test-from", "2020-06-30T06:00"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"mae_h=\d+\.\d+ baseline_a_mae_h=\d+\.\d+ baseline_b_mae_h=\d+\.\d+ "
                        r"coverage=\d\.\d+ n=\d+", last), proc.stdout


def test_a_date_that_is_not_iso_is_a_usage_error_not_a_traceback():
    proc = subprocess.run([sys.executable, "app.py", "forecast", "evaluate", "--port",
                           str(ROOT / "data/ports/pugetsound"), "--history", str(PS_DAY),
                           "--test", str(PS_DAY), "--history-until", "30/06/2020"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "'30/06/2020' is not an ISO date" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cross_validation_scores_every_vessel_once_by_a_model_that_never_saw_it(puget_store):
    """`forecast evaluate --folds K` for a history too short to split in time: each vessel's
    examples are scored by the fold model learnt without that vessel."""
    from twin.forecast import cross_validate, examples
    port, store, source = puget_store
    ex = examples(store, source, port, with_none=True)
    r = cross_validate(ex, port, folds=5)
    scored = ex[ex["target_h"].notna()]
    assert r["n"] == len(scored) and len(r["folds"]) == 5
    # the folds' vessels are disjoint and cover every vessel that reached a stay
    assert sum(f["vessels"] for f in r["folds"]) == r["vessels"] == scored["mmsi"].nunique()
    assert r["mae_h"] == pytest.approx(sum(f["mae_h"] * f["n"] for f in r["folds"]) / r["n"])
    assert 0 < r["coverage"] <= 1


def test_evaluate_needs_a_test_recording_or_folds():
    proc = subprocess.run([sys.executable, "app.py", "forecast", "evaluate", "--port",
                           str(ROOT / "data/ports/pugetsound"), "--history", str(PS_DAY)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--test FILE or --folds K" in proc.stderr
