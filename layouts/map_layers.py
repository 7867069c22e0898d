"""The one map's layers, built with pydeck and handed to deckgl-dash as plain dicts.

Static layers (land, terminals, anchorages, docks) come with the page as specs; their data, when
it is large, as a URL the browser loads once and keeps (``static_layers_by_url``). Terminals are
extruded only where they lie on the package's land: an OSM ``industrial=port`` polygon often
takes in its basins and piers, and GSHHG-type coastlines miss the landfill, so the part over
water is drawn flat (``terminal_parts``) instead of as a 3D slab over the harbour. Live vessel
layers are sent every refresh as *binary* columns (``deckgl_dash.binary``): positions and colours
as typed arrays, no per-vessel JSON objects. The vessel identity stays on the server: the
callback remembers which MMSI is at which index (``VesselLayers.order``), and a click's index is
mapped back there.
"""
from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass

import brotli
import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import pydeck as pdk
import shapely
from deckgl_dash.binary import binary_data

from twin.footprint import VERTICES, footprints

from . import theme

VESSELS = "vessels"              # to-scale footprints (vessels with known dimensions)
MARKERS = "vessel-markers"       # a dot for every vessel (the marker where dimensions are unknown)
TRAILS = "trails"
SELECTION = "selection"          # a ring around the vessel whose card is open
ALERT_RINGS = "alert-rings"      # a ring around every vessel with an open alert
STATIONS = "stations"            # aids to navigation (AIS type 21) and base stations (type 4)
ANCHORAGE_LABELS = "anchorage-labels"
BERTHS = "berths"                # every quay, drawn free
BERTHS_OCCUPIED = "berths-occupied"   # live: occupied quays in the occupant's colour
ANCHORAGE_QUEUE = "anchorage-queue"   # live: how many wait at each anchorage
DARK_TARGETS = "dark-targets"    # live: radar tracks with no AIS (magenta squares)
TIDE_STATIONS = "tide-stations"  # live: hydro-met stations with the water level now
TIDE_LABELS = "tide-labels"


def _spec(layer: pdk.Layer) -> dict:
    """A pydeck layer as the dict deckgl-dash expects (``@@type`` + camelCase props).

    pydeck turns every string prop into an ``@@=`` expression (meant for accessors such as
    ``get_position="position"``); for plain props like ``widthUnits="pixels"`` that would be
    evaluated as a variable name in the browser, so the marker is removed there.
    """
    spec = json.loads(layer.to_json())
    for key, value in spec.items():
        if isinstance(value, str) and value.startswith("@@=") and not key.startswith("get"):
            spec[key] = value[3:]
    return spec


def _geojson(gdf, columns=()) -> dict:
    keep = [c for c in columns if c in gdf.columns]
    return json.loads(gdf[keep + ["geometry"]].to_json(drop_id=True))


MAP_DATA_PATH = "/_porttwin/map-data"    # + /<digest>/<layer id>.json (app.py serves it)
MAP_DATA_MIN_BYTES = 8192                # smaller layers (labels) stay in the page


@dataclass(frozen=True)
class MapData:
    """One static layer's data as the browser loads it: its JSON, and compressed once."""

    body: bytes
    gzip: bytes
    br: bytes


@dataclass
class _ByUrl:
    specs: list            # the specs as pages send them
    files: dict            # (digest, layer id) -> JSON of the layer's data
    made: dict             # (digest, layer id) -> MapData, compressed at the first request


def _by_url(port) -> _ByUrl:
    cached = getattr(port, "_map_by_url", None)
    if cached is None:
        specs, files = [], {}
        for spec in static_layers(port):
            body = orjson.dumps(spec.get("data", []))
            if len(body) < MAP_DATA_MIN_BYTES:
                specs.append(spec)
                continue
            digest = hashlib.sha256(body).hexdigest()[:20]
            files[(digest, spec["id"])] = body
            specs.append({**spec, "data": f"{MAP_DATA_PATH}/{digest}/{spec['id']}.json"})
        cached = port._map_by_url = _ByUrl(specs, files, {})
    return cached


def static_layers_by_url(port) -> list[dict]:
    """``static_layers`` as a page sends them: each layer whose data is larger than
    ``MAP_DATA_MIN_BYTES`` carries the URL of its data instead (deck.gl loads a layer's
    ``data`` given as a URL; the server answers from ``map_data``). The page then holds the
    specs only — a wall's page was 430 kB, 360 kB of it the port's geometry, walked and
    serialised again for every screen that opened — and a browser fetches the geometry once,
    then keeps it: its URL changes when the package's geometry does."""
    return list(_by_url(port).specs)


