"""Build a port package from public source geometry (``python app.py port init``).

Sources a user can get for most ports: a coastline (GSHHG or OSM land polygons), terminal areas
(OSM ``industrial=port``), dock points (USACE Navigation Units or any point layer with an id and
a name) and anchorage polygons (from the port's regulation). From them:

* **berths** — quay segments: each dock point is snapped to the nearest shoreline within
  ``snap_max_m``; its quay runs along the shoreline either side of the snapped point, split
  half-way with its neighbours on the same shore, at most ``quay_half_m`` each way (longer
  inside a terminal, whose shoreline is shared among its docks), and clipped to the terminal
  area (buffered ``terminal_buffer_m``: the quay wall lies at the edge of the OSM polygon).
  Lengths come from the geometry. Every berth says ``derived = true`` and how it was made;
* **port limits** — the convex hull of berths, terminals and anchorages, buffered
  ``limits_buffer_m`` and cut to the bounding box (derived, not the legal limit);
* land, terminals and anchorages clipped to the bounding box, with ``id`` and ``name``
  (anchorages are optional: a port may have none in its regulation);
* with ``--learn-from`` a position history: the berths and anchorages the sources lack, where
  the history's ships stopped (``twin.port_learn``), merged with the derived ones. Provenance on
  every berth and anchorage: ``source`` = ``geometry`` (derived here), ``surveyed`` (taken as
  published: the regulation's anchorages) or ``ais`` (learned), and the history's ``stops`` /
  ``vessels`` at it.

All lengths are computed in the local UTM zone (pyproj), stored in WGS84 lon/lat.
"""
from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import LineString, box
from shapely.ops import substring

WGS84 = "EPSG:4326"


@dataclass
class BuildOptions:
    snap_max_m: float = 300.0          # a dock within this of the shore is snapped to it
    pier_max_m: float = 2000.0         # further, up to this: a quay estimated at the point
    pier_half_m: float = 60.0          # … running this far each way (120 m)
    quay_half_m: float = 150.0         # quay each side of a dock outside terminals (300 m berth)
    terminal_quay_half_m: float = 600.0  # inside a terminal: its shore is shared among docks
    terminal_buffer_m: float = 150.0   # OSM terminal polygon -> the quay wall at its edge
    min_quay_m: float = 30.0           # shorter pieces (a snapped corner) are not berths
    limits_buffer_m: float = 1000.0
    dock_types: tuple = ("Dock",)      # USACE FACILITY_TYPE values that are berths


def _read(path) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(path)
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    return gdf.to_crs(WGS84)


def _first_column(gdf, names, default=None):
    for name in names:
        if name in gdf.columns:
            return gdf[name]
    return pd.Series([default] * len(gdf), index=gdf.index)


