"""What may enter the twin: plausibility checks between the feeds and the model.

Every event from every feed passes ``Admission.admit`` in the engine round, before the models,
the fleet state, port calls and alerts see it:

* **finite and on Earth**: a position that is not finite or outside ±180/±90 is rejected
  (``bad_position``) — nothing may reach a projection as NaN or ∞;
* **in the region of interest**: the port's bounds grown by ``margin_m``. A national or
  satellite feed carries the whole coast; a corrupt position can be anywhere. Positions outside
  do not enter this port's twin (``outside_region``) — a position ~90° from the port's UTM
  centre would project to infinity and take a round's alerts down with it;
* **projectable**: with the port's ``project`` (lon/lat -> metres), a position whose metres are
  not finite is rejected (``unprojectable``) even when no region is set (with one, the region
  is checked once instead: all of it projects);
* **not ahead of the twin's clock**: an event time more than ``max_ahead_s`` after the twin's
  now (``time_ahead_of_twin``) could otherwise set a watermark in the future;
* **a new vessel is confirmed by two reports that agree** (live feeds): the first report of an
  MMSI the twin does not know is held until a second one arrives within ``confirm_window_s``
  at a distance a ship can cover in that time (``max_speed_kn``, the position-jump rule's
  speed). Random or corrupt payloads invent MMSIs that never report twice in one place, so
  they never appear on the map nor raise alerts. AIS-catcher's position validation and
  OpenCPN's confirmed targets do the same.

Each reject is counted by reason in the health of the feed it came from (the feed panel shows
it). Memory is bounded: at most ``max_pending`` held first reports (the oldest are dropped as
``unconfirmed``).
"""
from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from data_sources.events import VesselReport

from .portcalls import GEOD

KN_TO_MS = 1852.0 / 3600.0


