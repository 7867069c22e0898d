"""Fleet state: merging reports, trails, expiry, snapshots."""
import math

import pytest

from data_sources.events import ReplayRestarted, VesselReport
from twin.state import FleetState


def rep(ts, mmsi=366999618, lon=-74.0, lat=40.6, **kw):
    return VesselReport(ts=ts, source="test", mmsi=mmsi, lon=lon, lat=lat, **kw)


def test_static_data_is_kept_when_a_later_report_lacks_it():
    s = FleetState()
    s.apply([rep(0, name="CG SHRIKE", length=26.0, ship_type=90, sog=5.0, heading=10.0)])
    s.apply([rep(10, sog=6.0)])                    # a report with no static data, no heading
    v = s.snapshot(10).vessel(366999618)
    assert v["name"] == "CG SHRIKE" and v["length"] == 26.0
    assert v["sog"] == 6.0
    assert v["heading"] is None                     # dynamic fields: the latest report rules


def test_late_report_does_not_move_the_ship_back():
    s = FleetState()
    s.apply([rep(100, lon=-74.1), rep(50, lon=-74.0, name="LATE NAME")])
    v = s.snapshot(100).vessel(366999618)
    assert v["lon"] == -74.1 and v["last_seen"] == 100
    assert v["name"] == "LATE NAME"                 # its static data is still welcome
    assert s.out_of_order == 1


def test_course_falls_back_to_cog_and_activity_checks_speed():
    s = FleetState()
    s.apply([rep(0, mmsi=1, cog=90.0, heading=None, sog=8.0, nav_status=5),
             rep(0, mmsi=2, heading=45.0, cog=90.0, sog=0.0, nav_status=5),
             rep(0, mmsi=3, sog=0.1, nav_status=1),
             rep(0, mmsi=4)])
    df = s.snapshot(0).vessels.set_index("mmsi")
    assert df.loc[1, "course"] == 90.0 and df.loc[2, "course"] == 45.0
    assert df.loc[1, "activity"] == "underway"     # "moored" at 8 kn is not moored
    assert df.loc[2, "activity"] == "moored"
    assert df.loc[3, "activity"] == "at_anchor"
    assert df.loc[4, "activity"] == "unknown"
    assert math.isnan(df.loc[4, "course"])


def test_trails_are_short_and_cut_on_replay_restart():
    s = FleetState(trail_s=600)
    s.apply([rep(t, lon=-74.0 + t * 1e-4) for t in range(0, 1200, 60)])
    snap = s.snapshot(1140)
    assert len(snap.trail_starts) == 1
    assert len(snap.trail_lonlat) == 11            # the last 600 s, both ends included
    s.apply([ReplayRestarted(ts=1200, source="test", loop=1)])
    assert len(s.snapshot(1200).trail_starts) == 0


def test_silent_vessels_leave_the_live_picture():
    s = FleetState(expire_s=1800)
    s.apply([rep(0, mmsi=1), rep(1000, mmsi=2)])
    snap = s.snapshot(2000)
    assert list(snap.vessels["mmsi"]) == [2]
    assert snap.vessels["age_s"].iloc[0] == 1000
    assert s.expire(2000) == 1 and set(s.vessels) == {2}


def test_counts_by_activity_and_type(ny_reports):
    reports, _ = ny_reports
    s = FleetState()
    s.apply(reports)
    snap = s.snapshot(reports[-1].ts)
    counts = snap.counts()
    heard_lately = {r.mmsi for r in reports if r.ts >= reports[-1].ts - s.expire_s}
    assert counts["total"] == len(heard_lately) == 279     # 16 of 295 fell silent > 30 min
    assert sum(counts["by_activity"].values()) == 279
    assert sum(counts["by_category"].values()) == 279
    # the real hour: container ships moored at Newark/Elizabeth, ships at anchor in the bay
    assert counts["by_activity"]["moored"] >= 20 and counts["by_activity"]["at_anchor"] >= 5
    assert counts["by_category"]["cargo"] >= 10


def test_snapshot_is_a_consistent_copy():
    s = FleetState()
    s.apply([rep(0, mmsi=1)])
    snap = s.snapshot(0)
    s.apply([rep(1, mmsi=2)])
    assert list(snap.vessels["mmsi"]) == [1]
    assert snap.version < s.version
    assert snap.vessel(999) is None


@pytest.mark.parametrize("status, sog, expected", [
    (5, 8.0, "underway"), (5, 0.2, "moored"), (1, 1.5, "at_anchor"), (1, 6.0, "underway"),
    (None, 0.1, "stopped"), (0, None, "underway"), (None, None, "unknown"),
])
def test_activity_rules(status, sog, expected):
    from twin.vessel_types import activity
    assert activity(status, sog) == expected


def test_static_data_of_vessels_never_positioned_expires():
    from data_sources.events import StaticReport
    s = FleetState(expire_s=1800)
    s.apply([StaticReport(ts=0, source="t", mmsi=1, name="FAR AWAY"),
             StaticReport(ts=1500, source="t", mmsi=2, name="COMING IN")])
    s.expire(2000)
    assert set(s.static_only) == {2}                  # MMSI 1 silent for 2000 s > 1800 s
    s.apply([rep(2010, mmsi=2)])
    assert s.snapshot(2010).vessel(2)["name"] == "COMING IN" and not s.static_only