def derive_berths(land: gpd.GeoDataFrame, docks: gpd.GeoDataFrame,
                  terminals: gpd.GeoDataFrame | None, opts: BuildOptions,
                  report: list | None = None) -> gpd.GeoDataFrame:
    """Quay segments from dock points (see the module docstring). ``report`` collects one line
    per dock left out and why."""
    report = report if report is not None else []
    utm = land.estimate_utm_crs()
    shore = (land.to_crs(utm).geometry.boundary.explode(index_parts=False)
             .reset_index(drop=True))
    shore = [g for g in shore if isinstance(g, LineString) and g.length > 0]
    tree = shapely.STRtree(shore)

    ids = _first_column(docks, ["id", "NAV_UNIT_ID"]).astype(str)
    names = _first_column(docks, ["name", "NAV_UNIT_NAME"])
    types = _first_column(docks, ["FACILITY_TYPE", "facility_type"], "Dock")
    pts = docks.to_crs(utm).geometry

    terms_utm = None
    if terminals is not None and len(terminals):
        terms_utm = terminals.to_crs(utm).reset_index(drop=True)
        terms_utm["area"] = terms_utm.geometry.buffer(opts.terminal_buffer_m)
        term_names = _first_column(terms_utm, ["name"])

    snapped = []                       # (line index, position along it, dock row, terminal)
    pier_berths = []                   # docks on piers / in basins the shoreline lacks
    for i, (dock_id, name, kind, p) in enumerate(zip(ids, names, types, pts)):
        if kind not in opts.dock_types:
            continue
        if p is None or p.is_empty:
            report.append(f"dock {dock_id}: no geometry")
            continue
        j = tree.nearest(p)
        d = shore[j].distance(p)
        if d > opts.snap_max_m:
            if d > opts.pier_max_m:
                report.append(f"dock {dock_id} ({name}): {d:.0f} m from the shoreline "
                              f"(> {opts.pier_max_m:.0f} m), left out")
            else:
                pier_berths.append(_pier_berth(dock_id, name, p, shore[j], d, opts))
            continue
        terminal = None
        if terms_utm is not None:
            inside = terms_utm.index[terms_utm["area"].contains(p)]
            if len(inside):
                terminal = int(inside[0])
        snapped.append((j, shore[j].project(p), i, terminal, d))

    rows = []
    by_line: dict[int, list] = {}
    for item in snapped:
        by_line.setdefault(item[0], []).append(item)
    for j, items in by_line.items():
        line = shore[j]
        items.sort(key=lambda it: it[1])
        for k, (_, s, i, terminal, d) in enumerate(items):
            half = opts.terminal_quay_half_m if terminal is not None else opts.quay_half_m
            lo, hi = max(0.0, s - half), min(line.length, s + half)
            if k > 0:
                lo = max(lo, (items[k - 1][1] + s) / 2)
            if k + 1 < len(items):
                hi = min(hi, (items[k + 1][1] + s) / 2)
            quay = substring(line, lo, hi)
            if terminal is not None:
                clipped = quay.intersection(terms_utm.at[terminal, "area"])
                quay = _piece_nearest(clipped, line.interpolate(s)) or quay
            if quay.is_empty or quay.length < opts.min_quay_m:
                report.append(f"dock {ids.iloc[i]} ({names.iloc[i]}): quay {quay.length:.0f} m "
                              f"after splitting with neighbours, left out")
                continue
            term_name = None if terminal is None else term_names.iloc[terminal]
            rows.append({
                "id": ids.iloc[i], "name": names.iloc[i],
                "terminal": None if pd.isna(term_name) else term_name,
                "length_m": round(quay.length, 1), "depth_m": None,
                "derived": True, "snap_m": round(d, 1),
                "method": ("USACE dock point snapped to the GSHHG shoreline; quay along the shore "
                           "split with neighbouring docks" +
                           ("; clipped to the OSM terminal area" if terminal is not None else "")),
                "geometry": quay})
    berths = gpd.GeoDataFrame(rows + pier_berths, geometry="geometry", crs=utm)
    return berths.to_crs(WGS84)


def _pier_berth(dock_id, name, point, shore_line: LineString, d: float, opts) -> dict:
    """A dock further from the coarse shoreline than ``snap_max_m`` (a pier, a basin, a ferry
    landing the shoreline does not draw): a quay of ``2 * pier_half_m`` centred on the dock
    point, parallel to the nearest shore. Its length is an estimate and says so."""
    s = shore_line.project(point)
    a = shore_line.interpolate(max(0.0, s - 10))
    b = shore_line.interpolate(min(shore_line.length, s + 10))
    dx, dy = b.x - a.x, b.y - a.y
    norm = (dx * dx + dy * dy) ** 0.5 or 1.0
    ux, uy = dx / norm * opts.pier_half_m, dy / norm * opts.pier_half_m
    quay = LineString([(point.x - ux, point.y - uy), (point.x + ux, point.y + uy)])
    return {"id": str(dock_id), "name": name, "terminal": None,
            "length_m": round(quay.length, 1), "depth_m": None, "derived": True,
            "snap_m": round(d, 1), "length_estimated": True,
            "method": (f"USACE dock point {d:.0f} m from the GSHHG shoreline (a pier or basin "
                       f"it does not draw): {quay.length:.0f} m quay centred on the point, "
                       "parallel to the nearest shore; length estimated"),
            "geometry": quay}


def _piece_nearest(geom, point):
    """The part of a (multi)line nearest to a point."""
    if geom.is_empty:
        return None
    parts = list(getattr(geom, "geoms", [geom]))
    parts = [g for g in parts if isinstance(g, LineString)]
    return min(parts, key=lambda g: g.distance(point)) if parts else None


def derive_port_limits(bbox, berths, terminals, anchorages, opts: BuildOptions):
    parts = [g for gdf in (berths, terminals, anchorages) if gdf is not None
             for g in gdf.geometry if g is not None]
    allg = gpd.GeoSeries(parts, crs=WGS84)
    utm = allg.estimate_utm_crs()
    hull = allg.to_crs(utm).union_all().convex_hull.buffer(opts.limits_buffer_m)
    limits = gpd.GeoSeries([hull], crs=utm).to_crs(WGS84).intersection(box(*bbox))
    return gpd.GeoDataFrame(
        {"id": ["port_limits"], "name": ["Port limits (derived)"], "derived": [True],
         "method": [f"convex hull of berths, terminals and anchorages + "
                    f"{opts.limits_buffer_m:.0f} m, cut to the package bounds"]},
        geometry=list(limits), crs=WGS84)


