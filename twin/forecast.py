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
_CAT = [FEATURES.index("category"), FEATURES.index("in_port"), FEATURES.index("prev_kind")]


STAY_KINDS = ("berth", "anchorage")       # the stays a forecast is of ("other" stops aren't)


def local_hour(t: float, tz: str, up: bool = False) -> float:
    """The start of the port-time hour holding ``t`` (``up``: the next hour boundary at or
    after it) — a whole hour of the clock on the wall in any zone, also one 30 or 45 min off
    UTC (India, Newfoundland, Nepal), not a UTC hour."""
    off = datetime.fromtimestamp(t, ZoneInfo(tz)).utcoffset().total_seconds()
    rounding = math.ceil if up else math.floor
    return rounding((t + off) / 3600.0) * 3600.0 - off


def stays_only(visits: pd.DataFrame) -> pd.DataFrame:
    """The berth and anchorage stays of a visits table: what the forecast forecasts, and
    what its arrivals are counted against (training, evaluation, reports)."""
    return visits[visits["kind"].isin(STAY_KINDS)]


def stays_begun(visits: pd.DataFrame) -> np.ndarray:
    """When each of those stays began, sorted: an hour's arrivals are the ones inside it."""
    return np.sort(stays_only(visits)["arrival"].to_numpy(float))


