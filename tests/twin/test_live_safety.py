"""The live twin against hostile input: what may enter it (admission), a clock no message can
move, retention that never deletes another source's rows, acknowledgements that survive a
kill -9 — with the real NY package, real AIS and a real SQLite store."""
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from data_sources import nmea
from data_sources.events import VesselReport
from tests.conftest import NY_HOUR, ROOT
from twin.admission import Admission
from twin.config import Config
from twin.history import HistoryStore
from twin.port import Port


@pytest.fixture(scope="module")
def port():
    return Port.load(ROOT / "data" / "ports" / "nynj")


def report(mmsi, ts, lon=-74.05, lat=40.65, source="ais"):
    return VesselReport(ts, source, mmsi, lon, lat, 5.0, 90.0, None, 0)


# ---- admission ---------------------------------------------------------------------------
def test_positions_outside_the_region_or_off_earth_do_not_enter(port):
    gate = Admission(port.bounds, margin_m=20_000)
    t = 1.6e9
    got = gate.admit([report(1, t), report(2, t, 106.0, -40.6),     # the far side of Earth
                      report(3, t, float("nan"), 40.6), report(4, t, -74.0, 95.0),
                      report(5, t, float("inf"), 40.6)], t)
    assert [r.mmsi for r in got] == [1]
    assert gate.rejects == {"outside_region": 1, "bad_position": 3}


def test_an_event_ahead_of_the_twins_clock_does_not_enter(port):
    gate = Admission(port.bounds)
    t = 1.6e9
    got = gate.admit([report(1, t + 60), report(2, t + 3600), report(3, float("nan"))], t)
    assert [r.mmsi for r in got] == [1]
    assert gate.rejects == {"time_ahead_of_twin": 1, "bad_time": 1}


def test_a_new_vessel_of_a_live_feed_enters_only_when_two_reports_agree(port):
    gate = Admission(port.bounds, confirm_sources=["ais"], max_speed_kn=50)
    t = 1.6e9
    assert gate.admit([report(1, t)], t) == []                       # held
    both = gate.admit([report(1, t + 60, -74.049)], t + 60)          # 85 m in a minute
    assert [r.ts for r in both] == [t, t + 60]                       # the first comes too
    assert len(gate.admit([report(1, t + 120, -73.6)], t + 120)) == 1   # known now
    # a corrupt MMSI seen once, then somewhere a ship cannot reach: never enters
    assert gate.admit([report(2, t)], t) == []
    assert gate.admit([report(2, t + 10, -73.7)], t + 10) == []      # 30 km in 10 s
    assert gate.rejects["unconfirmed"] == 1
    gate.expire(t + 10 + 3600, 1800)                                 # too old to confirm
    assert gate.rejects["unconfirmed"] == 2 and not gate._pending
    # a replayed recording is not held
    assert len(gate.admit([report(9, t, source="replay")], t)) == 1


def test_random_payloads_with_good_checksums_create_no_vessels_and_no_alerts(port):
    from app import build_engine
    cfg = Config.load(env={}, ais="udp://127.0.0.1:0", history_url="none", radar="none",
                      berth_plan="none")
    engine = build_engine(cfg, port, None)
    source = engine.primary
    rng = random.Random(3)
    armour = [chr(c) for c in list(range(48, 88)) + list(range(96, 120))]
    now = time.time()
    try:
        for _ in range(20_000):
            body = f"AIVDM,1,1,,A,1{''.join(rng.choice(armour) for _ in range(27))},0"
            source.on_line(f"!{body}*{nmea.checksum(body):02X}", now)
        engine.step()
        assert engine.errors == 0
        assert len(engine.state.vessels) <= 2             # was 16,202 vessels on the old main
        assert len(engine.activity.alerts.open_alerts()) <= 2
        rejects = source.health.status()["rejects"]
        assert rejects["outside_region"] + rejects.get("position_out_of_range", 0) > 10_000
    finally:
        source.transport._sock.close()


@pytest.mark.parametrize("name", ["nynj", "pugetsound"])
def test_a_port_region_projects_whole_and_a_region_that_does_not_is_checked_per_round(name):
    """A port's region (bounds + margin) projects everywhere, so its positions need no
    per-round projection check; a region reaching ~90° of longitude from the projection's
    centre does not, and there every position is checked (and the far one rejected)."""
    here = Port.load(ROOT / "data" / "ports" / name)
    gate = Admission(here.bounds, margin_m=20_000, project=here.geometry.to_metres)
    assert gate._whole_region_projects()
    lon0 = (here.bounds[0] + here.bounds[2]) / 2
    wide = Admission((lon0, -5.0, lon0 + 95.0, 5.0), margin_m=0,
                     project=here.geometry.to_metres)
    assert not wide._whole_region_projects()
    t = 1.6e9
    got = wide.admit([report(1, t, lon0 + 1.0, 0.5), report(2, t, lon0 + 90.0, 0.0)], t)
    assert [r.mmsi for r in got] == [1] and wide.rejects == {"unprojectable": 1}


