"""Run the engine on the NY hour with alerts and a history store, acknowledging alerts as an
operator would while rounds run; print ``ACKED <alert id>`` only once ``acknowledge`` has
returned (what the screen confirms). The test kills it with SIGKILL at random moments.
``python -m tests.twin.ack_run DB_URL``"""
import sys
import threading
import time

from data_sources import marinecadastre
from data_sources.replay import ReplaySource
from tests.conftest import NY_HOUR, ROOT, FakeClock
from twin.activity import PortActivity
from twin.alerts import AlertEngine
from twin.engine import Engine
from twin.history import HistoryStore
from twin.port import Port

SOURCE = "live:acks"


def main(url: str) -> None:
    port = Port.load(ROOT / "data" / "ports" / "nynj")
    store = HistoryStore(url)
    clock = FakeClock()
    replay = ReplaySource(marinecadastre.load_file(NY_HOUR), source_id="mc", label="x",
                          loop=True, clock=clock, warmup_s=600)
    alerts = AlertEngine(port, source=SOURCE)
    activity = PortActivity(port.geometry, store=store, source=SOURCE, alerts=alerts)
    activity.restore()
    if activity.watermark:
        replay.resume(activity.watermark)
    engine = Engine([replay], activity=activity, wall_clock=clock)
    replay.start()

    def rounds():                       # the engine thread: rounds go on while acks arrive
        while True:
            clock.advance(20)
            engine.step()
    threading.Thread(target=rounds, daemon=True).start()
    print("READY", flush=True)
    while True:                         # the operator: acknowledge whatever is open
        time.sleep(0.01)                # (not a busy loop holding the GIL from the rounds)
        for alert in alerts.open_alerts():
            if not alert.acked:
                activity.acknowledge(alert.alert_id, "operator on duty", "seen")
                print(f"ACKED {alert.alert_id}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