def map_data(port, digest: str, layer_id: str) -> MapData | None:
    """The data behind a URL of ``static_layers_by_url``, or None for any other (the URL is
    outside text: only a (digest, layer) pair the package made is answered)."""
    by_url = _by_url(port)
    key = (digest, layer_id)
    body = by_url.files.get(key)
    if body is None:
        return None
    made = by_url.made.get(key)
    if made is None:
        made = by_url.made[key] = MapData(body, gzip.compress(body, 9, mtime=0),
                                          brotli.compress(body, quality=9))
    return made


def static_layers(port) -> list[dict]:
    """Land, terminals in 3D, anchorages and docks from the port package. Built once per
    loaded package (every page load of the wall, vessels and playback pages draws them: a
    third of a web worker's time went to building them again); a new list each call, of the
    same layer specs (nothing downstream changes a spec)."""
    cached = getattr(port, "_static_layers", None)
    if cached is None:
        cached = _build_static_layers(port)
        try:
            object.__setattr__(port, "_static_layers", cached)
        except (AttributeError, TypeError):
            pass
    return list(cached)


def _build_static_layers(port) -> list[dict]:
    layers = []
    land = port.layer("land")
    if land is not None:
        # ~5 m tolerance: invisible at harbour zooms, a third of the bytes.
        land = land.assign(geometry=land.geometry.simplify(0.00005, preserve_topology=True))
        layers.append(_spec(pdk.Layer(
            "GeoJsonLayer", _geojson(land), id="land", filled=True, stroked=True,
            get_fill_color=list(theme.LAND), get_line_color=list(theme.LAND_EDGE),
            line_width_min_pixels=1, pickable=False)))
    terminals = port.layer("terminals")
    if terminals is not None:
        on_land, over_water = terminal_parts(port)
        if len(over_water):                 # basins and piers the coastline does not have
            layers.append(_spec(pdk.Layer(
                "GeoJsonLayer", _geojson(over_water, ["name", "operator"]),
                id=TERMINALS_FLAT, filled=True, stroked=True, extruded=False,
                get_fill_color=[*theme.TERMINAL, 90], get_line_color=[*theme.TERMINAL, 200],
                line_width_min_pixels=1, pickable=False)))
        if len(on_land):
            layers.append(_spec(pdk.Layer(
                "GeoJsonLayer", _geojson(on_land, ["name", "operator"]), id=TERMINALS,
                filled=True, extruded=True, get_elevation=45,
                get_fill_color=list(theme.TERMINAL), get_line_color=list(theme.LAND_EDGE),
                material={"ambient": 0.6, "diffuse": 0.5}, pickable=False)))
    anchorages = port.layer("anchorages")
    if anchorages is not None:
        layers.append(_spec(pdk.Layer(
            "GeoJsonLayer", _geojson(anchorages, ["id", "name"]), id="anchorages", filled=True,
            stroked=True, get_fill_color=[*theme.ANCHORAGE, 28],
            get_line_color=[*theme.ANCHORAGE, 200], line_width_min_pixels=1.5,
            pickable=False)))
        centres = anchorages.geometry.representative_point()
        labels = [{"text": str(a), "position": [p.x, p.y]}
                  for a, p in zip(anchorages["id"], centres)]
        layers.append(_spec(pdk.Layer(
            "TextLayer", labels, id=ANCHORAGE_LABELS, get_position="position", get_text="text",
            get_size=13, get_color=[*theme.ANCHORAGE, 230], font_family="sans-serif",
            billboard=True, pickable=False)))
    docks = port.layer("docks")
    if docks is not None:
        pts = [{"position": [g.x, g.y]} for g in docks.geometry if g is not None]
        layers.append(_spec(pdk.Layer(
            "ScatterplotLayer", pts, id="docks", get_position="position", get_radius=20,
            radius_min_pixels=1.2, get_fill_color=[*theme.DOCK, 180], pickable=False)))
    paths = berth_paths(port)
    if paths:
        layers.append(_spec(pdk.Layer(
            "PathLayer", [{"path": p} for p in paths.values()], id=BERTHS, get_path="path",
            get_color=[*theme.BERTH_FREE, 200], width_units="pixels", get_width=2,
            cap_rounded=True, pickable=False)))
    places = place_labels(port)
    if places:
        # the port package's own names, so the map reads from across a room, on a dark
        # plate to stand out from land and water alike
        layers.append(_spec(pdk.Layer(
            "TextLayer", places, id=PLACE_LABELS, get_position="position", get_text="text",
            get_size=14, size_units="pixels", get_color=[230, 237, 245, 235],
            font_family="PortTwin Sans, sans-serif", character_set="auto",
            background=True, get_background_color=[8, 24, 42, 200],
            background_padding=[4, 2], billboard=True, pickable=False)))
    return layers