def _anchorages(gdf) -> gpd.GeoDataFrame:
    gdf = gdf.copy()
    ident = _first_column(gdf, ["id", "anchorage", "name"])
    gdf["id"] = [str(v) if v is not None and not pd.isna(v) else f"A{i + 1}"
                 for i, v in enumerate(ident)]
    if "name" not in gdf.columns:
        gdf["name"] = [f"Anchorage {i}" for i in gdf["id"]]
    return gdf


def _terminals(gdf, report: list) -> gpd.GeoDataFrame:
    """Terminal areas: the polygons (OSM also tags some quay edges as lines: left out)."""
    polygonal = gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    if (~polygonal).any():
        report.append(f"terminals: {int((~polygonal).sum())} features are not areas "
                      f"({', '.join(sorted(set(gdf.geometry.geom_type[~polygonal])))}), left out")
    gdf = gdf[polygonal].copy().reset_index(drop=True)
    if "id" not in gdf.columns:
        gdf["id"] = [f"T{i + 1}" for i in range(len(gdf))]
    names = _first_column(gdf, ["name"])
    ops = _first_column(gdf, ["operator"])
    # an unnamed area is called after its operator, else "Terminal N" (never an OSM id), N
    # skipping the numbers of real terminals ("Terminal 5" of Seattle is not an unnamed pier)
    given = [n if isinstance(n, str) and n.strip() else
             (o if isinstance(o, str) and o.strip() else None) for n, o in zip(names, ops)]
    used, k, out = set(given), 0, []
    for name in given:
        if name is None:
            k += 1
            while f"Terminal {k}" in used:
                k += 1
            name = f"Terminal {k}"
        out.append(name)
    gdf["name"] = out
    return gdf


def _no_anchorages() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": pd.Series([], dtype=str), "name": pd.Series([], dtype=str)},
                            geometry=[], crs=WGS84)


def _draft_port(out: Path, name: str, locode: str, timezone: str, bbox, layers: dict):
    """The package as the sources give it, in memory: what the learning's stop detector runs
    over (port limits = the package bounds, so every stop in the box is seen)."""
    from .port import Port
    port = Port(path=out, name=name, name_zh=name, locode=locode, timezone=timezone,
                bounds=tuple(bbox), view={})
    port.layers = {k: v for k, v in layers.items() if v is not None}
    return port


