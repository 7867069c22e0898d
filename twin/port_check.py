"""Validate a port package (``python app.py port check DIR``).

Every problem names the file, the feature (index and id), the field and why, so a person who
edits a package by hand can find it. Errors make the package unusable; warnings are things to
look at (a feature outside the bounds, a quay length that disagrees with its geometry).
"""
from __future__ import annotations

import json
import math
import tomllib
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import shape

POLYGONAL = ("Polygon", "MultiPolygon")
LINEAL = ("LineString", "MultiLineString")

# layer -> (allowed geometry types, required properties, numeric properties (>= 0))
LAYER_SCHEMA = {
    "land": (POLYGONAL, (), ()),
    "port_limits": (POLYGONAL, (), ()),
    "terminals": (POLYGONAL, ("id", "name"), ()),
    "berths": (LINEAL, ("id", "name", "length_m"), ("length_m", "depth_m")),
    "anchorages": (POLYGONAL, ("id", "name"), ("depth_m",)),
    "fairways": (POLYGONAL + LINEAL, ("id", "name"), ("speed_limit_kn", "depth_m")),
    "zones": (POLYGONAL, ("id", "name", "kind"), ("speed_limit_kn",)),
    "docks": (("Point", "MultiPoint"), (), ()),
}
REQUIRED_LAYERS = ("berths", "anchorages")
ZONE_KINDS = ("restricted", "speed", "pilot_boarding")
WGS84_NAMES = ("urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326", "EPSG:4326",
               "OGC:CRS84")


@dataclass(frozen=True)
class Problem:
    level: str          # "error" or "warning"
    file: str
    feature: str        # "" for the file itself, else "#index (id)"
    field: str
    why: str

    def __str__(self) -> str:
        where = ":".join(p for p in (self.file, self.feature, self.field) if p)
        return f"{self.level}: {where}: {self.why}"


def check_package(path: str | Path) -> list[Problem]:
    path = Path(path)
    problems: list[Problem] = []

    def err(file, why, feature="", field="", level="error"):
        problems.append(Problem(level, str(file), feature, field, why))

    toml_path = path / "port.toml"
    if not toml_path.is_file():
        err(toml_path, "missing: every port package needs port.toml")
        return problems
    try:
        meta = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        err(toml_path, f"not valid TOML: {exc}")
        return problems
    for key in ("name", "locode", "timezone", "bounds"):
        if key not in meta:
            err(toml_path, "required key missing", field=key)
    if "timezone" in meta:
        try:
            zoneinfo.ZoneInfo(str(meta["timezone"]))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            err(toml_path, f"unknown time zone {meta['timezone']!r} (IANA name, e.g. "
                           "'Asia/Shanghai')", field="timezone")
    bounds = meta.get("bounds")
    if bounds is not None:
        ok = (isinstance(bounds, list) and len(bounds) == 4
              and all(isinstance(v, (int, float)) for v in bounds))
        if not ok or not (-180 <= bounds[0] < bounds[2] <= 180 and -90 <= bounds[1] < bounds[3] <= 90):
            err(toml_path, "must be [west, south, east, north] in degrees, west < east, "
                           "south < north", field="bounds")
            bounds = None
    if "locode" in meta and not (isinstance(meta["locode"], str) and len(meta["locode"]) == 5):
        err(toml_path, "UN/LOCODE has 5 characters (country + place, e.g. CNSHA)",
            field="locode")

    _check_tide_stations(path, toml_path, meta.get("tide_stations", []), err)

    layers = meta.get("layers", {})
    for layer in REQUIRED_LAYERS:
        if layer not in layers:
            err(toml_path, f"layer '{layer}' is required", field=f"layers.{layer}")
    for layer, filename in layers.items():
        if layer not in LAYER_SCHEMA:
            err(toml_path, f"unknown layer (known: {', '.join(LAYER_SCHEMA)})",
                field=f"layers.{layer}", level="warning")
            continue
        file = path / filename
        if not file.is_file():
            err(file, f"layer '{layer}' is listed in port.toml but the file is absent")
            continue
        _check_layer(layer, file, bounds, err)
    return problems


