"""A recording keeps to its recording: a corrupt time (a row dated 2120 in a 2020 file, ``nan``)
is a counted reject with its place, never a span of a century — and the radar simulated over a
replay works on the traffic it sees, not on the span from its first to its last time."""
import dataclasses
import tracemalloc
from collections import Counter

import pytest

from data_sources import marinecadastre
from data_sources.events import VesselReport
from data_sources.positions import load_positions
from data_sources.radar_sim import RadarScenario, simulate
from data_sources.tracktable import read_traj
from data_sources.vts import load_tracks
from tests.conftest import NY_HOUR, ROOT

RADAR = ROOT / "data" / "ports" / "nynj" / "radar.toml"
YEAR_S = 365.25 * 86400


def corrupted_hour(tmp_path, changes: dict) -> tuple:
    """The NY hour with the BaseDateTime of some lines (1-based, header = 1) replaced."""
    lines = NY_HOUR.read_text(encoding="utf-8").splitlines()
    for n, when in changes.items():
        cells = lines[n - 1].split(",")
        cells[0] = when
        lines[n - 1] = ",".join(cells)
    f = tmp_path / "corrupt_hour.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f


def load(path):
    rejects, details = Counter(), []

    def on_reject(reason, detail=""):
        rejects[reason] += 1
        details.append(detail)
    return marinecadastre.load_file(path, on_reject=on_reject), rejects, details


@pytest.fixture(scope="module")
def original_radar(ny_reports):
    reports, _ = ny_reports
    return simulate(reports, RadarScenario.load(RADAR))


def test_a_row_dated_2120_and_a_nan_are_counted_rejects_and_the_span_stays(tmp_path, ny_reports):
    original, _ = ny_reports
    f = corrupted_hour(tmp_path, {1000: "2120-06-30T00:16:40", 2000: "nan"})
    reports, rejects, details = load(f)
    assert sum(rejects.values()) == 2
    assert rejects == {"time_implausible": 1, "bad_time": 1}     # "nan" is no ISO time
    assert any(d.startswith("corrupt_hour.csv:1000:") for d in details)   # file:line
    assert len(reports) == len(original) - 2
    assert (reports[0].ts, reports[-1].ts) == (original[0].ts, original[-1].ts)
    # the batch tools (history load, portcalls, alerts) read positions the same way
    fixes, _ = load_positions(f)
    assert (fixes["ts"].min(), fixes["ts"].max()) == (original[0].ts, original[-1].ts)


def test_a_plausible_time_far_from_the_recording_is_outside_it(tmp_path, ny_reports):
    original, _ = ny_reports
    f = corrupted_hour(tmp_path, {1500: "2020-09-30T00:00:00"})     # plausible, 3 months on
    reports, rejects, details = load(f)
    assert rejects == {"time_outside_recording": 1}
    assert details == ["corrupt_hour.csv:1500: BaseDateTime=2020-09-30T00:00:00+00:00"]
    assert (reports[0].ts, reports[-1].ts) == (original[0].ts, original[-1].ts)


def test_the_radar_over_the_corrupted_hour_does_the_work_of_the_hour(tmp_path, ny_reports,
                                                                      original_radar):
    _, truth = original_radar
    assert truth.scans == 1440                       # one hour of 2.5 s scans
    f = corrupted_hour(tmp_path, {1000: "2120-06-30T00:16:40", 2000: "nan"})
    reports, _, _ = load(f)
    _, got = simulate(reports, RadarScenario.load(RADAR))
    assert got.scans == truth.scans
    assert truth.positions - 2 * 240 <= got.positions <= truth.positions


def test_the_radar_is_bounded_even_fed_a_century_directly(ny_reports, original_radar):
    """Past the loaders (an NMEA replay, a caller's list): one fix a century on costs a
    scan and the dark craft's minutes around it, not 1.26 billion scans (9.4 GiB/array)."""
    reports, _ = ny_reports
    _, truth = original_radar
    scenario = RadarScenario.load(RADAR)
    far = dataclasses.replace(reports[500], ts=reports[500].ts + 100 * YEAR_S)
    nan = dataclasses.replace(reports[600], ts=float("nan"))
    _, got = simulate(reports + [far, nan], scenario)
    site = scenario.sites[0]
    around = int(2 * site.max_gap_s / site.scan_s) + 1        # scans near the far fix
    assert got.scans <= truth.scans + around + site.lose_after
    assert got.positions <= truth.positions + (len(scenario.dark_craft) + 1) * around


def test_the_radar_skips_gaps_in_a_track_and_between_tracks():
    scenario = RadarScenario.load(RADAR)
    scenario.dark_craft = []
    t0 = 1593475200.0

    def fix(mmsi, ts, lon=-74.04, lat=40.62):
        return VesselReport(ts=ts, source="t", mmsi=mmsi, lon=lon, lat=lat, length=100.0)
    reports = [fix(1, t0), fix(1, t0 + 30),                   # 30 s: 13 scans
               fix(2, t0 + 10), fix(2, t0 + 10 * 86400),      # ten days of AIS silence
               fix(3, t0 + 100 * YEAR_S, -74.03)]             # a century on
    tracemalloc.start()
    try:
        _, truth = simulate(reports, scenario, start=t0, end=t0 + 100 * YEAR_S)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert truth.positions <= 13 + 2 + 1
    assert truth.scans <= 13 + 2 * scenario.sites[0].lose_after
    assert peak < 5e6                                         # bytes: not 10 GB


def test_tracktable_and_vts_exports_keep_to_their_recording(tmp_path):
    def point(t, lon=-74.03):
        return f"367073680,{t},{lon},40.71"
    times = [f"2020-12-01 11:{m:02d}:00" for m in range(30)]
    traj = tmp_path / "week.traj"
    traj.write_text(
        f"*T*,a,terrestrial,30,0,*P*,terrestrial,2,1,1,0,{','.join(point(t) for t in times)}\n"
        f"*T*,b,terrestrial,2,0,*P*,terrestrial,2,1,1,0,{point('2120-12-01 11:00:00')},"
        f"{point('2021-03-01 11:00:00')}\n")
    rejects, details = Counter(), []
    df = read_traj(traj, on_reject=lambda r, d: (rejects.update([r]), details.append(d)))
    assert rejects == {"time_implausible": 1, "time_outside_recording": 1}
    assert all(d.startswith("week.traj:2:") for d in details)
    assert len(df) == 30 and df["ts"].max() - df["ts"].min() == 29 * 60

    rows = [f"17,2020-06-30T00:{m:02d}:00Z,40.60,-74.04,10,45,T" for m in range(30)]
    rows[10] = "17,2120-06-30T00:10:00Z,40.60,-74.04,10,45,T"      # no time at all
    rows[20] = "17,2020-09-30T00:20:00Z,40.60,-74.04,10,45,T"      # outside the recording
    rows[25] = "17,nan,40.60,-74.04,10,45,T"
    tracks_csv = tmp_path / "tracks.csv"
    tracks_csv.write_text("track_id,time,lat,lon,sog,cog,status\n" + "\n".join(rows) + "\n")
    rejects, details = Counter(), []
    tracks = load_tracks(tracks_csv, on_reject=lambda r, d=None: (rejects.update([r]),
                                                                  details.append(d)))
    assert len(tracks) == 27 and tracks[-1].ts - tracks[0].ts == 29 * 60
    assert sum(rejects.values()) == 3 and rejects["time_outside_recording"] == 1
    assert "tracks.csv:22: time" in details[-1]                     # file:line
