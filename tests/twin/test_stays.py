"""Stays: every stop in the port area is one (berth, anchorage or other), an open stay ends at
the vessel's last fix, a vessel unseen past the gap limit closes its call as lost, a return to
the same berth within the re-stop window is one stay — on the real NY package; and the
harbour alert profile a package without alerts.toml gets."""
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import NY_HOUR, ROOT
from twin.port import Port
from twin.portcalls import run_batch
from twin.stays import stays_table

T0 = 1_606_780_800.0          # 2020-12-01T00:00Z


@pytest.fixture(scope="module")
def port():
    return Port.load(ROOT / "data" / "ports" / "nynj")


def quay_point(port, berth_id="0Y8W"):
    """A point on the quay line of a real NY berth (Port Newark container terminal)."""
    berths = port.layer("berths").set_index("id")
    p = berths.loc[berth_id].geometry.interpolate(0.5, normalized=True)
    return p.x, p.y


def fixes(*legs):
    """Rows (mmsi, ts, lon, lat, sog) from legs of (mmsi, start, minutes, lon, lat, sog) — one
    fix a minute."""
    rows = []
    for mmsi, start, minutes, lon, lat, sog in legs:
        rows += [(mmsi, start + 60 * i, lon, lat, sog) for i in range(minutes)]
    return pd.DataFrame(rows, columns=["mmsi", "ts", "lon", "lat", "sog"])


def test_a_stop_at_no_known_place_is_an_other_stay_with_its_nearest_place(port):
    # Upper Bay, inside the port limits, away from every berth and anchorage polygon
    lon, lat = -74.06, 40.66
    where = port.geometry.locate([lon], [lat])
    assert where["in_port"][0] and where["berth"][0] is None and where["anchorage"][0] is None
    df = fixes((366000001, T0, 10, lon - 0.01, lat, 8.0), (366000001, T0 + 600, 40, lon, lat, 0.0),
               (366000001, T0 + 3000, 10, lon + 0.01, lat, 8.0))
    tracker = run_batch(df, port.geometry)
    (call,) = tracker.all_calls()
    assert call.kind == "other_only" and [v.kind for v in call.visits] == ["other"]
    stays = stays_table(tracker.all_calls(), port.geometry)
    s = stays.iloc[0]
    assert s["kind"] == "other" and s["place_id"] is None
    assert abs(s["lon"] - lon) < 1e-6 and abs(s["lat"] - lat) < 1e-6
    assert s["nearest_place_name"] and s["nearest_distance_m"] > 150
    assert 0.6 < s["duration_h"] < 0.7


def test_an_open_stay_ends_at_its_last_fix_and_a_silent_vessel_is_lost(port):
    lon, lat = quay_point(port)
    other = (366000009, T0, 60 * 50, -74.035, 40.60, 6.0)   # another ship, heard for 50 h
    df = fixes((366000002, T0, 120, lon, lat, 0.0), other)
    tracker = run_batch(df, port.geometry)
    call = tracker.call_of(366000002) or next(c for c in tracker.all_calls()
                                              if c.mmsi == 366000002)
    assert call.ended_by == "lost" and call.last_seen == T0 + 119 * 60
    (berth,) = [v for v in call.visits if v.kind == "berth"]
    assert berth.departure == T0 + 119 * 60                  # not 50 h later
    assert call.berth_s() <= 2 * 3600


def test_a_return_to_the_same_berth_within_the_re_stop_window_is_one_stay(port):
    lon, lat = quay_point(port)
    mmsi = 366000003
    df = fixes((mmsi, T0, 60, lon, lat, 0.0),
               (mmsi, T0 + 3600, 5, lon + 0.003, lat, 2.0),    # moves off along the quay …
               (mmsi, T0 + 3900, 60, lon, lat, 0.0),           # … and back within 1 h
               (mmsi, T0 + 7500, 10, -74.10, 40.64, 8.0))
    (call,) = [c for c in run_batch(df, port.geometry).all_calls() if c.mmsi == mmsi]
    assert [v.kind for v in call.visits] == ["berth"]
    assert call.to_row()["shifts"] == 0 and call.to_row()["berths"] == "0Y8W"


