"""What the alert rules know: each fix located once (metres, berth, anchorage, zones, land),
and a small memory per vessel (last fixes, speed, stop, static data).

The rules never project or index geometry themselves: ``AlertContext.locate`` does it for a
whole round at once (pyproj + shapely STRtree, vectorised), and every rule reads the result.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import Polygon

from ..port import nearest_within
from ..portcalls import MS_TO_KN, PortCallRules
from ..vessel_types import ship_category

STATUS_AT_ANCHOR, STATUS_MOORED = 1, 5


@dataclass(slots=True)
class Fix:
    mmsi: int
    ts: float
    lon: float
    lat: float
    x: float                      # metres, the port's UTM zone
    y: float
    sog: float | None             # reported, else implied from the track
    cog: float | None
    heading: float | None
    nav_status: int | None
    berth: str | None
    anchorage: str | None
    in_port: bool
    zones: tuple = ()             # zone ids the fix is inside
    near_zones: tuple = ()        # zone ids within the exit margin (hysteresis)
    shore_m: float = math.inf     # distance to land (inf: farther than the search radius;
    #                               NaN: not measured — outside the port area, at a berth or
    #                               in an anchorage, where no rule asks)
    check: str = "ok"             # position plausibility (see position_jump.Plausibility)
    check_details: dict = field(default_factory=dict)
    plan_events: tuple = ()       # what this fix did to the berth plans ("arrived", plan) …


@dataclass
class VesselMemory:
    mmsi: int
    ship_type: int | None = None
    length: float | None = None
    ais_class: str | None = None
    name: str | None = None
    draught: float | None = None
    imo: int | None = None
    last: Fix | None = None
    recent: deque = field(default_factory=lambda: deque(maxlen=8))   # accepted fixes
    _category: tuple = field(default=(None, None), repr=False, compare=False)

    @property
    def category(self) -> str:
        """Its ship-type group (asked of every vessel by every pair rule every round: kept
        until its ship type changes)."""
        code, group = self._category
        if group is None or code != self.ship_type:
            group = ship_category(self.ship_type, self.mmsi)
            self._category = (self.ship_type, group)
        return group


@dataclass
class Zone:
    id: str
    name: str
    kind: str
    speed_limit_kn: float | None
    geometry: object             # metres


class AlertContext:
    """The port as the rules see it (zones, sectors, land, port limits) and the fleet's
    memories. ``geometry`` is a ``twin.port.PortGeometry``."""

    def __init__(self, geometry, zones=None, sectors=(), land=None, berths=None, fairways=None,
                 exit_margin_m: float = 50.0,
                 shore_search_m: float = 1000.0,
                 implied_min_dt_s: float = PortCallRules.implied_min_dt_s):
        self.geometry = geometry
        self.vessels: dict[int, VesselMemory] = {}
        self.exit_margin_m = exit_margin_m
        self.shore_search_m = shore_search_m
        self.implied_min_dt_s = implied_min_dt_s
        self.zones: list[Zone] = []
        if zones is not None and len(zones):
            z = zones.to_crs(geometry.crs)
            for _, row in z.iterrows():
                limit = row.get("speed_limit_kn")
                self.zones.append(Zone(str(row["id"]), str(row.get("name") or row["id"]),
                                       str(row.get("kind") or "restricted"),
                                       None if limit is None or limit != limit else float(limit),
                                       row.geometry))
        self._zone_tree = shapely.STRtree([z.geometry for z in self.zones])
        self._zone_near_tree = shapely.STRtree([z.geometry.buffer(exit_margin_m)
                                                for z in self.zones])
        self.zone_by_id = {z.id: z for z in self.zones}
        # charted depths (m below chart datum) of berths and fairways, where the package has
        # them; other parts of the twin set ``hydromet``, ``fusion`` and ``plan`` for rules
        self.berth_points = {}
        if berths is not None and len(berths):
            pts = berths.geometry.representative_point()
            self.berth_points = {str(b): (p.x, p.y) for b, p in zip(berths["id"], pts)}
        self.berth_depth = {}
        if berths is not None and len(berths) and "depth_m" in berths:
            self.berth_depth = {str(b): float(d) for b, d in zip(berths["id"], berths["depth_m"])
                                if d is not None and d == d}
        self.fairways = []
        if fairways is not None and len(fairways) and "depth_m" in fairways:
            f = fairways.to_crs(geometry.crs)
            self.fairways = [(str(r["id"]), float(r["depth_m"]), r.geometry)
                             for _, r in f.iterrows()
                             if r["depth_m"] is not None and r["depth_m"] == r["depth_m"]]
        self.hydromet = None
        self.fusion = None
        self.plan = None
        land_parts = [] if land is None or not len(land) else list(
            land.to_crs(geometry.crs).geometry)
        self._land_tree = shapely.STRtree(land_parts)
        shapely.prepare(self._land_tree.geometries)      # point-in-land tests, indexed
        # distance to land = 0 inside it, else to its nearest edge: the edges in short pieces
        # (a nearest query on whole coastlines measures every vertex of each candidate)
        self._shore_tree = shapely.STRtree(_edge_pieces(land_parts))
        self.sectors = []                      # (id, name, name_zh, polygon lon/lat)
        for s in sectors:
            poly = Polygon(s["polygon"])
            if not poly.is_valid:
                raise ValueError(f"alerts.toml: sector {s.get('id')!r}: polygon is not valid")
            self.sectors.append((str(s["id"]), s.get("name", s["id"]),
                                 s.get("name_zh", s.get("name", s["id"])), poly))

    # ---- per round -----------------------------------------------------------------------
    def locate(self, lons, lats, where=None) -> dict:
        """Metres, berth/anchorage/port (reused from ``where`` when the caller has it: the
        points are then its, and ``lons``, ``lats`` are not read), zones and distance to land
        for many points at once."""
        if where is None:
            where = self.geometry.locate(np.asarray(lons, float), np.asarray(lats, float))
        x, y = where["x"], where["y"]
        pts = where.get("pts")
        if pts is None:
            pts = shapely.points(x, y)
        n = len(pts)
        zones = [()] * n
        near = [()] * n
        if self.zones:
            zones = _members(self._zone_tree.query(pts, predicate="within"), n, self.zones)
            near = _members(self._zone_near_tree.query(pts, predicate="within"), n, self.zones)
        # distance to land: asked only of fixes in the port area outside every berth and
        # anchorage (unauthorised anchoring); NaN for the rest, which no rule reads — the
        # nearest-edge search was the alert engine's largest cost when every fix had it
        shore = np.full(n, math.nan)
        ask = np.flatnonzero(np.asarray(where["in_port"], bool)
                             & _none(where["berth"]) & _none(where["anchorage"]))
        shore[ask] = math.inf
        if len(self._land_tree.geometries) and len(ask):
            # on land: 0 (GEOS's point-to-polygon distance); the rest measured to the edges
            cand, part = self._land_tree.query(pts[ask])
            inland = ask[cand[shapely.contains_xy(self._land_tree.geometries[part],
                                                  np.asarray(x, float)[ask[cand]],
                                                  np.asarray(y, float)[ask[cand]])]]
            shore[inland] = 0.0
            off = ask[shore[ask] != 0.0]
            idx_pt, idx_edge = nearest_within(self._shore_tree, pts[off], self.shore_search_m)
            if len(idx_pt):
                shore[off[idx_pt]] = shapely.distance(pts[off[idx_pt]],
                                                      self._shore_tree.geometries[idx_edge])
        return {**where, "x": x, "y": y, "zones": zones, "near_zones": near, "shore_m": shore}

    def berth_point(self, berth: str | None) -> tuple[float, float]:
        """A lon/lat on the berth (where a plan alert is drawn)."""
        return self.berth_points.get(berth, (float("nan"), float("nan")))

    def depth_at(self, fix) -> tuple[float | None, str | None]:
        """Charted depth where the fix is: its berth's, else the fairway's it is in."""
        if fix.berth is not None and fix.berth in self.berth_depth:
            return self.berth_depth[fix.berth], f"berth:{fix.berth}"
        for fid, depth, poly in self.fairways:
            if shapely.contains_xy(poly, fix.x, fix.y):
                return depth, f"fairway:{fid}"
        return None, None

    def sector_of(self, lon: float, lat: float) -> str | None:
        for sid, _, _, poly in self.sectors:
            if shapely.contains_xy(poly, lon, lat):
                return sid
        return None

    # ---- per fix -------------------------------------------------------------------------
    def vessel(self, mmsi: int) -> VesselMemory:
        v = self.vessels.get(mmsi)
        if v is None:
            v = self.vessels[mmsi] = VesselMemory(mmsi)
        return v

    def implied_motion(self, v: VesselMemory, ts: float, x: float, y: float
                       ) -> tuple[float | None, float | None]:
        """(knots, course in degrees) over the line from the latest accepted fix at least
        ``implied_min_dt_s`` earlier — for feeds with positions only. Metres in the UTM zone:
        at port scale within 0.1 % of pyproj.Geod, and the course within the grid convergence
        (< 1 degree here)."""
        for f in reversed(v.recent):
            dt = ts - f.ts
            if dt >= self.implied_min_dt_s:
                dx, dy = x - f.x, y - f.y
                return (math.hypot(dx, dy) / dt * MS_TO_KN,
                        math.degrees(math.atan2(dx, dy)) % 360.0)
        return None, None


def _edge_pieces(geometries, vertices: int = 8) -> list:
    """The outlines of ``geometries`` (polygon rings, lines; points as they are) cut into
    lines of at most ``vertices`` + 1 points: the same segments, so the same distances."""
    pieces = []
    for part in shapely.get_parts(np.asarray(geometries, dtype=object)):
        if shapely.get_type_id(part) == 3:                     # polygon: its rings
            lines = list(shapely.get_rings(part))
        elif shapely.get_type_id(part) in (1, 2):              # line, ring
            lines = [part]
        else:
            pieces.append(part)
            continue
        for line in lines:
            xy = shapely.get_coordinates(line)
            if len(xy) < 2:
                continue
            for lo in range(0, len(xy) - 1, vertices):
                pieces.append(shapely.linestrings(xy[lo:lo + vertices + 1]))
    return pieces


def _none(values) -> np.ndarray:
    """Which entries of an object array (berth / anchorage ids) are None."""
    # ids are text or None, and text never equals None: the comparison runs in C
    return np.equal(np.asarray(values, dtype=object), None).astype(bool, copy=False)


def _members(pairs, n: int, zones) -> list[tuple]:
    out: list = [()] * n
    for i, j in zip(*pairs):
        out[i] = out[i] + (zones[j].id,)
    return out
