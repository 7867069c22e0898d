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
    if layer in REQUIRED_LAYERS and not features:
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
            measured = _length_m(geom)
            if measured > 0 and abs(measured - props["length_m"]) > max(10.0, 0.1 * measured):
                err(file, f"length_m {props['length_m']} but the quay line is {measured:.0f} m",
                    where, "length_m", level="warning")


def _length_m(geom) -> float:
    from pyproj import Geod
    return Geod(ellps="WGS84").geometry_length(geom)
