"""The history store: a crash loses nothing committed and open calls resume; the same store
code on a real PostgreSQL server; the NY week loads with its port calls."""
import json
import signal
import subprocess
import sys

import pandas as pd
import pytest

from tests import servers
from tests.conftest import NY_HOUR, ROOT, FakeClock
from twin.history import HistoryStore
from twin.port import Port
from twin.portcalls import run_batch

STAGE_COLUMNS = ["call_id", "mmsi", "kind", "open", "stage", "arrival_port_area",
                 "anchorage_arrival", "anchorage_departure", "berth_arrival",
                 "berth_departure", "port_area_departure", "anchorages", "berths", "ended_by",
                 "last_seen"]


@pytest.fixture(scope="module")
def port():
    return Port.load(ROOT / "data" / "ports" / "nynj")


def _stages(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows)[STAGE_COLUMNS].sort_values("call_id", ignore_index=True)
    return df.astype(object).where(df.notna(), None)


def test_a_killed_engine_loses_nothing_committed_and_open_calls_resume(tmp_path, port):
    from data_sources import marinecadastre
    from data_sources.replay import ReplaySource
    from twin.activity import PortActivity
    from twin.engine import Engine

    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    proc = subprocess.run([sys.executable, "-m", "tests.twin.crash_run", url, "1500"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr

    store = HistoryStore(url)
    source = "live:test"
    watermark = store.watermark(source)
    reports = marinecadastre.load_file(NY_HOUR)
    t0 = min(r.ts for r in reports)
    assert t0 + 1000 < watermark < t0 + 1600           # died mid-replay, ~25 min in
    committed_calls = store.calls(source)
    committed_positions = store.positions(source=source)
    assert len(committed_positions) > 1000 and committed_calls["open"].sum() > 50
    assert committed_positions["ts"].max() <= watermark

    # restart: restore, and the replay continues at the watermark, handing out again what
    # came after the resume point (no warm-up: the resume point alone must be enough). The
    # tracker's states are checkpointed when a vessel is new or its call changes, else every
    # 30 s of wall clock: the run took seconds, so most are far older than the watermark.
    clock = FakeClock()
    replay = ReplaySource(reports, source_id="mc", label="x", loop=False, clock=clock)
    activity = PortActivity(port.geometry, store=store, source=source)
    assert activity.restore() > 100
    assert activity.resume_from < watermark - 600
    replay.resume(activity.watermark, activity.resume_from)
    engine = Engine([replay], activity=activity, wall_clock=clock)
    replay.start()
    while clock.t < 1000 + 3700:
        clock.advance(30)
        engine.step()

    # nothing committed was lost or duplicated ...
    after = store.positions(source=source)
    before_part = after[after["ts"] <= watermark]
    pd.testing.assert_frame_equal(before_part.reset_index(drop=True),
                                  committed_positions.reset_index(drop=True))
    closed_before = committed_calls[~committed_calls["open"].astype(bool)]
    final = store.calls(source).set_index("call_id")
    for _, row in closed_before.iterrows():
        assert final.loc[row["call_id"], "berth_departure"] == row["berth_departure"] or \
            pd.isna(row["berth_departure"])
    # ... and the calls are those of one uninterrupted run
    fixes = pd.DataFrame([(r.mmsi, r.ts, r.lon, r.lat, r.sog, r.nav_status) for r in reports],
                         columns=["mmsi", "ts", "lon", "lat", "sog", "nav_status"])
    types = {r.mmsi: r.ship_type for r in reports if r.ship_type is not None}
    batch = run_batch(fixes.astype({"nav_status": float}), port.geometry, ship_types=types,
                      source=source)
    expected = _stages([c.to_row() for c in batch.all_calls()])
    got = _stages(store.calls(source).to_dict("records"))
    got["open"] = got["open"].astype(bool)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_the_store_on_a_real_postgresql_server(port):
    with servers.postgres() as url:
        store = HistoryStore(url)
        from twin.history_cli import load_history
        result = load_history(store, NY_HOUR, port)
        assert result["calls"] > 100
        calls = store.calls(result["source"])
        assert len(calls) == result["calls"]
        assert (calls["kind"] == "berth").sum() > 30
        visits = store.visits(result["source"])
        assert {"berth", "anchorage"} <= set(visits["kind"]) <= {"berth", "anchorage", "other"}
        # loading again replaces the source instead of doubling it
        load_history(store, NY_HOUR, port)
        assert len(store.calls(result["source"])) == result["calls"]
        assert store.latest_kpis(result["source"])["calls"] >= 0
        store.close()


def _positions_round_trip(store) -> list:
    """Two rounds of positions, as the live path (tuples) and the tools (dicts) write them,
    with a missing speed as NaN and values as numpy scalars; what the store gives back."""
    import numpy as np
    store.write_round("live", fixes=[
        (366998000, 1593475200.0, -74.01, 40.70, 11.5, 90.0, None, 0),
        (np.int64(366998001), np.float64(1593475201.0), -74.02, 40.71, float("nan"),
         np.float32(180.0), 511.0, np.int32(5))])
    store.write_round("live", fixes=[
        {"mmsi": np.int64(366998002), "ts": 1593475202.0, "lon": -74.03, "lat": 40.72,
         "sog": np.nan, "cog": None, "heading": None, "nav_status": 1}])
    df = store.positions(source="live").sort_values("ts", ignore_index=True)
    return [tuple(None if isinstance(v, float) and v != v else v for v in row)
            for row in df[["mmsi", "ts", "lon", "lat", "sog", "cog", "heading",
                           "nav_status"]].astype(object).itertuples(index=False)]


POSITIONS_BACK = [(366998000, 1593475200.0, -74.01, 40.70, 11.5, 90.0, None, 0),
                  (366998001, 1593475201.0, -74.02, 40.71, None, 180.0, 511.0, 5),
                  (366998002, 1593475202.0, -74.03, 40.72, None, None, None, 1)]


def test_position_rows_are_stored_as_numbers_from_tuples_dicts_and_numpy(tmp_path):
    """The live path hands positions over as tuples, straight to SQLite's driver: numpy
    scalars must still be stored as numbers (not as blobs of their bytes) and NaN as NULL,
    as the cleaned dicts of the tools are — on SQLite and on PostgreSQL alike."""
    import sqlite3
    store = HistoryStore(f"sqlite:///{tmp_path / 'p.sqlite'}")
    assert _positions_round_trip(store) == POSITIONS_BACK
    store.close()
    with sqlite3.connect(tmp_path / "p.sqlite") as conn:
        kinds = conn.execute("SELECT DISTINCT typeof(mmsi), typeof(ts), typeof(cog), "
                             "typeof(nav_status) FROM positions WHERE cog IS NOT NULL"
                             ).fetchall()
    assert kinds == [("integer", "real", "real", "integer")]
    with servers.postgres() as url:
        store = HistoryStore(url)
        assert _positions_round_trip(store) == POSITIONS_BACK
        store.close()


def test_retention_prunes_old_positions_but_keeps_calls(tmp_path, port):
    from twin.history_cli import load_history
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite'}", retention_days=1)
    result = load_history(store, NY_HOUR, port)
    n_calls = len(store.calls(result["source"]))
    source = result["source"]
    assert store.prune(source, result["end"]) == 0               # all within a day
    # two days later all are old; one pass deletes no more than its share of the rows …
    assert store.prune(source, result["end"] + 2 * 86400) == 0
    assert not store.positions(source=source).empty
    # … the explicit command (no share limit) does
    assert store.prune(source, result["end"] + 2 * 86400, max_share=None) > 1000
    assert store.positions(source=result["source"]).empty
    assert len(store.calls(result["source"])) == n_calls


def test_a_class_b_ships_name_and_type_from_two_messages_are_both_kept(tmp_path, port):
    """Type 24 part A (name) and part B (type, call sign) come in different rounds; the
    stored vessel keeps both, and a type 5 said again unchanged writes nothing new."""
    from data_sources.events import StaticReport
    from twin.activity import PortActivity

    store = HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite'}")
    activity = PortActivity(port.geometry, store=store, source="live")
    activity.apply([StaticReport(1.6e9, "ais", 338000001, name="SEA ROVER")])
    activity.flush(1.6e9)
    activity.apply([StaticReport(1.6e9 + 60, "ais", 338000001, ship_type=37,
                                 callsign="WDA1234", length=12.0)])
    activity.flush(1.6e9 + 60)
    row = store.static().set_index("mmsi").loc[338000001]
    assert (row["name"], row["ship_type"], row["callsign"], row["length"]) == \
        ("SEA ROVER", 37, "WDA1234", 12.0)
    assert row["updated"] == 1.6e9 + 60

    activity.apply([StaticReport(1.6e9 + 120, "ais", 338000001, name="SEA ROVER",
                                 ship_type=37)])
    assert not activity._static                  # nothing changed: nothing to write
    activity.apply([StaticReport(1.6e9 + 180, "ais", 338000001, name="SEA ROVER II")])
    activity.flush(1.6e9 + 180)
    row = store.static().set_index("mmsi").loc[338000001]
    assert (row["name"], row["ship_type"]) == ("SEA ROVER II", 37)
    store.close()


def test_tracker_states_are_checkpointed_when_new_changed_or_30_s_old(tmp_path, port):
    """A vessel's tracker state is written when it is first seen and when its call changes,
    else once every 30 s of wall clock (not every round); the stored resume point is where a
    replay must go back to for every state to catch up, the watermark once all are current;
    a clean stop writes them all."""
    from data_sources import marinecadastre
    from data_sources.replay import ReplaySource
    from twin.activity import PortActivity
    from twin.engine import Engine

    store = HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite'}")
    source, wall, data = "live:test", FakeClock(), FakeClock()
    activity = PortActivity(port.geometry, store=store, source=source, wall_clock=wall)
    changed_calls: set[int] = set()
    on_change = activity.tracker.on_change
    activity.tracker.on_change = lambda call: (changed_calls.add(call.mmsi), on_change(call))
    replay = ReplaySource(marinecadastre.load_file(NY_HOUR), source_id="mc", label="x",
                          loop=False, clock=data)
    engine = Engine([replay], activity=activity, wall_clock=wall)
    replay.start()

    def stored() -> dict:
        return {s["mmsi"]: s for s in store.tracker_states(source)}

    def live(mmsi: int) -> dict:
        return json.loads(json.dumps(activity.tracker.state_of(mmsi)))

    data.advance(600)                 # ten minutes of data in the first round
    engine.step()
    first = stored()
    assert len(first) > 100 and first.keys() == activity.tracker.tracks.keys()
    assert float(store.get_meta(source, "resume")) == store.watermark(source)

    for _ in range(10):               # ten rounds of a minute of data, a second of wall each
        changed_calls.clear()
        data.advance(60)
        wall.advance(1)
        engine.step()
        now_stored = stored()
        for mmsi in changed_calls:    # a call that changed: its vessel's state at once
            assert now_stored[mmsi] == live(mmsi)
    behind = [m for m, s in stored().items() if s != live(m)]
    assert len(behind) > 50           # moved since, not yet due
    resume, watermark = float(store.get_meta(source, "resume")), store.watermark(source)
    assert resume == min(stored()[m]["last_ts"] for m in behind) < watermark - 300

    wall.advance(30)                  # 30 s on: every vessel that moved is written
    data.advance(60)
    engine.step()
    assert all(s == live(m) for m, s in stored().items())
    assert float(store.get_meta(source, "resume")) == store.watermark(source)

    data.advance(60)
    wall.advance(1)
    engine.step()
    assert any(s != live(m) for m, s in stored().items())
    engine.stop()                     # a clean stop: all of them
    assert all(s == live(m) for m, s in stored().items())
    assert stored().keys() == activity.tracker.tracks.keys()
    store.close()