def _check_tide_stations(path: Path, toml_path: Path, stations, err) -> None:
    """Every listed tide station needs harmonic constants, in the package
    (``harmonics/noaa_<id>.json``) or bundled: without them the app cannot predict its tide."""
    from .tide import harmonics_file
    if not isinstance(stations, list):
        err(toml_path, "must be a list of station ids, e.g. [\"9447130\"]",
            field="tide_stations")
        return
    for station in stations:
        if harmonics_file(str(station), path) is None:
            err(toml_path, f"tide station {station} has no harmonics: put NOAA's harmonic "
                           f"constants in {path / 'harmonics' / f'noaa_{station}.json'} (or the "
                           "bundled data/hydromet/harmonics), or remove the station",
                field="tide_stations")


def _check_layer(layer: str, file: Path, bounds, err) -> None:
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        err(file, f"not UTF-8 text: {exc}")
        return
    except json.JSONDecodeError as exc:
        err(file, f"broken GeoJSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
        return
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        err(file, "not a GeoJSON FeatureCollection")
        return
    crs = (doc.get("crs") or {}).get("properties", {}).get("name")
    if crs is not None and crs not in WGS84_NAMES:
        err(file, f"CRS {crs} is not WGS84 lon/lat (GeoJSON must be RFC 7946 / EPSG:4326; "
                  "reproject, e.g. ogr2ogr -t_srs EPSG:4326)", field="crs")
        return
    types, required, numeric = LAYER_SCHEMA[layer]
    seen_ids: dict = {}
    features = doc.get("features") or []
    if layer == "anchorages" and not features:
        err(file, "no anchorages: a stop in open water will be 'other' (give the regulation's "
                  "or learn them with port init --learn-from)", level="warning")
    elif layer in REQUIRED_LAYERS and not features:
        err(file, f"layer '{layer}' has no features")
    for i, feature in enumerate(features):
        props = (feature or {}).get("properties") or {}
        ident = props.get("id")
        where = f"#{i}" + (f" ({ident})" if ident is not None else "")
        for name in required:
            if props.get(name) in (None, ""):
                err(file, "required property missing or empty", where, name)
        for name in numeric:
            value = props.get(name)
            if value is None:
                continue
            if not isinstance(value, (int, float)) or isinstance(value, bool) \
                    or math.isnan(value) or value < 0:
                err(file, f"must be a number >= 0, got {value!r}", where, name)
        if layer == "zones" and props.get("kind") not in (None, "") + ZONE_KINDS:
            err(file, f"kind must be one of {', '.join(ZONE_KINDS)}", where, "kind")
        if ident is not None:
            if ident in seen_ids:
                err(file, f"duplicate id (also feature #{seen_ids[ident]})", where, "id")
            seen_ids.setdefault(ident, i)
        geometry = (feature or {}).get("geometry")
        if not geometry:
            err(file, "no geometry", where, "geometry")
            continue
        if geometry.get("type") not in types:
            err(file, f"geometry {geometry.get('type')} where {' or '.join(types)} is expected",
                where, "geometry")
            continue
        try:
            geom = shape(geometry)
        except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException) as exc:
            err(file, f"unreadable geometry: {exc}", where, "geometry")
            continue
        if geom.is_empty:
            err(file, "empty geometry", where, "geometry")
            continue
        if not geom.is_valid:
            err(file, f"invalid geometry: {shapely.is_valid_reason(geom)} (shapely make_valid "
                      "or QGIS 'Fix geometries' repairs it)", where, "geometry")
        west, south, east, north = geom.bounds
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            err(file, "coordinates are not lon/lat degrees (projected data? reproject to "
                      "EPSG:4326)", where, "geometry")
            continue
        if bounds and not shapely.box(*bounds).intersects(geom):
            err(file, "outside the package bounds", where, "geometry", level="warning")
        if layer == "berths" and isinstance(props.get("length_m"), (int, float)):
            # a berth of several quay lines (the derived one and where ships lie, from AIS):
            # its length is its longest line's
            measured = max(_length_m(g) for g in getattr(geom, "geoms", [geom]))
            if measured > 0 and abs(measured - props["length_m"]) > max(10.0, 0.1 * measured):
                err(file, f"length_m {props['length_m']} but the quay line is {measured:.0f} m",
                    where, "length_m", level="warning")


