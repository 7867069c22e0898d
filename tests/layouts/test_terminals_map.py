"""Map of any port (issue 15): a terminal polygon that takes in water is extruded only over
land (the part over the harbour drawn flat), and an unnamed OSM terminal is called by its
operator or "Terminal N" — on the map, in the berths' terminal and so in every report —
never "Terminal way/1167695558"."""
import json

import shapely
from shapely.geometry import shape

from layouts import map_layers
from tests.port_fixture import QUAY_LON, make_port
from twin.config import Config
from twin.port import Port, is_osm_id_name, terminal_display_names


def layer(layers, ident):
    return next((spec for spec in layers if spec["id"] == ident), None)


def features(spec):
    return spec["data"]["features"]


def test_terminals_are_extruded_only_on_land(tmp_path):
    port = Port.load(make_port(tmp_path / "pkg", tide_stations=()))
    layers = map_layers.static_layers(port)
    solid, flat = layer(layers, map_layers.TERMINALS), layer(layers, map_layers.TERMINALS_FLAT)
    assert solid["extruded"] is True and flat["extruded"] is False
    land = shapely.union_all([shape(f["geometry"]) for f in features(layer(layers, "land"))])
    for f in features(solid):                        # every extruded part lies on land
        g = shape(f["geometry"])
        assert g.difference(land.buffer(1e-4)).area < 1e-9, f["properties"]
        assert g.bounds[2] <= QUAY_LON + 1e-9
    over = {f["properties"]["name"]: shape(f["geometry"]) for f in features(flat)}
    assert set(over) == {"Terminal 1"}               # the half of it over the water
    assert over["Terminal 1"].bounds[0] >= QUAY_LON - 1e-9
    assert {f["properties"]["name"] for f in features(solid)} == {"Terminal 1",
                                                                   "Acme Stevedores"}


def test_without_a_land_layer_nothing_is_extruded(tmp_path):
    folder = make_port(tmp_path / "pkg", tide_stations=())
    toml = folder / "port.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('land = "land.geojson"\n', ""),
                    encoding="utf-8")
    layers = map_layers.static_layers(Port.load(folder))
    assert layer(layers, map_layers.TERMINALS) is None
    assert len(features(layer(layers, map_layers.TERMINALS_FLAT))) == 2


def test_terminal_names_are_never_osm_ids(tmp_path):
    port = Port.load(make_port(tmp_path / "pkg", tide_stations=()))
    assert list(port.layer("terminals")["name"]) == ["Terminal 1", "Acme Stevedores"]
    # the berth that named its terminal by the OSM id follows the new name (reports, API)
    assert port.geometry.berth_info["B1"]["terminal"] == "Terminal 1"
    text = json.dumps(map_layers.static_layers(port))
    assert "way/" not in text and "Terminal way" not in text


def test_the_ny_package_names_its_unnamed_terminals():
    ny = Port.load(Config.port_dir)
    names = list(ny.layer("terminals")["name"])
    assert not any(is_osm_id_name(n) for n in names)
    assert "Port Newark Container Terminal" in names          # real names are kept
    terminals = {i.get("terminal") for i in ny.geometry.berth_info.values()} - {None}
    assert terminals and not any(is_osm_id_name(t) for t in terminals if isinstance(t, str))


def test_display_names_rules():
    import geopandas as gpd
    from shapely.geometry import box
    t = gpd.GeoDataFrame({"name": ["way/1", "Terminal relation/2", "Terminal 2", "node/3", "",
                                   "Pier 5"],
                          "operator": [None, "Acme", None, "Acme", None, None]},
                         geometry=[box(0, 0, 1, 1)] * 6, crs="EPSG:4326")
    names = terminal_display_names(t)
    # a real "Terminal 2" keeps its name: the second unnamed one is "Terminal 3"
    assert names == {"way/1": "Terminal 1", "Terminal relation/2": "Acme", "node/3": "Acme 2",
                     4: "Terminal 3"}
    assert is_osm_id_name("Terminal way/1167695558") and not is_osm_id_name("Wayne Pier 1")