PLACE_LABELS = "place-labels"
DECLUTTER_M = 1500.0


def place_labels(port, max_labels: int = 60) -> list[dict]:
    """One label per named terminal (the largest first, at a point inside it), at most
    ``max_labels``: names, not every berth — 490 berth names over New York would hide the
    water."""
    terminals = port.layer("terminals")
    if terminals is None or not len(terminals) or "name" not in terminals:
        return []
    named = terminals[terminals["name"].notna() & (terminals["name"].astype(str).str.strip() != "")]
    if not len(named):
        return []
    from pyproj import Geod
    geod = Geod(ellps="WGS84")
    area = pd.Series(shapely.area(np.asarray(named.geometry.values, dtype=object)),
                     index=named.index)       # degrees²: only to order them
    out, seen = [], set()
    for i in area.sort_values(ascending=False).index:
        name = str(named.loc[i, "name"]).strip()
        if name in seen:
            continue
        seen.add(name)
        p = named.loc[i, "geometry"].representative_point()
        # decluttered: none within 1.5 km of a larger terminal's label
        if any(geod.inv(p.x, p.y, *o["position"])[2] < DECLUTTER_M for o in out):
            continue
        out.append({"text": name, "position": [round(p.x, 6), round(p.y, 6)]})
        if len(out) >= max_labels:
            break
    return out


TERMINALS = "terminals"                # terminal areas on land, extruded
TERMINALS_FLAT = "terminals-water"     # the parts of terminal areas over water, flat
MIN_PART_DEG2 = 1e-9                   # ≈ 10 m²: slivers left by clipping are dropped