def _length_m(geom) -> float:
    from pyproj import Geod
    return Geod(ellps="WGS84").geometry_length(geom)


# ---- coverage: does the package know the places where a history's ships stop? ---------
@dataclass
class Coverage:
    """``port check DIR --history FILE …``: the history's stops (the port-call tracker's own stop
    detector, ``twin.port_learn.history_stops``) inside the port limits, how many lie at a named
    berth or anchorage, and the others ("stops at no known place") with the nearest named place,
    so the package can be improved (hand edits, or ``port init --learn-from``)."""
    files: list
    stops: int = 0               # stops inside the port limits
    outside: int = 0             # stops outside them (not the package's business)
    at_berth: int = 0
    at_anchorage: int = 0
    unknown: list = None         # dicts: mmsi, start, end, lon, lat, nearest, distance_m

    @property
    def named(self) -> int:
        return self.at_berth + self.at_anchorage

    @property
    def share(self) -> float | None:
        return self.named / self.stops if self.stops else None

    def lines(self) -> list[str]:
        share = "n/a" if self.share is None else f"{self.share:.1%}"
        out = [f"coverage: {self.stops} stops of the history inside the port limits "
               f"({self.outside} outside), {self.named} ({share}) at a named place: "
               f"{self.at_berth} at berths, {self.at_anchorage} in anchorages "
               f"[{', '.join(Path(f).name for f in self.files)}]"]
        for u in self.unknown or []:
            out.append(
                f"stop at no known place: mmsi {u['mmsi']} {u['start']} .. {u['end']} "
                f"({u['minutes']:.0f} min) at {u['lat']:.5f}, {u['lon']:.5f}; nearest named "
                f"place: {u['nearest']} ({u['distance_m']:.0f} m)")
        return out


def check_coverage(path: str | Path, files, rules=None) -> Coverage:
    """Coverage of a package by a position history (see ``Coverage``)."""
    import numpy as np

    from .port import Port
    from .port_learn import history_stops, read_history
    port = Port.load(path)
    geometry = port.geometry
    fixes, static = read_history(files, port.bounds)
    stops = history_stops(fixes, geometry, static, rules)
    cov = Coverage(files=[str(f) for f in files], unknown=[])
    if not len(stops):
        return cov
    where = geometry.locate(stops["lon"].to_numpy(float), stops["lat"].to_numpy(float))
    inside = stops[where["in_port"]]
    cov.outside = int(len(stops) - len(inside))
    cov.stops = int(len(inside))
    cov.at_berth = int((inside["kind"] == "berth").sum())
    cov.at_anchorage = int((inside["kind"] == "anchorage").sum())
    rest = inside[~inside["kind"].isin(["berth", "anchorage"])]
    places = [("berth", r) for r in geometry.berths.itertuples()] + \
             [("anchorage", r) for r in geometry.anchorages.itertuples()]
    tree = shapely.STRtree([r.geometry for _, r in places]) if places else None
    x, y = geometry.to_metres(rest["lon"].to_numpy(float), rest["lat"].to_numpy(float))
    for (_, s), px, py in zip(rest.iterrows(), x, y):
        nearest, dist = "none", float("nan")
        if tree is not None:
            p = shapely.Point(px, py)
            kind, r = places[int(tree.nearest(p))]
            nearest, dist = f"{kind} {r.id} {getattr(r, 'name', '')!r}", r.geometry.distance(p)
        cov.unknown.append({
            "mmsi": int(s["mmsi"]), "start": _iso(s["start"]), "end": _iso(s["end"]),
            "minutes": (s["end"] - s["start"]) / 60, "lon": float(s["lon"]),
            "lat": float(s["lat"]), "nearest": nearest,
            "distance_m": float(dist) if np.isfinite(dist) else float("nan")})
    return cov


def _iso(ts) -> str:
    from datetime import datetime, timezone
    return datetime.fromtimestamp(float(ts), timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
