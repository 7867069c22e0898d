"""A port package: ``port.toml`` plus GeoJSON layers (land, terminals, anchorages, docks).

The NY/NJ package is bundled in ``data/ports/nynj``. Layers are read with geopandas and kept
in WGS84 lon/lat; layer files are optional except where a view needs them.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

LAYERS = ("land", "terminals", "anchorages", "docks")


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
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> "Port":
        path = Path(path)
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
            )
        except KeyError as exc:
            raise PortPackageError(f"{toml_path}: missing key {exc}") from None
        for layer, filename in meta.get("layers", {}).items():
            file = path / filename
            if not file.is_file():
                raise PortPackageError(f"{file}: layer '{layer}' is listed in port.toml but absent")
            gdf = gpd.read_file(file)
            if gdf.crs is not None and gdf.crs.to_epsg() not in (4326, None) and \
                    not gdf.crs.equals("OGC:CRS84"):
                raise PortPackageError(f"{file}: CRS {gdf.crs} is not WGS84 lon/lat")
            port.layers[layer] = gdf
        return port

    def layer(self, name: str) -> gpd.GeoDataFrame | None:
        return self.layers.get(name)
