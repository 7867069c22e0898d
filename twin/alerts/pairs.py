"""Vessel pairs for the pair rules: who is fresh, where they are now (dead reckoning from the
last report) and which pairs are close enough to look at (scipy cKDTree)."""
from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree

from .model import Condition

KN_TO_MS = 1852 / 3600


def pair_cleared(rule: str, key: tuple, ctx, now: float) -> Condition:
    """The pair ``key`` (mmsi, other) no longer meets the rule."""
    v = ctx.vessels.get(key[0])
    lon, lat = (v.last.lon, v.last.lat) if v is not None and v.last else (0.0, 0.0)
    return Condition(rule, key[0], now, lon, lat, False, other=key[1])


def fresh_vessels(ctx, now: float, max_age_s: float, keep) -> dict:
    """Columns of the vessels whose last report is at most ``max_age_s`` old and ``keep(v)``:
    mmsi, x, y (dead-reckoned to ``now``), vx, vy (m/s), length, and the memories."""
    rows = []
    for v in ctx.vessels.values():
        f = v.last
        if f is None or now - f.ts > max_age_s or not keep(v):
            continue
        vx = vy = 0.0
        if f.sog is not None and f.cog is not None:
            speed = f.sog * KN_TO_MS
            vx, vy = speed * math.sin(math.radians(f.cog)), speed * math.cos(math.radians(f.cog))
        dt = now - f.ts
        rows.append((v, f.x + vx * dt, f.y + vy * dt, vx, vy))
    if not rows:
        return {"n": 0}
    vs, x, y, vx, vy = zip(*rows)
    return {"n": len(vs), "vessels": list(vs), "x": np.array(x), "y": np.array(y),
            "vx": np.array(vx), "vy": np.array(vy)}


def close_pairs(cols: dict, radius_m: float) -> np.ndarray:
    if cols["n"] < 2:
        return np.empty((0, 2), dtype=int)
    tree = cKDTree(np.column_stack([cols["x"], cols["y"]]))
    return tree.query_pairs(radius_m, output_type="ndarray")


def cpa_tcpa(cols: dict, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closest point of approach (m), time to it (s; negative = passed) and the distance now,
    for straight-line motion at the reported course and speed."""
    i, j = pairs[:, 0], pairs[:, 1]
    dx, dy = cols["x"][j] - cols["x"][i], cols["y"][j] - cols["y"][i]
    dvx, dvy = cols["vx"][j] - cols["vx"][i], cols["vy"][j] - cols["vy"][i]
    dv2 = dvx * dvx + dvy * dvy
    with np.errstate(divide="ignore", invalid="ignore"):
        tcpa = np.where(dv2 > 1e-9, -(dx * dvx + dy * dvy) / dv2, 0.0)
    cx, cy = dx + dvx * tcpa, dy + dvy * tcpa
    return np.hypot(cx, cy), tcpa, np.hypot(dx, dy)
