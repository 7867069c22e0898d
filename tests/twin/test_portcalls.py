"""Port calls on the real NY/NJ geometry: stages and S-211 timestamps, the published rules
(speed hysteresis, nav status as a hint, gaps), service craft, live == batch."""
import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import Point

from tests.conftest import NY_HOUR, ROOT, FakeClock
from twin.port import Port
from twin.portcalls import PortCallRules, counted, run_batch

GEOD = Geod(ellps="WGS84")
T0 = 1_606_800_000.0                      # 2020-12-01 05:20 UTC
OUTSIDE = (-73.80, 40.38)                 # off Sandy Hook, outside the port limits
ANCHORAGE_21B = (-74.0389, 40.6640)
BERTH_0Y9W = (-74.1398, 40.6859)          # Newark, Calcutta Street dock (derived quay)


@pytest.fixture(scope="module")
def port():
    return Port.load(ROOT / "data" / "ports" / "nynj")


class Track:
    """A vessel's fixes built leg by leg: sail at a speed, or stay put."""

    def __init__(self, mmsi=366000001, start=OUTSIDE, t=T0, step=60.0):
        self.mmsi, self.pos, self.t, self.step, self.rows = mmsi, start, t, step, []

    def fix(self, sog, status=None, pos=None):
        self.rows.append({"mmsi": self.mmsi, "ts": self.t, "lon": (pos or self.pos)[0],
                          "lat": (pos or self.pos)[1], "sog": sog,
                          "nav_status": float("nan") if status is None else status})

    def sail(self, to, kn=10.0):
        az, _, dist = GEOD.inv(*self.pos, *to)
        steps = max(1, int(dist / (kn * 1852 / 3600 * self.step)))
        for i in range(1, steps + 1):
            self.t += self.step
            lon, lat, _ = GEOD.fwd(*self.pos, az, dist * i / steps)
            self.fix(kn, 0, (lon, lat))
        self.pos = to
        return self

    def stay(self, hours, sog=0.1, status=1, step=180.0):
        for _ in range(int(hours * 3600 / step)):
            self.t += step
            self.fix(sog, status)
        return self

    def frame(self):
        return pd.DataFrame(self.rows)


def full_call():
    tr = Track()
    tr.fix(12, 0)
    tr.sail((-73.95, 40.50)).sail((-74.00, 40.60)).sail(ANCHORAGE_21B)
    tr.stay(2.0, sog=0.1, status=1)
    tr.sail((-74.07, 40.646), kn=6).sail((-74.14, 40.646), kn=6).sail(BERTH_0Y9W, kn=4)
    tr.stay(5.0, sog=0.0, status=5)
    tr.sail((-74.14, 40.646), kn=6).sail((-74.00, 40.60)).sail(OUTSIDE, kn=12)
    return tr.frame()


def test_a_full_call_has_every_stage_at_the_right_time(port):
    df = full_call()
    tracker = run_batch(df, port.geometry)
    (call,) = tracker.all_calls()
    row = call.to_row()

    stopped = df[df["sog"] < 0.2]
    at_anchor = stopped[stopped["nav_status"] == 1]
    at_berth = stopped[stopped["nav_status"] == 5]
    after = lambda t: df[(df["ts"] > t) & (df["sog"] > 0.5)]["ts"].iloc[0]   # noqa: E731
    assert row["anchorage_arrival"] == at_anchor["ts"].iloc[0]
    assert row["anchorage_departure"] == after(at_anchor["ts"].iloc[-1])
    assert row["berth_arrival"] == at_berth["ts"].iloc[0]
    assert row["berth_departure"] == after(at_berth["ts"].iloc[-1])
    assert row["anchorages"] == "21-B" and row["berths"] == "0Y9W" and row["shifts"] == 0
    assert row["waiting_s"] == row["anchorage_departure"] - row["anchorage_arrival"]
    assert row["port_time_s"] == row["berth_departure"] - row["arrival_port_area"]
    assert row["kind"] == "berth" and row["ended_by"] == "departure"

    # arrival / departure checked against the limits polygon directly (not the tracker's index)
    limits = port.layer("port_limits")
    inside = [limits.contains(Point(x, y)).any() for x, y in zip(df["lon"], df["lat"])]
    assert row["arrival_port_area"] == df["ts"][inside.index(True)]
    assert row["arrival_observed"]
    utm = limits.estimate_utm_crs()
    exit_line = limits.to_crs(utm).buffer(500).iloc[0]
    pts = gpd.GeoSeries(gpd.points_from_xy(df["lon"], df["lat"]), crs=4326).to_crs(utm)
    outbound = df["ts"] > row["berth_departure"]
    beyond = df[outbound & ~pts.within(exit_line).to_numpy()]
    assert row["port_area_departure"] == beyond["ts"].iloc[0]