class Admission:
    def __init__(self, bounds=None, margin_m: float = 20_000.0, max_ahead_s: float = 300.0,
                 max_speed_kn: float = 50.0, confirm_window_s: float = 1800.0,
                 confirm_sources=(), max_pending: int = 20_000, health: dict | None = None,
                 project=None):
        self.project = project                  # (lons, lats) -> (x, y) metres, or None
        self.max_ahead_s = max_ahead_s
        self.max_speed_kn = max_speed_kn
        self.confirm_window_s = confirm_window_s
        self.confirm_sources = set(confirm_sources)
        self.max_pending = max_pending
        self.health = health or {}              # source id -> FeedHealth
        self.region = None
        if bounds is not None:
            west, south, east, north = (float(b) for b in bounds)
            mid = math.radians((south + north) / 2)
            dlat = margin_m / 111_320.0
            dlon = margin_m / (111_320.0 * max(0.05, math.cos(mid)))
            self.region = (max(-180.0, west - dlon), max(-90.0, south - dlat),
                           min(180.0, east + dlon), min(90.0, north + dlat))
        self._checked_region, self._region_projects = None, False   # _whole_region_projects
        self.known: dict[int, float] = {}       # confirmed MMSI -> last report time
        self._pending: OrderedDict[int, VesselReport] = OrderedDict()
        self.rejects: dict[str, int] = {}

    # ---- counting ----------------------------------------------------------------------
    def _reject(self, event, reason: str, detail: str) -> None:
        self.rejects[reason] = self.rejects.get(reason, 0) + 1
        health = self.health.get(getattr(event, "source", None))
        if health is not None:
            health.record_reject(reason, detail)

    # ---- checks ------------------------------------------------------------------------
    def _place_ok(self, event) -> bool:
        lon, lat = getattr(event, "lon", None), getattr(event, "lat", None)
        west, south, east, north = self.region or (-180.0, -90.0, 180.0, 90.0)
        if type(lon) is float and type(lat) is float and west <= lon <= east \
                and south <= lat <= north:
            return True                           # the common case (NaN and ±inf fail it)
        if lon is None and lat is None:
            return True                           # no position: a station's reading, a plan
        try:
            lon, lat = float(lon), float(lat)
        except (TypeError, ValueError):
            self._reject(event, "bad_position", f"lon={lon!r} lat={lat!r}")
            return False
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180
                and -90 <= lat <= 90):
            self._reject(event, "bad_position", f"lon={lon} lat={lat}")
            return False
        r = self.region
        if r is not None and not (r[0] <= lon <= r[2] and r[1] <= lat <= r[3]):
            self._reject(event, "outside_region", f"{_who(event)} at {lon:.4f},{lat:.4f}")
            return False
        return True

    def _time_ok(self, event, now: float) -> bool:
        ts = getattr(event, "ts", None)
        if type(ts) is float and -math.inf < ts <= (math.inf if now is None
                                                    else now + self.max_ahead_s):
            return True                           # the common case (NaN fails it)
        if ts is None or not isinstance(ts, (int, float)) or not math.isfinite(ts):
            self._reject(event, "bad_time", f"{_who(event)}: ts={ts!r}")
            return False
        if now is not None and ts > now + self.max_ahead_s:
            self._reject(event, "time_ahead_of_twin", f"{_who(event)}: {ts - now:.0f} s ahead")
            return False
        return True

    def _agree(self, a: VesselReport, b: VesselReport) -> bool:
        dt = abs(b.ts - a.ts)
        if dt > self.confirm_window_s:
            return False
        d = GEOD.inv(a.lon, a.lat, b.lon, b.lat)[2]
        return d <= 100.0 + self.max_speed_kn * KN_TO_MS * dt

    def _confirmed(self, r: VesselReport) -> list:
        """The reports to let in for one position report of a source that needs confirming."""
        if r.mmsi in self.known:
            self.known[r.mmsi] = max(self.known[r.mmsi], r.ts)
            return [r]
        first = self._pending.pop(r.mmsi, None)
        if first is not None and self._agree(first, r):
            self.known[r.mmsi] = max(first.ts, r.ts)
            return [first, r]
        if first is not None:
            self._reject(first, "unconfirmed", f"MMSI {first.mmsi}: a second report did not "
                                               "agree with the first")
        self._pending[r.mmsi] = r
        while len(self._pending) > self.max_pending:
            _, old = self._pending.popitem(last=False)
            self._reject(old, "unconfirmed", f"MMSI {old.mmsi}: never confirmed")
        return []

    # ---- the round ---------------------------------------------------------------------
    def _whole_region_projects(self) -> bool:
        """Whether every position inside the region has finite metres: a port's region (tens
        of km) is far from where its projection has no finite value (~90° of longitude from
        a UTM zone's centre). Checked once per region, on a 41 × 41 grid over it: finite, and
        under 20,000 km either way (the false northing of a southern zone is 10,000 km;
        metres grow without bound towards such a point, so a region near one fails). Then
        the per-round check is not needed: positions outside the region never get here."""
        region = self.region
        if region is None or self.project is None:
            return False
        if region != self._checked_region:
            west, south, east, north = region
            lons, lats = np.meshgrid(np.linspace(west, east, 41), np.linspace(south, north, 41))
            try:
                x, y = (np.asarray(v, float) for v in self.project(lons.ravel(), lats.ravel()))
                ok = bool(east - west < 60.0 and np.all(np.isfinite(x) & np.isfinite(y))
                          and np.abs(x).max() < 2e7 and np.abs(y).max() < 2e7)
            except Exception:
                ok = False
            self._checked_region, self._region_projects = region, ok
        return self._region_projects

    def _projectable(self, events: list) -> list:
        """The events whose position (if any) has finite metres in the port's projection
        (all of them, when the whole region projects)."""
        if self.project is None or self._whole_region_projects():
            return events
        placed = [i for i, e in enumerate(events) if getattr(e, "lon", None) is not None]
        if not placed:
            return events
        x, y = self.project([events[i].lon for i in placed], [events[i].lat for i in placed])
        bad = {placed[k] for k in np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))}
        for i in bad:
            e = events[i]
            self._reject(e, "unprojectable", f"{_who(e)} at {e.lon},{e.lat}")
        return [e for i, e in enumerate(events) if i not in bad] if bad else events

    def admit(self, events: list, now: float | None) -> list:
        """The events of one round that may enter the twin, in their order."""
        out = []
        for e in self._projectable([e for e in events if self._time_ok(e, now)
                                    and self._place_ok(e)]):
            if isinstance(e, VesselReport) and e.source in self.confirm_sources:
                out.extend(self._confirmed(e))
            else:
                if isinstance(e, VesselReport):
                    self.known[e.mmsi] = max(self.known.get(e.mmsi, e.ts), e.ts)
                out.append(e)
        return out

    def know(self, mmsis) -> None:
        """Vessels the twin already has (restored after a restart): no confirmation needed."""
        for m in mmsis:
            self.known.setdefault(int(m), float("-inf"))

    def expire(self, now: float, after_s: float) -> None:
        """Forget confirmed vessels silent for ``after_s`` and held reports too old to be
        confirmed: the memory follows the live fleet, not everything ever heard."""
        for m in [m for m, t in self.known.items() if now - t > after_s and t != float("-inf")]:
            del self.known[m]
        for m in [m for m, r in self._pending.items() if now - r.ts > self.confirm_window_s]:
            self._reject(self._pending.pop(m), "unconfirmed", f"MMSI {m}: no second report")


def _who(event) -> str:
    mmsi = getattr(event, "mmsi", None)
    return f"MMSI {mmsi}" if mmsi is not None else type(event).__name__
