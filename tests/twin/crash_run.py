"""Run the engine on the NY hour with a history store and die with SIGKILL in the middle of a
round — after its positions went through the tracker, before its commit (see
test_history.py). ``python -m tests.twin.crash_run DB_URL KILL_AT_DATA_SECONDS``"""
import os
import signal
import sys

from data_sources import marinecadastre
from data_sources.replay import ReplaySource
from tests.conftest import NY_HOUR, ROOT, FakeClock
from twin.activity import PortActivity
from twin.engine import Engine
from twin.history import HistoryStore
from twin.port import Port

SOURCE = "live:test"


def main(url: str, kill_after_s: float) -> None:
    port = Port.load(ROOT / "data" / "ports" / "nynj")
    store = HistoryStore(url)
    clock = FakeClock()
    replay = ReplaySource(marinecadastre.load_file(NY_HOUR), source_id="mc", label="x",
                          loop=False, clock=clock)
    activity = PortActivity(port.geometry, store=store, source=SOURCE)
    engine = Engine([replay], activity=activity, wall_clock=clock)
    replay.start()
    flush = activity.flush

    def flush_or_die(now=None):
        if clock.t - 1000 >= kill_after_s:
            os.kill(os.getpid(), signal.SIGKILL)      # uncommitted round in memory
        return flush(now)

    activity.flush = flush_or_die
    while True:
        clock.advance(30)
        engine.step()


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
