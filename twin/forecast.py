"""Forecasts: how long until a ship begins its next stay (berth or anchorage), with an 80 %
interval — learned from the port's own history.

* **Examples** (``examples``): from a loaded history (positions, and the stays the port-call
  tracker found), one sample per vessel every ``SAMPLE_S`` while it is not in a stay; the
  target is the time until its next stay begins, when that is within ``HORIZON_H``. Samples
  with no stay inside the horizon before the data ends are left out (their outcome is not
  known).
* **Features** (``features``): what is known at that moment — speed, the speed made good
  towards the nearest berth and anchorage, distances to them and to the port limits, inside
  the limits or not, ship type group, length, hour of day (port time). No feature reads the
  outcome.
* **Model** (``ForecastModel``): scikit-learn's histogram gradient boosting with the
  quantile loss, three models (10th, 50th, 90th percentile): the median is the forecast, the
  10–90 band its 80 % interval. Trained by ``python app.py forecast train`` from the history
  store; nothing downloaded.
* **Baselines** (``evaluate``): (a) the straight-line distance to the stay's eventual place at
  the current speed — it is told where the ship will go, which no forecast knows; (b) the
  history's median for that kind of movement (ship type group, inside or outside the limits).

Definitions: docs/definitions.md, "Forecasts".
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import shapely

from .vessel_types import ship_category

SAMPLE_S = 300.0                 # one example per vessel every 5 minutes
HORIZON_H = 12.0                 # a next stay further ahead than this is not forecast
MIN_SPEED_KN = 0.5               # baseline (a): slower than this reads as this
KN = 1852.0 / 3600.0             # m/s per knot
QUANTILES = (0.1, 0.5, 0.9)
CALIBRATION_SHARE = 0.2          # the latest fifth of the history calibrates the interval
CATEGORIES = ("cargo", "tanker", "passenger", "tug", "service", "fishing", "pleasure",
              "high_speed", "sar", "other", "unknown")
FEATURES = ("sog", "vmg_berth", "vmg_anchorage", "d_berth_km", "d_anchorage_km", "d_limit_km",
            "in_port", "category", "length", "hour", "since_stay_h", "prev_kind", "d_prev_km")
PREV_KINDS = {"": 0, "berth": 1, "anchorage": 2}


def examples(store, source: str, port, start: float | None = None,
             end: float | None = None) -> pd.DataFrame:
    """One row per sampled moment of a vessel not in a stay, with its features, the target
    (hours to its next stay) and the eventual stay's place (for baseline (a))."""
    pos = store.positions(source=source, start=start, end=end)
    if pos.empty:
        return pd.DataFrame()
    visits = store.visits(source)
    visits = visits[visits["kind"].isin(["berth", "anchorage"])]
    static = store.static()
    lengths = dict(zip(static["mmsi"].astype(int), static["length"]))
    types = dict(zip(static["mmsi"].astype(int), static["ship_type"]))
    data_end = float(pos["ts"].max()) if end is None else min(end, float(pos["ts"].max()))
    rows = []
    by_vessel = {int(m): g.sort_values("arrival") for m, g in visits.groupby("mmsi")}
    for mmsi, track in pos.sort_values("ts").groupby("mmsi"):
        mmsi = int(mmsi)
        stays = by_vessel.get(mmsi)
        if stays is None or not len(stays):
            continue
        arr = stays["arrival"].to_numpy(float)
        dep = stays["departure"].to_numpy(float)
        dep = np.where(np.isnan(dep), np.inf, dep)
        last = -math.inf
        track = with_motion(track, port)
        for t, lon, lat, sog, cog in track[["ts", "lon", "lat", "sog", "cog"]].itertuples(
                index=False):
            if t - last < SAMPLE_S:
                continue
            if ((arr <= t) & (t < dep)).any():          # in a stay now: nothing to forecast
                continue
            ahead = np.nonzero(arr > t)[0]
            if not len(ahead):
                continue
            k = ahead[0]
            hours = (arr[k] - t) / 3600.0
            if hours > HORIZON_H or arr[k] > data_end:
                continue
            last = t
            s = stays.iloc[k]
            before = np.nonzero(dep <= t)[0]          # the stay it left last, if any
            prev = stays.iloc[before[-1]] if len(before) else None
            rows.append({"mmsi": mmsi, "ts": float(t), "lon": lon, "lat": lat,
                         "sog": sog, "cog": cog, "target_h": hours,
                         "stay_kind": s["kind"], "stay_lon": s["lon"], "stay_lat": s["lat"],
                         "prev_kind": prev["kind"] if prev is not None else "",
                         "since_stay_h": (t - dep[before[-1]]) / 3600.0 if prev is not None
                         else -1.0,
                         "prev_lon": prev["lon"] if prev is not None else np.nan,
                         "prev_lat": prev["lat"] if prev is not None else np.nan,
                         "length": lengths.get(mmsi),
                         "category": ship_category(types.get(mmsi), mmsi)})
    if not rows:
        return pd.DataFrame()
    df = pd.DataFrame(rows)
    feats = features(df, port)               # sog, length, category (as a code) among them
    return pd.concat([df.drop(columns=["sog", "length", "category", "prev_kind",
                                       "since_stay_h"])
                      .assign(category_name=df["category"]), feats], axis=1)


