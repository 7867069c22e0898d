"""A port package: ``port.toml`` plus GeoJSON layers (land, port limits, terminals, berths,
anchorages, fairways, zones). See ``port_check`` for the schema, ``port_build`` for how one is
made from public sources.

The NY/NJ package is bundled in ``data/ports/nynj``. Layers are read with geopandas and kept
in WGS84 lon/lat; "where is this ship" questions are answered in the local UTM zone with shapely
STRtrees (``PortGeometry``).

What a port's deployment shows besides its geometry belongs to the package too, so another
port inherits nothing of New York (optional tables of ``port.toml``; paths relative to the
package):

* ``[replay] file, label, source_id`` — the recording the wall replays when the deployment
  names no AIS feed (MarineCadastre CSV, tracktable ``.traj`` or NMEA);
* ``[history] file`` — the position history loaded into the store on first start;
* ``[throughput] monthly, columns, sheet, source, source_zh`` — the monthly TEU table (CSV or
  XLSX), which of its columns is which (``data_sources.throughput.load_monthly_teu``) and who
  publishes it (for the report's title, in English and 中文).

Terminal names that are OSM ids ("Terminal way/1167695558": an unnamed OSM polygon) are shown
as the terminal's operator, else "Terminal N" (``terminal_display_names``).
"""
from __future__ import annotations

import logging
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import box

from .port_check import check_package

WGS84 = "EPSG:4326"
log = logging.getLogger(__name__)
# fields whose ``port check`` errors still let the app run (logged, shown on the feed panel)
RUNS_WITHOUT = ("tide_stations",)

LAYERS = ("land", "port_limits", "terminals", "berths", "anchorages", "fairways", "zones",
          "docks")


class PortPackageError(ValueError):
    """A port package that cannot be loaded; the message names the file and what is wrong."""


