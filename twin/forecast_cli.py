"""``python app.py forecast train|evaluate``: the next-stay forecast (twin.forecast).

    python app.py forecast train --port DIR --history FILE [--until ISO] [--out MODEL]
    python app.py forecast evaluate --port DIR --history FILE --test FILE
                                    [--history-until ISO] [--test-from ISO]
    python app.py forecast evaluate --port DIR --history FILE --folds K

``train`` loads the history file into a temporary store (positions, port calls, stays, as
``history load`` does), learns the model and saves it (joblib; default
``var/<LOCODE>-forecast.joblib``). ``evaluate`` trains on ``--history`` (before
``--history-until`` when given), replays ``--test`` (from ``--test-from``) and, at every
sampled report of a vessel not yet at its next stay, compares the forecast with what
happened. The history and the test may be one file split in time (``--history-until`` =
``--test-from``). It also forecasts the next 24 h of arrivals every 3 h of the test  (the hours
inside it) and compares them, hour by hour, with the stays that began, beside the
history's hour-of-day profile alone. Last line: ``mae_h=… baseline_a_mae_h=… baseline_b_mae_h=…
coverage=… n=…``.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .config import ROOT


def _moment(text: str | None, tz: str) -> float | None:
    """An ISO date or date-time, in the port's zone unless it names one."""
    if not text:
        return None
    try:
        d = datetime.fromisoformat(text)
    except ValueError:                  # a usage error, said as one (no traceback), exit 2
        print(f"app.py forecast: {text!r} is not an ISO date or date-time "
              "(e.g. 2020-12-06 or 2020-12-06T06:00)", file=sys.stderr)
        raise SystemExit(2) from None
    if d.tzinfo is None:
        d = d.replace(tzinfo=ZoneInfo(tz))
    return d.timestamp()


def _loaded(port, path: Path, work):
    """A temporary store with the file loaded (as ``history load`` does), and its source."""
    from .history import HistoryStore
    from .history_cli import history_source, load_history
    store = HistoryStore(f"sqlite:///{Path(work) / 'forecast.sqlite'}")
    load_history(store, path, port)
    return store, history_source(path)


def _examples(port, path: Path, start: float | None, end: float | None):
    from .forecast import examples
    with tempfile.TemporaryDirectory() as tmp:
        store, source = _loaded(port, path, tmp)
        ex = examples(store, source, port, start, end)
        store.engine.dispose()
    return ex


def _trained(port, path: Path, until: float | None):
    from .forecast import train_from_store
    with tempfile.TemporaryDirectory() as tmp:
        store, source = _loaded(port, path, tmp)
        model, ex = train_from_store(store, source, port, until, {"file": path.name})
        store.engine.dispose()
    return model, ex[ex["target_h"].notna()]


def last_line(r: dict) -> str:
    """The figures every ``evaluate`` ends with (scripts read this line)."""
    return (f"mae_h={r['mae_h']:.3f} baseline_a_mae_h={r['baseline_a_mae_h']:.3f} "
            f"baseline_b_mae_h={r['baseline_b_mae_h']:.3f} coverage={r['coverage']:.3f} "
            f"n={r['n']}")


def _cross_validated(port, args) -> int:
    from .forecast import cross_validate
    if args.folds < 2:
        print("app.py forecast: --folds must be at least 2", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        store, source = _loaded(port, args.history, tmp)
        from .forecast import examples
        ex = examples(store, source, port, None, None, with_none=True)
        store.engine.dispose()
    try:
        r = cross_validate(ex, port, args.folds)
    except ValueError as exc:
        print(f"app.py forecast: {exc}", file=sys.stderr)
        return 1
    print(f"port {port.locode}: {args.folds}-fold cross-validation grouped by vessel over "
          f"{args.history.name}: {r['n']:,} examples of {r['vessels']} vessels")
    for k, f in enumerate(r["folds"]):
        print(f"  fold {k + 1}: {f['n']} examples of {f['vessels']} vessels: MAE "
              f"{f['mae_h']:.2f} h (a {f['baseline_a_mae_h']:.2f}, b "
              f"{f['baseline_b_mae_h']:.2f}), 80 % interval held {f['coverage']:.1%}")
    print(last_line(r))
    return 0


def main(argv: list[str]) -> int:
    from .port import Port
    parser = argparse.ArgumentParser(prog="app.py forecast", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="learn the model from a history file")
    tr.add_argument("--port", type=Path, default=ROOT / "data/ports/nynj")
    tr.add_argument("--history", type=Path, required=True)
    tr.add_argument("--until", help="use the history before this moment only (ISO)")
    tr.add_argument("--out", type=Path)
    ev = sub.add_parser("evaluate", help="train on a history, score on a test recording")
    ev.add_argument("--port", type=Path, default=ROOT / "data/ports/nynj")
    ev.add_argument("--history", type=Path, required=True)
    ev.add_argument("--test", type=Path, help="the recording to score (or --folds)")
    ev.add_argument("--folds", type=int,
                    help="no test recording: K-fold cross-validation grouped by vessel over "
                         "the history (a history too short to split in time)")
    ev.add_argument("--history-until", help="train on the history before this moment (ISO)")
    ev.add_argument("--test-from", help="score the test from this moment on (ISO)")
    args = parser.parse_args(argv)
    port = Port.load(args.port)
    from .forecast import evaluate, save_model
    if args.command == "train":
        until = _moment(args.until, port.timezone)
        model, ex = _trained(port, args.history, until)
        out = args.out or ROOT / "var" / f"{port.locode}-forecast.joblib"
        save_model(model, out)
        print(f"trained on {len(ex):,} examples of {ex['mmsi'].nunique()} vessels "
              f"({args.history.name}); saved {out}")
        return 0
    if (args.test is None) == (args.folds is None):
        parser.error("evaluate: give --test FILE or --folds K (one of them)")
    if args.folds is not None:
        return _cross_validated(port, args)
    until = _moment(args.history_until, port.timezone)
    start = _moment(args.test_from, port.timezone)
    model, train = _trained(port, args.history, until)
    from .forecast import examples
    from .forecast_live import evaluate_arrivals
    with tempfile.TemporaryDirectory() as tmp:
        store, source = _loaded(port, args.test, tmp)
        test = examples(store, source, port, start, None)
        flow = evaluate_arrivals(model, store, source, port, start)
        store.engine.dispose()
    if len(test) == 0:
        print("no test examples (no vessel reached a stay inside the test data)",
              file=sys.stderr)
        return 1
    r = evaluate(model, test, port)
    print(f"port {port.locode}: trained on {len(train):,} examples of "
          f"{train['mmsi'].nunique()} vessels, tested on {r['n']:,} of {r['vessels']}")
    print(f"  model (gradient boosting, quantile 10/50/90 %): MAE {r['mae_h']:.2f} h, "
          f"80 % interval held {r['coverage']:.1%}")
    print(f"  baseline a (straight line to the eventual stay at the current speed): "
          f"MAE {r['baseline_a_mae_h']:.2f} h")
    print(f"  baseline b (history median by ship type and inside/outside the limits): "
          f"MAE {r['baseline_b_mae_h']:.2f} h")
    if flow.get("moments"):
        print(f"  arrivals, next 24 h hour by hour (forecast every 3 h of the test, "
              f"{flow['moments']} times, {flow['hours']} hours inside it): MAE {flow['mae_per_hour']:.2f} a hour, 80 % band "
              f"held {flow['coverage']:.1%}; the history's hour-of-day profile alone: MAE "
              f"{flow['profile_mae_per_hour']:.2f}")
    print(last_line(r))
    return 0