def test_speed_hysteresis_keeps_one_stop_and_status_is_only_a_hint(port):
    tr = Track(start=BERTH_0Y9W)
    tr.fix(8.0, 5)                         # "moored" at 8 kn: not believed
    for sog in (8.0, 7.0, 0.3, 0.4):       # 0.3-0.4 kn: not yet below 0.2 -> no stop
        tr.t += 60
        tr.fix(sog, 0)
    for sog in [0.1, 0.3, 0.45, 0.35, 0.1, 0.4] * 10:   # wobbling below 0.5: still one stop
        tr.t += 120
        tr.fix(sog, 0)
    tr.t += 60
    tr.fix(0.9, 0)                         # a GPS jump in place: > 0.5 kn but not away
    tr.sail((-74.1398, 40.6800), kn=3.0)   # leaves: the first fix > 100 m away ends the stop
    df = tr.frame()
    tracker = run_batch(df, port.geometry)
    (call,) = tracker.all_calls()
    assert len(call.visits) == 1
    visit = call.visits[0]
    assert visit.arrival == df[df["sog"] == 0.1]["ts"].iloc[0]
    leaving = df[df["sog"] == 3.0]
    away = [GEOD.inv(*BERTH_0Y9W, x, y)[2] > 100 for x, y in zip(leaving["lon"], leaving["lat"])]
    assert visit.departure == leaving["ts"].iloc[away.index(True)]
    # the same wobble with status "moored" starts the stop at 0.3 kn already (the hint)
    df2 = df.copy()
    df2.loc[df2["sog"] < 0.5, "nav_status"] = 5
    (call2,) = run_batch(df2, port.geometry).all_calls()
    assert call2.visits[0].arrival == df2[df2["sog"] == 0.3]["ts"].iloc[0]


def test_gap_rules(port):
    def at_berth_with_gap(gap_h, moved_to=None):
        tr = Track(start=BERTH_0Y9W)
        tr.fix(0.0, 5)
        tr.stay(1.0, sog=0.0, status=5)
        tr.t += gap_h * 3600
        if moved_to:
            tr.pos = moved_to
        tr.stay(1.0, sog=0.0, status=5)
        return run_batch(tr.frame(), port.geometry).all_calls()

    (one,) = at_berth_with_gap(3.0)                      # <= 4 h: the same call
    assert one.is_open and len(one.visits) == 1
    (one,) = at_berth_with_gap(10.0)                     # 4-24 h, same place: continues
    assert len(one.visits) == 1
    first, second = at_berth_with_gap(10.0, moved_to=ANCHORAGE_21B)   # moved: a new call
    assert first.ended_by == "gap" and first.visits[0].departure is not None
    assert not second.arrival_observed and second.visits[0].kind == "anchorage"
    first, second = at_berth_with_gap(30.0)              # > 24 h: always a new call
    assert first.ended_by == "gap" and second.is_open


def test_implied_speed_finds_stops_in_position_only_tracks(port):
    df = full_call().drop(columns=["sog", "nav_status"])   # like the .traj files
    (call,) = run_batch(df, port.geometry).all_calls()
    assert [v.kind for v in call.visits] == ["anchorage", "berth"]


def test_service_craft_are_classified_and_not_counted(port):
    df = full_call()
    rules = PortCallRules()
    (tug,) = run_batch(df, port.geometry, rules, ship_types={366000001: 52}).all_calls()
    (cargo,) = run_batch(df, port.geometry, rules, ship_types={366000001: 70}).all_calls()
    assert tug.category == "tug" and cargo.category == "cargo"
    assert not counted(tug.to_row(), rules) and counted(cargo.to_row(), rules)
    assert counted(tug.to_row(), PortCallRules(count_service_craft=True))


