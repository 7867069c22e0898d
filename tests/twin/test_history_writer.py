"""The live twin's history writer (twin.history_writer): a history store that goes away —
stopped, or hung so that it never answers — holds up no engine round, costs bounded memory,
and once it is back has everything of the rounds in between (less the oldest positions past
the bound, counted).

The twin here is the real live pipeline (``bench.ingest.build_pipeline``: the AIS source,
admission, fleet state, port calls and alerts as ``app.py`` wires them) fed the bundled NY
hour a round at a time, on a real PostgreSQL server (tests/servers.py)."""
from __future__ import annotations

import contextlib
import sqlite3
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from bench import ingest
from tests.servers import FreezingProxy, postgres_server
from twin.history import PendingWrites, round_rows

ROUND_LINES = 500


def _rounds():
    lines = ingest.read_lines(ingest.DEFAULT_FILE, 1)
    times = [ingest.line_time(ln) for ln in lines]
    first = next(t for t in times if t is not None)
    return ingest.receiver_reads(lines, times, first, ROUND_LINES, 16)


def _step(engine, source, reads, clock) -> None:
    for chunk, arrival in reads:
        source.on_lines(chunk, arrival)
    source.clock = clock
    # on a thread with a join: a round held up by the store fails the test instead of
    # hanging it
    done = threading.Event()
    worker = threading.Thread(target=lambda: (engine.step(), done.set()), daemon=True)
    worker.start()
    assert done.wait(60), "the engine round waited on the history store"


def _counts(conn_or_url) -> dict:
    tables = ("positions", "port_calls", "visits", "alerts", "tracker_state", "vessels")
    if isinstance(conn_or_url, str):
        with create_engine(conn_or_url).connect() as conn:
            return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}
    return {t: conn_or_url.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """What the NY hour stores with the store there all along (SQLite, committed inline)."""
    path = tmp_path_factory.mktemp("ref") / "ref.sqlite"
    engine, source, store = ingest.build_pipeline(ingest.DEFAULT_PORT, path)
    for reads, clock in _rounds():
        _step(engine, source, reads, clock)
    engine.activity.flush(engine.now(), checkpoint_all=True)
    store.close()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return _counts(conn)


def _wait_for(what, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = what()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s")


def test_a_stopped_database_holds_up_no_round_and_has_every_row_once_it_is_back(reference):
    with postgres_server() as pg:
        engine, source, store = ingest.build_pipeline(ingest.DEFAULT_PORT, None, pg.url)
        act = engine.activity
        act.start_writer()                      # as Engine.start does for a running twin
        rounds = _rounds()
        for reads, clock in rounds[:5]:
            _step(engine, source, reads, clock)
        assert act.writer.wait(30)
        pg.stop()                               # PostgreSQL gone, mid-hour
        for reads, clock in rounds[5:20]:
            _step(engine, source, reads, clock)
        status = _wait_for(lambda: (s := act.writer.status())["errors"] and s)
        assert status["rows_waiting"] > 0 and status["failing_s"] is not None
        assert len(engine.state.vessels) > 200            # the twin went on meanwhile
        pg.start()
        for reads, clock in rounds[20:]:
            _step(engine, source, reads, clock)
        act.flush(engine.now(), checkpoint_all=True)
        assert act.stop_writer(60)
        status = act.writer.status()
        assert status["rows_waiting"] == 0 and status["failing_s"] is None
        assert status["positions_dropped"] == 0
        got = _counts(pg.url)
        store.engine.dispose()
    assert got == reference


def test_a_database_that_never_answers_holds_up_no_round_and_memory_stays_bounded(reference):
    with postgres_server() as pg:
        proxy = FreezingProxy(str(pg.sock / ".s.PGSQL.5432"))
        url = f"postgresql+psycopg://porttwin@127.0.0.1:{proxy.port}/postgres"
        engine, source, store = ingest.build_pipeline(ingest.DEFAULT_PORT, None, url)
        act = engine.activity
        act.writer.max_positions = 1_000
        act.start_writer()
        rounds = _rounds()
        for reads, clock in rounds[:5]:
            _step(engine, source, reads, clock)
        assert act.writer.wait(30)
        proxy.freeze()                          # the next commit waits for an answer
        for reads, clock in rounds[5:20]:
            _step(engine, source, reads, clock)
        status = _wait_for(lambda: (s := act.writer.status())["commit_running_s"] and s)
        assert status["positions_waiting"] <= 1_000 and status["positions_dropped"] > 0
        # calls, states and alerts wait as their latest version: bounded by the fleet
        status = act.writer.status()
        assert status["calls_waiting"] <= reference["port_calls"]
        assert status["states_waiting"] <= reference["tracker_state"]
        proxy.thaw()
        for reads, clock in rounds[20:]:
            _step(engine, source, reads, clock)
        act.flush(engine.now(), checkpoint_all=True)
        assert act.stop_writer(60)
        dropped = act.writer.status()["positions_dropped"]
        got = _counts(pg.url)
        store.engine.dispose()
    assert got["positions"] == reference["positions"] - dropped
    assert {k: v for k, v in got.items() if k != "positions"} == \
        {k: v for k, v in reference.items() if k != "positions"}


def test_merged_rounds_keep_every_position_in_order_and_the_latest_of_everything_else():
    a = round_rows("live", fixes=[(1, 10.0, 0, 0, 1, 0, 0, 0), (2, 11.0, 0, 0, 1, 0, 0, 0)],
                   static={1: {"name": "OLD NAME", "length": 100.0}},
                   alert_rows=[], watermark=11.0, resume=10.0, now=11.0)
    a.states[1] = {"source": "live", "mmsi": 1, "state": {"v": 1}}
    b = round_rows("live", fixes=[(1, 12.0, 0, 0, 1, 0, 0, 0)],
                   static={1: {"name": "NEW NAME"}}, watermark=12.0, now=12.0)
    b.states[1] = {"source": "live", "mmsi": 1, "state": {"v": 2}}
    merged = PendingWrites("live").merge(a).merge(b)
    assert [p[1] for p in merged.positions] == [10.0, 11.0, 12.0]
    assert merged.states[1]["state"] == {"v": 2}
    assert merged.static[1] == [12.0, {"name": "NEW NAME", "length": 100.0}]
    assert (merged.watermark, merged.resume) == (12.0, 12.0)
    dropped = merged.keep_positions(2)
    assert [p[1] for p in dropped] == [10.0] and [p[1] for p in merged.positions] == [11.0, 12.0]
