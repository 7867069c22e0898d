"""A port model learned from AIS history (`port init --learn-from`), `port check` coverage and
tide harmonics, on the real Puget Sound kit and the NY hour: the same code and thresholds for
both ports."""
import json
import re
import shutil
import subprocess
import sys
from collections import Counter

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import tomllib

from tests.conftest import NY_HOUR, ROOT
from twin.port import Port
from twin.port_build import init_package
from twin.port_check import check_coverage, check_package
from twin.port_learn import (LearnOptions, _Context, axial_mean, cluster, fit_berth, fit_berths,
                             read_history)
from twin.portcalls import PortCallRules

PS = ROOT / "data" / "ports" / "pugetsound"
PS_SOURCES = ROOT / "data" / "sources" / "pugetsound"
PS_AIS = PS_SOURCES / "PugetSound_2020_06_30.traj"
NYNJ = ROOT / "data" / "ports" / "nynj"
NY_SOURCES = ROOT / "data" / "sources" / "nynj"
OSM_ID = re.compile(r"\b(?:way|node|relation)/\d+")


def _ps_init(out, **kw):
    return init_package(
        out, name="Puget Sound test", locode="USSEA", timezone="America/Los_Angeles",
        bbox=(-122.75, 47.15, -122.15, 47.80),
        coastline=PS_SOURCES / "pugetsound_land_gshhs_f.geojson",
        terminals=PS_SOURCES / "pugetsound_industrial_port.geojson",
        docks=PS_SOURCES / "pugetsound_nav_units_active.geojson", **kw)


@pytest.fixture(scope="module")
def learned_ps(tmp_path_factory):
    """Puget Sound learned from its AIS day with no anchorages given."""
    out = tmp_path_factory.mktemp("ps") / "pkg"
    report = _ps_init(out, learn_from=[PS_AIS])
    return out, report


def test_learning_gives_berths_and_anchorages_with_provenance_and_names(learned_ps):
    out, report = learned_ps
    assert [p for p in check_package(out) if p.level == "error"] == []
    port = Port.load(out)
    berths, anchorages = port.layer("berths"), port.layer("anchorages")
    assert set(berths["source"]) <= {"geometry", "ais", "geometry+ais"}
    ais = berths[berths["source"] == "ais"]
    assert len(ais) >= 5
    assert (ais["stops"] >= 1).all() and (ais["vessels"] >= 1).all()
    assert ais["method"].str.startswith("AIS:").all() and ais["named_from"].notna().all()
    # derived berths say how many of the history's stops lie at them
    assert berths.loc[berths["source"] == "geometry", "stops"].sum() > 0
    # no anchorages given: the learned ones only, every one from stops in open water
    assert len(anchorages) >= 1 and (anchorages["source"] == "ais").all()
    assert anchorages["method"].str.contains("stops? in open water").all()
    for layer in (berths, anchorages, port.layer("terminals")):
        names = layer["name"]
        assert names.map(lambda n: isinstance(n, str) and n.strip() != "").all()
        assert not names.str.contains(OSM_ID).any(), names[names.str.contains(OSM_ID)]
    # docks the coarse shoreline could not place are placed from AIS, under their own id
    placed = [line for line in report if "placed from AIS" in line]
    assert placed
    dock_id = placed[0].split()[1]
    assert dock_id in set(ais["id"])
    # every stop of the history it was learned from now lies at a named place
    cov = check_coverage(out, [PS_AIS])
    assert cov.stops > 30 and cov.share == 1.0 and cov.unknown == []
    meta = tomllib.loads((out / "port.toml").read_text())
    assert meta["learned"]["history"] == [PS_AIS.name]
    assert meta["learned"]["stops"] == cov.stops + cov.outside


