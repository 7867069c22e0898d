"""The twin image: a web worker of another process answers every view as the embedded twin
does (the same code over copies), only what an image is made of is unpickled, and the twin
service validates the commands it gets from the network."""
import os
import pickle

import pytest

import app as porttwin
from twin import image as twin_image
from twin.config import Config
from twin.port import Port
from twin.query import TwinQuery
from twin.service import TwinService


class _NoBus:
    def __init__(self):
        self.images = []

    def publish(self, image):
        data = twin_image.dumps(image)
        self.images.append(data)
        return len(data)


PORTS = {"nynj": None,                 # the package's own replay (the NY hour)
         "pugetsound": "data/sources/pugetsound/PugetSound_2020_06_30.traj"}


@pytest.fixture(scope="module", params=sorted(PORTS))
def twin(request, tmp_path_factory):
    db = tmp_path_factory.mktemp("h") / "h.sqlite"
    replay = PORTS[request.param]
    config = Config.load(env={}, history_url=f"sqlite:///{db}", history_autoload=False,
                         start_engine=False, port_dir=f"data/ports/{request.param}",
                         ais_replay=replay)
    port = Port.load(config.port_dir)
    config = config.for_port(port)
    engine = porttwin.build_engine(config, port, porttwin.build_store(config, port),
                                   porttwin.build_ais_source(config))
    engine.twin_id = "test-twin"
    bus = _NoBus()
    service = TwinService(engine, bus)
    for source in engine.sources:                  # the warm-up: the replay's first minutes
        if hasattr(source, "start"):
            source.start()
    for _ in range(4):
        engine.step()                               # each round publishes an image
    # the views read the last round's snapshot, as with a running engine thread (stepped by
    # hand, the engine would build a newer one when the last is 0.5 s old: on a busy machine
    # the live side then answers for a later moment than the image)
    engine.snapshot_max_age_s = float("inf")
    latest = twin_image.loads(bus.images[-1])
    remote = twin_image.ImageEngine(lambda: latest, commands=None)
    return engine, remote, port, service, bus


def test_each_round_publishes_an_image_and_the_worker_reads_the_same_twin(twin):
    engine, remote, port, service, bus = twin
    assert len(bus.images) == 4 and service.seq == 4
    assert remote.twin_id == "test-twin"
    assert remote.now() == engine.snapshot().time
    assert len(remote.snapshot().vessels) == len(engine.snapshot().vessels) > 0
    assert [h.get("source") for h in remote.feed_health()] == \
        [h.get("source") for h in engine.feed_health()]


def test_every_view_gives_the_same_answer_from_the_image(twin):
    engine, remote, port, _, _ = twin
    now = engine.snapshot().time
    live, copy = engine.activity, remote.activity
    assert copy.open_call_rows(now) == live.open_call_rows(now)
    assert copy.places() == live.places()
    assert copy.berth_status(now) == live.berth_status(now)
    a, b = live.live_summary(now), copy.live_summary(now)
    assert {k: v for k, v in a.items() if k != "queue"} == \
        {k: v for k, v in b.items() if k != "queue"}
    # the vessel card's call status, for every vessel (one with a closed call has none)
    for mmsi in engine.snapshot().vessels["mmsi"].tolist() + [c.mmsi for c in live.calls()]:
        assert copy.status(mmsi, now) == live.status(mmsi, now), mmsi
    # the source banner: a replay's position, as the live source gives it (whose clock runs on)
    shown, live_pos = remote.primary.position(), engine.primary.position()
    assert shown.keys() == live_pos.keys() and shown["speed"] == live_pos["speed"]
    assert abs(shown["recording_time"] - live_pos["recording_time"]) < 5
    assert [x.alert_id for x in copy.alerts.open_alerts(now)] == \
        [x.alert_id for x in live.alerts.open_alerts(now)]
    assert copy.alerts.highlighted(now) == live.alerts.highlighted(now)
    # the query layer every page and the API use: the same rows either way
    q_live, q_remote = TwinQuery(engine, port), TwinQuery(remote, port)
    assert q_remote.vessels() == q_live.vessels()
    assert q_remote.anchorage_queue() == q_live.anchorage_queue()
    # (its window is counted from now: the live clock runs on, the image's is its moment)
    assert q_remote.berth_timeline(top=10)["berths"] == q_live.berth_timeline(top=10)["berths"]
    first = q_live.vessels()[0]["mmsi"]
    assert q_remote.vessel(first) == q_live.vessel(first)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo owned > /tmp/porttwin-owned",))


def test_an_image_that_would_run_code_is_refused():
    with pytest.raises(pickle.UnpicklingError, match="may not hold"):
        twin_image.loads(pickle.dumps(_Evil()))
    with pytest.raises(pickle.UnpicklingError):
        twin_image.loads(pickle.dumps(pickle.loads))       # a function, not data


@pytest.mark.parametrize("command, why", [
    ({"op": "acknowledge", "alert_id": "x", "operator": ""}, "operator's name"),
    ({"op": "acknowledge", "alert_id": 7, "operator": "Li"}, "alert_id"),
    ({"op": "acknowledge", "alert_id": "x", "operator": "L" * 501}, "operator"),
    ({"op": "silence", "mmsis": [1] * 11, "minutes": 30, "operator": "Li"}, "mmsis"),
    ({"op": "silence", "mmsis": ["366"], "minutes": 30, "operator": "Li"}, "mmsis"),
    ({"op": "silence", "mmsis": [366999999], "minutes": float("inf"), "operator": "Li"},
     "minutes"),
    ({"op": "delete_everything", "operator": "Li"}, "unknown command"),
])
def test_the_twin_refuses_a_bad_command_and_says_why(twin, command, why):
    _, _, _, service, _ = twin
    with pytest.raises(ValueError, match=why):
        service.handle(command)


def test_a_command_is_applied_and_the_next_image_shows_it(twin):
    engine, _, _, service, bus = twin
    mmsi = int(engine.snapshot().vessels["mmsi"].iloc[0])
    answer = service.handle({"op": "silence", "mmsis": [mmsi], "minutes": 30,
                             "operator": "Li Wei", "comment": ""})
    assert answer == {"ok": True, "silenced": [mmsi]}
    image = twin_image.loads(bus.images[-1])       # published at once, not a round later
    assert image.activity.alerts.silences[mmsi].by == "Li Wei"