def examples(store, source: str, port, start: float | None = None,
             end: float | None = None, with_none: bool = False) -> pd.DataFrame:
    """One row per sampled moment of a vessel not in a stay, with its features, the target
    (hours to its next stay) and the eventual stay's place (for baseline (a)). With
    ``with_none``, also the moments of vessels whose next stay is not within the horizon
    (passing through, leaving) where the data runs on long enough to know it: ``stay_kind``
    "none", no target — what the next-stay classifier learns "not coming" from."""
    pos = store.positions(source=source, start=start, end=end)
    if pos.empty:
        return pd.DataFrame()
    visits = stays_only(store.visits(source))
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
            if not with_none:
                continue
            stays = visits.iloc[:0]
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
            k = ahead[0] if len(ahead) else None
            hours = (arr[k] - t) / 3600.0 if k is not None else math.inf
            if hours > HORIZON_H:                       # not coming within the horizon
                if not with_none or t + HORIZON_H * 3600 > data_end:
                    continue                            # (or not known yet)
                k = None
            elif arr[k] > data_end:
                continue
            last = t
            s = stays.iloc[k] if k is not None else None
            before = np.nonzero(dep <= t)[0]          # the stay it left last, if any
            prev = stays.iloc[before[-1]] if len(before) else None
            rows.append({"mmsi": mmsi, "ts": float(t), "lon": lon, "lat": lat,
                         "sog": sog, "cog": cog,
                         "target_h": hours if s is not None else np.nan,
                         "stay_kind": s["kind"] if s is not None else "none",
                         "stay_lon": s["lon"] if s is not None else np.nan,
                         "stay_lat": s["lat"] if s is not None else np.nan,
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
    for name, layer in (("berth", geom.berths), ("anchorage", geom.anchorages)):
        if len(layer):
            idx = geom.nearest(name, pts)
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
    inside = geom.inside_limits(x, y)
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
    """Three quantile models over ``FEATURES``, the history's medians (baseline b), the
    next-stay classifier and the port's profile (``port_profile``)."""
    models: dict
    medians: dict                  # (category, in_port) -> median hours
    overall_median: float
    trained_on: dict
    widen_h: float = 0.0           # conformal widening of the 10–90 band (CQR)
    kind_model: object = None      # P(next stay within the horizon is none / berth / anchorage)
    kinds: tuple = ()              # the classifier's classes, in its column order
    profile: dict | None = None    # arrivals by hour of day, lead times, stays, busy levels

    @classmethod
    def train(cls, ex: pd.DataFrame, trained_on: dict | None = None,
              seed: int = 0, profile: dict | None = None) -> "ForecastModel":
        """Learn from ``examples`` (with ``with_none`` rows too, for the classifier)."""
        from sklearn.ensemble import HistGradientBoostingRegressor
        everything = ex
        ex = ex[ex["target_h"].notna()]
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
        models = {}
        for q in QUANTILES:
            m = HistGradientBoostingRegressor(loss="quantile", quantile=q, max_iter=300,
                                              learning_rate=0.05, max_leaf_nodes=31,
                                              min_samples_leaf=20, categorical_features=_CAT,
                                              random_state=seed)
            models[q] = m.fit(X, y)
        medians = fit.groupby(["category", "in_port"])["target_h"].median().to_dict()
        model = cls(models, {(int(c), int(p)): float(v) for (c, p), v in medians.items()},
                    float(fit["target_h"].median()), trained_on or {"examples": len(ex)},
                    profile=profile)
        band = model.predict(cal)
        truth = cal["target_h"].to_numpy(float)
        scores = np.maximum(band["low"].to_numpy() - truth, truth - band["high"].to_numpy())
        level = min(1.0, (1 - (QUANTILES[0] + 1 - QUANTILES[-1])) * (1 + 1 / len(scores)))
        model.widen_h = float(max(0.0, np.quantile(scores, level)))
        model._train_kinds(everything, seed)
        return model

    def _train_kinds(self, ex: pd.DataFrame, seed: int) -> None:
        """Which stay comes next within the horizon — "none" (passing through, leaving),
        "berth" or "anchorage" — as probabilities (gradient boosting, log loss)."""
        from sklearn.ensemble import HistGradientBoostingClassifier
        y = ex["stay_kind"].astype(str).to_numpy()
        classes = tuple(sorted(set(y)))
        if len(classes) < 2:                   # one kind only: certain
            self.kind_model, self.kinds = None, classes
            return
        clf = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05,
                                             min_samples_leaf=20, categorical_features=_CAT,
                                             random_state=seed)
        self.kind_model = clf.fit(ex[list(FEATURES)].to_numpy(float), y)
        self.kinds = tuple(str(c) for c in clf.classes_)

    def next_kind(self, feats: pd.DataFrame) -> pd.DataFrame:
        """P(next stay within the horizon is none / berth / anchorage), one row per vessel."""
        out = pd.DataFrame(0.0, index=feats.index, columns=["none", "berth", "anchorage"])
        if not len(feats):
            return out
        if self.kind_model is None:
            out[self.kinds[0] if self.kinds else "berth"] = 1.0
            return out
        proba = self.kind_model.predict_proba(feats[list(FEATURES)].to_numpy(float))
        for i, k in enumerate(self.kinds):
            out[k] = proba[:, i]
        return out

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
    test = test[test["target_h"].notna()]
    pred = model.predict(test)
    truth = test["target_h"].to_numpy(float)
    a, b = baseline_a(test, port), model.baseline_b(test)
    held = (pred["low"].to_numpy() <= truth) & (truth <= pred["high"].to_numpy())
    return {"n": int(len(test)), "mae_h": float(np.mean(np.abs(pred["mid"] - truth))),
            "baseline_a_mae_h": float(np.mean(np.abs(a - truth))),
            "baseline_b_mae_h": float(np.mean(np.abs(b - truth))),
            "coverage": float(held.mean()),
            "vessels": int(test["mmsi"].nunique())}


# ---- the port's profile: what the live forecast adds to the vessels in sight ---------------

def cross_validate(ex: pd.DataFrame, port, folds: int = 5, seed: int = 0) -> dict:
    """For a history too short to split in time (one day): ``folds``-fold cross-validation
    grouped by vessel — each fold's vessels are scored by a model learnt without them (the
    interval calibrated inside that training, as always). The pooled figures of ``evaluate``
    over every example, and each fold's. Vessels of one day share its hours (tide, traffic):
    a milder test than a later period, said so where it is quoted."""
    from sklearn.model_selection import GroupKFold
    ex = ex.reset_index(drop=True)
    groups = ex["mmsi"].to_numpy()
    if len(np.unique(groups)) < folds:
        raise ValueError(f"{len(np.unique(groups))} vessels: too few for {folds} folds")
    per_fold = []
    for k, (tr, te) in enumerate(GroupKFold(folds).split(ex, groups=groups)):
        model = ForecastModel.train(ex.iloc[tr], seed=seed)
        test = ex.iloc[te]
        test = test[test["target_h"].notna()]
        if not len(test):
            continue
        r = evaluate(model, test, port)
        per_fold.append(r)
    n = sum(r["n"] for r in per_fold)

    def pooled(key):
        return float(sum(r[key] * r["n"] for r in per_fold) / n)
    return {"n": n, "mae_h": pooled("mae_h"), "baseline_a_mae_h": pooled("baseline_a_mae_h"),
            "baseline_b_mae_h": pooled("baseline_b_mae_h"), "coverage": pooled("coverage"),
            "vessels": int(ex.loc[ex["target_h"].notna(), "mmsi"].nunique()),
            "folds": per_fold}


def place_group(kind: str, place: str, geometry) -> str:
    """The group a stay's demand counts in: each anchorage on its own; berths by terminal
    (the port package's ``terminal``), berths of no terminal together."""
    if kind == "anchorage":
        return f"anchorage:{place}"
    terminal = (geometry.berth_info.get(str(place)) or {}).get("terminal")
    ok = isinstance(terminal, str) and terminal.strip() and terminal.lower() != "nan"
    return f"terminal:{terminal}" if ok else "berths"


def port_profile(visits: pd.DataFrame, ex: pd.DataFrame, start: float, end: float,
                 port) -> dict:
    """From the history (its stays, and the examples made from it) over ``[start, end)``:

    * ``arrivals``: stays begun per hour of day (port time; mean over the history's days),
      ``arrivals_var`` their variance from day to day (at least the mean),
    * ``seen``: for Δ = 0…24 h, the share of those arrivals whose vessel was already in sight
      and under way Δ hours before (the rest is what the vessels in sight cannot tell),
    * ``stay_h``: stay lengths (hours, sorted) by group and by kind, for how long a ship stays,
    * ``busy``: per group, the occupancy that 9 hours in 10 of the history stayed below,
      and ``share``: each group's share of the arrivals, ``names``: who the groups are."""
    geom = port.geometry
    tz = ZoneInfo(port.timezone)
    v = stays_only(visits)
    v = v[(v["arrival"] >= start) & (v["arrival"] < end)].copy()
    hours0 = local_hour(start, port.timezone, up=True)
    bins = np.arange(hours0, end - 3599.0, 3600.0)
    per_bin = np.histogram(v["arrival"], bins=np.append(bins, bins[-1] + 3600.0))[0] \
        if len(bins) else np.array([])
    hod = np.array([datetime.fromtimestamp(t, tz).hour for t in bins], dtype=int)
    arrivals = [float(per_bin[hod == h].mean()) if (hod == h).any() else 0.0
                for h in range(24)]
    # how much an hour of day varies from day to day (at least Poisson's: the mean)
    spread = [max(arrivals[h], float(np.var(per_bin[hod == h], ddof=1)))
              if (hod == h).sum() >= 2 else arrivals[h] for h in range(24)]
    # lead: how long before its arrival a vessel was first an example (in sight, under way)
    pos = ex[ex["target_h"].notna()]
    lead = {}
    for m, arr, h in zip(pos["mmsi"], (pos["ts"] + pos["target_h"] * 3600).round(),
                         pos["target_h"]):
        key = (int(m), float(arr))
        lead[key] = max(lead.get(key, 0.0), float(h))
    leads = np.array([lead.get((int(m), float(round(a))), 0.0)
                      for m, a in zip(v["mmsi"], v["arrival"])])
    seen = [float((leads > d).mean()) if len(leads) else 0.0 for d in range(25)]
    dur = ((v["departure"] - v["arrival"]) / 3600.0).dropna()
    v["group"] = [place_group(k, p, geom) for k, p in zip(v["kind"], v["place"])]
    stay_h = {k: np.sort(dur[v.loc[dur.index, "kind"] == k].to_numpy(float)).tolist()
              for k in ("berth", "anchorage")}
    for g, idx in v.loc[dur.index].groupby("group").groups.items():
        if len(idx) >= 5:
            stay_h[g] = np.sort(dur.loc[idx].to_numpy(float)).tolist()
    busy, share = {}, {}
    mids = bins + 1800.0
    for g, gv in v.groupby("group"):
        a = gv["arrival"].to_numpy(float)
        d = gv["departure"].fillna(end).to_numpy(float)
        occ = ((a[None, :] <= mids[:, None]) & (mids[:, None] < d[None, :])).sum(axis=1) \
            if len(mids) else np.zeros(1)
        busy[g] = float(np.quantile(occ, 0.9))
        share[g] = len(gv) / len(v)
    names = {}
    for g in share:
        kind, _, ident = g.partition(":")
        if kind == "anchorage":
            row = geom.anchorages[geom.anchorages["id"].astype(str) == ident]
            names[g] = str(row["name"].iloc[0]) if len(row) and "name" in row and \
                row["name"].iloc[0] else ident
        else:
            names[g] = ident or ""
    return {"arrivals": arrivals, "arrivals_var": spread, "seen": seen, "stay_h": stay_h, "busy": busy,
            "share": share, "names": names, "days": len(bins) / 24.0,
            "start": float(start), "end": float(end)}


def train_from_store(store, source: str, port, until: float | None = None,
                     trained_on: dict | None = None) -> tuple[ForecastModel, pd.DataFrame]:
    """The model learnt from a history source of the store (before ``until`` when given):
    examples (with the "not coming" moments), the port's profile; and the examples."""
    ex = examples(store, source, port, None, until, with_none=True)
    if not len(ex):
        raise ValueError(f"no examples in {source}: no vessel reached a stay")
    counts = store.position_counts().get(source)
    start = counts[1] if counts else float(ex["ts"].min())
    end = min(until, counts[2]) if until is not None and counts else \
        (counts[2] if counts else float(ex["ts"].max()))
    profile = port_profile(store.visits(source), ex, start, end, port)
    info = {"source": source, "port": port.locode, "until": until, "start": start,
            "end": end, "examples": int(ex["target_h"].notna().sum()),
            "vessels": int(ex["mmsi"].nunique())}
    info.update(trained_on or {})
    return ForecastModel.train(ex, info, profile=profile), ex


def save_model(model: ForecastModel, path) -> None:
    """Write the model (joblib), atomically: a reader never loads half a file."""
    import os

    import joblib
    from pathlib import Path
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    joblib.dump(model, tmp)
    os.replace(tmp, path)


def load_model(path, port) -> ForecastModel | None:
    """The saved model for this port, or None (absent, unreadable, another port's, or from
    an older version without the live parts)."""
    import joblib
    try:
        model = joblib.load(path)
    except Exception:                    # absent or not ours: the twin goes on without it
        return None
    if not isinstance(model, ForecastModel) or model.profile is None or \
            model.trained_on.get("port") not in (None, port.locode):
        return None
    return model