def test_anchorages_are_optional_on_the_command_line(tmp_path):
    out = tmp_path / "pkg"
    cmd = [sys.executable, str(ROOT / "app.py"), "port", "init", "--out", str(out),
           "--name", "Tacoma test", "--locode", "USTIW", "--timezone", "America/Los_Angeles",
           "--bbox", "-122.50", "47.22", "-122.38", "47.32",
           "--coastline", str(PS_SOURCES / "pugetsound_land_gshhs_f.geojson"),
           "--docks", str(PS_SOURCES / "pugetsound_nav_units_active.geojson")]
    res = subprocess.run(cmd, capture_output=True, text=True)       # nothing to learn from:
    assert res.returncode == 0, res.stderr + res.stdout             # a package, and a warning
    assert "0 errors, 1 warnings" in res.stdout
    assert "no anchorages" in res.stdout + res.stderr
    res = subprocess.run(cmd + ["--learn-from", str(PS_AIS)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr + res.stdout
    assert "learned from" in res.stderr and "0 errors" in res.stdout
    berths = gpd.read_file(out / "berths.geojson")
    assert (berths["source"] != "geometry").any()           # Thea Foss / Tacoma stops learned


def test_the_bundled_puget_sound_package(tmp_path):
    assert [str(p) for p in check_package(PS)] == []
    port = Port.load(PS)
    assert port.timezone == "America/Los_Angeles" and port.locode == "USSEA"
    assert set(port.tide_stations) == {"9447130", "9446484"}
    assert (PS / "harmonics" / "noaa_9446484.json").is_file()
    berths, anchorages = port.layer("berths"), port.layer("anchorages")
    assert {"geometry", "ais"} <= set(berths["source"])
    assert set(anchorages["source"]) == {"surveyed", "ais"}
    assert "Commencement Bay General Anchorage" in set(anchorages["name"])
    build = (PS / "BUILD.sh").read_text()
    assert "--learn-from data/sources/pugetsound/PugetSound_2020_06_30.traj" in build
    assert "shared" not in build                    # the product runs without ../shared
    for path in re.findall(r"data/sources/\S+\.(?:geojson|traj)", build):
        assert (ROOT / path).is_file(), path
    sources = (ROOT / "data" / "SOURCES.md").read_text()
    assert "sources/pugetsound/" in sources and "ports/pugetsound/" in sources


def test_port_check_reports_coverage_and_stops_at_no_known_place(tmp_path):
    out = tmp_path / "derived_only"                 # Puget Sound from the geometry alone
    _ps_init(out, anchorages=PS_SOURCES / "pugetsound_anchorages_33CFR110.230.geojson")
    cov = check_coverage(out, [PS_AIS])
    assert cov.stops > 30 and 0.3 < cov.share < 1.0
    assert cov.named == cov.at_berth + cov.at_anchorage
    assert len(cov.unknown) == cov.stops - cov.named
    u = cov.unknown[0]
    assert {"mmsi", "start", "end", "lon", "lat", "nearest", "distance_m"} <= set(u)
    assert u["nearest"].split()[0] in ("berth", "anchorage") and u["distance_m"] > 0
    res = subprocess.run([sys.executable, str(ROOT / "app.py"), "port", "check", str(PS),
                          "--history", str(PS_AIS)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert re.search(r"coverage: \d+ stops of the history inside the port limits .* "
                     r"\(100\.0%\) at a named place", res.stdout), res.stdout


def test_tide_station_without_harmonics_is_an_error(tmp_path):
    pkg = tmp_path / "ps"
    shutil.copytree(PS, pkg)
    assert [p for p in check_package(pkg) if p.level == "error"] == []
    shutil.rmtree(pkg / "harmonics")                 # Tacoma's harmonics live in the package
    (err,) = [p for p in check_package(pkg) if p.level == "error"]
    assert err.field == "tide_stations" and "9446484" in err.why
    toml = (pkg / "port.toml").read_text().replace('"9446484"', '"9446484", "1234567"')
    (pkg / "port.toml").write_text(toml)
    errors = [p.why for p in check_package(pkg) if p.level == "error"]
    assert len(errors) == 2 and any("1234567" in e for e in errors)


def test_same_learning_for_ny_hour_no_port_specific_parameters(tmp_path, learned_ps):
    """The NY hour (MarineCadastre: nav status, headings, lengths) through the same code path
    and the same defaults as the Puget Sound .traj (positions only)."""
    out = tmp_path / "upper_bay"
    report = init_package(
        out, name="Upper Bay test", locode="USNYC", timezone="America/New_York",
        bbox=(-74.12, 40.60, -73.98, 40.72),
        coastline=NY_SOURCES / "nynj_land_gshhs_f.geojson",
        terminals=NY_SOURCES / "nynj_industrial_port.geojson",
        docks=NY_SOURCES / "nynj_nav_units_active.geojson",
        anchorages=NY_SOURCES / "ny_federal_anchorages_33CFR110.155.geojson",
        learn_from=[NY_HOUR])
    assert any("outside_bbox" in line for line in report)       # a wider file will do
    assert [p for p in check_package(out) if p.level == "error"] == []
    ny = tomllib.loads((out / "port.toml").read_text())["learned"]
    ps = tomllib.loads((learned_ps[0] / "port.toml").read_text())["learned"]
    defaults = LearnOptions()
    for key in ("berth_eps_m", "anchor_eps_m", "min_stops", "quay_reach_m",
                "alongside_shore_m", "name_max_m"):
        assert ny[key] == ps[key] == getattr(defaults, key), key
    # the thresholds come from the tracker's rules and ship handling, not from a port
    assert defaults.berth_eps_m == PortCallRules().stop_radius_m
    assert defaults.anchor_eps_m == 2 * (defaults.default_ship_m + defaults.anchor_cable_m)
    berths = gpd.read_file(out / "berths.geojson")
    learned = berths[berths["source"].isin(["ais", "geometry+ais"])]
    assert len(learned)
    methods = " ".join(learned["method"])
    assert "nav status 5" in methods and "AIS headings" in methods
    assert "the longest ship's AIS length" in methods
    cov = check_coverage(out, [NY_HOUR])
    assert cov.share == 1.0


def test_history_outside_the_box_is_skipped():
    rejects = Counter()
    fixes, static = read_history([NY_HOUR], (-74.05, 40.65, -74.00, 40.70), rejects)
    assert len(fixes) and rejects["outside_bbox"] > 5000
    assert fixes["lon"].between(-74.05, -74.00).all()
    assert static                                   # MarineCadastre static data kept


# ---- the geometry of one berth ----------------------------------------------------------
def test_axial_mean():
    assert axial_mean([10, 190, 12]) == pytest.approx(10.7, abs=0.1)
    assert axial_mean([0, 90]) is None               # no common axis
    assert axial_mean([]) is None


def _empty_context():
    return _Context("EPSG:32618", None, None, None, None)


def _stops(xy, heading=None, length=None):
    return pd.DataFrame({"x": [p[0] for p in xy], "y": [p[1] for p in xy],
                         "heading": heading or [np.nan] * len(xy),
                         "length": length or [np.nan] * len(xy),
                         "width": [np.nan] * len(xy), "mmsi": range(len(xy)),
                         "why": ["test"] * len(xy)})


def test_a_berth_lies_along_the_ships_headings_and_is_as_long_as_them():
    st = _stops([(0, 0), (0, 40)], heading=[0.0, 180.0], length=[200.0, 150.0])
    fit = fit_berth(st, _empty_context(), LearnOptions())
    (x0, y0), (x1, y1) = fit["geometry"].coords
    assert abs(x1 - x0) < 1e-6                       # north-south, as the ships lay
    assert fit["geometry"].length == pytest.approx(40 + 200)
    assert not fit["length_estimated"]
    st = _stops([(0, 0)])                            # no heading, no length, nothing around
    fit = fit_berth(st, _empty_context(), LearnOptions())
    assert fit["length_estimated"] and fit["geometry"].length == pytest.approx(120)


def test_a_sprawling_cluster_is_split_until_every_stop_is_at_its_berth():
    opts = LearnOptions()
    xy = [(0, 0), (60, 0), (120, 0), (0, 90), (60, 90), (0, 180), (60, 180), (120, 180)]
    labels = cluster(np.array(xy, float), opts.berth_eps_m, opts.min_stops)
    assert len(set(labels)) == 1                     # chained within 100 m: one cluster
    parts = fit_berths(_stops(xy), _empty_context(), opts)
    assert len(parts) >= 2
    from shapely.geometry import Point
    for part, fit in parts:
        for x, y in part[["x", "y"]].to_numpy():
            assert fit["geometry"].distance(Point(x, y)) <= opts.fit_reach_m


def test_learned_feature_geojson_is_plain_data(learned_ps):
    doc = json.loads((learned_ps[0] / "berths.geojson").read_text())
    props = [f["properties"] for f in doc["features"] if f["properties"]["source"] == "ais"]
    assert props and all(isinstance(p["stops"], int) for p in props)
