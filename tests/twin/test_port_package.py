"""Port packages: `port check` passes on NY/NJ and names file, feature, field and why on broken
ones; `port init` builds berths from the real sources."""
import json
import shutil
import subprocess
import sys

import pytest
from pyproj import Geod

from tests.conftest import ROOT
from twin.port import Port, PortPackageError
from twin.port_check import check_package

NYNJ = ROOT / "data" / "ports" / "nynj"
SOURCES = ROOT / "data" / "sources" / "nynj"


def test_the_bundled_package_passes_the_check_on_the_command_line():
    out = subprocess.run([sys.executable, str(ROOT / "app.py"), "port", "check", str(NYNJ)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "0 errors, 0 warnings" in out.stdout


@pytest.fixture
def package(tmp_path):
    dst = tmp_path / "pkg"
    shutil.copytree(NYNJ, dst)
    for f in dst.iterdir():
        f.chmod(0o644)
    return dst


def _edit(path, fn):
    doc = json.loads(path.read_text())
    fn(doc)
    path.write_text(json.dumps(doc))


def _errors(pkg):
    return [p for p in check_package(pkg) if p.level == "error"]


def test_broken_geojson_names_the_file_and_the_place(package):
    text = (package / "berths.geojson").read_text()
    (package / "berths.geojson").write_text(text[:5000])            # cut off mid-file
    errors = _errors(package)
    assert len(errors) == 1
    assert errors[0].file.endswith("berths.geojson") and "broken GeoJSON" in errors[0].why
    assert "line" in errors[0].why and "column" in errors[0].why
    with pytest.raises(PortPackageError, match="berths.geojson"):
        Port.load(package)


def test_missing_fields_are_named_per_feature(package):
    def drop(doc):
        del doc["features"][3]["properties"]["length_m"]
        doc["features"][5]["properties"]["name"] = ""
        doc["features"][7]["properties"]["length_m"] = -4
    _edit(package / "berths.geojson", drop)
    errors = {(p.feature.split()[0], p.field): p.why for p in _errors(package)}
    assert errors == {("#3", "length_m"): "required property missing or empty",
                      ("#5", "name"): "required property missing or empty",
                      ("#7", "length_m"): "must be a number >= 0, got -4"}


def test_invalid_geometry_says_why(package):
    def bowtie(doc):
        doc["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [[
            [-74.05, 40.60], [-74.00, 40.65], [-74.00, 40.60], [-74.05, 40.65], [-74.05, 40.60]]]}
    _edit(package / "anchorages.geojson", bowtie)
    (err,) = _errors(package)
    assert err.file.endswith("anchorages.geojson") and err.feature.startswith("#0")
    assert err.field == "geometry" and "Self-intersection" in err.why


def test_wrong_crs_is_refused(package):
    def web_mercator(doc):
        doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    _edit(package / "anchorages.geojson", web_mercator)
    (err,) = _errors(package)
    assert err.field == "crs" and "not WGS84" in err.why

    def projected(doc):      # no crs member, but metres where degrees belong
        del doc["crs"]
        ring = [[-8240000.0, 4960000.0], [-8230000.0, 4960000.0], [-8230000.0, 4970000.0],
                [-8240000.0, 4960000.0]]
        doc["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [ring]}
    _edit(package / "anchorages.geojson", projected)
    (err,) = _errors(package)
    assert "not lon/lat degrees" in err.why


def test_required_layers_and_port_settings(package):
    toml = (package / "port.toml").read_text()
    toml = toml.replace('timezone = "America/New_York"', 'timezone = "America/Gotham"')
    toml = toml.replace('berths = "berths.geojson"\n', "")
    (package / "port.toml").write_text(toml)
    errors = {p.field: p.why for p in _errors(package)}
    assert "unknown time zone" in errors["timezone"]
    assert errors["layers.berths"] == "layer 'berths' is required"


def test_duplicate_ids_and_wrong_geometry_type(package):
    def dup(doc):
        doc["features"][1]["properties"]["id"] = doc["features"][0]["properties"]["id"]
        doc["features"][2]["geometry"] = {"type": "Point", "coordinates": [-74.0, 40.6]}
    _edit(package / "berths.geojson", dup)
    whys = sorted(p.why for p in _errors(package))
    assert whys[0] == "duplicate id (also feature #0)"
    assert whys[1].startswith("geometry Point where LineString or MultiLineString")


def test_port_init_builds_berths_from_the_real_sources(tmp_path):
    out = tmp_path / "newark"
    cmd = [sys.executable, str(ROOT / "app.py"), "port", "init", "--out", str(out),
           "--name", "Port Newark test", "--locode", "USEWR", "--timezone", "America/New_York",
           "--bbox", "-74.20", "40.60", "-74.02", "40.72",
           "--coastline", str(SOURCES / "nynj_land_gshhs_f.geojson"),
           "--terminals", str(SOURCES / "nynj_industrial_port.geojson"),
           "--docks", str(SOURCES / "nynj_nav_units_active.geojson"),
           "--anchorages", str(SOURCES / "ny_federal_anchorages_33CFR110.155.geojson")]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr + res.stdout
    assert "0 errors" in res.stdout
    port = Port.load(out)
    berths = port.layer("berths")
    assert len(berths) > 20 and berths["derived"].all()
    newark = berths[berths["terminal"] == "Port Newark Container Terminal"]
    assert len(newark) >= 10
    assert newark["name"].str.contains("PORT NEWARK, BERTH").any()
    geod = Geod(ellps="WGS84")
    for _, b in berths.iterrows():          # lengths are the geometry's, in metres
        assert abs(geod.geometry_length(b.geometry) - b["length_m"]) < 1.0
    assert port.layer("port_limits") is not None
