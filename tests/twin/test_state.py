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


# ---- the incremental columns ------------------------------------------------------------

class _ReferenceState:
    """The fleet state as it was rebuilt from Python objects on every snapshot (before the
    columns): the reference the columnar snapshot must equal, field for field."""

    def __init__(self, trail_s=1200.0, expire_s=1800.0):
        self.trail_s, self.expire_s = trail_s, expire_s
        self.vessels, self.static_only = {}, {}

    def apply(self, events):
        from data_sources.events import StaticReport
        from twin.state import STATIC_FIELDS, Vessel
        for r in events:
            if isinstance(r, ReplayRestarted):
                for v in self.vessels.values():
                    v.trail.clear()
            elif isinstance(r, StaticReport):
                known = {n: getattr(r, n) for n in STATIC_FIELDS if getattr(r, n) is not None}
                v = self.vessels.get(r.mmsi)
                if v is None:
                    _, fields = self.static_only.get(r.mmsi, (r.ts, {}))
                    fields.update(known)
                    self.static_only[r.mmsi] = (r.ts, fields)
                else:
                    for n, value in known.items():
                        setattr(v, n, value)
            else:
                v = self.vessels.get(r.mmsi)
                if v is None:
                    v = self.vessels[r.mmsi] = Vessel(mmsi=r.mmsi, first_seen=r.ts,
                                                      last_seen=r.ts, source=r.source,
                                                      lon=r.lon, lat=r.lat)
                    for n, value in self.static_only.pop(r.mmsi, (0, {}))[1].items():
                        setattr(v, n, value)
                if r.ais_class is not None:
                    v.ais_class = r.ais_class
                if r.static:
                    for n in STATIC_FIELDS:
                        if getattr(r, n) is not None:
                            setattr(v, n, getattr(r, n))
                v.reports += 1
                if r.ts < v.last_seen:
                    continue
                v.lon, v.lat, v.sog, v.cog, v.heading, v.nav_status = (
                    r.lon, r.lat, r.sog, r.cog, r.heading, r.nav_status)
                v.last_seen, v.source = r.ts, r.source
                last = v.trail.last()
                if last is None or last[1] != r.lon or last[2] != r.lat:
                    v.trail.append(r.ts, r.lon, r.lat)
                v.trail.drop_before(r.ts - self.trail_s)

    def expire(self, now):
        for m in [m for m, v in self.vessels.items() if now - v.last_seen > self.expire_s]:
            del self.vessels[m]

    def snapshot(self, now):
        import numpy as np
        import pandas as pd
        from twin.state import SNAPSHOT_COLUMNS
        from twin.vessel_types import activity, ship_category
        live = [v for v in self.vessels.values() if now - v.last_seen <= self.expire_s]
        cols = ("mmsi", "lon", "lat", "sog", "cog", "heading", "nav_status", "name", "imo",
                "callsign", "ship_type", "length", "width", "to_bow", "to_stern", "to_port",
                "to_starboard", "draught", "destination", "eta", "ais_class", "last_seen",
                "first_seen", "reports", "source")
        df = pd.DataFrame.from_records([tuple(getattr(v, c) for c in cols) for v in live],
                                       columns=cols)
        for c in ("sog", "cog", "heading", "nav_status", "ship_type", "length", "width",
                  "to_bow", "to_stern", "to_port", "to_starboard", "draught", "eta", "imo",
                  "last_seen", "first_seen"):
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
        df["course"] = df["heading"].fillna(df["cog"])
        df["age_s"] = now - df["last_seen"]
        df["category"] = [ship_category(t, m) for t, m in zip(df["ship_type"], df["mmsi"])]
        df["activity"] = [activity(None if math.isnan(s) else int(s),
                                   None if math.isnan(g) else g)
                          for s, g in zip(df["nav_status"], df["sog"])]
        df = df.loc[:, list(SNAPSHOT_COLUMNS)].sort_values(["first_seen", "mmsi"],
                                                           ignore_index=True)
        trails = [(v.mmsi, [(lon, lat) for t, lon, lat in v.trail if t >= now - self.trail_s])
                  for v in live]
        order = {m: i for i, m in enumerate(df["mmsi"])}
        paths = sorted([(m, p) for m, p in trails if len(p) >= 2], key=lambda t: order[t[0]])
        lonlat = np.array([pt for _, p in paths for pt in p], dtype=float).reshape(-1, 2)
        starts = np.cumsum([0] + [len(p) for _, p in paths])[:-1]
        return df, lonlat, starts, [m for m, _ in paths]


def _assert_same(snap, ref):
    import numpy as np
    import pandas as pd
    df, lonlat, starts, trail_mmsi = ref
    pd.testing.assert_frame_equal(snap.vessels, df, check_dtype=False)
    assert np.array_equal(snap.trail_lonlat, lonlat)
    assert list(snap.trail_starts) == list(starts)
    assert list(snap.trail_mmsi) == trail_mmsi


