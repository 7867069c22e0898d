"""Port activity in the live twin: the port-call tracker fed by the engine, written to the
history store as it goes, restored from it after a restart.

The engine hands each round's events to ``apply``; positions are located (berth, anchorage,
port limits — vectorised, the same ``PortGeometry.locate`` the batch tools use) and go through
the same ``PortCallTracker`` as ``run_batch``, so live and batch give the same calls. ``flush``
hands the round's rows — thinned positions, changed calls and tracker state, watermark — to
the history writer (``twin.history_writer``), which commits them in one transaction.
"""
from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pandas as pd

from data_sources.events import StaticReport, VesselReport

from .copies import deep_copy
from .history import VESSEL_FIELDS, HistoryStore, Thinning, round_rows
from .history_writer import MAX_POSITIONS, HistoryWriter
from .kpis import anchorage_queue, port_kpis
from .portcalls import PortCall, PortCallRules, PortCallTracker

log = logging.getLogger(__name__)


class ActivityReading:
    """The read side of port activity — vessel card, port panel, the map's port layers, the
    anchorage queue — over the calls. One definition for the live ``PortActivity`` and for a
    twin image (``twin.image``: the same answers in a web worker of another process).

    A subclass gives ``tracker``-like access: ``_open_calls()``, ``_call_of(mmsi)``,
    ``_all_calls()``, ``berths_total`` and ``_reading()`` (a context held while reading)."""

    def status(self, mmsi: int, now: float) -> dict | None:
        """The vessel's port-call stage and durations so far (vessel card)."""
        with self._reading():
            call = self._call_of(mmsi)
            if call is None:
                return None
            row = call.to_row(now)
            current = call.visits[-1] if call.visits and call.visits[-1].open else None
        row["place_kind"] = current.kind if current else None
        row["place"] = current.place if current else None
        row["place_since"] = current.arrival if current else None
        row["place_s"] = now - current.arrival if current else None
        row["in_port_s"] = now - call.arrival_port_area
        row["visits"] = [(v.kind, v.arrival, v.departure) for v in call.visits]
        return row

    def berth_status(self, now: float) -> dict:
        """berth id -> (mmsi, since) of the ship at it now."""
        with self._reading():
            out = {}
            for call in self._open_calls():
                if call.visits and call.visits[-1].open and call.visits[-1].kind == "berth":
                    v = call.visits[-1]
                    out[v.place] = (call.mmsi, v.arrival)
            return out

    def places(self) -> dict[int, tuple[str, str, float]]:
        """mmsi -> (kind, place, since) of every vessel in an open berth or anchorage stay."""
        with self._reading():
            return {c.mmsi: (c.visits[-1].kind, c.visits[-1].place, c.visits[-1].arrival)
                    for c in self._open_calls() if c.visits and c.visits[-1].open}

    def last_stays(self) -> dict[int, tuple[str, float, float | None, float | None]]:
        """mmsi -> (kind, departure, lon, lat) of the last berth or anchorage stay each vessel
        in the port area has left in its call (where it came from: the forecast reads it)."""
        with self._reading():
            out = {}
            for c in self._open_calls():
                left = [v for v in c.visits if v.departure is not None
                        and v.kind in ("berth", "anchorage")]
                if left:
                    v = left[-1]
                    out[c.mmsi] = (v.kind, v.departure, v.lon, v.lat)
            return out

    def live_summary(self, now: float) -> dict:
        """What the port panel and the map's port layers show now."""
        with self._reading():
            calls = self._open_calls()
            berth_status = self.berth_status(now)
            queue = anchorage_queue(calls, now)
            categories = {c.mmsi: c.category for c in calls}
        return {"in_port": len(calls), "at_berth": len(berth_status),
                "at_anchor": len(queue), "berths_total": self.berths_total,
                "berth_status": berth_status, "categories": categories, "queue": queue,
                "queue_by_anchorage": queue["anchorage"].value_counts().to_dict()}

    def queue(self, now: float):
        with self._reading():
            return anchorage_queue(self._open_calls(), now)

    def open_call_rows(self, now: float) -> list[dict]:
        with self._reading():
            return [c.to_row(now) for c in self._open_calls()]

    def calls(self):
        with self._reading():
            return list(self._all_calls())


STATIC_KNOWN_MAX = 200_000      # vessels whose static data is remembered to skip repeats


