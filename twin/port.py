"""A port package: ``port.toml`` plus GeoJSON layers (land, port limits, terminals, berths,
anchorages, fairways, zones). See ``port_check`` for the schema, ``port_build`` for how one is
made from public sources.

The NY/NJ package is bundled in ``data/ports/nynj``. Layers are read with geopandas and kept
in WGS84 lon/lat; "where is this ship" questions are answered in the local UTM zone with shapely
STRtrees (``PortGeometry``).
"""
from __future__ import annotations

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
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    _geometry: "PortGeometry | None" = field(default=None, repr=False)

    @classmethod
    def load(cls, path: str | Path) -> "Port":
        path = Path(path)
        errors = [p for p in check_package(path) if p.level == "error"]
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
                tide_stations=tuple(meta.get("tide_stations", ())),
            )
            # the wall's optional camera tour: preset views, shown in turn
            port.tour = [dict(v) for v in meta.get("tour", [])]
            port.scorecard_weights = dict(meta.get("scorecard", {}).get("weights", {})) or None
        except KeyError as exc:
            raise PortPackageError(f"{toml_path}: missing key {exc}") from None
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
        return port

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

    def _project(self, gdf) -> gpd.GeoDataFrame:
        if gdf is None:
            return gpd.GeoDataFrame({"id": []}, geometry=[], crs=self.crs)
        return gdf.to_crs(self.crs).reset_index(drop=True)

    def to_metres(self, lons, lats) -> tuple[np.ndarray, np.ndarray]:
        return self._to_utm.transform(np.asarray(lons, float), np.asarray(lats, float))

    def locate(self, lons, lats) -> dict[str, np.ndarray]:
        x, y = self.to_metres(lons, lats)
        pts = shapely.points(x, y)
        n = len(pts)
        berth = np.full(n, None, dtype=object)
        if len(self.berth_ids):
            idx_pt, idx_b = self._berth_tree.query_nearest(pts, max_distance=BERTH_DISTANCE_M,
                                                           all_matches=False)
            berth[idx_pt] = self.berth_ids[idx_b]
        anchorage = np.full(n, None, dtype=object)
        if len(self.anchorage_ids):
            idx_pt, idx_a = self._anchorage_tree.query(pts, predicate="within")
            anchorage[idx_pt] = self.anchorage_ids[idx_a]
        return {"berth": berth, "anchorage": anchorage, "x": x, "y": y,
                "in_port": shapely.contains_xy(self._limit, x, y),
                "near_port": shapely.contains_xy(self._exit, x, y)}