@dataclass
class Port:
    path: Path
    name: str
    name_zh: str
    locode: str
    timezone: str
    bounds: tuple[float, float, float, float]        # west, south, east, north
    view: dict
    language: str = "en"
    tide_stations: tuple = ()
    alerts: dict = field(default_factory=dict)      # alerts.toml: rule thresholds, sectors
    tour: list = field(default_factory=list)        # the wall's camera tour: preset views
    scorecard_weights: dict | None = None           # reports: weights of the 4 dimensions
    replay: dict = field(default_factory=dict)      # [replay]: file (Path), label, source_id
    history_file: Path | None = None                # [history] file: loaded on first start
    throughput: dict = field(default_factory=dict)  # [throughput]: monthly (Path), columns …
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    _geometry: "PortGeometry | None" = field(default=None, repr=False)

    @classmethod
    def load(cls, path: str | Path) -> "Port":
        """The package at ``path``; PortPackageError naming file and problem when ``port
        check`` finds an error that keeps it from being used. A tide station without harmonics
        is an error of ``port check`` but not of loading: the app runs, that station has no
        predicted tide, and the feed panel says so (``HydroMet.missing_harmonics``)."""
        path = Path(path)
        errors = []
        for p in check_package(path):
            if p.level != "error":
                continue
            if p.field in RUNS_WITHOUT:
                log.warning("%s", p)
            else:
                errors.append(p)
        if errors:
            more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
            raise PortPackageError("; ".join(str(p) for p in errors[:5]) + more)
        toml_path = path / "port.toml"
        if not toml_path.is_file():
            raise PortPackageError(f"{toml_path}: missing (every port package needs port.toml)")
        try:
            meta = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise PortPackageError(f"{toml_path}: {exc}") from None
        try:
            port = cls(
                path=path,
                name=meta["name"],
                name_zh=meta.get("name_zh", meta["name"]),
                locode=meta["locode"],
                timezone=meta["timezone"],
                bounds=tuple(meta["bounds"]),
                view=dict(meta["view"]),
                language=meta.get("language", "en"),
                tide_stations=tuple(str(s) for s in meta.get("tide_stations", ()))
                if isinstance(meta.get("tide_stations", ()), list) else (),
            )
            # the wall's optional camera tour: preset views, shown in turn
            port.tour = [dict(v) for v in meta.get("tour", [])]
            port.scorecard_weights = dict(meta.get("scorecard", {}).get("weights", {})) or None
        except KeyError as exc:
            raise PortPackageError(f"{toml_path}: missing key {exc}") from None
        port._read_data_keys(meta, toml_path)
        alerts_path = path / "alerts.toml"
        if alerts_path.is_file():
            try:
                port.alerts = tomllib.loads(alerts_path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise PortPackageError(f"{alerts_path}: {exc}") from None
        for layer, filename in meta.get("layers", {}).items():
            file = path / filename
            if not file.is_file():
                raise PortPackageError(f"{file}: layer '{layer}' is listed in port.toml but absent")
            gdf = gpd.read_file(file)
            if gdf.crs is not None and gdf.crs.to_epsg() not in (4326, None) and \
                    not gdf.crs.equals("OGC:CRS84"):
                raise PortPackageError(f"{file}: CRS {gdf.crs} is not WGS84 lon/lat")
            port.layers[layer] = gdf
        port._merge_berth_depths(path / "berth_depths.csv")
        port._name_terminals()
        return port

    def _read_data_keys(self, meta: dict, toml_path: Path) -> None:
        """The optional ``[replay]``, ``[history]`` and ``[throughput]`` tables: files are
        relative to the package. A named file that is absent is not an error here (the app
        shows it on the feed panel; ``port check`` reports it)."""
        def table(name):
            value = meta.get(name, {})
            if not isinstance(value, dict):
                raise PortPackageError(f"{toml_path}: [{name}] must be a table")
            return value

        def text(name, key, value):
            if not isinstance(value, str) or not value.strip():
                raise PortPackageError(f"{toml_path}: {name}.{key} must be text, got {value!r}")
            return value

        def file(name, key, value):
            return Path(os.path.normpath(self.path / text(name, key, value)))

        replay = table("replay")
        if replay.get("file") is not None:
            self.replay = {"file": file("replay", "file", replay["file"]),
                           **{k: text("replay", k, replay[k]) for k in ("label", "source_id")
                              if k in replay}}
        history = table("history")
        if history.get("file") is not None:
            self.history_file = file("history", "file", history["file"])
        throughput = table("throughput")
        if throughput.get("monthly") is not None:
            columns = throughput.get("columns")
            if columns is not None and not (isinstance(columns, dict) and all(
                    isinstance(v, str) for v in columns.values())):
                raise PortPackageError(f"{toml_path}: throughput.columns must be a table of "
                                       f"field = \"column name\", got {columns!r}")
            self.throughput = {"monthly": file("throughput", "monthly", throughput["monthly"]),
                               "columns": dict(columns) if columns is not None else None,
                               **{k: text("throughput", k, throughput[k])
                                  for k in ("sheet", "source", "source_zh")
                                  if k in throughput}}

    def _name_terminals(self) -> None:
        """Terminals (and the berths' ``terminal``) named for people: an OSM id is replaced by
        the terminal's operator or "Terminal N" (``terminal_display_names``)."""
        terminals, berths = self.layers.get("terminals"), self.layers.get("berths")
        names = terminal_display_names(terminals)
        if terminals is not None and len(terminals):
            old = terminals["name"] if "name" in terminals else [None] * len(terminals)
            terminals["name"] = [names.get(n if isinstance(n, str) and n.strip() else i, n)
                                 for i, n in enumerate(old)]
        if berths is not None and "terminal" in berths:
            taken = set(terminals["name"]) if terminals is not None and len(terminals) else set()
            extra = (f"Terminal {k}" for k in range(1, 10 ** 6))
            renamed: dict = {}

            def unused() -> str:
                name = next(extra)
                while name in taken:
                    name = next(extra)
                taken.add(name)
                return name

            def fixed(value):
                if not isinstance(value, str) or not value:
                    return value
                if value in names:
                    return names[value]
                if is_osm_id_name(value):              # a terminal not in the layer
                    if value not in renamed:
                        renamed[value] = unused()
                    return renamed[value]
                return value
            berths["terminal"] = berths["terminal"].map(fixed)

    def _merge_berth_depths(self, csv_path: Path) -> None:
        """Charted depths kept beside the derived berths (``berth_depths.csv``: id, depth_m,
        source): the berth layer is remade by ``port init``, the depths are not."""
        berths = self.layers.get("berths")
        if berths is None or not csv_path.is_file():
            return
        import pandas as pd
        table = pd.read_csv(csv_path, dtype={"id": str}, comment="#")
        unknown = set(table["id"]) - set(berths["id"].astype(str))
        if unknown:
            raise PortPackageError(f"{csv_path}: berths not in the package: {sorted(unknown)[:5]}")
        depth = dict(zip(table["id"], table["depth_m"].astype(float)))
        merged = berths["id"].astype(str).map(depth)
        if "depth_m" in berths:
            merged = merged.fillna(pd.to_numeric(berths["depth_m"], errors="coerce"))
        berths["depth_m"] = merged

    def layer(self, name: str) -> gpd.GeoDataFrame | None:
        return self.layers.get(name)

    @property
    def geometry(self) -> "PortGeometry":
        """Berths, anchorages and port limits in metres, indexed (built on first use)."""
        if self._geometry is None:
            self._geometry = PortGeometry(self)
        return self._geometry


OSM_ID_NAME = re.compile(r"^\s*(?:terminal\s+)?(?:way|node|relation)/\d+\s*$", re.IGNORECASE)


def is_osm_id_name(name) -> bool:
    """Whether a name is an OSM element id rather than a name ("way/1167695558", "Terminal
    relation/42"): what a tool writes when the OSM polygon has no name tag."""
    return isinstance(name, str) and bool(OSM_ID_NAME.match(name))


def terminal_display_names(terminals) -> dict:
    """Names to show for the terminals layer: {old name -> new name} for names that are OSM
    ids (or empty), and {row index -> new name} for rows with no name at all. A terminal
    without a real name is called by its OSM ``operator`` tag ("Acme", a second one "Acme 2"),
    else "Terminal N" (N counts the unnamed terminals from 1, skipping a number a real name
    already has: Seattle's own "Terminal 5" stays the only one)."""
    if terminals is None or not len(terminals):
        return {}
    names = list(terminals["name"]) if "name" in terminals else [None] * len(terminals)
    operators = list(terminals["operator"]) if "operator" in terminals else [None] * len(names)
    used = {n for n in names if isinstance(n, str) and n.strip() and not is_osm_id_name(n)}
    counter = iter(range(1, 10 ** 6))
    out: dict = {}
    for i, (name, operator) in enumerate(zip(names, operators)):
        if isinstance(name, str) and name.strip() and not is_osm_id_name(name):
            continue
        if isinstance(operator, str) and operator.strip() and not is_osm_id_name(operator):
            base = new = operator.strip()
            k = 1
            while new in used:
                k += 1
                new = f"{base} {k}"
        else:
            new = f"Terminal {next(counter)}"
            while new in used:
                new = f"Terminal {next(counter)}"
        used.add(new)
        out[name if isinstance(name, str) and name.strip() else i] = new
    return out


# Distances that decide "where is this ship" (documented in docs/definitions.md).
BERTH_DISTANCE_M = 150.0       # a ship stopped this close to a quay line is at that berth
PORT_EXIT_BUFFER_M = 500.0     # leaving the port area takes this much beyond its limits


class PortGeometry:
    """The port's places in the local UTM zone, for many points at once.

    ``locate(lons, lats)`` -> for each point: the berth id within ``BERTH_DISTANCE_M`` (nearest
    quay), the anchorage id it is inside, whether it is inside the port limits and whether it is
    inside the limits grown by ``PORT_EXIT_BUFFER_M`` (the exit line: entering and leaving use
    different lines, so a ship on the boundary does not flicker in and out).
    """

    def __init__(self, port: Port):
        berths = port.layer("berths")
        self.crs = (berths if berths is not None and len(berths) else
                    gpd.GeoDataFrame(geometry=[box(*port.bounds)], crs=WGS84)).estimate_utm_crs()
        self._to_utm = Transformer.from_crs(WGS84, self.crs, always_xy=True)
        self.berths = self._project(berths)
        self.anchorages = self._project(port.layer("anchorages"))
        limits = port.layer("port_limits")
        if limits is None or not len(limits):       # no limits layer: the package bounds
            limits = gpd.GeoDataFrame(geometry=[box(*port.bounds)], crs=WGS84)
        limit = self._project(limits).geometry.union_all()
        self._limit, self._exit = limit, limit.buffer(PORT_EXIT_BUFFER_M)
        self.limit_boundary = limit.boundary        # metres; "how far inside the port"
        shapely.prepare(self._limit)
        shapely.prepare(self._exit)
        self.berth_ids = (np.asarray(self.berths["id"].astype(str)) if len(self.berths)
                          else np.array([], dtype=object))
        self.anchorage_ids = (np.asarray(self.anchorages["id"].astype(str))
                              if len(self.anchorages) else np.array([], dtype=object))
        self._berth_tree = shapely.STRtree(list(self.berths.geometry))
        self._anchorage_tree = shapely.STRtree(list(self.anchorages.geometry))
        self.berth_info = ({} if not len(self.berths) else {
            str(r["id"]): {"name": r.get("name"), "terminal": r.get("terminal"),
                           "length_m": r.get("length_m")}
            for r in self.berths.drop(columns="geometry").to_dict("records")})

    @property
    def berth_names(self) -> dict:
        """berth id -> its name, for the berths that have one (what the screens show)."""
        return {b: i["name"] for b, i in self.berth_info.items() if i.get("name")}

    def nearest(self, kind: str, pts) -> np.ndarray:
        """Index (into ``berths`` / ``anchorages``) of the nearest berth or anchorage to each
        point (shapely points in metres); empty when the port has none of that kind."""
        tree = self._berth_tree if kind == "berth" else self._anchorage_tree
        layer = self.berths if kind == "berth" else self.anchorages
        return tree.nearest(pts) if len(layer) else np.array([], dtype=int)

    def inside_limits(self, x, y) -> np.ndarray:
        """Whether each point (metres) is inside the port limits."""
        return shapely.contains_xy(self._limit, x, y)

    def _project(self, gdf) -> gpd.GeoDataFrame:
        if gdf is None:
            return gpd.GeoDataFrame({"id": []}, geometry=[], crs=self.crs)
        return gdf.to_crs(self.crs).reset_index(drop=True)

    def to_metres(self, lons, lats) -> tuple[np.ndarray, np.ndarray]:
        return self._to_utm.transform(np.asarray(lons, float), np.asarray(lats, float))

    def locate(self, lons, lats) -> dict[str, np.ndarray]:
        """For each point: berth, anchorage, metres (x, y, and the shapely points ``pts``),
        inside the port limits, inside the exit line."""
        x, y = self.to_metres(lons, lats)
        pts = shapely.points(x, y)
        n = len(pts)
        berth = np.full(n, None, dtype=object)
        if len(self.berth_ids):
            idx_pt, idx_b = nearest_within(self._berth_tree, pts, BERTH_DISTANCE_M)
            berth[idx_pt] = self.berth_ids[idx_b]
        anchorage = np.full(n, None, dtype=object)
        if len(self.anchorage_ids):
            idx_pt, idx_a = self._anchorage_tree.query(pts, predicate="within")
            anchorage[idx_pt] = self.anchorage_ids[idx_a]
        return {"berth": berth, "anchorage": anchorage, "x": x, "y": y, "pts": pts,
                "in_port": shapely.contains_xy(self._limit, x, y),
                "near_port": shapely.contains_xy(self._exit, x, y)}


def nearest_within(tree: shapely.STRtree, pts, distance: float) -> tuple[np.ndarray, np.ndarray]:
    """(point index, geometry index) of the nearest of ``tree``'s geometries within
    ``distance`` of each point that has one; of equally near ones, the lowest index.
    What ``tree.query_nearest(pts, max_distance=distance, all_matches=False)`` answers,
    in half its time where most points have no geometry near or a few (ships at sea, ships
    at a quay): the candidates come from the index (``dwithin``), GEOS measures them."""
    idx_pt, idx_g = tree.query(pts, predicate="dwithin", distance=distance)
    if len(idx_pt) == 0:
        return idx_pt, idx_g
    dist = shapely.distance(pts[idx_pt], tree.geometries[idx_g])
    order = np.lexsort((idx_g, dist, idx_pt))     # by point, then distance, then index
    idx_pt, idx_g = idx_pt[order], idx_g[order]
    first = np.empty(len(idx_pt), bool)
    first[0] = True
    np.not_equal(idx_pt[1:], idx_pt[:-1], out=first[1:])
    return idx_pt[first], idx_g[first]
