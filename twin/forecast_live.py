"""The forecast on the live twin: each vessel's next stay, the next 24 h of arrivals and the
congestion windows (流量预测, 错峰引导) — from the model ``python app.py forecast train`` saves
(or the app learns from its loaded history on first start) and the twin's snapshot.

* **Per vessel** (``vessels``): for a vessel in sight, not in a stay, heard from in the last
  ``FRESH_S``: P(its next stay within the horizon is a berth / an anchorage / none) and the
  hours to it (10 / 50 / 90 %), as clock times.
* **Arrivals** (``arrivals``), hour by hour for 24 h: the vessels in sight (each one's chance
  to begin a stay in that hour, from its band read as a distribution) plus the arrivals they
  cannot tell of (the history's arrivals in that hour of day × the share of arrivals whose
  vessel was not yet in sight that long before); an 80 % band (normal approximation: the
  fleet's part a sum of chances, the history's part as spread as that hour of day was from
  day to day, at least Poisson).
* **Congestion** (``congestion``): per anchorage, and per terminal's berths, the expected
  ships there each hour — those there now (staying on by the history's stay lengths), plus
  the expected arrivals sent to the nearest place of the kind each vessel is heading for,
  plus the history's share of the unseen arrivals — against the level the history stayed
  below 9 hours in 10. A run of hours at or above it (and at least ``BUSY_MIN`` ships) is a
  window: "Anchorage 27 expected busy 14:00–18:00".

Definitions: docs/definitions.md, "Forecasts".
"""
from __future__ import annotations

import logging
import math
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from .forecast import HORIZON_H, QUANTILES, features, load_model, place_group, \
    local_hour, save_model, stays_begun, stays_only, train_from_store

log = logging.getLogger(__name__)

FRESH_S = 600.0                  # a vessel unheard for longer is not forecast
STOPPED_KN = 0.5                 # slower, at a berth or in an anchorage: not forecast
HOURS = 24                       # the port forecast's hours
BUSY_MIN = 2.0                   # a window needs at least this many ships expected
Z80 = 1.2816                     # the normal's 90th percentile: an 80 % band
REFRESH_S = 30.0                 # the forecast is worked out again this often (twin time)
LOOK_AGAIN_S = 30.0              # a new or changed model file is looked for this often


_LEARNERS: dict[str, threading.Lock] = {}
_LEARNERS_LOCK = threading.Lock()


def _learning(path: Path) -> threading.Lock:
    """The lock of one model file: twins of one port in a process learn it once."""
    with _LEARNERS_LOCK:
        return _LEARNERS.setdefault(str(Path(path).resolve()), threading.Lock())


def _cdf(low, mid, high, t):
    """P(arrived by ``t`` hours | it comes within the horizon): the band read as a
    distribution, linear between 0 (now), its 10, 50 and 90 % points and the horizon."""
    eps = 1e-6
    xs = np.stack([np.zeros_like(low), low + eps, mid + 2 * eps, high + 3 * eps,
                   np.maximum(HORIZON_H, high) + 4 * eps], axis=1)
    ps = np.array([0.0, QUANTILES[0], QUANTILES[1], QUANTILES[2], 1.0])
    return np.array([np.interp(t, x, ps) for x in xs])


def _survival(lengths: list, t):
    """Share of the history's stays (hours, sorted) longer than ``t``."""
    arr = np.asarray(lengths, float)
    if not len(arr):
        return np.exp(-np.asarray(t, float) / 6.0)          # no history: a 6 h stay
    return 1.0 - np.searchsorted(arr, np.asarray(t, float), side="right") / len(arr)