def terminal_parts(port) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The terminals layer split against the package's land: (the parts on land, the parts
    over water), each row keeping its terminal's name and operator. Without a land layer
    nothing is known to be land, so all is drawn flat. Computed once per port (the layers of
    a package do not change while it is loaded)."""
    cached = getattr(port, "_terminal_parts", None)
    if cached is not None:
        return cached
    terminals = port.layer("terminals")
    empty = gpd.GeoDataFrame({"name": [], "operator": []}, geometry=[], crs="EPSG:4326")
    if terminals is None or not len(terminals):
        parts = (empty, empty)
    else:
        land = port.layer("land")
        geoms = shapely.make_valid(np.asarray(terminals.geometry.values, dtype=object))
        if land is None or not len(land):
            on, off = np.full(len(geoms), None, dtype=object), geoms
        else:
            shore = shapely.union_all(shapely.make_valid(
                np.asarray(land.geometry.values, dtype=object)))
            shapely.prepare(shore)
            on = shapely.intersection(geoms, shore)
            off = shapely.difference(geoms, shore)
        parts = (_polygonal(terminals, on), _polygonal(terminals, off))
    port._terminal_parts = parts
    return parts


def _polygonal(terminals, geoms) -> gpd.GeoDataFrame:
    """The rows whose geometry keeps some area, with only its polygons (clipping leaves lines
    and points where a terminal touches the shore)."""
    keep, out = [], []
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        polys = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")
                 and p.area > MIN_PART_DEG2]
        if polys:
            keep.append(i)
            out.append(polys[0] if len(polys) == 1 else shapely.multipolygons(
                [q for p in polys for q in shapely.get_parts(p)]))
    cols = [c for c in ("name", "operator") if c in terminals.columns]
    rows = terminals.iloc[keep][cols].reset_index(drop=True)
    return gpd.GeoDataFrame(rows, geometry=out, crs="EPSG:4326")


TRACK = "track"                  # the vessels page: a ship's last 24 h
TRACK_HEAD = "track-head"


def track_layers() -> list[dict]:
    """The vessels page's small map: the selected ship's track and where it is now."""
    return [
        _spec(pdk.Layer("PathLayer", [], id=TRACK, get_path="path",
                        get_color=[*theme.TRAIL, 220], width_units="pixels", get_width=2.5,
                        joint_rounded=True, cap_rounded=True, pickable=False)),
        _spec(pdk.Layer("ScatterplotLayer", [], id=TRACK_HEAD, get_position="position",
                        get_fill_color="color", get_line_color=list(theme.SELECTED),
                        stroked=True, line_width_min_pixels=2, get_radius=60,
                        radius_min_pixels=7, pickable=False)),
    ]


def track_data(points: list, category: str) -> dict:
    """``layer_data`` of the track layers from [(ts, lon, lat)]."""
    colour = theme.CATEGORY_COLOURS.get(category, theme.CATEGORY_COLOURS["unknown"])
    path = [[x, y] for _, x, y in points]
    return {TRACK: [{"path": path}] if len(path) > 1 else [],
            TRACK_HEAD: [{"position": path[-1], "color": [*colour, 255]}] if path else []}


def berth_paths(port) -> dict[str, list]:
    """berth id -> its quay line as [[lon, lat], …] (the first part of a multi-line)."""
    berths = port.layer("berths")
    if berths is None:
        return {}
    out = {}
    for ident, geom in zip(berths["id"].astype(str), berths.geometry):
        if geom is None or geom.is_empty:
            continue
        line = geom.geoms[0] if hasattr(geom, "geoms") else geom
        out[ident] = [[round(x, 6), round(y, 6)] for x, y in line.coords]
    return out


def port_activity_layers(paths: dict, berth_status: dict, categories: dict,
                         queue_by_anchorage: dict, anchorage_centres: dict) -> dict:
    """``layer_data`` of the live port layers: occupied berths in the occupant's ship-type
    colour; each anchorage with a queue, the number waiting under its name."""
    occupied = []
    for berth, (mmsi, _since) in berth_status.items():
        if berth in paths:
            colour = theme.CATEGORY_COLOURS.get(categories.get(mmsi, "unknown"),
                                                theme.CATEGORY_COLOURS["unknown"])
            occupied.append({"path": paths[berth], "color": [*colour, 255]})
    labels = [{"position": anchorage_centres[a], "text": f"[{n}]"}
              for a, n in queue_by_anchorage.items() if a in anchorage_centres and n]
    return {BERTHS_OCCUPIED: occupied, ANCHORAGE_QUEUE: labels}


def feed_layers(dark: list, stations: list) -> dict:
    """``layer_data`` of the other feeds: dark radar targets (radar tracks without AIS) and
    the hydro-met stations labelled with their water level now (observed, else predicted)."""
    dark_rows = [{"position": [d.lon, d.lat], "target": d.target} for d in dark]
    st = [s for s in stations if s["lon"] is not None]
    labels = []
    for s in st:
        level = s["observed_m"] if s["observed_m"] is not None else s["predicted_m"]
        if level is not None:
            labels.append({"position": [s["lon"], s["lat"]],
                           "text": f"{level:+.2f} m" + ("" if s["observed_m"] is not None
                                                        else "*")})
    return {DARK_TARGETS: dark_rows,
            TIDE_STATIONS: [{"position": [s["lon"], s["lat"]]} for s in st],
            TIDE_LABELS: labels}


def anchorage_centres(port) -> dict:
    anchorages = port.layer("anchorages")
    if anchorages is None:
        return {}
    pts = anchorages.geometry.representative_point()
    return {str(a): [p.x, p.y] for a, p in zip(anchorages["id"], pts)}


def port_activity_layer_specs() -> list[dict]:
    return [
        _spec(pdk.Layer("ScatterplotLayer", [], id=TIDE_STATIONS, get_position="position",
                        radius_units="pixels", get_radius=7, stroked=True, filled=True,
                        get_fill_color=[*theme.TIDE_STATION, 200], get_line_color=[255, 255, 255,
                                                                                  255],
                        line_width_units="pixels", get_line_width=1.5, pickable=False)),
        _spec(pdk.Layer("TextLayer", [], id=TIDE_LABELS, get_position="position",
                        get_text="text", get_size=13, get_pixel_offset=[0, -18],
                        get_color=[*theme.TIDE_STATION, 255], font_family="sans-serif",
                        billboard=True, pickable=False)),
        _spec(pdk.Layer("ScatterplotLayer", [], id=DARK_TARGETS, get_position="position",
                        radius_units="pixels", get_radius=9, stroked=True, filled=False,
                        get_line_color=[*theme.DARK_TARGET, 255], line_width_units="pixels",
                        get_line_width=3, pickable=False)),
        _spec(pdk.Layer("PathLayer", [], id=BERTHS_OCCUPIED, get_path="path",
                        get_color="color", width_units="pixels", get_width=6,
                        cap_rounded=True, pickable=False)),
        _spec(pdk.Layer("TextLayer", [], id=ANCHORAGE_QUEUE, get_position="position",
                        get_text="text", get_size=14, get_pixel_offset=[0, 18],
                        get_color=[*theme.QUEUE, 255], font_family="sans-serif",
                        billboard=True, pickable=False)),
    ]


def vessel_layers() -> list[dict]:
    """The live layers with no data yet; data arrives through ``layer_data``."""
    return [
        _spec(pdk.Layer("PathLayer", [], id=TRAILS, width_units="pixels", get_width=1.5,
                        joint_rounded=True, cap_rounded=True, _path_type="open",
                        pickable=False)),
        _spec(pdk.Layer("ScatterplotLayer", [], id=MARKERS, radius_units="meters",
                        radius_min_pixels=3.5, radius_max_pixels=8, stroked=True,
                        line_width_min_pixels=1, get_line_color=[11, 22, 34, 255],
                        pickable=True)),
        _spec(pdk.Layer("SolidPolygonLayer", [], id=VESSELS, filled=True, extruded=False,
                        _normalize=False, pickable=True)),
        _spec(pdk.Layer("ScatterplotLayer", [], id=STATIONS, radius_units="pixels",
                        get_radius=5, stroked=True, line_width_units="pixels", get_line_width=1.5,
                        pickable=False)),
        _spec(pdk.Layer("ScatterplotLayer", [], id=ALERT_RINGS, radius_units="pixels",
                        get_radius=24, filled=False, stroked=True, line_width_units="pixels",
                        get_line_width=4, get_line_color="color", pickable=False)),
        _spec(pdk.Layer("ScatterplotLayer", [], id=SELECTION, radius_units="pixels",
                        get_radius=16, filled=False, stroked=True, line_width_units="pixels",
                        get_line_width=2.5, get_line_color=[*theme.SELECTED, 255],
                        pickable=False)),
    ]


def vessel_colours(df: pd.DataFrame, mode: str) -> np.ndarray:
    """RGBA per vessel: by ship-type group or by activity; stale vessels are dimmed."""
    palette, column = ((theme.ACTIVITY_COLOURS, "activity") if mode == "status"
                       else (theme.CATEGORY_COLOURS, "category"))
    fallback = palette.get("unknown", (200, 200, 200))
    rgba = np.full((len(df), 4), 255, dtype=np.uint8)
    rgba[:, :3] = [palette.get(k, fallback) for k in df[column]] if len(df) else fallback
    rgba[df["age_s"].to_numpy() > 600, 3] = 110  # silent > 10 min: drawn faint
    return rgba


def _hull_offsets(df: pd.DataFrame):
    """Bow/stern/port/starboard distances from the reported position, in metres.

    AIS gives them (to_bow … from the antenna); a feed with only length and beam (MarineCadastre)
    places the position at the hull centre. A known length with no beam gets a typical 1:6 beam
    so the hull is still drawn to length."""
    half_l, half_w = df["length"].to_numpy() / 2.0, df["width"].to_numpy() / 2.0
    half_w = np.where(np.isnan(half_w), half_l / 6.0, half_w)
    offsets = [df[c].to_numpy(dtype=float) for c in ("to_bow", "to_stern", "to_port",
                                                      "to_starboard")]
    known = ~np.isnan(np.column_stack(offsets)).any(axis=1)
    known &= (offsets[0] + offsets[1]) > 0
    bow, stern, port, stbd = (np.where(known, o, h)
                              for o, h in zip(offsets, (half_l, half_l, half_w, half_w)))
    return bow, stern, port, stbd


@dataclass
class VesselLayers:
    """One refresh of the live layers: ``data`` for ``layer_data``, ``order`` the MMSI at each
    index of each pickable layer (kept server-side to resolve clicks)."""

    data: dict
    order: dict


def stations_layer(stations: pd.DataFrame) -> dict:
    """Aids to navigation (yellow; orange when a floating aid reports itself off position;
    hollow when virtual) and base stations (pale blue)."""
    n = len(stations)
    fill = np.zeros((n, 4), dtype=np.uint8)
    line = np.full((n, 4), 255, dtype=np.uint8)
    if n:
        aton = (stations["kind"] == "aton").to_numpy()
        off = stations["off_position"].fillna(False).astype(bool).to_numpy()
        virtual = stations["virtual"].fillna(False).astype(bool).to_numpy()
        colour = np.where(aton[:, None], np.where(off[:, None], theme.ATON_OFF, theme.ATON),
                          theme.BASE_STATION)
        fill[:, :3] = colour
        fill[:, 3] = np.where(virtual, 0, 255)
        line[:, :3] = colour
    return binary_data(length=n, attributes={
        "getPosition": stations[["lon", "lat"]].to_numpy(dtype=float).astype(np.float32)
        if n else np.zeros((0, 2), np.float32),
        "getFillColor": fill, "getLineColor": line})


def alert_layer(df: pd.DataFrame, highlighted: dict[int, str]) -> dict:
    """Binary data for the alert rings: every vessel with an open alert, coloured by the most
    severe one."""
    rows = df.loc[df["mmsi"].isin(list(highlighted)), ["mmsi", "lon", "lat"]]
    colours = np.array([[*theme.ALERT_COLOURS[highlighted[int(m)]], 255] for m in rows["mmsi"]],
                       dtype=np.uint8).reshape(-1, 4)
    return binary_data(length=len(rows), attributes={
        "getPosition": rows[["lon", "lat"]].to_numpy().astype(np.float32),
        "getLineColor": colours})


def selection_layer(df: pd.DataFrame, mmsi: int | None) -> dict:
    """Binary data for the selection ring: the selected vessel's position, or nothing."""
    rows = df.loc[df["mmsi"] == mmsi, ["lon", "lat"]] if mmsi is not None else df.iloc[:0]
    return binary_data(length=len(rows),
                       attributes={"getPosition": rows.to_numpy().astype(np.float32)})