class PortActivity(ActivityReading):
    def __init__(self, geometry, rules: PortCallRules | None = None,
                 store: HistoryStore | None = None, source: str = "live",
                 thinning: Thinning | None = None, alerts=None,
                 prune_max_share: float = 0.05, checkpoint_s: float = 30.0,
                 wall_clock=None, backlog_positions: int = MAX_POSITIONS):
        self.geometry = geometry
        self.alerts = alerts            # twin.alerts.AlertEngine, fed the same located fixes
        self.store = store
        self.source = source
        self.thinning = thinning or Thinning()
        self._changed: dict[str, PortCall] = {}
        self.tracker = PortCallTracker(rules, on_change=self._on_change, source=source)
        self._lock = threading.RLock()
        self._fixes: list[tuple] = []     # position rows kept (history.POSITION_FIELDS)
        self._kept: dict[int, tuple] = {}        # mmsi -> (ts, lon, lat, status) last stored
        self._static: dict[int, dict] = {}       # static fields changed since the last flush
        self._static_known: dict[int, dict] = {}  # every static field seen, to spot changes
        self._ship_type: dict[int, int] = {}
        self.watermark: float | None = None
        self.watermark_restored: float | None = None
        self.prune_max_share = prune_max_share
        # the rounds' rows go through it to the store (twin.history_writer)
        self.writer = HistoryWriter(store, source, max_positions=backlog_positions,
                                    prune_max_share=prune_max_share) if store is not None else None
        self.memory_s = 2 * 86400        # closed calls kept in memory (the store keeps all)
        self._last_prune = float("-inf")
        self._last_kpis = float("-inf")
        self._last_lost = float("-inf")
        # The tracker's state of a vessel is checkpointed when it is new, when its call
        # changed, and otherwise at most once every ``checkpoint_s`` seconds of the wall
        # clock — not every round: on a busy feed every vessel moves every round, and its
        # state (call and visits as JSON) was the largest part of a round's write. (A
        # stream processor's checkpoint interval, as Flink's or Kafka Streams' commit
        # interval.) A crash loses at most that much of a live feed's tracker state;
        # ``resume_from``, stored with the watermark, is the data time a replay goes back
        # to after a crash so that every vessel's state catches up exactly.
        self.checkpoint_s = checkpoint_s
        self.wall_clock = wall_clock or time.monotonic
        self._saved: dict[int, tuple[float, float]] = {}  # mmsi -> (wall, data time) saved
        self.resume_from: float | None = None
        self.states_written = 0                  # tracker states checkpointed since start

    # the read side (ActivityReading), live: under the activity's lock
    def _reading(self):
        return self._lock

    def _open_calls(self):
        return self.tracker.open_calls()

    def _call_of(self, mmsi: int):
        return self.tracker.call_of(mmsi)

    def _all_calls(self):
        return self.tracker.all_calls()

    @property
    def berths_total(self) -> int:
        return len(self.geometry.berth_ids)

    def calls_copy(self) -> list[PortCall]:
        """Every call in memory as it is now, copied under the lock (the twin image's)."""
        with self._lock:
            return deep_copy(self.tracker.all_calls())

    def _on_change(self, call: PortCall) -> None:
        self._changed[call.call_id] = call

    def restore(self) -> int:
        """Resume from the store: the tracker's state of every vessel (open calls included)
        and the watermark. Returns the number of vessels restored."""
        if self.store is None:
            return 0
        states = self.store.tracker_states(self.source)
        with self._lock:
            self.tracker.restore(states)
            self.watermark = self.watermark_restored = self.store.watermark(self.source)
            resume = self.store.get_meta(self.source, "resume")
            self.resume_from = self.watermark if resume is None or self.watermark is None \
                else min(float(resume), self.watermark)
            wall = self.wall_clock()
            self._saved = {tr.mmsi: (wall, tr.last_ts) for tr in self.tracker.tracks.values()}
            if self.alerts is not None:
                since = None if self.watermark is None else \
                    self.watermark - self.alerts.window_s
                self.alerts.restore(self.store.alerts(self.source, since, live_only=True),
                                    self.store.silences(self.source), self.watermark)
            for _, row in self.store.static().iterrows():
                if row["ship_type"] == row["ship_type"] and row["ship_type"] is not None:
                    self._ship_type[int(row["mmsi"])] = int(row["ship_type"])
                if self.alerts is not None:          # exclusions by type hold at once
                    self.alerts.remember(row["mmsi"], {"ship_type": row["ship_type"],
                                                       "length": row["length"]})
        return len(states)

    # ---- live ---------------------------------------------------------------------------
    def apply(self, events) -> int:
        """Feed one round of events; returns the number of positions tracked."""
        reports = [e for e in events if isinstance(e, VesselReport)]
        with self._lock:
            for e in events:
                if isinstance(e, (VesselReport, StaticReport)):
                    self._remember_static(e)
            if not reports:
                if self.alerts is not None:
                    self.alerts.update(events)          # static data only
                return 0
            reports.sort(key=lambda r: r.ts)
            where = self.geometry.locate([r.lon for r in reports], [r.lat for r in reports])
            update = self.tracker.update
            ship_type, thin = self._ship_type, self._thin
            for r, berth, anch, in_port, near in zip(
                    reports, where["berth"].tolist(), where["anchorage"].tolist(),
                    where["in_port"].tolist(), where["near_port"].tolist()):
                update(r.mmsi, r.ts, r.lon, r.lat, r.sog, r.nav_status, berth, anch,
                       in_port, near, ship_type.get(r.mmsi))
                thin(r)
            self.watermark = max(self.watermark or reports[-1].ts, reports[-1].ts)
        if self.alerts is not None:
            self.alerts.update(events, where, reports)
        return len(reports)

    def tick(self, now: float) -> None:
        """Once a round, after the events: the alert rules that watch time and pairs; once a
        minute, the calls of vessels unseen past the gap limit close as lost."""
        if self.alerts is not None:
            self.alerts.tick(now)
        if now - self._last_lost >= 60:
            self._last_lost = now
            with self._lock:
                self.tracker.close_lost(now, self.tracker.rules.gap_new_call_s)
                # what the views read of the past (berth timeline 12 h, KPIs 24 h) stays
                self.tracker.forget(now - self.memory_s)
                tracks = self.tracker.tracks
                if len(self._saved) > len(tracks):
                    self._saved = {m: s for m, s in self._saved.items() if m in tracks}

    def _remember_static(self, e) -> None:
        if isinstance(e, VesselReport) and not e.static:
            return                                   # a position only (most reports)
        known = self._static_known.get(e.mmsi)
        if known is None:
            if len(self._static_known) >= STATIC_KNOWN_MAX:   # junk MMSIs can't grow it
                self._static_known.clear()
            known = self._static_known[e.mmsi] = {}
        # the fields it gives (not None) that differ from what is known, in one pass
        fields = {k: v for k in VESSEL_FIELDS
                  if (v := getattr(e, k, None)) is not None and known.get(k) != v}
        if not fields:
            return                                   # said again, unchanged (most type 5s)
        known.update(fields)
        self._static.setdefault(e.mmsi, {}).update(fields)
        if fields.get("ship_type") is not None:
            self._ship_type[e.mmsi] = fields["ship_type"]

    def _thin(self, r: VesselReport) -> None:
        if self.watermark_restored is not None and r.ts <= self.watermark_restored:
            return                                   # stored before the restart
        if self.thinning.keep(self._kept.get(r.mmsi), r.ts, r.lon, r.lat, r.nav_status):
            self._kept[r.mmsi] = (r.ts, r.lon, r.lat, r.nav_status)
            # a row in history.POSITION_FIELDS order, as the store takes it
            self._fixes.append((r.mmsi, r.ts, r.lon, r.lat, r.sog, r.cog, r.heading,
                                r.nav_status))

    def _due(self, calls, checkpoint_all: bool) -> tuple[set, float | None]:
        """(vessels whose tracker state is written this round, the resume point): every
        dirty vessel with ``checkpoint_all``, else new ones, those with a changed call and
        those last checkpointed ``checkpoint_s`` or more ago (wall clock). The resume point
        is the data time of the oldest checkpoint of a vessel left dirty (None: none is)."""
        tracks, saved = self.tracker.tracks, self._saved
        dirty = self.tracker.dirty
        dirty.difference_update([m for m in dirty if m not in tracks])  # forgotten since
        if checkpoint_all or self.checkpoint_s <= 0:
            return set(dirty), None
        changed = {c.mmsi for c in calls}
        horizon = self.wall_clock() - self.checkpoint_s
        due, oldest = set(), None
        for m in dirty:
            last = saved.get(m)
            if last is None or last[0] <= horizon or m in changed:
                due.add(m)
            elif oldest is None or last[1] < oldest:
                oldest = last[1]
        return due, oldest

    def flush(self, now: float | None = None, checkpoint_all: bool = False) -> bool:
        """Hand what changed since the last flush to the history writer as one round's rows
        (``history.round_rows``): committed in one transaction, on the writer's thread once
        it is started (``start_writer``), else here — then False when that failed; the rows
        wait in the writer either way (``HistoryWriter``), nothing already committed is
        touched. ``checkpoint_all``: the tracker's state of every vessel that changed, not
        only those due (a clean stop)."""
        if self.store is None:
            return True
        kpis = None
        if now is not None and now - self._last_kpis >= 3600 and self.tracker.tracks:
            self._last_kpis = now
            try:
                kpis = port_kpis(pd.DataFrame([c.to_row(now) for c in self.calls()]),
                                 now - 86400, now + 1, now, self.tracker.rules)
            except Exception:
                log.exception("KPI snapshot failed")
        alert_rows, silences = self.alerts.take_changes() if self.alerts is not None else ([], [])
        with self._lock:
            fixes, calls = list(self._fixes), list(self._changed.values())
            dirty, oldest = self._due(calls, checkpoint_all)
            states = {m: self.tracker.state_of(m) for m in dirty}
            static = dict(self._static)
            watermark = self.watermark
        # the rows are built here, on the engine's thread (the only one that changes calls):
        # the writer's thread never reads a call the tracker is changing
        try:
            rows = round_rows(self.source, fixes=fixes, calls=calls, states=states,
                              static=static, watermark=watermark, now=now,
                              alert_rows=alert_rows, silences=silences, kpis=kpis,
                              resume=watermark if oldest is None or watermark is None
                              else min(oldest, watermark))
        except Exception:             # nothing is taken: the next round hands it all over
            if self.alerts is not None:
                self.alerts.put_back(alert_rows, silences)
            raise
        if watermark is not None and watermark - self._last_prune >= 3600:
            self._last_prune = rows.prune_at = watermark   # its own positions, on its own time
        if rows.empty() and not self.writer.rows_waiting:
            return True                                    # nothing changed, nothing waits
        wall = self.wall_clock()
        with self._lock:                                   # the writer has them now
            del self._fixes[:len(fixes)]
            for c in calls:
                if self._changed.get(c.call_id) is c:
                    del self._changed[c.call_id]
            self.tracker.dirty -= dirty
            self._saved.update({m: (wall, self.tracker.tracks[m].last_ts) for m in dirty})
            self.states_written += len(states)
            for m in static:
                self._static.pop(m, None)
        self.resume_from = rows.resume
        return self.writer.submit(rows)

    def start_writer(self) -> None:
        """Commit the rounds on the writer's own thread from now on (a running twin)."""
        if self.writer is not None:
            self.writer.start()

    def stop_writer(self, timeout: float = 10.0) -> bool:
        """Commit what waits (at most ``timeout`` s) and stop the writer's thread."""
        return self.writer.stop(timeout) if self.writer is not None else True

    @property
    def write_errors(self) -> int:
        """History commits that failed (each is tried again)."""
        return self.writer.errors if self.writer is not None else 0

    # ---- operators -------------------------------------------------------------------------
    def acknowledge(self, alert_id: str, operator: str, comment: str = ""):
        """Acknowledge an alert and commit it to the store before returning: what the screen
        then confirms survives a crash the next moment. Raises when it could not be stored
        (the screen must not say "acknowledged")."""
        alert = self.alerts.acknowledge(alert_id, operator, comment)
        if alert is not None and self.store is not None:
            self.store.write_alerts(self.source, [alert.to_row()])
        return alert

    def silence(self, mmsis, minutes: float, operator: str, comment: str = "") -> list:
        """Silence vessels, committed before returning (as ``acknowledge``)."""
        done = [self.alerts.silence(m, minutes, operator, comment) for m in mmsis]
        if done and self.store is not None:
            from dataclasses import asdict
            self.store.write_alerts(self.source, [], [asdict(s) for s in done])
        return done


def fixes_to_reports(df, source: str = "history") -> list[VesselReport]:
    """Rows of a fixes table as VesselReports (for feeding the live path in tests/tools)."""
    out = []
    sog = df["sog"].to_numpy() if "sog" in df else np.full(len(df), np.nan)
    st = df["nav_status"].to_numpy() if "nav_status" in df else np.full(len(df), np.nan)
    for m, t, x, y, s, n in zip(df["mmsi"], df["ts"], df["lon"], df["lat"], sog, st):
        out.append(VesselReport(float(t), source, int(m), float(x), float(y),
                                None if s != s else float(s), None, None,
                                None if n != n else int(n)))
    return out