def test_a_far_position_does_not_abort_the_round_for_everyone(port):
    from app import build_engine
    cfg = Config.load(env={}, ais="udp://127.0.0.1:0", history_url="none", radar="none",
                      berth_plan="none")
    engine = build_engine(cfg, port, None)
    engine.admission.region = None                 # even without the region check …
    t = time.time()
    for i, (lon, lat) in enumerate([(15.0, 0.0), (15.0, 40.6), (-165.0, 0.0), (105.0, 0.0)]):
        far = 366000002 + i                        # ~90° from the port's UTM zone: x = ∞
        engine.primary._events.extend([report(366000001, t - 30 + i, source="ais-nmea"),
                                       report(far, t - 30, lon, lat, "ais-nmea"),
                                       report(far, t - 20, lon, lat, "ais-nmea")])
        engine._safe_step()
    assert engine.errors == 0, engine.last_error   # … nothing projects to infinity
    assert 366000001 in engine.state.vessels
    assert engine.admission.rejects["unprojectable"] >= 2    # the ones that project to ∞
    engine.primary.transport._sock.close()


# ---- the clock ---------------------------------------------------------------------------
def tagged(t, tail="08CQ"):
    line = f"AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g2{tail},0"
    body = f"c:{t}"
    return f"\\{body}*{nmea.checksum(body):02X}\\!{line}*{nmea.checksum(line):02X}"


def test_no_message_moves_the_twins_clock_and_the_clock_is_monotone(port, tmp_path):
    from app import build_engine
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite'}")
    cfg = Config.load(env={}, ais="udp://127.0.0.1:0", radar="none", berth_plan="none")
    engine = build_engine(cfg, port, store)
    source = engine.primary
    try:
        now = time.time()
        for i, t in enumerate(("9999999999", "3786000000", "nan", "inf", "1e93475727")):
            source.on_line(tagged(t, f"0{i}CQ"), now)
        engine.step()
        assert abs(engine.now() - time.time()) < 5
        before = engine.now()
        engine.primary.data_time = lambda: float("nan")      # a clock gone wrong …
        assert engine.now() == before                         # … is not followed
        engine.primary.data_time = lambda: before - 3600      # nor one that goes back
        assert engine.now() == before
        watermark = store.watermark(engine.activity.source)
        assert watermark is None or watermark <= time.time() + 300
    finally:
        source.transport._sock.close()


# ---- retention ---------------------------------------------------------------------------
def test_a_live_feed_never_prunes_a_loaded_history_and_prunes_its_own_with_a_limit(port,
                                                                                  tmp_path):
    from app import build_engine, build_store
    cfg = Config.load(env={}, ais="udp://127.0.0.1:0", radar="none", berth_plan="none",
                      history_url=f"sqlite:///{tmp_path / 'h.sqlite'}", history_file=NY_HOUR,
                      history_alerts=False, history_retention_days=1)
    store = build_store(cfg)                            # the NY hour (2020) loaded as history
    hist = f"history:{NY_HOUR.name}"
    n_hist = len(store.positions(source=hist))
    assert n_hist > 5000
    engine = build_engine(cfg, port, store)
    live = engine.activity.source
    t = time.time()
    engine.primary._events.extend([report(366000001 + i % 5, t - 300 + i, source="ais-nmea")
                                   for i in range(200)])
    engine.step()                                       # a retention pass at 2026
    assert len(store.positions(source=hist)) == n_hist  # 6 years old: not this feed's to prune
    assert len(store.positions(source=live)) > 0
    # the live source's own rows, a day and more old on its own clock: one pass deletes no
    # more than its share; the explicit command does, after saying what
    assert store.prune(live, t + 2 * 86400) == 0
    assert len(store.positions(source=live)) > 0
    out = subprocess.run([sys.executable, "app.py", "history", "prune", "--source", live,
                          "--older-than-days", "0", "--db", cfg.history_url],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "add --yes" in out.stdout, out.stdout + out.stderr
    assert len(store.positions(source=live)) > 0        # nothing deleted without --yes
    engine.primary.transport._sock.close()


# ---- acknowledgements --------------------------------------------------------------------
def test_acknowledgements_survive_kill_9_at_random_moments(tmp_path):
    db = tmp_path / "acks.sqlite"
    url = f"sqlite:///{db}"
    rng = random.Random(11)
    confirmed: list[str] = []
    for run in range(10):
        proc = subprocess.Popen([sys.executable, "-m", "tests.twin.ack_run", url], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout.readline().strip() == "READY"
        want = rng.randint(1, 4)
        got = 0
        deadline = time.time() + 60
        while got < want and time.time() < deadline:
            line = proc.stdout.readline()
            if line.startswith("ACKED "):
                confirmed.append(line.split()[1])
                got += 1
        time.sleep(rng.random() * 0.3)                   # mid-round, acks in flight
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        for line in proc.stdout:                          # confirmed before the kill landed
            if line.startswith("ACKED "):
                confirmed.append(line.split()[1])
    assert len(confirmed) >= 10
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    acked = {r[0] for r in con.execute("SELECT alert_id FROM alerts WHERE acked_by IS NOT NULL")}
    con.close()
    assert set(confirmed) <= acked, sorted(set(confirmed) - acked)[:5]
    print(f"10 kills: {len(confirmed)} acknowledgements confirmed, all {len(set(confirmed))} "
          f"stored; integrity_check ok")
