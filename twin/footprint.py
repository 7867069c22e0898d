"""To-scale vessel footprints: a five-sided hull outline placed at the AIS reference point.

Vertices are computed in a local east/north tangent plane around each vessel and converted to
lon/lat with the WGS84 radii of curvature at that latitude. Over a hull (< 500 m) this agrees
with a geodesic (pyproj.Geod.fwd) to well under 0.1 m — see tests/twin/test_footprint.py — and is
vectorised, which matters at 50k vessels per second.
"""
from __future__ import annotations

import numpy as np

_A = 6378137.0                 # WGS84 semi-major axis, m
_E2 = 6.69437999014e-3         # WGS84 first eccentricity squared

VERTICES = 6                   # 5 outline vertices + the first repeated (closed ring)
BOW_TAPER = 0.15               # share of the length that narrows into the bow


def metres_per_degree(lat_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(metres per degree of longitude, metres per degree of latitude) at ``lat_deg``."""
    phi = np.radians(lat_deg)
    s2 = np.sin(phi) ** 2
    w = np.sqrt(1.0 - _E2 * s2)
    n = _A / w                          # prime vertical radius
    m = _A * (1.0 - _E2) / w ** 3       # meridional radius
    return np.radians(n * np.cos(phi)), np.radians(m)


def footprints(lon, lat, course_deg, to_bow, to_stern, to_port, to_starboard) -> np.ndarray:
    """Hull outlines as an ``(n, 6, 2)`` array of lon/lat, rings closed, rotated to course.

    ``to_*`` are the AIS reference-point offsets in metres (ITU-R M.1371 dimensions); when a
    feed only gives length and width, pass half of each.
    """
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    bow, stern = np.asarray(to_bow, float), np.asarray(to_stern, float)
    port, stbd = np.asarray(to_port, float), np.asarray(to_starboard, float)
    shoulder = bow - BOW_TAPER * (bow + stern)
    # Ship frame: x to starboard, y forward. Stern-port, port shoulder, bow, stbd shoulder, stern-stbd.
    x = np.stack([-port, -port, (stbd - port) / 2.0, stbd, stbd, -port], axis=1)
    y = np.stack([-stern, shoulder, bow, shoulder, -stern, -stern], axis=1)
    h = np.radians(np.asarray(course_deg, float))[:, None]
    east = x * np.cos(h) + y * np.sin(h)
    north = -x * np.sin(h) + y * np.cos(h)
    m_lon, m_lat = metres_per_degree(lat)
    out = np.empty((len(lon), VERTICES, 2))
    out[:, :, 0] = lon[:, None] + east / m_lon[:, None]
    out[:, :, 1] = lat[:, None] + north / m_lat[:, None]
    return out
