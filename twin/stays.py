"""Stays as a table: one row per berth, anchorage or "other" stay of the port calls, with the
place's name and, for every stay, the nearest named place and how far it is.

"Other" stays — stops in the port area at no known berth or anchorage — are how a port package
is improved: ``python app.py portcalls … --stays stays.csv`` lists them with where they were
and the nearest place the package knows, and ``port check`` counts them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

STAY_COLUMNS = ("mmsi", "kind", "place_id", "place_name", "start", "end", "lat", "lon",
                "duration_h", "open", "call_id", "nearest_place_id", "nearest_place_name",
                "nearest_distance_m")


def _names(gdf) -> dict[str, str]:
    if gdf is None or not len(gdf):
        return {}
    names = gdf["name"] if "name" in gdf else gdf["id"]
    return {str(i): (str(n) if n == n and n not in (None, "") else str(i))
            for i, n in zip(gdf["id"], names)}


class PlaceIndex:
    """The port's named places (berths and anchorages) in metres, for "which is nearest"."""

    def __init__(self, geometry):
        self.geometry = geometry
        parts = []
        for kind, gdf in (("berth", geometry.berths), ("anchorage", geometry.anchorages)):
            if gdf is not None and len(gdf):
                names = _names(gdf)
                parts += [(kind, str(i), names[str(i)], g) for i, g in zip(gdf["id"], gdf.geometry)]
        self.places = parts
        self.names = {(k, i): n for k, i, n, _ in parts}
        self._tree = shapely.STRtree([g for *_, g in parts]) if parts else None

    def name(self, kind: str, place: str) -> str | None:
        return self.names.get((kind, place))

    def nearest(self, lons, lats) -> tuple[list, list, np.ndarray]:
        """(place ids, names, distances in m) of the nearest named place to each point."""
        n = len(lons)
        ids, names, dist = [None] * n, [None] * n, np.full(n, np.nan)
        if self._tree is None or n == 0:
            return ids, names, dist
        x, y = self.geometry.to_metres(lons, lats)
        ok = np.isfinite(x) & np.isfinite(y)
        idx = np.flatnonzero(ok)
        if not len(idx):
            return ids, names, dist
        pts = shapely.points(x[idx], y[idx])
        near = self._tree.nearest(pts)
        for k, i in enumerate(idx):
            kind, pid, name, geom = self.places[near[k]]
            ids[i], names[i] = pid, name
            dist[i] = geom.distance(pts[k])
        return ids, names, dist


def stays_table(calls, geometry, now: float | None = None) -> pd.DataFrame:
    """One row per stay of ``calls`` (PortCall objects), in time order. An open stay's end is
    the vessel's last fix (``PortCall.last_seen``), never the end of the data."""
    index = PlaceIndex(geometry)
    rows = []
    for c in calls:
        for v in c.visits:
            end = v.departure if v.departure is not None else c.last_seen
            if now is not None:
                end = min(end, now)
            rows.append({"mmsi": c.mmsi, "kind": v.kind, "place_id": v.place or None,
                         "place_name": index.name(v.kind, v.place) if v.place else None,
                         "start": v.arrival, "end": end, "lat": v.lat, "lon": v.lon,
                         "duration_h": max(0.0, end - v.arrival) / 3600,
                         "open": v.departure is None, "call_id": c.call_id})
    df = pd.DataFrame(rows, columns=[c for c in STAY_COLUMNS if not c.startswith("nearest")])
    located = df["lon"].notna() & df["lat"].notna()
    ids, names, dist = index.nearest(df.loc[located, "lon"].to_numpy(float),
                                     df.loc[located, "lat"].to_numpy(float))
    df["nearest_place_id"] = pd.Series(ids, index=df.index[located], dtype=object)
    df["nearest_place_name"] = pd.Series(names, index=df.index[located], dtype=object)
    df["nearest_distance_m"] = pd.Series(dist, index=df.index[located], dtype=float).round(0)
    return df.sort_values(["start", "mmsi"], kind="stable", ignore_index=True)[list(STAY_COLUMNS)]