# Trail points sent with one map update, at most. The NY/NJ hour's 20-minute trails are ~20,000
# points, sent whole; 50,000 vessels' trails at AIS rates are millions (≈ 24 MB as float32
# base64), so past this each trail keeps every k-th point, counted back from its newest (the
# head stays joined to the vessel) plus its first: the same shape, fewer vertices.
TRAIL_POINTS_MAX = 100_000


def thin_trails(lonlat: np.ndarray, starts: np.ndarray, max_points: int = TRAIL_POINTS_MAX):
    """Every k-th point of each trail (and its first and last), with the smallest k that keeps
    the points within ``max_points`` (each trail keeps at least its first and last, so with
    more than ``max_points / 2`` trails that is the floor); trails already within it come back
    as they are."""
    n = len(lonlat)
    if n <= max_points or not len(starts):
        return lonlat, starts
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.diff(np.append(starts, n))

    def kept(k: int) -> int:     # every k-th from the newest, plus the first if off that grid
        return int((-(-lengths // k)).sum() + ((lengths - 1) % k != 0).sum())
    lo, hi = -(-n // max_points), max(1, int(lengths.max()))
    while lo < hi:                                      # kept(k) falls as k grows
        mid = (lo + hi) // 2
        if kept(mid) <= max_points:
            hi = mid
        else:
            lo = mid + 1
    k = lo
    j = np.arange(n) - np.repeat(starts, lengths)          # index within the trail
    from_end = np.repeat(lengths - 1, lengths) - j
    keep = (from_end % k == 0) | (j == 0)
    counts = np.add.reduceat(keep.astype(np.int64), starts)
    new_starts = np.zeros(len(starts), dtype=np.uint32)
    np.cumsum(counts[:-1], out=new_starts[1:])
    return lonlat[keep], new_starts


# Vessels drawn to scale in one map update, at most: the longest first; the others are drawn as
# markers, as vessels of unknown size are. A port's own traffic is far below it (NY/NJ hour:
# ~280); at fleet scale (50,000 in one view) a hull under 100 m is one or two pixels at the
# wall's zoom, and 50,000 hulls were 2.1 MB of the 3.8 MB compressed map update (bench scale).
FOOTPRINTS_MAX = 10_000


def footprint_rows(df: pd.DataFrame, max_rows: int = FOOTPRINTS_MAX) -> np.ndarray:
    """Which rows get a to-scale hull: a known length and course, and among those the
    ``max_rows`` longest (ties: the table's order)."""
    sized = (df["length"].to_numpy() > 0) & ~np.isnan(df["course"].to_numpy())
    if sized.sum() > max_rows:
        length = np.where(sized, df["length"].to_numpy(), -1.0)
        keep = np.argsort(-length, kind="stable")[:max_rows]
        sized = np.zeros(len(df), dtype=bool)
        sized[keep] = True
    return sized


def build_vessel_layers(df: pd.DataFrame, trails=None, mode: str = "type",
                        stations: pd.DataFrame | None = None) -> VesselLayers:
    """Binary layer data for the vessel footprints, markers, trails and fixed stations."""
    colours = vessel_colours(df, mode)
    lon, lat = df["lon"].to_numpy(), df["lat"].to_numpy()
    mmsi = df["mmsi"].to_numpy()

    sized = footprint_rows(df)
    fp_df = df.loc[sized]
    bow, stern, port, stbd = _hull_offsets(fp_df)
    rings = footprints(fp_df["lon"], fp_df["lat"], fp_df["course"], bow, stern, port, stbd)
    n = len(fp_df)
    data = {
        VESSELS: binary_data(
            length=n,
            start_indices=np.arange(n, dtype=np.uint32) * VERTICES,
            attributes={
                "getPolygon": rings.reshape(-1, 2).astype(np.float32),
                "getFillColor": np.repeat(colours[sized], VERTICES, axis=0),
            }),
        MARKERS: binary_data(
            length=len(df),
            attributes={
                "getPosition": np.column_stack([lon, lat]).astype(np.float32),
                "getFillColor": colours,
                # Footprint vessels get a small dot (visible when zoomed out), others a marker.
                "getRadius": np.where(sized, 4.0, 30.0).astype(np.float32),
            }),
    }
    if trails is not None:
        lonlat, starts, trail_mmsi = trails
        lonlat, starts = thin_trails(lonlat, starts)
        # each trail's vessel row (-1: a trail of a vessel not drawn)
        trail_mmsi = np.asarray(trail_mmsi, dtype=np.int64)
        idx = np.full(len(trail_mmsi), -1, dtype=np.int64)
        if len(mmsi) and len(trail_mmsi):
            sorter = np.argsort(mmsi, kind="stable")
            pos = np.minimum(np.searchsorted(mmsi, trail_mmsi, sorter=sorter), len(mmsi) - 1)
            rows = sorter[pos]
            idx = np.where(mmsi[rows] == trail_mmsi, rows, -1)
        lengths = np.diff(np.append(starts, len(lonlat))).astype(np.int64)
        trail_rgba = np.where(idx[:, None] >= 0, colours[np.maximum(idx, 0)],
                              np.array([*theme.TRAIL, 255], np.uint8)).astype(np.uint8)
        trail_rgba[:, 3] = 150
        data[TRAILS] = binary_data(
            length=len(starts), start_indices=starts,
            attributes={"getPath": lonlat.astype(np.float32),
                        "getColor": np.repeat(trail_rgba, lengths, axis=0)})
    if stations is not None:
        data[STATIONS] = stations_layer(stations)
    return VesselLayers(data=data, order={VESSELS: mmsi[sized].tolist(), MARKERS: mmsi.tolist()})


def build_vessel_layer_pydeck_json(df: pd.DataFrame, mode: str = "type") -> str:
    """The same footprints the plain pydeck way: a DataFrame of polygons serialised to JSON.

    Each row carries its identity (MMSI, name) so a click can be resolved in the browser. Kept
    as the comparison path for ``python app.py bench map``; the app uses the binary path.
    """
    colours = vessel_colours(df, mode)
    sized = (df["length"].to_numpy() > 0) & ~np.isnan(df["course"].to_numpy())
    fp_df = df.loc[sized]
    bow, stern, port, stbd = _hull_offsets(fp_df)
    rings = footprints(fp_df["lon"], fp_df["lat"], fp_df["course"], bow, stern, port, stbd)
    records = pd.DataFrame({
        "mmsi": fp_df["mmsi"].to_numpy(),
        "name": fp_df["name"].to_numpy(),
        "polygon": list(rings.tolist()),
        "color": colours[sized].tolist(),
    })
    layer = pdk.Layer("PolygonLayer", records, id=VESSELS, get_polygon="polygon",
                      get_fill_color="color", pickable=True)
    return layer.to_json()
