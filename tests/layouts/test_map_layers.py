"""The binary vessel layers carry what the browser draws; clicks map back to the right MMSI."""
import base64

import numpy as np
import pytest
from flask import Flask
from flask_caching import Cache

from callbacks.wall import clicked_mmsi, live_layers
from data_sources.events import VesselReport
from layouts import map_layers, theme
from twin.state import FleetState
from tests.conftest import ROOT


def decode(block):
    b = block["@@binary"]
    buf = base64.b64decode(b["buffer"])
    out = {}
    for name, a in b["attributes"].items():
        arr = np.frombuffer(buf, np.dtype(a["dtype"]), a["byteLength"] // np.dtype(a["dtype"]).itemsize,
                            a["offset"])
        out[name] = arr.reshape(-1, a["size"]) if a["size"] > 1 else arr
    if "startIndices" in b:
        s = b["startIndices"]
        out["startIndices"] = np.frombuffer(buf, np.uint32, s["byteLength"] // 4, s["offset"])
    return b["length"], out


@pytest.fixture
def snap():
    s = FleetState()
    s.apply([
        VesselReport(ts=0, source="t", mmsi=366000001, lon=-74.05, lat=40.65, heading=90.0,
                     length=300.0, width=40.0, ship_type=70, name="BOX SHIP"),
        VesselReport(ts=0, source="t", mmsi=366000002, lon=-74.06, lat=40.66, cog=10.0,
                     ship_type=52),                                    # no dimensions
        VesselReport(ts=0, source="t", mmsi=366000003, lon=-74.07, lat=40.67, heading=None,
                     cog=None, length=20.0, ship_type=80),             # no course
    ])
    return s.snapshot(0)


def test_footprints_only_for_vessels_with_size_and_course(snap):
    layers = map_layers.build_vessel_layers(snap.vessels)
    n, attrs = decode(layers.data[map_layers.VESSELS])
    assert n == 1 and layers.order[map_layers.VESSELS] == [366000001]
    ring = attrs["getPolygon"]
    assert ring.shape == (6, 2)
    assert ring[2, 0] > ring[0, 0]                                  # heading 90: bow east
    assert (attrs["getFillColor"][:, :3] == theme.CATEGORY_COLOURS["cargo"]).all()
    n, attrs = decode(layers.data[map_layers.MARKERS])
    assert n == 3 and layers.order[map_layers.MARKERS] == [366000001, 366000002, 366000003]
    assert (attrs["getFillColor"][1, :3] == theme.CATEGORY_COLOURS["tug"]).all()
    assert attrs["getRadius"][1] > attrs["getRadius"][0]            # a real marker, not a dot


def test_selection_ring_follows_the_selected_vessel(snap):
    n, attrs = decode(map_layers.selection_layer(snap.vessels, 366000002))
    assert n == 1 and attrs["getPosition"][0] == pytest.approx([-74.06, 40.66])
    assert decode(map_layers.selection_layer(snap.vessels, None))[0] == 0
    assert decode(map_layers.selection_layer(snap.vessels, 999))[0] == 0      # gone: no ring


def test_alert_rings_mark_alerted_vessels_in_their_most_severe_colour(snap):
    n, attrs = decode(map_layers.alert_layer(snap.vessels, {366000003: "alarm",
                                                            366000001: "warning",
                                                            999: "alarm"}))      # not in view
    assert n == 2
    by_lon = {round(float(x), 2): tuple(c[:3]) for (x, _), c in
              zip(attrs["getPosition"], attrs["getLineColor"])}
    assert by_lon == {-74.05: theme.ALERT_COLOURS["warning"],
                      -74.07: theme.ALERT_COLOURS["alarm"]}
    assert decode(map_layers.alert_layer(snap.vessels, {}))[0] == 0
    assert map_layers.ALERT_RINGS in {spec["id"] for spec in map_layers.vessel_layers()}


def test_colour_by_status(snap):
    layers = map_layers.build_vessel_layers(snap.vessels, mode="status")
    _, attrs = decode(layers.data[map_layers.MARKERS])
    assert (attrs["getFillColor"][:, :3] == theme.ACTIVITY_COLOURS["unknown"]).all()


def test_binary_is_much_smaller_than_pydeck_json(snap):
    import pandas as pd
    big = pd.concat([snap.vessels.iloc[[0]]] * 1000, ignore_index=True)
    binary = map_layers.build_vessel_layers(big).data[map_layers.VESSELS]
    import json
    assert len(json.dumps(binary)) * 2 < len(map_layers.build_vessel_layer_pydeck_json(big))


def test_plain_props_are_not_turned_into_expressions():
    for spec in map_layers.vessel_layers():
        for key, value in spec.items():
            if isinstance(value, str) and not key.startswith("get"):
                assert not value.startswith("@@="), (spec["id"], key)


def test_click_index_resolves_against_the_order_the_browser_drew(snap):
    cache = Cache(Flask(__name__), config={"CACHE_TYPE": "SimpleCache"})
    token, _ = live_layers(snap, cache, "type")
    click = {"picked": True, "index": 1, "layerId": map_layers.MARKERS}
    assert clicked_mmsi(cache, click, token) == 366000002
    click = {"picked": True, "index": 0, "layerId": map_layers.VESSELS}
    assert clicked_mmsi(cache, click, token) == 366000001
    assert clicked_mmsi(cache, {"picked": False}, token) is None        # water: close the card
    assert clicked_mmsi(cache, {"picked": True, "index": 7, "layerId": map_layers.VESSELS},
                        token) is None
    assert clicked_mmsi(cache, click, "layers:unknown") is None


def test_a_click_whose_index_went_stale_falls_back_to_the_vessel_under_it(snap):
    cache = Cache(Flask(__name__), config={"CACHE_TYPE": "SimpleCache"})
    token, _ = live_layers(snap, cache, "type")
    # index 0 of the markers is the box ship, but the click was on the tug (-74.06, 40.66)
    click = {"picked": True, "index": 0, "layerId": map_layers.MARKERS,
             "coordinate": [-74.0601, 40.6601]}
    assert clicked_mmsi(cache, click, token, snap) == 366000002
    click["coordinate"] = [-74.0502, 40.6500]          # on the box ship: index trusted
    assert clicked_mmsi(cache, click, token, snap) == 366000001
    click["coordinate"] = [-73.9, 40.5]                # far from everything
    assert clicked_mmsi(cache, click, "layers:expired", snap) is None


def test_thinned_trails_keep_their_ends_and_stay_within_the_budget():
    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 120, 3000)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.uint32)
    lonlat = rng.random((int(lengths.sum()), 2)).astype(np.float32)
    for budget in (100_000, 20_000, 6_000):
        kept, new_starts = map_layers.thin_trails(lonlat, starts, budget)
        assert len(kept) <= max(budget, 2 * len(starts)) and len(new_starts) == len(starts)
        ends = np.append(new_starts[1:], len(kept)) - 1
        assert (kept[new_starts] == lonlat[starts]).all()                 # each trail's first
        assert (kept[ends] == lonlat[starts + lengths - 1]).all()         # ... and newest point
    same, same_starts = map_layers.thin_trails(lonlat, starts, len(lonlat))
    assert same is lonlat and same_starts is starts                      # within: untouched


