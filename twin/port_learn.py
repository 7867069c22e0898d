"""Berths and anchorages learned from AIS history (``python app.py port init … --learn-from``).

Public geometry misses where ships actually lie: a coarse shoreline (GSHHG) draws no piers,
basins, landfill or waterways, so dock points are dropped or their quays drawn hundreds of metres
from the ships; and an anchorage regulation does not say where ships really wait. As Global
Fishing Watch builds its anchorages from where vessels stop, this module fits the missing places
from the stops in a position history:

1. **Stops** — the project's own stop detector: ``twin.portcalls.run_batch`` over the package's
   geometry as the sources give it (derived berths, given anchorages) and
   ``PortCallTracker.stops()``: every stop of at least ``min_stop_s`` anywhere, with its mean
   position. No second stop detector: what is learned is exactly what the port-call tracker
   will later see. A stop whose mean position is at a derived berth or inside a given
   anchorage counts as evidence for that feature (``stops``, ``vessels``); the others are the
   places the sources lack.
2. **Moored or anchored** — per stop, from the AIS nav status when the feed has it (5 moored,
   1 at anchor); otherwise by where it lies: within ``quay_reach_m`` of a dock point or a
   terminal area, within ``alongside_shore_m`` of the shoreline, or on the coarse coastline's
   "land" (a waterway it does not draw) is moored; else it is a stop in open water, i.e. anchored.
3. **Clusters** — scikit-learn DBSCAN in the package's UTM zone (metres). Moored stops join
   within ``berth_eps_m`` (default: the tracker's own "same place" radius,
   ``PortCallRules.stop_radius_m``, 100 m: closer stops are one berth, GPS jitter and warping
   along a quay included); anchored stops within ``anchor_eps_m`` = twice a swinging radius
   (two ships whose swinging circles touch lie in one anchorage ground). ``min_stops`` (DBSCAN
   ``min_samples``) defaults to 1: a short history has one stop at most places, and every stop
   is a place a ship used; with months of history raise it so one-off stops stay "other".
   None of these depends on the port: they come from ship handling and the tracker's rules.
4. **Berths** — a quay line through where the cluster's ships lay: along their headings (axial
   mean) when the feed has headings, else along the cluster's principal axis when it is
   elongated, else parallel to the nearest shore; moved half a beam towards the shore / dock /
   terminal (the AIS antenna is mid-ship, the quay at the ship's side); its length the spread of
   the ships' positions along the quay plus the longest ship's AIS length, or plus
   ``default_berth_m`` when no length is known (``length_estimated = true``). A cluster whose
   ships lie further than ``fit_reach_m`` from one line is split in two (k-means) and each part
   fitted: a learned berth always holds the stops it was learned from.
5. **Anchorages** — the convex hull of the cluster's stop positions buffered by a swinging
   radius (the longest ship's AIS length, else ``default_ship_m``, plus ``anchor_cable_m`` of
   cable), minus the given anchorages (the regulation's polygons take precedence).
6. **Names** — the nearest dock point (USACE ``NAV_UNIT_NAME``) within ``name_max_m``, else the
   terminal area the berth lies in, else the nearest given anchorage (for an anchorage), else
   "Berth 1.9 km SW of <nearest named place>"; never an OSM id. A learned berth named from a dock
   the geometry could not place (GSHHG puts it on land or far from its coarse shoreline) takes
   the dock's id: the dock is placed from AIS where ships use it, not dropped.

Every feature carries provenance: ``source`` (``ais`` learned here, ``geometry`` derived by
``port init`` from the source geometry, ``surveyed`` taken as published), ``stops`` and
``vessels`` in the history, ``method`` and ``named_from``.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from shapely.geometry import LineString, Point

from data_sources.positions import load_positions

from .port import BERTH_DISTANCE_M, Port
from .portcalls import PortCallRules, run_batch

WGS84 = "EPSG:4326"
# USACE nav-unit facility types that name a place to anchor or wait, not a quay
ANCHORAGE_TYPES = ("Anchorage", "Open Water", "Fleeting Area")


@dataclass(frozen=True)
class LearnOptions:
    """Thresholds of the learning, each from ship handling or the tracker's own rules (see the
    module docstring); none is fitted to a port."""
    berth_eps_m: float = PortCallRules.stop_radius_m   # moored stops this close: one berth
    min_stops: int = 1                 # DBSCAN min_samples: stops a place needs
    quay_reach_m: float = 300.0        # this close to a dock point / terminal: alongside (as
                                       # port init's snap of a dock to the shore)
    alongside_shore_m: float = 100.0   # this close to the (coarse) shoreline: alongside
    fit_reach_m: float = BERTH_DISTANCE_M / 2   # a berth's ships lie at most this off its line
    default_berth_m: float = 120.0     # berth length beyond the ships' spread, length unknown
                                       # (port init's estimated pier quay)
    default_beam_m: float = 20.0       # beam when AIS gives none (quay offset: half of it)
    default_ship_m: float = 100.0      # ship length for a swinging circle when AIS gives none
    anchor_cable_m: float = 150.0      # cable out at anchor (5-6 shackles) in a swinging circle
    name_max_m: float = 500.0          # a dock point / anchorage this close names the feature

    @property
    def anchor_eps_m(self) -> float:
        """Two anchored ships whose swinging circles touch lie in one anchorage ground."""
        return 2 * (self.default_ship_m + self.anchor_cable_m)


# ---- the history ------------------------------------------------------------------------
def read_history(paths, bbox, rejects: Counter | None = None) -> tuple[pd.DataFrame, dict]:
    """Fixes of every file (MarineCadastre CSV, tracktable .traj, NMEA) inside ``bbox`` (west,
    south, east, north) as one table, and the static data by MMSI. Fixes outside the box are
    counted as ``outside_bbox`` in ``rejects`` and skipped, so a national file will do."""
    rejects = rejects if rejects is not None else Counter()
    west, south, east, north = bbox
    frames, static = [], {}
    for path in paths:
        fixes, known = load_positions(Path(path), rejects)
        inside = fixes["lon"].between(west, east) & fixes["lat"].between(south, north)
        rejects["outside_bbox"] += int((~inside).sum())
        frames.append(fixes[inside])
        for mmsi, fields in known.items():
            static.setdefault(mmsi, {}).update(fields)
    fixes = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["mmsi", "ts", "lon", "lat", "sog", "cog", "heading", "nav_status"])
    fixes = fixes.drop_duplicates(["mmsi", "ts"]).reset_index(drop=True)
    return fixes, static


def history_stops(fixes: pd.DataFrame, geometry, static: dict | None = None,
                  rules: PortCallRules | None = None) -> pd.DataFrame:
    """The stops of a history by the project's stop detector (``run_batch`` and
    ``PortCallTracker.stops()``) over ``geometry`` (a ``PortGeometry``), with what the fixes
    of each stop say: ``nav_status`` (the most frequent known one), ``heading`` (axial mean of
    the known headings, degrees true), ``fixes``; and the ship's AIS ``length`` / ``width``.
    A stop still going on at the end of the data ends at the vessel's last fix."""
    static = static or {}
    columns = ["mmsi", "start", "end", "kind", "place", "lon", "lat"]
    if not len(fixes):
        return pd.DataFrame(columns=columns + ["nav_status", "heading", "fixes", "length",
                                               "width"])
    ship_types = {m: d.get("ship_type") for m, d in static.items() if d.get("ship_type")}
    tracker = run_batch(fixes, geometry, rules, ship_types=ship_types)
    stops = pd.DataFrame(tracker.stops(), columns=list(tracker.STOP_COLUMNS))
    last = fixes.groupby("mmsi")["ts"].max()
    stops["end"] = stops["end"].fillna(stops["mmsi"].map(last)).astype(float)
    by_vessel = {m: g.sort_values("ts") for m, g in fixes.groupby("mmsi")}
    status, heading, count = [], [], []
    for mmsi, start, end in stops[["mmsi", "start", "end"]].itertuples(index=False):
        g = by_vessel[mmsi]
        ts = g["ts"].to_numpy()
        part = g.iloc[np.searchsorted(ts, start): np.searchsorted(ts, end, "right")]
        known = part["nav_status"].dropna()
        status.append(int(known.mode().iloc[0]) if len(known) else None)
        heading.append(axial_mean(part["heading"].dropna().to_numpy()))
        count.append(len(part))
    stops["nav_status"] = status
    stops["heading"] = heading
    stops["fixes"] = count
    stops["length"] = [_positive(static.get(m, {}).get("length")) for m in stops["mmsi"]]
    stops["width"] = [_positive(static.get(m, {}).get("width")) for m in stops["mmsi"]]
    return stops