def test_portcalls_cli_writes_one_row_per_stay(tmp_path):
    out, stays = tmp_path / "calls.csv", tmp_path / "stays.csv"
    res = subprocess.run([sys.executable, "app.py", "portcalls", "--positions", str(NY_HOUR),
                          "--out", str(out), "--stays", str(stays)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    df = pd.read_csv(stays)
    for col in ("mmsi", "kind", "place_id", "place_name", "start", "end", "lat", "lon"):
        assert col in df.columns
    assert set(df["kind"]) <= {"berth", "anchorage", "other"} and (df["kind"] == "berth").any()
    assert df["start"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    assert (pd.to_datetime(df["end"]) >= pd.to_datetime(df["start"])).all()
    assert df.loc[df["kind"] == "berth", "place_name"].notna().all()
    # every stay belongs to a call of the calls file
    calls = pd.read_csv(out)
    assert set(df["call_id"]) <= set(calls["call_id"])


def test_a_package_without_alerts_toml_gets_the_harbour_profile(port):
    from twin.alerts import AlertEngine
    from data_sources.positions import load_positions
    from twin.alerts.engine import run_alerts
    harbour = AlertEngine(port, config={})
    open_sea = AlertEngine(port, config={"profile": "open_sea"})
    rule = {r.name: r for r in harbour.rules}["collision_risk"]
    assert rule.p.cpa_nm == 0.1 and rule.p.min_length_m == 40
    assert {r.name: r for r in open_sea.rules}["collision_risk"].p.cpa_nm == 0.5
    with pytest.raises(ValueError, match="profile"):
        AlertEngine(port, config={"profile": "arctic"})
    df, static = load_positions(NY_HOUR, {})
    counts = {name: len(run_alerts(df, port, cfg, static).all_alerts()) for name, cfg in
              (("harbour", {}), ("open_sea", {"profile": "open_sea"}))}
    assert counts["harbour"] * 5 < counts["open_sea"], counts


def test_a_live_tracker_forgets_what_is_older_than_its_memory(port):
    lon, lat = quay_point(port)
    df = fixes((366000004, T0, 60, lon, lat, 0.0), (366000004, T0 + 3600, 30, -74.30, 40.40, 9.0),
               (366000005, T0 + 5 * 86400, 30, lon, lat, 0.0))
    tracker = run_batch(df, port.geometry)
    assert any(c.mmsi == 366000004 for c in tracker.closed)
    tracker.dirty.clear()
    tracker.forget(T0 + 4 * 86400)
    assert not any(c.mmsi == 366000004 for c in tracker.closed)
    assert 366000004 not in tracker.tracks and tracker.call_of(366000005) is not None


def _nudging(mmsi, pieces, stop_min, move_min, move_kn, lon, lat):
    """A tug nudging about one spot: ``pieces`` stops of ``stop_min`` minutes, each followed by
    ``move_min`` minutes at ``move_kn`` east, then west (and back again), one fix a minute."""
    rows, t, x = [], T0, lon
    deg_per_min = move_kn * 1852 / 60 / (111_320 * 0.758)    # east-west degrees at 40.66° N
    for i in range(pieces):
        for _ in range(stop_min):
            rows.append((mmsi, t, x, lat, 0.0))
            t += 60
        step = deg_per_min if i % 2 == 0 else -deg_per_min
        for _ in range(move_min):
            x += step
            rows.append((mmsi, t, x, lat, move_kn))
            t += 60
    return pd.DataFrame(rows, columns=["mmsi", "ts", "lon", "lat", "sog"])


def test_short_stops_at_one_spot_are_one_stay_and_stops_apart_are_not(port):
    lon, lat = -74.06, 40.66                       # Upper Bay, at no known place
    # five stops of 9 min, each broken by 3 min at 2 kn (185 m) and back: one stay of ~1 h
    nudging = _nudging(366000011, 5, 9, 3, 2.0, lon, lat)
    (call,) = run_batch(nudging, port.geometry).all_calls()
    (stay,) = call.visits
    assert stay.kind == "other" and stay.arrival == T0
    end = stay.departure or call.last_seen
    assert end - stay.arrival > 50 * 60
    # the same pieces 1.1 km apart (9 min at 4 kn between them): five short stops, no stay
    apart = _nudging(366000012, 5, 9, 9, 4.0, lon - 0.02, lat)
    (call,) = run_batch(apart, port.geometry).all_calls()
    assert call.visits == []


def test_a_restored_tracker_continues_a_stop_as_if_never_stopped(port):
    """The tracker's state goes to the store as JSON every round and back after a restart:
    a restart between two pieces of one stop still makes them one stay."""
    import json

    from twin.portcalls import PortCallTracker

    df = _nudging(366000013, 5, 9, 3, 2.0, -74.06, 40.66)
    where = port.geometry.locate(df["lon"].to_numpy(), df["lat"].to_numpy())
    rows = list(zip(df["mmsi"], df["ts"], df["lon"], df["lat"], df["sog"], where["berth"],
                    where["anchorage"], where["in_port"], where["near_port"]))
    half = 11                 # the first piece has ended (moving, 120 m off), the next not begun

    def feed(tracker, part):
        for m, ts, lon, lat, sog, b, a, ip, npo in part:
            tracker.update(int(m), float(ts), float(lon), float(lat), float(sog), None, b, a,
                           bool(ip), bool(npo))

    whole = PortCallTracker()
    feed(whole, rows)
    first = PortCallTracker()
    feed(first, rows[:half])
    assert first.tracks[366000013].last_stop is not None
    stored = json.loads(json.dumps([first.state_of(366000013)]))
    again = PortCallTracker()
    again.restore(stored)
    feed(again, rows[half:])
    assert again.call_of(366000013).to_dict() == whole.call_of(366000013).to_dict()
    assert len(again.call_of(366000013).visits) == 1