class LiveForecast:
    """The forecast for one port's live twin. ``model`` None: nothing is forecast, and
    ``status`` says why (no model yet, learning, no history to learn from)."""

    def __init__(self, port, model=None, status: str = "none"):
        self.port = port
        self.model = model
        self.status = "ready" if model is not None else status
        self._lock = threading.Lock()
        self._memo: tuple | None = None
        self._path: Path | None = None       # the model file, looked at again now and then
        self._mtime: float | None = None
        self._looked = -math.inf

    # ---- the model ---------------------------------------------------------------------
    def _watch(self, path: Path) -> "LiveForecast":
        self._path = Path(path)
        try:
            self._mtime = self._path.stat().st_mtime if self.model is not None else None
        except OSError:
            self._mtime = None
        return self

    def look_again(self) -> None:
        """At most every ``LOOK_AGAIN_S``: a model file that appeared or changed since (made
        by ``forecast train``, or learnt by the twin service while this web worker had none)
        is loaded — no restart needed. A file that does not load leaves things as they are."""
        if self._path is None or self.status == "learning":
            return
        now = time.monotonic()
        if now - self._looked < LOOK_AGAIN_S:
            return
        self._looked = now
        try:
            mtime = self._path.stat().st_mtime
        except OSError:
            return
        if mtime == self._mtime:
            return
        model = load_model(self._path, self.port)
        self._mtime = mtime
        if model is not None:
            with self._lock:
                self.model, self.status, self._memo = model, "ready", None
            log.info("forecast model loaded again from %s", self._path)

    @classmethod
    def start(cls, port, path: Path, store=None, source: str | None = None,
              learn: bool = True) -> "LiveForecast":
        """The saved model at ``path`` if there is one for this port, else (``learn``, and a
        store holding ``source``) one learnt from that history in a background thread and
        saved there; until then ``status`` is "learning"."""
        model = load_model(path, port)
        if model is not None:
            return cls(port, model)._watch(path)
        if not learn or store is None or not source or source not in store.sources():
            return cls(port, None, "no_model")._watch(path)
        live = cls(port, None, "learning")._watch(path)
        threading.Thread(target=live._learn, args=(store, source, path), daemon=True,
                         name="forecast-train").start()
        return live

    def _learn(self, store, source: str, path: Path) -> None:
        t0 = time.perf_counter()
        with _learning(path):            # one learner per model file; the others load it
            model = load_model(path, self.port)
            if model is not None:
                with self._lock:
                    self.model, self.status, self._memo = model, "ready", None
                    self._mtime = path.stat().st_mtime
                return
            self._learn_now(store, source, path, t0)

    def _learn_now(self, store, source: str, path: Path, t0: float) -> None:
        try:
            model, ex = train_from_store(store, source, self.port)
            save_model(model, path)
        except Exception as exc:            # the twin goes on without a forecast
            log.warning("forecast not learnt from %s: %s", source, exc)
            self.status = "no_history"
            return
        with self._lock:
            self.model, self.status, self._memo = model, "ready", None
            self._mtime = path.stat().st_mtime
        log.info("forecast learnt from %s in %.1f s (%d examples); saved %s", source,
                 time.perf_counter() - t0, model.trained_on.get("examples", 0), path)

    # ---- per vessel --------------------------------------------------------------------
    def left_out(self, df: pd.DataFrame, now: float, places) -> np.ndarray:
        """Why each vessel of a snapshot's table is not forecast, "" where it is: "in_stay"
        (in a stay now: ``places``), "silent" (not heard from in ``FRESH_S``, or no
        position), "stopped" (slower than ``STOPPED_KN`` at a berth or in an anchorage:
        there, its stay not yet begun after a start)."""
        why = np.full(len(df), "", dtype=object)
        if not len(df):
            return why
        lon, lat = df["lon"].to_numpy(float), df["lat"].to_numpy(float)
        fresh = (now - df["last_seen"].to_numpy(float) <= FRESH_S) & np.isfinite(lon) & \
            np.isfinite(lat)
        why[~fresh] = "silent"
        why[df["mmsi"].isin(list(places)).to_numpy() & (why == "")] = "in_stay"
        rest = np.flatnonzero(why == "")
        if len(rest):
            at = self.port.geometry.locate(lon[rest], lat[rest])
            stopped = np.nan_to_num(df["sog"].to_numpy(float)[rest], nan=0.0) < STOPPED_KN
            placed = (at["berth"] != None) | (at["anchorage"] != None)  # noqa: E711
            why[rest[stopped & placed]] = "stopped"
        return why

    def why_not(self, snap, mmsi: int, places=()) -> str:
        """``left_out`` of one vessel ("unknown" when it is forecast or not in sight)."""
        df = snap.vessels
        row = df[df["mmsi"] == int(mmsi)] if df is not None and len(df) else None
        if row is None or not len(row):
            return "silent"
        return self.left_out(row, snap.time, places)[0] or "unknown"

    def vessels(self, snap, activity=None) -> pd.DataFrame:
        """One row per forecast vessel: mmsi, p_none / p_berth / p_anchorage, low / mid /
        high (hours from ``snap.time``), eta_low / eta / eta_high (epoch seconds), and
        ``group`` (where it would go, for the congestion)."""
        cols = ["mmsi", "p_none", "p_berth", "p_anchorage", "low", "mid", "high",
                "eta_low", "eta", "eta_high", "kind", "group"]
        model = self.model
        df = snap.vessels
        if model is None or df is None or not len(df):
            return pd.DataFrame(columns=cols)
        now = snap.time
        places = activity.places() if activity is not None else {}
        df = df[self.left_out(df, now, places) == ""]
        if not len(df):
            return pd.DataFrame(columns=cols)
        last = activity.last_stays() if activity is not None else {}
        rows = pd.DataFrame({
            "mmsi": df["mmsi"].to_numpy(), "lon": df["lon"].to_numpy(float),
            "lat": df["lat"].to_numpy(float), "sog": df["sog"].to_numpy(float),
            "cog": df["cog"].to_numpy(float), "ts": np.full(len(df), now),
            "category": df["category"].fillna("unknown").to_numpy(),
            "length": df["length"].to_numpy(float)})
        prev = [last.get(int(m)) for m in rows["mmsi"]]
        rows["prev_kind"] = [p[0] if p else "" for p in prev]
        rows["since_stay_h"] = [(now - p[1]) / 3600.0 if p else -1.0 for p in prev]
        rows["prev_lon"] = [p[2] if p and p[2] is not None else np.nan for p in prev]
        rows["prev_lat"] = [p[3] if p and p[3] is not None else np.nan for p in prev]
        feats = features(rows, self.port)
        band = model.predict(feats)
        kinds = model.next_kind(feats)
        out = pd.DataFrame({"mmsi": rows["mmsi"].astype(int).to_numpy(),
                            "p_none": kinds["none"].to_numpy(),
                            "p_berth": kinds["berth"].to_numpy(),
                            "p_anchorage": kinds["anchorage"].to_numpy(),
                            "low": band["low"].to_numpy(), "mid": band["mid"].to_numpy(),
                            "high": band["high"].to_numpy()})
        out["eta_low"] = now + out["low"] * 3600.0
        out["eta"] = now + out["mid"] * 3600.0
        out["eta_high"] = now + out["high"] * 3600.0
        out["kind"] = np.where(out["p_berth"] >= out["p_anchorage"], "berth", "anchorage")
        out["group"] = self._groups(rows, out["kind"].to_numpy())
        return out[cols]

    def _groups(self, rows: pd.DataFrame, kinds) -> list:
        """The nearest place of the kind each vessel is heading for, as a demand group."""
        geom = self.port.geometry
        x, y = geom.to_metres(rows["lon"].to_numpy(float), rows["lat"].to_numpy(float))
        pts = shapely.points(x, y)
        out = ["berths"] * len(rows)
        for kind, ids in (("berth", geom.berth_ids), ("anchorage", geom.anchorage_ids)):
            pick = np.flatnonzero(kinds == kind)
            if len(pick) and len(ids):
                near = geom.nearest(kind, pts[pick])
                for i, j in zip(pick, near):
                    out[i] = place_group(kind, str(ids[j]), geom)
        return out

    # ---- the port ----------------------------------------------------------------------
    def port_view(self, snap, activity=None) -> dict:
        """Arrivals, congestion windows and the vessel forecasts at ``snap`` — computed once
        every ``REFRESH_S`` of twin time for every screen (the wall, the card, the API)."""
        self.look_again()
        key = (snap.time // REFRESH_S, self.status)
        with self._lock:
            if self._memo is not None and self._memo[0] == key:
                return self._memo[1]
        view = self._port_view(snap, activity)
        with self._lock:
            self._memo = (key, view)
        return view

    def _port_view(self, snap, activity) -> dict:
        now = snap.time
        start = local_hour(now, self.port.timezone)  # this hour (what is left of it) on
        edges = start + 3600.0 * np.arange(HOURS + 1)
        view = {"status": self.status, "time": now, "hours": [], "windows": [],
                "vessels": pd.DataFrame(), "trained_on": {}}
        if self.model is None or not self.model.profile:
            return view
        model, prof = self.model, self.model.profile
        ves = self.vessels(snap, activity)
        view["vessels"], view["trained_on"] = ves, dict(model.trained_on)
        t_h = (edges - now) / 3600.0                         # hours ahead at each edge
        # the fleet in sight: each vessel's chance of beginning a stay in each hour
        if len(ves):
            come = 1.0 - ves["p_none"].to_numpy()
            cdf = _cdf(ves["low"].to_numpy(), ves["mid"].to_numpy(), ves["high"].to_numpy(),
                       t_h)
            p_bins = come[:, None] * np.diff(cdf, axis=1)              # (vessels, hours)
        else:
            p_bins = np.zeros((0, HOURS))
        fleet = p_bins.sum(axis=0)
        fleet_var = (p_bins * (1 - p_bins)).sum(axis=0)
        # what they cannot tell: the history's rate, less the share already in sight
        from datetime import datetime
        from zoneinfo import ZoneInfo
        tz = ZoneInfo(self.port.timezone)
        mids = edges[:-1] + 1800.0
        hod = [datetime.fromtimestamp(t, tz).hour for t in mids]
        rate = np.array([prof["arrivals"][h] for h in hod])
        spread = np.array([prof.get("arrivals_var", prof["arrivals"])[h] for h in hod])
        seen = np.interp(np.maximum(mids - now, 0.0) / 3600.0, np.arange(len(prof["seen"])), prof["seen"])
        part = np.ones(HOURS)
        part[0] = (edges[1] - now) / 3600.0               # the rest of this hour
        unseen = rate * (1.0 - seen) * part
        unseen_var = spread * (1.0 - seen) * part         # day-to-day spread, thinned
        mean = fleet + unseen
        sd = np.sqrt(fleet_var + unseen_var)
        view["hours"] = [{"start": float(edges[k]), "end": float(edges[k + 1]),
                          "expected": float(mean[k]), "from_fleet": float(fleet[k]),
                          "from_history": float(unseen[k]),
                          "low": float(max(0.0, mean[k] - Z80 * sd[k])),
                          "high": float(mean[k] + Z80 * sd[k])} for k in range(HOURS)]
        view["windows"] = self._congestion(ves, p_bins, unseen, edges, now, activity)
        return view

    def _name(self, group: str) -> str:
        kind, _, ident = group.partition(":")
        if kind == "anchorage":
            a = self.port.geometry.anchorages
            row = a[a["id"].astype(str) == ident]
            if len(row) and "name" in row and isinstance(row["name"].iloc[0], str):
                return row["name"].iloc[0]
        return ident

    def _congestion(self, ves, p_bins, unseen, edges, now, activity) -> list[dict]:
        prof = self.model.profile
        mids = (edges[:-1] + 1800.0 - now) / 3600.0          # hours ahead, mid-hour
        # every group the history knows, and any a ship is in or heading for now
        geom = self.port.geometry
        here = {mmsi: (kind, place, since) for mmsi, (kind, place, since) in
                (activity.places() if activity else {}).items()
                if kind in ("berth", "anchorage")}
        groups = set(prof["busy"]) | {place_group(k, str(p), geom) for k, p, _ in here.values()}
        if len(ves):
            groups |= set(ves["group"])
        occ = {g: np.zeros(HOURS) for g in groups}

        def stays(g):
            kind = "anchorage" if g.startswith("anchorage:") else "berth"
            return prof["stay_h"].get(g) or prof["stay_h"].get(kind) or []

        # those there now, staying on as the history's stays of that place did
        for kind, place, since in here.values():
            g = place_group(kind, str(place), geom)
            e = max(0.0, (now - since) / 3600.0)
            s0 = _survival(stays(g), e)
            occ[g] += (_survival(stays(g), e + mids) / s0) if s0 > 0 else \
                np.exp(-mids / max(e, 1.0))
        # arrivals: an arrival in hour j is there at hour k's middle with P(stay > k - j)
        lag = np.subtract.outer(np.arange(HOURS), np.arange(HOURS)) + 0.5   # [k, j]
        for g in groups:
            # (an arrival within hour k itself is there at its middle half the time)
            surv = np.where(lag > 1, _survival(stays(g), np.maximum(lag - 0.5, 0.0)),
                            np.where(lag > 0, 0.5, 0.0))
            into = unseen * prof["share"].get(g, 0.0)
            if len(ves):
                mine = (ves["group"].to_numpy() == g) & (
                    ves[["p_berth", "p_anchorage"]].max(axis=1).to_numpy() > 0)
                kind_p = np.where(ves["kind"].to_numpy() == "anchorage",
                                  ves["p_anchorage"].to_numpy(), ves["p_berth"].to_numpy())
                share = kind_p / np.maximum(1e-9, 1.0 - ves["p_none"].to_numpy())
                into = into + (p_bins[mine] * share[mine, None]).sum(axis=0)
            occ[g] += surv @ into
        windows = []
        for g in groups - {"berths"}:     # the berths of no terminal are not one place
            level = max(BUSY_MIN, prof["busy"].get(g, 0.0))
            hot = occ[g] >= level
            k = 0
            while k < HOURS:
                if not hot[k]:
                    k += 1
                    continue
                j = k
                while j + 1 < HOURS and hot[j + 1]:
                    j += 1
                windows.append({"group": g, "name": prof["names"].get(g) or self._name(g),
                                "kind": "anchorage" if g.startswith("anchorage:") else "berth",
                                "start": float(edges[k]), "end": float(edges[j + 1]),
                                "peak": float(occ[g][k:j + 1].max()), "usual": level})
                k = j + 1
        windows.sort(key=lambda w: (w["start"], -w["peak"]))
        return windows


# ---- forecast vs what happened (``forecast evaluate``) -------------------------------------
class _Moment:
    """The twin as a stored history saw it at ``time``: the last position of each vessel
    heard in the 10 minutes before, its speed and course (from the two last fixes where the
    file has none), and who was in a stay / had left one (from the stored stays)."""

    def __init__(self, pos: pd.DataFrame, visits: pd.DataFrame, static: dict, time_: float,
                 port):
        from .forecast import with_motion
        from .vessel_types import ship_category
        self.time, self.version = time_, 0
        recent = pos[(pos["ts"] > time_ - FRESH_S) & (pos["ts"] <= time_)]
        rows = []
        for mmsi, track in recent.groupby("mmsi"):
            last = with_motion(track.tail(2), port).iloc[-1]
            length, ship_type = static.get(int(mmsi), (None, None))
            rows.append({"mmsi": int(mmsi), "lon": last["lon"], "lat": last["lat"],
                         "sog": last["sog"], "cog": last["cog"], "last_seen": last["ts"],
                         "length": length, "category": ship_category(ship_type, int(mmsi))})
        self.vessels = pd.DataFrame(rows, columns=["mmsi", "lon", "lat", "sog", "cog",
                                                   "last_seen", "length", "category"])
        v = stays_only(visits)
        dep = v["departure"].fillna(np.inf)
        here = v[(v["arrival"] <= time_) & (time_ < dep)]
        self._places = {int(r.mmsi): (r.kind, str(r.place), float(r.arrival))
                        for r in here.itertuples()}
        left = v[(dep <= time_) & (dep > time_ - 24 * 3600)].sort_values("departure")
        self._last = {int(r.mmsi): (r.kind, float(r.departure), r.lon, r.lat)
                      for r in left.itertuples()}

    def places(self):
        return self._places

    def last_stays(self):
        return self._last


def evaluate_arrivals(model, store, source: str, port, start: float | None = None,
                      step_s: float = 3 * 3600.0) -> dict:
    """The next 24 h of arrivals forecast at every ``step_s`` of a stored recording (from
    ``start``; the hours inside the recording) against the stays that began: mean absolute error of
    the hourly counts, how often the hour's 80 % band held the count, and the same error for
    the history's hour-of-day profile alone (what a forecast without the ships in sight says).
    """
    pos = store.positions(source=source)
    if pos.empty or model is None or not model.profile:
        return {"moments": 0}
    pos = pos.sort_values("ts")
    visits = store.visits(source)
    arrivals = stays_begun(visits)
    st = store.static()
    static = {int(m): (ln, ty) for m, ln, ty in zip(st["mmsi"], st["length"], st["ship_type"])}
    t, end = max(float(pos["ts"].min()) + FRESH_S, start or -math.inf), float(pos["ts"].max())
    from datetime import datetime
    from zoneinfo import ZoneInfo
    tz = ZoneInfo(port.timezone)
    err, base_err, held, n, moments = 0.0, 0.0, 0, 0, 0
    live = LiveForecast(port, model)
    while t + 3 * 3600 <= end:                  # at least three hours to compare
        moment = _Moment(pos, visits, static, t, port)    # the snapshot and the activity
        view = live._port_view(moment, moment)
        for h in view["hours"]:
            if h["end"] > end:                      # past the recording: not known
                break
            lo = max(h["start"], t)
            actual = int(((arrivals >= lo) & (arrivals < h["end"])).sum())
            rate = model.profile["arrivals"][datetime.fromtimestamp(h["start"] + 1800,
                                                                     tz).hour]
            rate *= (h["end"] - lo) / 3600.0
            err += abs(h["expected"] - actual)
            base_err += abs(rate - actual)
            held += h["low"] <= actual <= h["high"]
            n += 1
        moments += 1
        t += step_s
    return {"moments": moments, "hours": n,
            "mae_per_hour": err / n if n else float("nan"),
            "profile_mae_per_hour": base_err / n if n else float("nan"),
            "coverage": held / n if n else float("nan")}


# ---- forecast against what happened -------------------------------------------------------
class ForecastRecorder:
    """An engine hook (``Engine.after_round``): once every hour of twin time, the port
    forecast of the next 24 h goes to the history store (``HistoryStore.write_forecast``), so
    a report can later set each hour's forecast against what happened
    (``forecast_vs_actual``). The forecast is worked out and written on a thread of its own:
    the round is never held up by it. A forecast that fails is counted, said once (not every
    round) and tried again a minute later (wall clock)."""

    RETRY_S = 60.0

    def __init__(self, forecast: LiveForecast, store, source: str):
        self.forecast, self.store, self.source = forecast, store, source
        self.written = 0                 # forecasts stored
        self.errors = 0
        self._hour: float | None = None
        self._busy = threading.Lock()
        self._thread: threading.Thread | None = None
        self._retry_at = -math.inf           # after a failure: not before (monotonic s)
        self._failing = False

    def __call__(self, engine) -> None:
        hour = math.floor(engine.now() / 3600.0)
        if hour == self._hour or self.forecast.status != "ready" or self.store is None \
                or time.monotonic() < self._retry_at:
            return
        if not self._busy.acquire(blocking=False):
            return                       # the last one is still being written
        self._thread = threading.Thread(target=self._record, args=(engine, hour), daemon=True,
                                        name="porttwin-forecast-log")
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        """Until the forecast being written is written (a shutdown; a test)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _record(self, engine, hour: float) -> None:
        try:
            view = self.forecast.port_view(engine.snapshot(), engine.activity)
            # a looping replay starts its recording again at the end of a pass: the ships a
            # forecast counted on go back to where they were — hours past that are not kept
            until = replay_pass_end(engine.primary, view["time"])
            hours = [h for h in view["hours"] if h["end"] <= until]
            if hours:
                self.store.write_forecast(self.source, view["time"], hours)
                self.written += 1
            self._hour = hour
            if self._failing:
                log.info("forecast recorded again")
                self._failing = False
        except Exception:
            self.errors += 1
            self._retry_at = time.monotonic() + self.RETRY_S
            if not self._failing:
                log.exception("forecast not recorded; trying again every %.0f s",
                              self.RETRY_S)
                self._failing = True
        finally:
            self._busy.release()


def replay_pass_end(source, now: float) -> float:
    """When a looping replay's pass holding ``now`` ends (``ReplaySource.pass_end``); ∞ for
    a live feed."""
    pass_end = getattr(source, "pass_end", None)
    return pass_end(now) if pass_end is not None else math.inf


def forecast_vs_actual(store, source: str | None, start: float, end: float,
                       until: float) -> dict:
    """Each whole hour of [start, end) before ``until`` that a forecast was made for: the last
    forecast made before the hour began (the one that could have guided it; ``lead_min``
    says how long before) against the stays (berth, anchorage) that began in it — per hour,
    and as the period's mean absolute error, the share of hours inside the 80 % band and
    the totals. The forecasts are those the twin recorded (``ForecastRecorder``); ``source``
    None: every source that recorded some."""
    out = {"hours": [], "n": 0, "mae_per_hour": None, "coverage": None,
           "expected": None, "actual": None}
    if store is None:
        return out
    log_ = store.forecasts(source, start, end)
    log_ = log_[(log_["made_at"] < log_["hour_start"])
                & (log_["hour_start"] + 3600.0 <= min(end, until))]
    if log_.empty:
        return out
    last = log_.sort_values("made_at").groupby(["source", "hour_start"], as_index=False).last()
    hours = []
    for src, rows in last.groupby("source"):
        began = stays_begun(store.visits(src))
        counts = np.searchsorted(began, rows["hour_start"].to_numpy() + 3600.0, "left") - \
            np.searchsorted(began, rows["hour_start"].to_numpy(), "left")
        for r, n in zip(rows.itertuples(), counts):
            hours.append({"source": src, "start": float(r.hour_start),
                          "expected": float(r.expected), "low": float(r.low),
                          "high": float(r.high), "actual": int(n),
                          "lead_min": (r.hour_start - r.made_at) / 60.0})
    hours.sort(key=lambda h: (h["start"], h["source"]))
    exp = np.array([h["expected"] for h in hours])
    act = np.array([h["actual"] for h in hours], dtype=float)
    held = np.array([h["low"] <= h["actual"] <= h["high"] for h in hours])
    out.update(hours=hours, n=len(hours), mae_per_hour=float(np.mean(np.abs(exp - act))),
               coverage=float(held.mean()), expected=float(exp.sum()),
               actual=float(act.sum()))
    return out