def with_motion(track: pd.DataFrame, port, max_gap_s: float = 900.0) -> pd.DataFrame:
    """The track with speed (kn) and course (°) where the recording has none (a position
    file such as tracktable's .traj carries positions only): from the previous fix, when it
    is at most ``max_gap_s`` earlier."""
    sog = pd.to_numeric(track["sog"], errors="coerce").to_numpy(float)
    cog = pd.to_numeric(track["cog"], errors="coerce").to_numpy(float)
    missing = np.isnan(sog) | np.isnan(cog)
    if not missing.any():
        return track
    x, y = port.geometry.to_metres(track["lon"].to_numpy(float), track["lat"].to_numpy(float))
    t = track["ts"].to_numpy(float)
    dt, dx, dy = np.diff(t, prepend=np.nan), np.diff(x, prepend=np.nan), np.diff(y, prepend=np.nan)
    ok = (dt > 0) & (dt <= max_gap_s)
    speed = np.where(ok, np.hypot(dx, dy) / np.where(ok, dt, 1.0) / KN, np.nan)
    course = np.where(ok, np.degrees(np.arctan2(dx, dy)) % 360.0, np.nan)
    return track.assign(sog=np.where(np.isnan(sog), speed, sog),
                        cog=np.where(np.isnan(cog), course, cog))


def features(df: pd.DataFrame, port) -> pd.DataFrame:
    """The model's inputs for rows with ``lon, lat, sog, cog, category, length, ts``."""
    geom = port.geometry
    x, y = geom.to_metres(df["lon"].to_numpy(float), df["lat"].to_numpy(float))
    pts = shapely.points(x, y)
    sog = pd.to_numeric(df["sog"], errors="coerce").fillna(0.0).to_numpy(float)
    cog = np.radians(pd.to_numeric(df["cog"], errors="coerce").fillna(0.0).to_numpy(float))
    out = pd.DataFrame(index=df.index)
    out["sog"] = sog
    for name, tree, layer in (("berth", geom._berth_tree, geom.berths),
                              ("anchorage", geom._anchorage_tree, geom.anchorages)):
        if len(layer):
            idx = tree.nearest(pts)
            targets = np.asarray(layer.geometry.values, dtype=object)[idx]
            near = shapely.shortest_line(pts, targets)
            end = shapely.get_coordinates(shapely.get_point(near, 1))
            dx, dy = end[:, 0] - x, end[:, 1] - y
            dist = np.hypot(dx, dy)
            bearing = np.arctan2(dx, dy)                     # from north, clockwise
            out[f"d_{name}_km"] = dist / 1000.0
            out[f"vmg_{name}"] = sog * np.cos(cog - bearing) * (dist > 1)
        else:
            out[f"d_{name}_km"] = np.nan
            out[f"vmg_{name}"] = 0.0
    inside = shapely.contains_xy(geom._limit, x, y)
    out["in_port"] = inside.astype(float)
    out["d_limit_km"] = shapely.distance(pts, geom.limit_boundary) / 1000.0 * np.where(
        inside, 1.0, -1.0)
    out["category"] = [CATEGORIES.index(c) if c in CATEGORIES else CATEGORIES.index("unknown")
                       for c in df["category"]]
    out["length"] = pd.to_numeric(df["length"], errors="coerce").fillna(-1.0)   # -1: unknown
    tz = ZoneInfo(port.timezone)
    out["hour"] = [datetime.fromtimestamp(t, tz).hour for t in df["ts"]]
    # where it came from: how long since it left its last stay, what kind, how far away
    out["since_stay_h"] = pd.to_numeric(df.get("since_stay_h", -1.0), errors="coerce")
    out["prev_kind"] = [PREV_KINDS.get(k, 0) for k in df.get("prev_kind", [""] * len(df))]
    if "prev_lon" in df:
        px, py = geom.to_metres(df["prev_lon"].to_numpy(float), df["prev_lat"].to_numpy(float))
        out["d_prev_km"] = np.where(np.isnan(px), -1.0, np.hypot(px - x, py - y) / 1000.0)
    else:
        out["d_prev_km"] = -1.0
    return out


