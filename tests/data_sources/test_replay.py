"""Replay: time order against a clock, speed, warm-up, looping, health."""
import pytest

from data_sources.events import ReplayRestarted, VesselReport
from data_sources.replay import ReplaySource


def report(ts, mmsi=211000001):
    return VesselReport(ts=ts, source="test", mmsi=mmsi, lon=-74.0, lat=40.6)


@pytest.fixture
def recording():
    # 0 .. 100 s of data, out of order on purpose: the replay sorts it
    return [report(t) for t in (1000.0, 1050.0, 1010.0, 1100.0)]


def make(recording, clock, **kw):
    src = ReplaySource(recording, source_id="t", label="test", clock=clock, **kw)
    src.start()
    return src


def test_events_come_in_time_order_when_their_time_has_come(recording, clock):
    src = make(recording, clock)
    assert [e.ts for e in src.poll()] == [1000.0]
    clock.advance(9.9)
    assert src.poll() == []
    clock.advance(0.1)
    assert [e.ts for e in src.poll()] == [1010.0]
    clock.advance(90)
    assert [e.ts for e in src.poll()] == [1050.0, 1100.0]
    assert src.health.messages == 4


def test_speed_factor(recording, clock):
    src = make(recording, clock, speed=10)
    clock.advance(5)            # 50 s of data
    assert [e.ts for e in src.poll()] == [1000.0, 1010.0, 1050.0]


def test_warmup_hands_out_the_first_seconds_at_once(recording, clock):
    src = make(recording, clock, warmup_s=60)
    assert [e.ts for e in src.poll()] == [1000.0, 1010.0, 1050.0]
    assert src.position()["recording_time"] == 1060.0


def test_loop_restarts_with_time_moving_forward(recording, clock):
    src = make(recording, clock)
    clock.advance(100)
    assert len(src.poll()) == 4
    clock.advance(1.0)          # period = 101 s: the second pass starts here
    events = src.poll()
    assert isinstance(events[0], ReplayRestarted) and events[0].loop == 1
    assert [e.ts for e in events[1:]] == [1101.0]          # first record, shifted one period
    assert src.position()["pass"] == 2
    assert src.position()["recording_time"] == 1000.0      # what people are shown
    clock.advance(250)          # over two more passes in one poll: nothing lost or repeated
    events = src.poll()
    assert sum(isinstance(e, ReplayRestarted) for e in events) == 2
    assert sum(isinstance(e, VesselReport) for e in events) == 3 + 4 + 2
    ts = [e.ts for e in events]
    assert ts == sorted(ts)


def test_no_loop_stops_at_the_end(recording, clock):
    src = make(recording, clock, loop=False)
    clock.advance(1000)
    assert len(src.poll()) == 4
    clock.advance(1000)
    assert src.poll() == []
    assert src.position()["finished"]


def test_health_reports_rate_age_and_staleness(recording, clock):
    src = make(recording, clock)
    src.poll()
    status = src.health.status()
    assert status["state"] == "live" and status["messages"] == 1
    assert status["last_message_age_s"] == 0
    clock.advance(61)
    assert src.health.status()["state"] == "stale"      # 50 s gap in data + 11 s: stale at 60
    src.health.record_reject("invalid_mmsi", "line 7: '0'")
    status = src.health.status()
    assert status["rejects"] == {"invalid_mmsi": 1} and status["rejected"] == 1
    assert "line 7" in status["last_error"]


def test_empty_recording_and_bad_speed_are_clear_errors(clock):
    with pytest.raises(ValueError, match="no events"):
        ReplaySource([], source_id="t", label="x", clock=clock)
    with pytest.raises(ValueError, match="speed"):
        ReplaySource([report(1.0)], source_id="t", label="x", speed=0, clock=clock)