def _with_source(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Provenance on features taken from the sources: ``geometry`` (derived here) or
    ``surveyed`` (taken as published)."""
    gdf = gdf.copy()
    gdf["source"] = source
    return gdf


def init_package(out: Path, *, name: str, locode: str, timezone: str, bbox, coastline,
                 docks, anchorages=None, terminals=None, name_zh: str | None = None,
                 language: str = "en", tide_stations=(), opts: BuildOptions | None = None,
                 zones=None, learn_from=(), learn_opts=None) -> list[str]:
    """Write a complete port package to ``out``; returns the report (docks left out …).

    ``anchorages`` (the regulation's polygons) is optional. ``learn_from``: position files
    (MarineCadastre CSV, tracktable .traj, NMEA) whose stops add the berths and anchorages the
    sources lack (``twin.port_learn``); every feature then says where it came from
    (``source = geometry | surveyed | ais``) and how many of the history's stops lie at it."""
    opts = opts or BuildOptions()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    area = box(*bbox)
    land = _read(coastline).clip(area)
    land = land[~land.geometry.is_empty]
    dock_pts = _read(docks).clip(area)
    anch = _anchorages(_read(anchorages).clip(area)) if anchorages else _no_anchorages()
    report: list[str] = []
    terms = _terminals(_read(terminals).clip(area), report) if terminals else None
    berths = derive_berths(land, dock_pts, terms, opts, report)

    learned = None
    if learn_from:
        from collections import Counter

        from .port_learn import learn, read_history
        rejects: Counter = Counter()
        fixes, static = read_history(learn_from, bbox, rejects)
        if any(rejects.values()):
            report.append("history: skipped " + ", ".join(
                f"{n:,} {why}" for why, n in sorted(rejects.items()) if n))
        draft = _draft_port(out, name, locode, timezone, bbox,
                            {"land": land, "berths": berths, "anchorages": anch,
                             "terminals": terms})
        types = _first_column(dock_pts, ["FACILITY_TYPE", "facility_type"], "Dock")
        dock_ids = set(_first_column(dock_pts, ["id", "NAV_UNIT_ID"]).astype(str)[
            types.isin(opts.dock_types)])
        learned = learn(fixes, static, draft, land=land, docks=dock_pts, terminals=terms,
                        opts=learn_opts, left_out_docks=dock_ids - set(berths["id"].astype(str)))
        report.extend(learned.report)
    if learned is not None:                    # derived + learned, merged, with provenance
        berths, anch = learned.berths, learned.anchorages
    else:
        berths = _with_source(berths, "geometry")
        anch = _with_source(anch, "surveyed")
    if not len(anch):
        report.append("anchorages: none given and none learned (a stop in open water will be "
                      "'other')")
    limits = derive_port_limits(bbox, berths, terms, anch, opts)

    layers = {"land": land, "anchorages": anch, "berths": berths, "port_limits": limits}
    if terms is not None:
        layers["terminals"] = terms
    if zones:                                  # regulated areas, taken as they are
        layers["zones"] = _read(zones).clip(area).reset_index(drop=True)
    files = {}
    for layer, gdf in layers.items():
        file = f"{layer}.geojson"
        path = out / file
        if path.exists():
            path.chmod(0o644)
            path.unlink()
        gdf.to_file(path, driver="GeoJSON")
        files[layer] = file
    west, south, east, north = bbox
    view = {"longitude": round((west + east) / 2, 4), "latitude": round((south + north) / 2, 4),
            "zoom": 11.6, "pitch": 50, "bearing": 0}
    kept, old_layers = "", {}
    if (out / "port.toml").is_file():          # re-running init keeps a hand-set camera …
        old_text = (out / "port.toml").read_text(encoding="utf-8")
        old_meta = tomllib.loads(old_text)
        view.update(old_meta.get("view", {}))
        old_layers = old_meta.get("layers", {})
        kept = _tables_not_written(old_text)   # … and the tables it does not write
    for layer, file in old_layers.items():     # a layer added by hand (fairways …) stays
        if layer not in files and (out / file).is_file():
            files[layer] = file
    toml = [
        f"# {name} — port package made by `python app.py port init`. Sources: see SOURCES.md",
        f"name = {json.dumps(name)}",
        f"name_zh = {json.dumps(name_zh or name, ensure_ascii=False)}",
        f"locode = {json.dumps(locode)}",
        f"timezone = {json.dumps(timezone)}",
        f"language = {json.dumps(language)}",
        "# west, south, east, north (WGS84)",
        f"bounds = [{west}, {south}, {east}, {north}]",
        f"tide_stations = {json.dumps(list(tide_stations))}",
        "",
        "[units]",
        'length = "m"',
        'speed = "kn"',
        "",
        "[view]                 # the wall's 3D camera",
        *[f"{key} = {value}" for key, value in view.items()],
        "",
        "[layers]",
        *[f'{layer} = "{file}"' for layer, file in files.items()],
        "",
    ]
    if learned is not None:
        toml += ["[learned]              # port init --learn-from: the AIS history behind the "
                 "source = \"ais\" features",
                 f"history = {json.dumps([Path(p).name for p in learn_from])}",
                 *[f"{key} = {json.dumps(value)}" for key, value in learned.summary.items()
                   if value is not None],
                 ""]
    if kept:
        toml.append(kept)
    (out / "port.toml").write_text("\n".join(toml), encoding="utf-8")
    return report


# port.toml tables that init writes; every other table (replay, history, throughput, tour,
# scorecard …, set by hand) is carried over verbatim when init runs again
WRITTEN_TABLES = ("units", "view", "layers", "learned")
_TABLE = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_-]+)")


def _tables_not_written(text: str) -> str:
    """The text of the tables of an existing port.toml that init does not write, each with
    the comment lines just above its header."""
    chunks, current, root = [], [], None
    for line in text.splitlines():
        m = _TABLE.match(line)
        if m:
            lead = []                          # comments right above a header go with it
            while current and (current[-1].lstrip().startswith("#") or not current[-1].strip()):
                lead.insert(0, current.pop())
            chunks.append((root, current))
            current, root = lead + [line], m.group(1)
        else:
            current.append(line)
    chunks.append((root, current))
    kept = [lines for name, lines in chunks if name is not None and name not in WRITTEN_TABLES]
    return "\n".join("\n".join(lines).strip("\n") + "\n" for lines in kept).strip("\n") + (
        "\n" if kept else "")
