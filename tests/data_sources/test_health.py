"""A feed's health: the message rate a feed panel shows stays right, and its memory bounded,
at any rate."""
from data_sources.health import FeedHealth
from tests.conftest import FakeClock


def test_the_rate_is_right_and_its_memory_bounded_at_five_thousand_messages_a_second():
    clock = FakeClock()
    health = FeedHealth("ais", clock=clock)
    for _ in range(90 * 1000):                 # 90 s at 5 messages a millisecond
        for _ in range(5):
            health.record_messages(1)
        clock.advance(0.001)
    status = health.status()
    assert status["messages"] == 90 * 5000
    assert abs(status["rate_per_s"] - 5000) / 5000 < 0.01      # over the last 60 s
    assert len(health._recent) <= 10 * health.rate_window_s + 2  # tenths of a second
    clock.advance(61)                          # a minute of silence
    assert health.status()["rate_per_s"] == 0.0