def test_at_fleet_scale_the_longest_vessels_are_drawn_to_scale_the_rest_as_markers():
    import pandas as pd
    n = 30
    df = pd.DataFrame({"length": np.arange(n, dtype=float) * 10, "course": np.full(n, 90.0)})
    df.loc[5, "course"] = np.nan                          # no course: never a hull
    rows = map_layers.footprint_rows(df, max_rows=10)
    assert rows.sum() == 10 and set(np.flatnonzero(rows)) == set(range(20, 30))
    every = map_layers.footprint_rows(df, max_rows=100)
    assert every.sum() == n - 2                           # length 0 and no course left out


@pytest.mark.parametrize("package", ["nynj", "pugetsound"])
def test_the_map_names_the_ports_terminals_without_overprinting(package):
    from pyproj import Geod

    from layouts.map_layers import DECLUTTER_M, PLACE_LABELS, place_labels, static_layers
    from twin.port import Port
    port = Port.load(ROOT / "data" / "ports" / package)
    labels = place_labels(port)
    assert len(labels) >= 3 and len({x["text"] for x in labels}) == len(labels)
    geod = Geod(ellps="WGS84")
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            assert geod.inv(*a["position"], *b["position"])[2] >= DECLUTTER_M, (a, b)
    layer = next(s for s in static_layers(port) if s["id"] == PLACE_LABELS)
    assert layer["@@type"] == "TextLayer" and layer["data"] == labels


@pytest.mark.parametrize("package", ["nynj", "pugetsound"])
def test_a_pages_port_geometry_is_a_url_to_the_same_data(package):
    """Pages carry the static layers' specs; a large layer's data is a URL whose answer is
    exactly the data ``static_layers`` has, and only URLs the package made are answered."""
    import gzip
    import json

    import brotli

    from twin.port import Port
    port = Port.load(ROOT / "data" / "ports" / package)
    full = {s["id"]: s for s in map_layers.static_layers(port)}
    by_url = map_layers.static_layers_by_url(port)
    assert [s["id"] for s in by_url] == list(full)
    urls = 0
    for spec in by_url:
        data = full[spec["id"]]["data"]
        assert {k: v for k, v in spec.items() if k != "data"} == \
            {k: v for k, v in full[spec["id"]].items() if k != "data"}
        if not isinstance(spec["data"], str):
            assert spec["data"] == data
            assert len(json.dumps(data, separators=(",", ":"))) < map_layers.MAP_DATA_MIN_BYTES
            continue
        urls += 1
        prefix, digest, name = spec["data"].rsplit("/", 2)
        assert prefix == map_layers.MAP_DATA_PATH and name == f"{spec['id']}.json"
        got = map_layers.map_data(port, digest, spec["id"])
        assert json.loads(got.body) == json.loads(json.dumps(data))
        assert gzip.decompress(got.gzip) == got.body == brotli.decompress(got.br)
        assert map_layers.map_data(port, digest, "vessels") is None
        assert map_layers.map_data(port, "0" * 20, spec["id"]) is None
    assert urls >= 2                                  # land and berths at least