def _positive(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if value > 0 and math.isfinite(value) else None


def axial_mean(degrees) -> float | None:
    """Mean direction of undirected lines (a ship's axis: heading 10° and 190° are the same
    quay), degrees in [0, 180); None without data or when the directions cancel out."""
    degrees = np.asarray(degrees, float)
    degrees = degrees[np.isfinite(degrees)]
    if not len(degrees):
        return None
    z = np.exp(2j * np.radians(degrees)).mean()
    if abs(z) < 0.3:                   # no common axis (mean resultant length, doubled angles)
        return None
    return float(np.degrees(np.angle(z)) / 2 % 180)


# ---- what the sources say about a position ------------------------------------------------
class _Context:
    """The source geometry in metres (the package's UTM zone), for questions about a stop:
    is it alongside, which side is the quay, what is it called."""

    def __init__(self, crs, land, docks, terminals, anchorages):
        self.crs = crs
        land_m = land.to_crs(crs) if land is not None and len(land) else None
        self.land = land_m.geometry.union_all() if land_m is not None else None
        self.shore = self.land.boundary if self.land is not None else None
        if self.land is not None:
            shapely.prepare(self.land)
        self.docks = self._points(docks)
        self.terminals = (terminals.to_crs(crs).reset_index(drop=True)
                          if terminals is not None and len(terminals) else None)
        self.terminal_area = (self.terminals.geometry.union_all()
                              if self.terminals is not None else None)
        self.anchorages = (anchorages.to_crs(crs).reset_index(drop=True)
                           if anchorages is not None and len(anchorages) else None)

    def _points(self, docks):
        if docks is None or not len(docks):
            return None
        d = docks.to_crs(self.crs).reset_index(drop=True)
        d = d[d.geometry.notna() & ~d.geometry.is_empty & (d.geometry.geom_type == "Point")]
        ids = _column(d, ["id", "NAV_UNIT_ID"])
        names = _column(d, ["name", "NAV_UNIT_NAME"])
        types = _column(d, ["FACILITY_TYPE", "facility_type"])
        out = gpd.GeoDataFrame({"id": ids.astype(str).to_numpy(), "name": names.to_numpy(),
                                "type": types.to_numpy()}, geometry=list(d.geometry),
                               crs=self.crs)
        out = out[out["name"].map(lambda n: isinstance(n, str) and n.strip() != "")]
        return out.reset_index(drop=True)

    def on_land(self, p) -> bool:
        return self.land is not None and self.land.contains(p)

    def shore_distance(self, p) -> float:
        return self.shore.distance(p) if self.shore is not None else math.inf

    def terminal_distance(self, p) -> float:
        return self.terminal_area.distance(p) if self.terminal_area is not None else math.inf

    def nearest_dock(self, p, anchorage: bool | None = None):
        """(row, distance) of the nearest named dock point; ``anchorage`` True: only anchorage /
        open-water units, False: only the others, None: any."""
        if self.docks is None:
            return None, math.inf
        docks = self.docks
        if anchorage is not None:
            is_anch = docks["type"].isin(ANCHORAGE_TYPES)
            docks = docks[is_anch if anchorage else ~is_anch]
        if not len(docks):
            return None, math.inf
        d = docks.distance(p)
        i = d.idxmin()
        return docks.loc[i], float(d[i])

    def terminal_at(self, p, buffer_m: float):
        if self.terminals is None:
            return None
        d = self.terminals.distance(p)
        i = d.idxmin()
        return self.terminals.loc[i] if d[i] <= buffer_m else None

    def quay_point(self, p, reach: float):
        """The nearest point of land, a terminal area or a dock within ``reach``: the side the
        quay is on. None when the position is on land (an undrawn waterway: no side known)."""
        if self.on_land(p):
            return None
        best, best_d = None, reach
        for geom in (self.shore, self.terminal_area):
            if geom is not None:
                d = geom.distance(p)
                if d <= best_d:
                    best, best_d = shapely.ops.nearest_points(geom, p)[0], d
        if best is None:
            dock, d = self.nearest_dock(p)
            if dock is not None and d <= reach:
                best = dock.geometry
        return best

    def shore_direction(self, p) -> float | None:
        """Direction (degrees true, axial) of the shoreline nearest to ``p``."""
        if self.shore is None:
            return None
        lines = [g for g in getattr(self.shore, "geoms", [self.shore]) if g.length > 0]
        line = min(lines, key=lambda g: g.distance(p))
        s = line.project(p)
        a = line.interpolate(max(0.0, s - 25))
        b = line.interpolate(min(line.length, s + 25))
        if a.equals(b):
            return None
        return math.degrees(math.atan2(b.x - a.x, b.y - a.y)) % 180


def _column(gdf, names, default=None) -> pd.Series:
    for name in names:
        if name in gdf.columns:
            return gdf[name]
    return pd.Series([default] * len(gdf), index=gdf.index)


def classify(stops: pd.DataFrame, ctx: _Context, opts: LearnOptions) -> pd.Series:
    """``moored`` or ``anchored`` per stop, and why (see the module docstring, step 2)."""
    kinds, why = [], []
    for row in stops.itertuples(index=False):
        p = Point(row.x, row.y)
        if row.nav_status == 5:
            kinds.append("moored"), why.append("nav status 5 (moored)")
        elif row.nav_status == 1:
            kinds.append("anchored"), why.append("nav status 1 (at anchor)")
        elif ctx.on_land(p):
            kinds.append("moored"), why.append("in a waterway the coastline does not draw")
        elif ctx.nearest_dock(p, anchorage=False)[1] <= opts.quay_reach_m:
            kinds.append("moored"), why.append(f"within {opts.quay_reach_m:.0f} m of a dock")
        elif ctx.terminal_distance(p) <= opts.quay_reach_m:
            kinds.append("moored"), why.append(f"within {opts.quay_reach_m:.0f} m of a terminal")
        elif ctx.shore_distance(p) <= opts.alongside_shore_m:
            kinds.append("moored"), why.append(
                f"within {opts.alongside_shore_m:.0f} m of the shoreline")
        else:
            kinds.append("anchored"), why.append("stopped in open water")
    return pd.Series(kinds, index=stops.index), pd.Series(why, index=stops.index)


def cluster(xy: np.ndarray, eps_m: float, min_stops: int) -> np.ndarray:
    """DBSCAN labels of positions in metres (-1: noise, a stop at no place of its own)."""
    if not len(xy):
        return np.array([], dtype=int)
    from sklearn.cluster import DBSCAN
    return DBSCAN(eps=eps_m, min_samples=max(1, int(min_stops))).fit_predict(xy)


# ---- fitting ------------------------------------------------------------------------------
def _unit(degrees: float) -> np.ndarray:
    r = math.radians(degrees)
    return np.array([math.sin(r), math.cos(r)])        # east, north (UTM grid ~ true north)


def _axis(st: pd.DataFrame, xy: np.ndarray, centre: Point, ctx: _Context):
    """The quay's direction (degrees, axial) and how it was found."""
    along = axial_mean(st["heading"].dropna().to_numpy())
    if along is not None:
        return along, "along the ships' AIS headings"
    if len(xy) >= 2:
        cov = np.cov((xy - xy.mean(0)).T)
        values, vectors = np.linalg.eigh(cov)
        major, minor = values[1], max(values[0], 1e-9)
        if math.sqrt(major) >= 10 and major / minor >= 4:      # 2:1 in spread: elongated
            v = vectors[:, 1]
            return (math.degrees(math.atan2(v[0], v[1])) % 180,
                    "along the spread of the ships' positions")
    along = ctx.shore_direction(centre)
    if along is not None:
        return along, "parallel to the nearest shore"
    return 90.0, "east-west (no heading, spread or shore to follow)"


def fit_berth(st: pd.DataFrame, ctx: _Context, opts: LearnOptions) -> dict:
    """A quay line for one cluster of moored stops (module docstring, step 4), in metres."""
    xy = st[["x", "y"]].to_numpy(float)
    c = xy.mean(0)
    centre = Point(*c)
    along, how = _axis(st, xy, centre, ctx)
    u = _unit(along)
    n = np.array([u[1], -u[0]])
    lengths = st["length"].dropna()
    ship = float(lengths.max()) if len(lengths) else None
    widths = st["width"].dropna()
    beam = float(widths.max()) if len(widths) else opts.default_beam_m
    quay = ctx.quay_point(centre, opts.quay_reach_m)
    offset = 0.0
    if quay is not None:
        side = np.sign(np.dot(np.array([quay.x, quay.y]) - c, n)) or 1.0
        offset = side * beam / 2
    t = (xy - c) @ u
    extra = ship if ship is not None else opts.default_berth_m
    lo, hi = t.min() - extra / 2, t.max() + extra / 2
    base = c + offset * n
    line = LineString([tuple(base + lo * u), tuple(base + hi * u)])
    return {"geometry": line, "length_estimated": ship is None, "axis": how,
            "quay_side": "towards the shore/dock" if quay is not None else "unknown (on the "
            "ships' line)"}


def fit_berths(st: pd.DataFrame, ctx: _Context, opts: LearnOptions) -> list[tuple]:
    """(stops, fit) per berth: the cluster fitted as one, or split in two (k-means on the
    positions) until every stop lies within ``fit_reach_m`` of its berth."""
    fit = fit_berth(st, ctx, opts)
    far = np.array([fit["geometry"].distance(Point(x, y)) > opts.fit_reach_m
                    for x, y in st[["x", "y"]].to_numpy()])
    if not far.any() or len(st) < 2:
        return [(st, fit)]
    from sklearn.cluster import KMeans
    labels = KMeans(n_clusters=2, n_init=10, random_state=0).fit_predict(
        st[["x", "y"]].to_numpy())
    if len(set(labels)) < 2:
        return [(st, fit)]
    return [part for k in (0, 1) for part in fit_berths(st[labels == k], ctx, opts)]


def fit_anchorage(st: pd.DataFrame, ctx: _Context, opts: LearnOptions):
    """An anchorage area for one cluster of anchored stops (module docstring, step 5)."""
    lengths = st["length"].dropna()
    radius = (float(lengths.max()) if len(lengths) else opts.default_ship_m) + opts.anchor_cable_m
    pts = shapely.multipoints(st[["x", "y"]].to_numpy(float))
    area = pts.convex_hull.buffer(radius)
    if ctx.anchorages is not None:               # the regulation's polygons take precedence
        rest = area.difference(ctx.anchorages.geometry.union_all())
        if all(rest.contains(Point(x, y)) for x, y in st[["x", "y"]].to_numpy()):
            area = rest
    if ctx.land is not None:                     # off the land, where that keeps the stops
        rest = area.difference(ctx.land)
        if all(rest.contains(Point(x, y)) for x, y in st[["x", "y"]].to_numpy()):
            area = rest
    if area.geom_type == "MultiPolygon":         # keep the parts that hold the stops
        parts = [g for g in area.geoms
                 if any(g.contains(Point(x, y)) for x, y in st[["x", "y"]].to_numpy())]
        area = shapely.union_all(parts) if parts else area
    return area, radius


# ---- names --------------------------------------------------------------------------------
COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def _bearing_word(origin, target) -> str:
    angle = math.degrees(math.atan2(target.x - origin.x, target.y - origin.y)) % 360
    return COMPASS[int((angle + 22.5) // 45) % 8]


def name_berth(geom, ctx: _Context, opts: LearnOptions):
    """(name, dock row or None, terminal name, named_from) for a learned berth."""
    centre = geom.interpolate(0.5, normalized=True)
    dock, d = ctx.nearest_dock(centre, anchorage=False)
    terminal = ctx.terminal_at(centre, opts.quay_reach_m)
    term_name = terminal["name"] if terminal is not None else None
    term_name = term_name if isinstance(term_name, str) else None
    if dock is not None and d <= opts.name_max_m:
        return dock["name"], dock, term_name, f"dock point {dock['id']} at {d:.0f} m"
    if term_name:
        return term_name, None, term_name, "the terminal area it lies in"
    return _relative("Berth", centre, ctx), None, None, "its position"


def name_anchorage(geom, ctx: _Context, opts: LearnOptions):
    """(name, named_from) for a learned anchorage."""
    centre = geom.centroid
    unit, d = ctx.nearest_dock(centre, anchorage=True)
    if unit is not None and shapely.distance(unit.geometry, geom) <= opts.name_max_m:
        return unit["name"], f"nav unit {unit['id']} at {d:.0f} m"
    if ctx.anchorages is not None:
        dist = ctx.anchorages.distance(geom)
        i = dist.idxmin()
        if dist[i] <= opts.name_max_m:
            return (f"{ctx.anchorages.loc[i, 'name']} (outside the regulated area)",
                    f"anchorage {ctx.anchorages.loc[i, 'id']} at {dist[i]:.0f} m")
    return _relative("Anchorage", centre, ctx), "its position"


def _relative(kind: str, p, ctx: _Context) -> str:
    """"Berth 1.9 km SW of NAVY DOCK": a name from the nearest named place."""
    dock, d = ctx.nearest_dock(p)
    if dock is None:
        return f"{kind} at {p.x:.0f} E {p.y:.0f} N"
    return f"{kind} {d / 1000:.1f} km {_bearing_word(dock.geometry, p)} of {dock['name']}"


# ---- the whole step -------------------------------------------------------------------------
@dataclass
class Learned:
    berths: gpd.GeoDataFrame          # the whole berth layer (WGS84): derived + learned, merged
    anchorages: gpd.GeoDataFrame      # the whole anchorage layer (WGS84): given + learned
    stops: pd.DataFrame               # every stop of the history, with its class
    summary: dict                     # for port.toml [learned]
    report: list


def learn(fixes: pd.DataFrame, static: dict, port: Port, *, land, docks, terminals,
          opts: LearnOptions | None = None, rules: PortCallRules | None = None,
          left_out_docks: set | None = None) -> Learned:
    """Learn berths and anchorages from a history (see the module docstring). ``port`` is the
    package as the sources give it (derived berths, given anchorages, limits), ``left_out_docks``
    the ids of dock points the derivation could not place. Returns the berth and anchorage
    layers with the learned features merged in, every feature with its provenance."""
    opts = opts or LearnOptions()
    geometry = port.geometry
    crs = geometry.crs
    stops = history_stops(fixes, geometry, static, rules)
    report = []
    x, y = geometry.to_metres(stops["lon"].to_numpy(float), stops["lat"].to_numpy(float))
    stops["x"], stops["y"] = x, y
    # where the stop lies on average: the tracker names a stop's place from its first fix (or
    # where it drifted into reach); a ship whose mean position is out of every place's reach
    # is at a place the sources lack
    where = geometry.locate(stops["lon"].to_numpy(float), stops["lat"].to_numpy(float))
    kind = np.where(where["berth"] != None, "berth",                       # noqa: E711
                    np.where(where["anchorage"] != None, "anchorage", "other"))  # noqa: E711
    stops["kind"] = kind
    stops["place"] = np.where(kind == "berth", where["berth"],
                              np.where(kind == "anchorage", where["anchorage"], None))
    evidence = {key: (len(g), set(g["mmsi"])) for key, g in
                stops[stops["kind"] != "other"].groupby(["kind", "place"])}

    derived, given = port.layer("berths"), port.layer("anchorages")
    ctx = _Context(crs, land, docks, terminals, given)
    other = stops[stops["kind"] == "other"].copy()
    if len(other):
        other["class"], other["why"] = classify(other, ctx, opts)
    else:
        other["class"], other["why"] = [], []
    stops["class"] = other["class"].reindex(stops.index)

    fitted = []
    moored = other[other["class"] == "moored"]
    labels = cluster(moored[["x", "y"]].to_numpy(float), opts.berth_eps_m, opts.min_stops)
    for label in sorted(set(labels) - {-1}):
        for part, fit in fit_berths(moored[labels == label], ctx, opts):
            name, dock, terminal, named_from = name_berth(fit["geometry"], ctx, opts)
            fitted.append({"part": part, "fit": fit, "name": name, "terminal": terminal,
                           "dock": None if dock is None else str(dock["id"]),
                           "named_from": named_from})
    berths, merged = _merge_berths(derived, fitted, evidence, crs, opts,
                                   left_out_docks or set(), report)

    taken = set(berths["id"].astype(str))
    if given is not None and len(given):
        taken |= set(given["id"].astype(str))
    anchorage_rows = []
    anchored = other[other["class"] == "anchored"]
    labels = cluster(anchored[["x", "y"]].to_numpy(float), opts.anchor_eps_m, opts.min_stops)
    for label in sorted(set(labels) - {-1}):
        part = anchored[labels == label]
        area, radius = fit_anchorage(part, ctx, opts)
        name, named_from = name_anchorage(area, ctx, opts)
        anchorage_rows.append({
            "id": _free_id("AIS-A", taken), "name": name, "source": "ais", "derived": True,
            "stops": len(part), "vessels": int(part["mmsi"].nunique()),
            "method": (f"AIS: convex hull of {_n(len(part), 'stop')} in open water (DBSCAN "
                       f"{opts.anchor_eps_m:.0f} m) + a {radius:.0f} m swinging circle"),
            "named_from": named_from, "geometry": area})
    anchorages = _with_evidence(given, "anchorage", "surveyed", evidence, crs)
    if anchorage_rows:
        anchorages = gpd.GeoDataFrame(
            pd.concat([anchorages, gpd.GeoDataFrame(anchorage_rows, geometry="geometry",
                                                    crs=crs)], ignore_index=True),
            geometry="geometry", crs=crs)
    new_berths = int((berths["source"] == "ais").sum())
    report.append(
        f"learned from {len(fixes):,} fixes of {fixes['mmsi'].nunique() if len(fixes) else 0} "
        f"vessels: {len(stops)} stops, {len(stops) - len(other)} at derived berths or given "
        f"anchorages; {len(moored)} moored stops elsewhere -> {len(fitted)} quay lines: "
        f"{new_berths} new berths, {merged} added to the derived berth of their dock; "
        f"{len(anchored)} stops in open water -> {len(anchorage_rows)} anchorages")
    span = (fixes["ts"].min(), fixes["ts"].max()) if len(fixes) else (None, None)
    summary = {
        "fixes": int(len(fixes)), "vessels": int(fixes["mmsi"].nunique()) if len(fixes) else 0,
        "start": _iso(span[0]), "end": _iso(span[1]), "stops": int(len(stops)),
        "stops_at_sources": int(len(stops) - len(other)),
        "berths_learned": new_berths, "berths_given_ais_quays": merged,
        "anchorages_learned": len(anchorage_rows),
        "berth_eps_m": opts.berth_eps_m, "anchor_eps_m": opts.anchor_eps_m,
        "min_stops": opts.min_stops, "quay_reach_m": opts.quay_reach_m,
        "alongside_shore_m": opts.alongside_shore_m, "name_max_m": opts.name_max_m}
    return Learned(berths.to_crs(WGS84), anchorages.to_crs(WGS84), stops, summary, report)


def _with_evidence(gdf, kind: str, source: str, evidence: dict, crs) -> gpd.GeoDataFrame:
    """A source layer (metres) with its provenance and the history's stops at each feature."""
    if gdf is None or not len(gdf):
        return gpd.GeoDataFrame({"id": pd.Series([], dtype=str),
                                 "name": pd.Series([], dtype=str)}, geometry=[], crs=crs)
    gdf = gdf.to_crs(crs).reset_index(drop=True)
    gdf["source"] = source
    counts = [evidence.get((kind, str(i)), (0, set())) for i in gdf["id"]]
    gdf["stops"] = [c[0] for c in counts]
    gdf["vessels"] = [len(c[1]) for c in counts]
    return gdf


def _merge_berths(derived, fitted: list, evidence: dict, crs, opts: LearnOptions,
                  left_out_docks: set, report: list):
    """The berth layer with the fitted quay lines merged in (metres), and how many went to a
    derived berth. Quay lines named from the same dock point are one berth. A dock that already
    has a derived berth gets the AIS quay line(s) added to it (a MultiLineString, the AIS line
    first: the derived quay lies where the coarse shoreline is, the AIS one where the ships
    were; ``source = "geometry+ais"``) — never a second berth of the same name. A dock the
    derivation could not place becomes a berth of its own id, placed from AIS."""
    berths = _with_evidence(derived, "berth", "geometry", evidence, crs)
    vessels = {str(i): set(evidence.get(("berth", str(i)), (0, set()))[1])
               for i in berths["id"]}
    groups: dict = {}
    for k, f in enumerate(fitted):
        groups.setdefault(f["dock"] or f"#{k}", []).append(f)
    taken = set(berths["id"].astype(str))
    index = {str(i): n for n, i in enumerate(berths["id"])}
    new_rows, merged = [], 0
    for key, group in groups.items():
        lines = [f["fit"]["geometry"] for f in group]
        parts = pd.concat([f["part"] for f in group])
        n_stops, ships = len(parts), set(parts["mmsi"])
        how = (f"AIS: {_n(n_stops, 'moored stop')} ({parts['why'].iloc[0]}); quay "
               f"{group[0]['fit']['axis']}, {group[0]['fit']['quay_side']}; length: the "
               "ships' spread + " +
               (f"default {opts.default_berth_m:.0f} m (no AIS length)"
                if group[0]["fit"]["length_estimated"] else "the longest ship's AIS length"))
        dock = group[0]["dock"]
        if dock is not None and dock in index:              # the derived berth of this dock
            i = index[dock]
            old = berths.geometry.iloc[i]
            old_parts = list(getattr(old, "geoms", [old]))
            geom = shapely.MultiLineString(lines + old_parts)
            near = min(old.distance(line) for line in lines)
            berths.loc[i, "geometry"] = geom
            berths.loc[i, "length_m"] = round(max(g.length for g in geom.geoms), 1)
            berths.loc[i, "source"] = "geometry+ais"
            berths.loc[i, "stops"] = int(berths.loc[i, "stops"]) + n_stops
            vessels[dock] |= ships
            berths.loc[i, "vessels"] = len(vessels[dock])
            berths.loc[i, "method"] = (f"{berths.loc[i, 'method']}; + {how}, {near:.0f} m from "
                                       "the derived quay (first part)")
            merged += 1
            continue
        if dock is not None and dock not in taken:
            ident = dock
            taken.add(dock)
            if dock in left_out_docks:
                report.append(f"dock {dock} ({group[0]['name']}): not placed by the shoreline, "
                              f"placed from AIS ({_n(n_stops, 'stop')} there)")
        else:
            ident = _free_id("AIS-B", taken)
        geom = lines[0] if len(lines) == 1 else shapely.MultiLineString(lines)
        new_rows.append({
            "id": ident, "name": group[0]["name"], "terminal": group[0]["terminal"],
            "length_m": round(max(line.length for line in lines), 1), "depth_m": None,
            "source": "ais", "derived": True,
            "length_estimated": bool(group[0]["fit"]["length_estimated"]),
            "stops": n_stops, "vessels": len(ships), "method": how,
            "named_from": group[0]["named_from"], "geometry": geom})
    if new_rows:
        berths = gpd.GeoDataFrame(
            pd.concat([berths, gpd.GeoDataFrame(new_rows, geometry="geometry", crs=crs)],
                      ignore_index=True), geometry="geometry", crs=crs)
    return berths, merged


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _free_id(prefix: str, taken: set) -> str:
    k = 1
    while f"{prefix}{k:03d}" in taken:
        k += 1
    taken.add(f"{prefix}{k:03d}")
    return f"{prefix}{k:03d}"


def _iso(ts) -> str | None:
    if ts is None or ts != ts:
        return None
    return pd.Timestamp(ts, unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