def test_live_and_batch_give_the_same_calls_on_the_ny_hour(port):
    """The engine (replay -> state -> port activity, round by round) and run_batch over the
    same positions agree call for call, stage for stage."""
    from data_sources import marinecadastre
    from data_sources.replay import ReplaySource
    from twin.activity import PortActivity
    from twin.engine import Engine

    reports = marinecadastre.load_file(NY_HOUR)
    clock = FakeClock()
    source = ReplaySource(reports, source_id="mc", label="x", loop=False, clock=clock)
    activity = PortActivity(port.geometry, source="t")
    engine = Engine([source], activity=activity, wall_clock=clock)
    source.start()
    while clock.t < 1000 + 3700:
        clock.advance(37)                     # rounds of uneven size, as in a real run
        engine.step()
    now = max(r.ts for r in reports)
    live = sorted((c.to_row(now) for c in activity.calls()), key=lambda r: r["call_id"])

    fixes = pd.DataFrame([(r.mmsi, r.ts, r.lon, r.lat, r.sog, r.nav_status) for r in reports],
                         columns=["mmsi", "ts", "lon", "lat", "sog", "nav_status"])
    types = {r.mmsi: r.ship_type for r in reports if r.ship_type is not None}
    batch = sorted((c.to_row(now) for c in run_batch(fixes.astype({"nav_status": float}),
                                                    port.geometry, ship_types=types,
                                                    source="t").all_calls()),
                   key=lambda r: r["call_id"])
    assert len(live) > 100
    assert sum(r["kind"] == "berth" for r in live) > 30
    assert live == batch


def test_moving_along_the_own_berth_is_one_stay_not_a_shift(port):
    tr = Track(start=BERTH_0Y9W)
    tr.fix(0.0, 5)
    tr.stay(1.0, sog=0.0, status=5)
    tr.sail((-74.1398, 40.6875), kn=1.0)       # warps ~180 m along the quay
    tr.stay(1.0, sog=0.0, status=5)
    (call,) = run_batch(tr.frame(), port.geometry).all_calls()
    assert [v.place for v in call.visits] == ["0Y9W"]
    assert call.to_row()["shifts"] == 0 and call.visits[0].open


def test_portcalls_cli_on_csv_and_nmea_of_the_same_hour(tmp_path):
    import subprocess
    import sys
    out = {}
    for name in ("NYHarbor_2020_06_30_first_hour.csv", "NYHarbor_2020_06_30_first_hour.nmea"):
        dst = tmp_path / f"{name}.calls.csv"
        res = subprocess.run([sys.executable, str(ROOT / "app.py"), "portcalls",
                              "--positions", str(ROOT / "data" / "ais" / name), "--out", str(dst),
                              "--occupancy", str(tmp_path / f"{name}.occ.csv")],
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        out[name] = pd.read_csv(dst)
    csv_calls, nmea_calls = out.values()
    assert len(csv_calls) > 100 and \
        set(csv_calls["kind"]) <= {"berth", "anchorage_only", "other_only"}
    assert csv_calls["arrival_port_area"].str.match(r"2020-06-30T\d\d:\d\d:\d\dZ").all()
    # the re-encoded NMEA carries the same positions (AIS resolution): the same calls
    pairs = csv_calls.merge(nmea_calls, on=["mmsi", "berths"], how="inner")
    assert len(pairs) >= 0.9 * len(csv_calls)


@pytest.mark.parametrize("port_name, recording", [
    ("nynj", NY_HOUR),
    ("pugetsound", ROOT / "data" / "sources" / "pugetsound" / "PugetSound_2020_06_30.traj")])
def test_the_nearest_berth_within_reach_is_what_geos_nearest_gives(port_name, recording):
    """``locate``'s berth (``nearest_within``: candidates from the index, measured) is, for
    every real fix of each port, a berth exactly as near as GEOS's own nearest search finds —
    the same berth but where two are equally near (inside overlapping quays)."""
    import numpy as np
    import shapely

    from data_sources.positions import load_recording
    from twin.port import BERTH_DISTANCE_M, nearest_within

    geometry = Port.load(ROOT / "data" / "ports" / port_name).geometry
    fixes = [r for r in load_recording(recording, "t") if hasattr(r, "lon")][:20000]
    x, y = geometry.to_metres([r.lon for r in fixes], [r.lat for r in fixes])
    pts = shapely.points(x, y)
    tree = geometry._berth_tree
    got_pt, got_b = nearest_within(tree, pts, BERTH_DISTANCE_M)
    ref_pt, ref_b = tree.query_nearest(pts, max_distance=BERTH_DISTANCE_M, all_matches=False)
    assert len(got_pt) == len(set(got_pt.tolist()))                 # one berth a point
    assert np.array_equal(np.sort(got_pt), np.sort(ref_pt))         # the same points near one
    order = np.argsort(ref_pt)
    d_ref = shapely.distance(pts[ref_pt[order]], tree.geometries[ref_b[order]])
    d_got = shapely.distance(pts[got_pt], tree.geometries[got_b])   # got_pt is sorted
    np.testing.assert_allclose(d_got, d_ref, atol=1e-9)
    same = np.mean(got_b == ref_b[order]) if len(got_b) else 1.0
    assert same > 0.9, same
    assert len(got_pt) > 1000                                       # ships at quays in both