def test_columns_equal_the_old_rebuild_on_the_ny_hour(ny_reports):
    """The real hour in rounds of 400 reports, with a replay restart and expiry on the way:
    every snapshot (vessels, trails, order) equals the one rebuilt from Python objects."""
    reports, _ = ny_reports
    s, ref = FleetState(trail_s=600, expire_s=900), _ReferenceState(trail_s=600, expire_s=900)
    for k in range(0, len(reports), 400):
        batch = reports[k:k + 400]
        if k == 4000:
            batch = [ReplayRestarted(ts=batch[0].ts, source="test", loop=1)] + batch
        s.apply(batch)
        ref.apply(batch)
        now = batch[-1].ts
        if k % 2000 == 0:
            s.expire(now)
            ref.expire(now)
        if k % 1200 == 0 or k + 400 >= len(reports):
            _assert_same(s.snapshot(now), ref.snapshot(now))
            _assert_same(s.snapshot(now + 700), ref.snapshot(now + 700))   # trails cut, some gone
    assert set(s.vessels) == set(ref.vessels)


def test_a_vessel_updated_expired_and_reappearing():
    s = FleetState(trail_s=600, expire_s=1800)
    s.apply([rep(0, mmsi=1, name="ONE", length=50.0, sog=5.0, nav_status=0),
             rep(0, mmsi=2, name="TWO"), rep(10, mmsi=1, lon=-74.01, sog=0.2, nav_status=5)])
    snap = s.snapshot(10)
    assert list(snap.vessels["mmsi"]) == [1, 2]
    one = snap.vessel(1)
    assert one["lon"] == -74.01 and one["activity"] == "moored" and one["reports"] == 2
    assert one["name"] == "ONE" and list(snap.trail_mmsi) == [1]
    s.apply([rep(1000, mmsi=2)])
    assert s.expire(1900) == 1 and set(s.vessels) == {2}     # MMSI 1 silent 1890 s
    assert s.snapshot(1900).vessel(1) is None
    # back again: a new vessel (new first sighting, no old static data or trail), after MMSI 2
    s.apply([rep(2000, mmsi=3), rep(2001, mmsi=1, lon=-73.9)])
    snap = s.snapshot(2001)
    assert list(snap.vessels["mmsi"]) == [2, 3, 1]
    back = snap.vessel(1)
    assert back["name"] is None and back["reports"] == 1 and back["first_seen"] == 2001
    assert len(snap.trail_starts) == 0
    assert s.vessels[1].lon == -73.9 and len(s.vessels) == 3


def test_trail_blocks_grow_slide_and_compact():
    """Many vessels with long trails: blocks grow, slide and the slab compacts; every trail is
    still the vessel's last ``trail_s`` of positions."""
    import numpy as np
    s = FleetState(trail_s=300, expire_s=1800)
    for t in range(0, 1500, 5):
        s.apply([rep(t, mmsi=m, lon=-74.0 + t * 1e-5 * m, lat=40.6) for m in range(1, 41)])
        if t == 700:
            s.expire(2600)                   # all expire at once; they come back next round
    snap = s.snapshot(1495)
    assert len(snap.trail_starts) == 40
    lengths = np.diff(np.append(snap.trail_starts, len(snap.trail_lonlat)))
    assert set(lengths) == {61}              # 300 s at 5 s, both ends
    first = snap.trail_lonlat[0]
    assert first[0] == pytest.approx(-74.0 + 1195 * 1e-5 * 1)


def test_trail_slab_stays_near_its_live_points_and_shrinks(ny_reports):
    """Memory for trails follows the trail window, not the hours a twin has run: the real hour
    replayed five times at 9x its pace (its 20-minute trails full after the third loop) keeps
    the slab within 3x the points it holds; when the fleet goes quiet, the slab shrinks."""
    from dataclasses import replace
    reports = sorted(ny_reports[0], key=lambda r: r.ts)
    t0, span = reports[0].ts, reports[-1].ts - reports[0].ts
    s = FleetState()
    ratios = []
    for loop in range(5):
        for k in range(0, len(reports), 500):
            batch = [replace(r, ts=t0 + (loop * span + r.ts - t0) / 9) for r in reports[k:k + 500]]
            s.apply(batch)
        now = batch[-1].ts
        s.expire(now)
        ratios.append(len(s._tts) / len(s.snapshot(now).trail_lonlat))
    assert max(ratios) <= 3.0, ratios
    full = len(s._tts)
    # the fleet goes: all expire, then a few boats go on reporting for a while
    s.expire(now + 3600)
    for t in range(0, 1800, 10):
        s.apply([rep(now + 3600 + t, mmsi=m, lon=-74.0 + t * 1e-5, lat=40.6) for m in (1, 2, 3)])
    assert len(s._tts) < full / 4
    assert len(s.snapshot(now + 5390).trail_lonlat) == 3 * 121
