"""The alert rules on real NY traffic with anomalies injected, and the alert lifecycle.

Each injection changes one real vessel's track (or adds one vessel) in the real NY hour; the
test checks the rule raises exactly one alert, for that vessel, at the moment the anomaly
began — and that the clean hour raises none of that kind for that vessel or place."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import geopandas as gpd
from shapely.geometry import LineString, box

from data_sources.positions import load_positions
from tests.conftest import NY_HOUR, ROOT
from twin.activity import PortActivity, fixes_to_reports
from twin.alerts import AlertEngine, run_alerts
from twin.alerts.engine import feed_fixes
from twin.history import HistoryStore
from twin.port import Port

PORT_DIR = ROOT / "data" / "ports" / "nynj"
FERRY = 367659980          # SEYMOUR B DURST, 20 m passenger, under way all hour, no alerts
FAST = 368130050           # 20 kn under way in the Upper Bay, no alerts
TANKER = 311000444         # BEIJING SPIRIT, 274 m, at anchor in anchorage 24 all hour


@pytest.fixture(scope="module")
def hour():
    df, static = load_positions(NY_HOUR)
    return df.sort_values("ts", kind="stable").reset_index(drop=True), static


@pytest.fixture(scope="module")
def port():
    return Port.load(PORT_DIR)


@pytest.fixture(scope="module")
def clean(hour, port):
    df, static = hour
    return run_alerts(df, port, static=static).all_alerts()


def alerts_of(alerts, rule, mmsi=None):
    return [a for a in alerts if a.rule == rule and (mmsi is None or mmsi in a.vessels())]


def track(df, mmsi):
    return df[df["mmsi"] == mmsi].sort_values("ts")


def test_clean_hour_raises_none_of_the_injected_kinds_for_the_chosen_vessels(clean):
    for mmsi in (FERRY, FAST, TANKER):
        assert not [a for a in clean if mmsi in a.vessels()], mmsi
    assert not alerts_of(clean, "position_jump") and not alerts_of(clean, "anchor_drag")
    assert not alerts_of(clean, "zone_speed")


def test_position_jump_is_raised_once_at_the_jump(hour, port):
    df, static = hour
    df = df.copy()
    t = track(df, FAST)
    i = t.index[len(t) // 2]
    df.loc[i, "lat"] += 0.1                      # 11 km north, one report
    alerts = run_alerts(df, port, static=static).all_alerts()
    jumps = alerts_of(alerts, "position_jump")
    assert len(jumps) == 1 and jumps[0].mmsi == FAST
    assert jumps[0].start == df.loc[i, "ts"] and jumps[0].details["distance_m"] > 10_000
    assert not alerts_of(alerts, "identity", FAST)       # one odd report is not two ships


def test_two_transmitters_with_one_mmsi_are_an_identity_conflict(hour, port):
    df, static = hour
    ghost = track(df, FERRY).copy()
    ghost["mmsi"] = FAST                          # FERRY's track sent with FAST's MMSI
    alerts = run_alerts(pd.concat([df, ghost]), port, static=static).all_alerts()
    conflicts = alerts_of(alerts, "identity", FAST)
    assert len(conflicts) == 1 and conflicts[0].details["reason"] == "two_positions"


def test_ais_gap_is_raised_when_the_silence_passes_the_threshold(hour, port):
    df, static = hour
    t = track(df, FAST)
    under_way = t[(t["sog"] > 10) & (t["ts"] > t["ts"].min() + 600)]
    t0 = under_way["ts"].iloc[0]                    # last report before it goes silent
    gap = (df["mmsi"] == FAST) & (df["ts"] > t0) & (df["ts"] < t0 + 25 * 60)
    alerts = run_alerts(df[~gap], port, static=static).all_alerts()
    gaps = alerts_of(alerts, "ais_gap")
    mine = alerts_of(alerts, "ais_gap", FAST)
    assert len(mine) == 1
    threshold = port.alerts["ais_gap"]["class_a_under_way_s"]
    assert mine[0].start == t0 + threshold
    assert mine[0].end is not None and mine[0].end <= t0 + 25 * 60 + 60    # back: cleared
    assert len(gaps) == len(alerts_of(run_alerts(df, port, static=static).all_alerts(),
                                      "ais_gap")) + 1


def with_zone(port, zone: dict) -> Port:
    """The NY package with one more zone (a test zone, not a real regulated area)."""
    copy = Port.load(PORT_DIR)
    extra = gpd.GeoDataFrame([zone], geometry=[zone.pop("geometry")], crs="EPSG:4326")
    copy.layers["zones"] = pd.concat([copy.layer("zones"), extra], ignore_index=True)
    return copy


def test_speeding_in_a_zone_is_raised_once_from_the_first_fast_report(hour, port):
    df, static = hour
    t = track(df, FERRY)
    mid = t.iloc[len(t) // 2 - 4: len(t) // 2 + 4]
    area = box(mid["lon"].min() - 0.003, mid["lat"].min() - 0.003,
               mid["lon"].max() + 0.003, mid["lat"].max() + 0.003)
    inside = df[[area.contains(p) for p in gpd.points_from_xy(df["lon"], df["lat"])]]
    limit = float(np.ceil(np.nanmax(inside["sog"]))) + 1          # clean traffic keeps to it
    zoned = with_zone(port, {"id": "TEST-SPEED", "name": "test speed zone", "kind": "speed",
                             "speed_limit_kn": limit, "geometry": area})
    assert not alerts_of(run_alerts(df, zoned, static=static).all_alerts(), "zone_speed")
    fast = df.copy()
    mine = fast.index.isin(inside.index) & (fast["mmsi"] == FERRY)
    assert mine.sum() >= 3
    fast.loc[mine, "sog"] = limit + 6
    alerts = alerts_of(run_alerts(fast, zoned, static=static).all_alerts(), "zone_speed")
    assert len(alerts) == 1 and alerts[0].mmsi == FERRY
    assert alerts[0].start == fast.loc[mine, "ts"].min()


def test_zone_entry_is_raised_once_when_a_track_crosses_a_restricted_zone(hour, port):
    df, static = hour
    t = track(df, FERRY)
    k = len(t) // 2
    # a restricted test zone in open water of the Lower Bay where no one goes in the hour
    area = box(-74.02, 40.50, -74.00, 40.51)
    zoned = with_zone(port, {"id": "TEST-R", "name": "test restricted zone", "kind":
                             "restricted", "geometry": area})
    assert not [a for a in alerts_of(run_alerts(df, zoned, static=static).all_alerts(),
                                     "zone_entry") if a.details["zone"] == "TEST-R"]
    moved = df.copy()
    mine = moved["mmsi"] == FERRY
    c = area.centroid
    moved.loc[mine, "lon"] += c.x - t["lon"].iloc[k]
    moved.loc[mine, "lat"] += c.y - t["lat"].iloc[k]
    alerts = [a for a in alerts_of(run_alerts(moved, zoned, static=static).all_alerts(),
                                   "zone_entry") if a.details["zone"] == "TEST-R"]
    assert len(alerts) == 1 and alerts[0].mmsi == FERRY
    inside = np.array([area.contains(p) for p in gpd.points_from_xy(moved["lon"], moved["lat"])])
    first_inside = moved[mine.to_numpy() & inside]["ts"].min()
    assert alerts[0].start == first_inside


def test_stopping_outside_anchorages_is_unauthorised_anchoring(hour, port):
    df, static = hour
    engine = AlertEngine(port)
    t = track(df, FAST)
    loc = engine.ctx.locate(t["lon"].to_numpy(), t["lat"].to_numpy())
    ok = (loc["in_port"] & (loc["shore_m"] > 400) & pd.isna(loc["anchorage"])
          & pd.isna(loc["berth"]))
    ok &= (t["ts"].max() - t["ts"]).to_numpy() > 25 * 60        # 25 min left to stay put
    k = int(np.flatnonzero(ok)[0])
    stop = t.iloc[k]
    after = t["ts"] > stop["ts"]
    held = t[after].copy()
    held[["lon", "lat"]] = stop[["lon", "lat"]].to_numpy()
    held[["sog", "nav_status"]] = [0.0, 1]
    df2 = pd.concat([df[df["mmsi"] != FAST], t[~after], held])
    alerts = run_alerts(df2, port, static=static).all_alerts()
    mine = alerts_of(alerts, "unauthorised_anchoring", FAST)
    assert len(mine) == 1
    assert mine[0].start == held["ts"].min()
    assert mine[0].last >= mine[0].start + 15 * 60


def test_an_anchored_tanker_dragging_at_one_knot_raises_anchor_drag_once(hour, port):
    df, static = hour
    t = track(df, TANKER)
    start = t["ts"].iloc[0] + 20 * 60
    drift = (df["mmsi"] == TANKER) & (df["ts"] > start)
    dragged = df.copy()
    metres = (dragged.loc[drift, "ts"] - start) * 1852 / 3600          # 1 kn southward
    dragged.loc[drift, "lat"] -= metres / 111_000
    dragged.loc[drift, "sog"] = 1.0
    alerts = run_alerts(dragged, port, static=static).all_alerts()
    drags = alerts_of(alerts, "anchor_drag")
    assert len(drags) == 1 and drags[0].mmsi == TANKER
    radius = static[TANKER]["length"] + 150
    moved = dragged.loc[drift, "ts"][metres > radius + 60]
    assert start < drags[0].start <= moved.min()
    assert drags[0].start >= dragged.loc[drift, "ts"][metres > radius - 60].min()


def test_a_ship_closing_head_on_raises_one_collision_risk_alert(hour, port):
    df, static = hour
    a = track(df, FAST)
    meet = a.iloc[len(a) // 2]
    before = a[(a["ts"] <= meet["ts"]) & (a["ts"] >= meet["ts"] - 600)]
    other = 367999001
    # B = A's last ten minutes mirrored through the meeting point: head-on, same speed
    b = pd.DataFrame({"mmsi": other, "ts": before["ts"].to_numpy(),
                      "lon": 2 * meet["lon"] - before["lon"].to_numpy(),
                      "lat": 2 * meet["lat"] - before["lat"].to_numpy(),
                      "sog": before["sog"].to_numpy(),
                      "cog": (before["cog"].to_numpy() + 180) % 360,
                      "heading": np.nan, "nav_status": 0.0})
    static2 = {**static, other: {"length": 120.0, "ship_type": 70, "name": "TEST CLOSER"}}
    alerts = run_alerts(pd.concat([df, b]), port, static=static2).all_alerts()
    risk = [x for x in alerts_of(alerts, "collision_risk", other) if FAST in x.vessels()]
    assert len(risk) == 1
    assert meet["ts"] - 240 <= risk[0].start <= meet["ts"] - 60
    assert risk[0].details["cpa_m"] < 185


# ---- lifecycle ---------------------------------------------------------------------------
YAWER = 367999002


def yawing_fixes(port, minutes: int = 40, start: float = 1_593_475_200.0) -> pd.DataFrame:
    """A ship stopped on the edge of the Earle Terminal Channel security zone (33 CFR
    165.130(b)), swinging 30 m inside and 100 m outside it every two minutes."""
    zone = port.layer("zones").set_index("id").loc["SZ-EARLE-CHANNEL", "geometry"]
    c = zone.centroid
    edge = zone.boundary.intersection(
        LineString([(c.x, c.y), (c.x + 0.05, c.y)]))
    ex = edge.x if hasattr(edge, "x") else min(p.x for p in edge.geoms)
    per_m = 1 / 84_700                                    # degrees of longitude per metre here
    rows = []
    for i in range(minutes * 2):                          # a report every 30 s
        outside = (i // 4) % 2 == 1
        lon = ex + (100 if outside else -30) * per_m
        rows.append((YAWER, start + 30 * i, lon, c.y, 0.3, np.nan, np.nan, 1.0))
    return pd.DataFrame(rows, columns=["mmsi", "ts", "lon", "lat", "sog", "cog", "heading",
                                       "nav_status"])


def test_an_acknowledged_zone_alert_does_not_re_raise_while_the_ship_yaws_across_the_edge(port):
    fixes = yawing_fixes(port)
    engine = AlertEngine(port, keep_all=True)
    feed_fixes(engine, fixes[fixes["ts"] < fixes["ts"].min() + 90])      # first 90 s inside
    [alert] = alerts_of(engine.all_alerts(), "zone_entry", YAWER)
    assert alert in engine.attention(engine.now)
    engine.acknowledge(alert.alert_id, "Wang Lei", "pilot boat, cleared by VTS")
    feed_fixes(engine, fixes[fixes["ts"] >= fixes["ts"].min() + 90])
    assert alerts_of(engine.all_alerts(), "zone_entry", YAWER) == [alert]    # one incident
    assert alert.occurrences >= 5 and alert.acked and alert.acked_by == "Wang Lei"
    assert not alerts_of(engine.attention(engine.now), "zone_entry")


def test_without_the_acknowledgement_the_repeats_still_join_one_incident(port):
    engine = run_alerts(yawing_fixes(port), port)
    [alert] = alerts_of(engine.all_alerts(), "zone_entry", YAWER)
    assert alert.occurrences >= 5 and not alert.acked
    assert len(alerts_of(engine.all_alerts(), "zone_entry")) == 1


def test_an_excluded_mmsi_raises_nothing_for_that_rule(port):
    config = {**port.alerts, "zone_entry": {"exclude_mmsi": [YAWER]}}
    engine = run_alerts(yawing_fixes(port), port, config)
    assert not alerts_of(engine.all_alerts(), "zone_entry")
    other = run_alerts(yawing_fixes(port).assign(mmsi=YAWER + 1), port, config)
    assert len(alerts_of(other.all_alerts(), "zone_entry")) == 1     # others still raise


def test_an_event_alert_stays_until_acknowledged(port):
    fixes = yawing_fixes(port, minutes=5).assign(mmsi=972001234, nav_status=14.0)   # MOB
    engine = run_alerts(fixes, port)
    [alert] = alerts_of(engine.all_alerts(), "distress")
    assert alert.severity == "alarm" and alert.open
    engine.tick(engine.now + 3600)
    assert alert.open and alert in engine.open_alerts()
    with pytest.raises(ValueError):
        engine.acknowledge(alert.alert_id, " ")
    engine.acknowledge(alert.alert_id, "Li Na")
    assert not alert.open and alert not in engine.open_alerts()


def test_restart_keeps_open_alerts_acknowledgements_and_silences(port, tmp_path):
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    fixes = yawing_fixes(port, minutes=60)
    cut = fixes["ts"].min() + 600
    first, rest = fixes[fixes["ts"] < cut], fixes[fixes["ts"] >= cut]

    def activity():
        return PortActivity(port.geometry, store=HistoryStore(url), source="live:test",
                            alerts=AlertEngine(port, source="live:test"))

    def feed(act, df):
        for _, chunk in df.groupby(df["ts"] // 60):
            act.apply(fixes_to_reports(chunk))
            now = float(chunk["ts"].max())
            act.tick(now)
            assert act.flush(now)

    before = activity()
    feed(before, first)
    [alert] = alerts_of(before.alerts.open_alerts(), "zone_entry", YAWER)
    before.alerts.acknowledge(alert.alert_id, "Wang Lei", "known")
    before.alerts.silence(366999999, 60, "Wang Lei")
    assert before.flush(float(first["ts"].max()))

    HistoryStore(url).write_round("live:test", static={366999998: {"ship_type": 52,
                                                                    "length": 30.0}})
    after = activity()                       # a new process: everything from the store
    after.restore()
    assert after.alerts.ctx.vessels[366999998].category == "tug"    # exclusions hold at once
    [again] = alerts_of(after.alerts.open_alerts(), "zone_entry")
    assert again.alert_id == alert.alert_id and again.acked_by == "Wang Lei"
    assert again.ack_comment == "known" and again.holding
    assert 366999999 in after.alerts.silences
    feed(after, rest)
    assert [a.alert_id for a in alerts_of(after.alerts.live.values(), "zone_entry")] == \
        [alert.alert_id]                     # the repeats joined the restored incident
    assert not alerts_of(after.alerts.attention(after.alerts.now), "zone_entry")
    stored = [r for r in HistoryStore(url).alerts("live:test") if r["rule"] == "zone_entry"]
    assert len(stored) == 1 and stored[0]["acked_by"] == "Wang Lei"
