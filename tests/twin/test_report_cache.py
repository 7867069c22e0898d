"""Period reports are cached with a bound: concurrent identical requests compute once, the
cache holds at most ``maxsize`` reports, a live report expires after a minute and a loaded
history's when it is loaded again."""
import threading
import time
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from twin import reports
from twin.query import Scope
from twin.reports import ReportCache, build_report

NY = ZoneInfo("America/New_York")


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


class Store:
    """The two things a report's version reads from the history store."""

    def __init__(self):
        self.meta = {"watermark": "1607383791.0"}

    def watermark(self, source):
        return float(self.meta["watermark"])

    def get_meta(self, source, key):
        return self.meta.get(key)


def fake_query(cache=None):
    return SimpleNamespace(port=SimpleNamespace(timezone="America/New_York"), store=Store(),
                           scope=Scope(),
                           report_cache=ReportCache(maxsize=4) if cache is None else cache)


@pytest.fixture
def counted(monkeypatch):
    """``_build_report`` replaced by a slow stand-in that counts its calls."""
    calls = []
    lock = threading.Lock()

    def build(query, source, period, anchor, weights=None):
        with lock:
            calls.append((source, period, anchor))
        time.sleep(0.2)                      # long enough for every thread to ask meanwhile
        start, end = reports.period_bounds(period, anchor, query.port.timezone)
        return {"source": source, "start": start, "end": end, "kpis": [{"key": "arrivals"}]}
    monkeypatch.setattr(reports, "_build_report", build)
    return calls


def test_ten_threads_asking_one_month_compute_it_once(counted):
    query = fake_query()
    got, barrier = [], threading.Barrier(10)

    def ask(day):
        barrier.wait()
        anchor = datetime(2020, 12, day, 12, tzinfo=NY).timestamp()    # any day of December
        got.append(build_report(query, None, "month", anchor))
    threads = [threading.Thread(target=ask, args=(d,)) for d in range(1, 11)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(counted) == 1 and len(got) == 10
    assert all(r == got[0] for r in got)
    got[0]["kpis"].clear()                   # each caller has its own copy
    assert got[1]["kpis"] == [{"key": "arrivals"}]


def test_the_cache_holds_at_most_maxsize_reports_least_recently_used_out(counted):
    query = fake_query(ReportCache(maxsize=4))
    days = [datetime(2020, 12, d, 12, tzinfo=NY).timestamp() for d in range(1, 11)]
    for anchor in days:
        build_report(query, "history:week", "day", anchor)
    assert len(query.report_cache) == 4 and len(counted) == 10
    build_report(query, "history:week", "day", days[6])       # kept: no new computation
    build_report(query, "history:week", "day", days[9])
    assert len(counted) == 10
    build_report(query, "history:week", "day", days[0])       # evicted long ago: computed
    assert len(counted) == 11 and len(query.report_cache) == 4


def test_a_live_report_lasts_a_minute_a_history_until_loaded_again(counted):
    clock = Clock()
    query = fake_query(ReportCache(maxsize=8, clock=clock))
    anchor = datetime(2020, 12, 3, 12, tzinfo=NY).timestamp()
    build_report(query, "live", "week", anchor)
    build_report(query, "history:week", "week", anchor)
    clock.t += 59
    build_report(query, "live", "week", anchor)
    build_report(query, "history:week", "week", anchor)
    assert len(counted) == 2
    clock.t += 2                                             # the live report is stale
    build_report(query, "live", "week", anchor)
    build_report(query, "history:week", "week", anchor)
    assert len(counted) == 3
    query.store.meta["alerts_loaded"] = "12"                 # history alerts run since
    build_report(query, "history:week", "week", anchor)
    query.store.meta["watermark"] = "1607400000.0"           # the file loaded again
    build_report(query, "history:week", "week", anchor)
    assert len(counted) == 5
    # another scope sees other figures: its own entry
    build_report(query.__class__(**{**vars(query), "scope": Scope(frozenset({1}), "fleet")}),
                 "history:week", "week", anchor)
    assert len(counted) == 6


def test_a_failed_build_reaches_every_waiter_and_is_not_cached():
    cache, calls = ReportCache(), []
    barrier = threading.Barrier(5)

    def fail():
        calls.append(1)
        time.sleep(0.2)
        raise RuntimeError("store gone")
    errors = []

    def ask():
        barrier.wait()
        try:
            cache.get("k", 60, fail)
        except RuntimeError as exc:
            errors.append(exc)
    threads = [threading.Thread(target=ask) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(calls) == 1 and len(errors) == 5 and len(cache) == 0
    assert cache.get("k", 60, lambda: "ok") == "ok"


def test_different_reports_are_built_two_at_a_time():
    cache, lock = ReportCache(max_building=2), threading.Lock()
    running, most = [0], [0]

    def build(i):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.1)
        with lock:
            running[0] -= 1
        return i
    threads = [threading.Thread(target=cache.get, args=(i, 60, lambda i=i: build(i)))
               for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert most[0] == 2 and len(cache) == 6
