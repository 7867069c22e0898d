"""The engine applies feeds to the twin, survives failures and serves snapshots."""
import time

from data_sources.events import VesselReport
from data_sources.replay import ReplaySource
from twin.engine import Engine


def test_engine_applies_the_replay_and_reports_health(ny_reports, clock):
    reports, _ = ny_reports
    src = ReplaySource(reports, source_id="ais", label="replay", clock=clock, warmup_s=60)
    engine = Engine([src], wall_clock=clock)
    src.start()
    engine.step()
    first = engine.snapshot()
    assert first.counts()["total"] == len({r.mmsi for r in reports if r.ts <= reports[0].ts + 60})
    clock.advance(600)
    engine.step()
    clock.advance(1)
    later = engine.snapshot()
    assert later.version > first.version and later.counts()["total"] > first.counts()["total"]
    assert engine.display_time() == reports[0].ts + 661
    (health,) = engine.feed_health()
    assert health["state"] == "live" and health["messages"] > 0


class Flaky:
    """A source that fails once, then delivers."""

    def __init__(self):
        self.calls = 0
        from data_sources.health import FeedHealth
        self.health = FeedHealth("flaky")

    def poll(self):
        self.calls += 1
        if self.calls == 1:
            raise OSError("connection reset")
        return [VesselReport(ts=time.time(), source="flaky", mmsi=211000001, lon=10.0, lat=55.0)]


def test_a_failing_round_is_counted_and_the_engine_goes_on():
    engine = Engine([Flaky()], tick_s=0.01)
    engine.start()
    try:
        deadline = time.time() + 5
        while time.time() < deadline and not engine.state.vessels:
            time.sleep(0.01)
    finally:
        engine.stop()
    assert engine.errors >= 1 and "connection reset" in engine.last_error
    assert 211000001 in engine.state.vessels