@dataclass
class ForecastModel:
    """Three quantile models over ``FEATURES``, and the history's medians (baseline b)."""
    models: dict
    medians: dict                  # (category, in_port) -> median hours
    overall_median: float
    trained_on: dict
    widen_h: float = 0.0           # conformal widening of the 10–90 band (CQR)

    @classmethod
    def train(cls, ex: pd.DataFrame, trained_on: dict | None = None,
              seed: int = 0) -> "ForecastModel":
        from sklearn.ensemble import HistGradientBoostingRegressor
        if len(ex) < 50:
            raise ValueError(f"{len(ex)} examples: too few to learn from (at least 50)")
        # conformalized quantile regression (Romano, Patterson & Candès 2019): the models
        # learn on the earlier 80 % of the history, the later 20 % measures how far outside
        # their 10–90 band outcomes fall, and the band is widened by that much — quantile
        # models alone are over-confident out of sample (71 % held on the NY week)
        ex = ex.sort_values("ts")
        cut = int(len(ex) * (1 - CALIBRATION_SHARE))
        fit, cal = ex.iloc[:cut], ex.iloc[cut:]
        X, y = fit[list(FEATURES)].to_numpy(float), fit["target_h"].to_numpy(float)
        cat = [FEATURES.index("category"), FEATURES.index("in_port"),
               FEATURES.index("prev_kind")]
        models = {}
        for q in QUANTILES:
            m = HistGradientBoostingRegressor(loss="quantile", quantile=q, max_iter=300,
                                              learning_rate=0.05, max_leaf_nodes=31,
                                              min_samples_leaf=20, categorical_features=cat,
                                              random_state=seed)
            models[q] = m.fit(X, y)
        medians = fit.groupby(["category", "in_port"])["target_h"].median().to_dict()
        model = cls(models, {(int(c), int(p)): float(v) for (c, p), v in medians.items()},
                    float(fit["target_h"].median()), trained_on or {"examples": len(ex)})
        band = model.predict(cal)
        truth = cal["target_h"].to_numpy(float)
        scores = np.maximum(band["low"].to_numpy() - truth, truth - band["high"].to_numpy())
        level = min(1.0, (1 - (QUANTILES[0] + 1 - QUANTILES[-1])) * (1 + 1 / len(scores)))
        model.widen_h = float(max(0.0, np.quantile(scores, level)))
        return model

    def predict(self, feats: pd.DataFrame) -> pd.DataFrame:
        """Hours to the next stay: ``low`` (10 %), ``mid`` (the forecast), ``high`` (90 %)."""
        X = feats[list(FEATURES)].to_numpy(float)
        low, mid, high = (np.clip(self.models[q].predict(X), 0.0, HORIZON_H) for q in QUANTILES)
        mid = np.maximum(mid, low)
        high = np.maximum(high, mid)
        low = np.maximum(low - self.widen_h, 0.0)
        high = np.minimum(high + self.widen_h, HORIZON_H)
        return pd.DataFrame({"low": low, "mid": mid, "high": high}, index=feats.index)

    def baseline_b(self, feats: pd.DataFrame) -> np.ndarray:
        return np.array([self.medians.get((int(c), int(p)), self.overall_median)
                         for c, p in zip(feats["category"], feats["in_port"])])


def baseline_a(ex: pd.DataFrame, port) -> np.ndarray:
    """Straight-line distance to the stay's eventual place at the current speed (at least
    ``MIN_SPEED_KN``), capped at the horizon."""
    geom = port.geometry
    x, y = geom.to_metres(ex["lon"].to_numpy(float), ex["lat"].to_numpy(float))
    sx, sy = geom.to_metres(ex["stay_lon"].to_numpy(float), ex["stay_lat"].to_numpy(float))
    speed = np.maximum(pd.to_numeric(ex["sog"], errors="coerce").fillna(0.0).to_numpy(float),
                       MIN_SPEED_KN) * KN
    return np.minimum(np.hypot(sx - x, sy - y) / speed / 3600.0, HORIZON_H)


def evaluate(model: ForecastModel, test: pd.DataFrame, port) -> dict:
    """MAE (hours) of the model and both baselines, and how often the 80 % interval held
    the outcome, over every example of the test data."""
    pred = model.predict(test)
    truth = test["target_h"].to_numpy(float)
    a, b = baseline_a(test, port), model.baseline_b(test)
    held = (pred["low"].to_numpy() <= truth) & (truth <= pred["high"].to_numpy())
    return {"n": int(len(test)), "mae_h": float(np.mean(np.abs(pred["mid"] - truth))),
            "baseline_a_mae_h": float(np.mean(np.abs(a - truth))),
            "baseline_b_mae_h": float(np.mean(np.abs(b - truth))),
            "coverage": float(held.mean()),
            "vessels": int(test["mmsi"].nunique())}
