"""The alert engine: rules over every fix and every round, and the alerts' lifecycle.

Lifecycle (docs/definitions.md, "Alerts"):

* a **state** alert is raised when its condition first holds and stays while it holds; after
  the condition has been gone for the rule's ``clear_s`` it clears by itself (``end``);
* an **event** alert stays until an operator acknowledges it;
* one rule + one subject (vessel or pair) within ``incident_window_min`` of its last occurrence
  is **one incident**: the repeat joins it (``occurrences`` + 1) and keeps its
  acknowledgement, so a ship yawing in and out of a zone does not alarm again after an
  operator has acknowledged it (the OpenCPN #4872 complaint);
* **silencing** a vessel for N minutes keeps its alerts out of the ticker (they are still
  recorded); **exclusions** per rule (MMSIs, ship-type categories) mean the rule does not
  look at that vessel at all;
* each alert has a **severity** (alarm / warning / caution, per rule) and the **sector** its
  first position lies in.

``update`` / ``tick`` are fed by the twin's engine (live) or by ``run_alerts`` over a file
(batch): the same code. Changed alerts and silences are collected for the history store and
written with the engine's round (``take_changes``).
"""
from __future__ import annotations

import threading
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from data_sources.events import ReplayRestarted, StaticReport, VesselReport

from ..copies import deep_copy
from .ais_gap import AisGap
from .anchor_drag import AnchorDrag
from .anchoring import UnauthorisedAnchoring
from .close_quarters import CloseQuarters
from .collision import CollisionRisk
from .context import AlertContext, Fix
from .dark_target import UnidentifiedTrack
from .distress import Distress
from .hydromet_rules import ExtremeWater, LowVisibility, UnderKeelClearance, WindLimit
from .identity import IdentityConflict
from .plan_rules import BerthConflict, EarlyArrival, LateArrival, Overstay
from .model import (EVENT, SEVERITY_RANK, STATE, Alert, Condition, list_order, split_settings,
                    subject_key)
from .rule import Rule
from .position_jump import MOVED, OK, Plausibility, PositionJump
from .zone_entry import ZoneEntry
from .zone_speed import ZoneSpeed

RULES = {r.name: r for r in (CollisionRisk, CloseQuarters, ZoneEntry, ZoneSpeed,
                             UnauthorisedAnchoring, AnchorDrag, AisGap, PositionJump,
                             IdentityConflict, Distress, UnidentifiedTrack,
                             UnderKeelClearance, WindLimit, LowVisibility, ExtremeWater,
                             LateArrival, EarlyArrival, Overstay, BerthConflict)}
STATIC = ("ship_type", "length", "ais_class", "name", "draught", "imo")   # what VesselMemory keeps
TOP_LEVEL = ("incident_window_min", "exit_margin_m", "forget_after_h", "sectors", "profile")
PROFILES = Path(__file__).resolve().parent / "profiles"


def with_profile(config: dict) -> dict:
    """A package's alerts.toml over its profile: ``profile = "harbour"`` (the default, in
    ``profiles/harbour.toml``) or ``"open_sea"`` (the rules' own defaults). A rule's table
    in alerts.toml overrides the profile's values key by key."""
    name = config.get("profile", "harbour")
    if name == "open_sea":
        return dict(config)
    path = PROFILES / f"{name}.toml"
    if not path.is_file():
        raise ValueError(f"alerts.toml: profile {name!r}: no {path.name} in {PROFILES} "
                         f"(profiles: harbour, open_sea)")
    merged = tomllib.loads(path.read_text(encoding="utf-8"))
    for key, value in config.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


@dataclass
class Silence:
    mmsi: int
    until: float
    by: str | None = None
    comment: str | None = None
    created: float | None = None


class AlertReading:
    """What the wall reads of the open alerts — ticker, silences, the map's rings — from
    ``open_alerts`` and ``silences``: one definition for the live ``AlertEngine`` and a twin
    image's copy of its alerts (``twin.image``)."""

    def is_silenced(self, alert: Alert, now: float) -> bool:
        return any(self.silences.get(m) is not None and self.silences[m].until > now
                   for m in alert.vessels())

    def attention(self, now: float, sectors=None) -> list[Alert]:
        """What the ticker shows: open, not acknowledged, not silenced."""
        return [a for a in self.open_alerts(now, sectors)
                if not a.acked and not self.is_silenced(a, now)]

    def highlighted(self, now: float) -> dict[int, str]:
        """mmsi -> the most severe open alert's severity (for the map)."""
        out: dict[int, str] = {}
        for a in self.open_alerts(now):
            for m in a.vessels():
                if m not in out or SEVERITY_RANK[a.severity] < SEVERITY_RANK[out[m]]:
                    out[m] = a.severity
        return out


class AlertEngine(AlertReading):
    def __init__(self, port, config: dict | None = None, source: str = "live",
                 keep_all: bool = False):
        config = with_profile(dict(port.alerts if config is None else config))
        unknown = set(config) - set(TOP_LEVEL) - set(RULES)
        if unknown:
            raise ValueError(f"alerts.toml: unknown keys {sorted(unknown)} "
                             f"(rules: {sorted(RULES)})")
        self.source = source
        self.window_s = float(config.get("incident_window_min", 30)) * 60
        self.forget_s = float(config.get("forget_after_h", 6)) * 3600
        self.ctx = AlertContext(port.geometry, zones=port.layer("zones"),
                                berths=port.layer("berths"), fairways=port.layer("fairways"),
                                sectors=config.get("sectors", ()), land=port.layer("land"),
                                exit_margin_m=float(config.get("exit_margin_m", 50)))
        self.rules = []
        for name, cls in RULES.items():
            settings, params = split_settings(config.get(name), cls.default_severity,
                                              f"alerts.toml [{name}]")
            if settings.enabled:
                self.rules.append(cls(settings, params))
        jump = next((r for r in self.rules if r.name == "position_jump"), None)
        jp = jump.p if jump else PositionJump.Params()
        self.plausibility = Plausibility(jp.max_speed_kn, jp.min_jump_m)
        self.live: dict[tuple, Alert] = {}          # (rule, subject) -> latest incident
        self.by_id: dict[str, Alert] = {}
        self.silences: dict[int, Silence] = {}
        self._clearing: dict[tuple, float] = {}     # (alert id, qualifier) -> since
        self._dirty: set[str] = set()
        self._dirty_silences: set[int] = set()
        self._lock = threading.RLock()
        self.now: float | None = None
        self.archive: list[Alert] | None = [] if keep_all else None   # batch: every alert

    # ---- input ---------------------------------------------------------------------------
    def update(self, events, where: dict | None = None, reports: list | None = None) -> int:
        """One round of events (sorted or not). ``where`` = PortGeometry.locate of the round's
        VesselReports in ts order, when the caller has it already, and ``reports`` those
        reports in that order (a stable sort by ts) when it has them. A ``ReplayRestarted``
        splits the round: a replay's next pass begins where the recording began, so what the
        rules remember of each ship is dropped there (no "jump" back to the start)."""
        restart = next((e for e in events if isinstance(e, ReplayRestarted)), None)
        if restart is not None:
            before = [e for e in events if not isinstance(e, ReplayRestarted)
                      and e.ts < restart.ts]
            after = [e for e in events if not isinstance(e, ReplayRestarted)
                     and e.ts >= restart.ts]
            n = self.update(before)
            with self._lock:
                for v in self.ctx.vessels.values():
                    v.recent.clear()
                    v.last = None
                self.plausibility.forget_all()
            return n + self.update(after)
        given = reports is not None and where is not None
        if not given:
            reports = []
        for e in events:
            if isinstance(e, StaticReport) or (isinstance(e, VesselReport) and e.static):
                self._remember(e)
            if not given and isinstance(e, VesselReport):
                reports.append(e)
        if not reports:
            return 0
        if given:
            loc = self.ctx.locate(None, None, where)
        else:
            reports.sort(key=lambda r: r.ts)
            loc = self.ctx.locate([r.lon for r in reports], [r.lat for r in reports], where)
        with self._lock:
            items = []
            take = self._take_fix
            for r, row in zip(reports, located_rows(loc)):
                got = take(r.mmsi, r.ts, r.lon, r.lat, r.sog, r.cog, r.heading, r.nav_status,
                           row)
                if got is not None:
                    items.append(got)
            self._run_rules(items)
        return len(reports)

    def _remember(self, e) -> None:
        self.remember(e.mmsi, {k: getattr(e, k, None) for k in STATIC})

    def remember(self, mmsi: int, fields: dict) -> None:
        """Static data the rules use (ship type for exclusions, length, AIS class)."""
        v = self.ctx.vessel(int(mmsi))
        for k in STATIC:
            value = fields.get(k)
            if value is not None and value == value:
                setattr(v, k, value)

    def apply_fix(self, mmsi, ts, lon, lat, sog, cog, heading, nav_status, loc: tuple) -> None:
        """One fix through the rules (the batch tools feed fixes one at a time between
        ticks; the live engine hands a whole round to ``update``)."""
        got = self._take_fix(mmsi, ts, lon, lat, sog, cog, heading, nav_status, loc)
        if got is not None:
            self._run_rules([got])

    def _take_fix(self, mmsi, ts, lon, lat, sog, cog, heading, nav_status, loc: tuple):
        """What every rule reads of one fix, worked out once: located, checked for
        plausibility, motion implied where the report has none, remembered in the vessel's
        memory, and told to the berth plan. Returns (fix, vessel, accepted), or None for a
        late duplicate (the vessel's memory is already past it)."""
        berth, anchorage, in_port, x, y, zones, near, shore = loc
        v = self.ctx.vessel(mmsi)
        check, details = self.plausibility.check(mmsi, ts, x, y, lon, lat)
        accepted = check in (OK, MOVED)
        if check == MOVED:
            v.recent.clear()
        if accepted and (sog is None or cog is None):
            speed, course = self.ctx.implied_motion(v, ts, x, y)
            sog = speed if sog is None else sog
            cog = course if cog is None and speed is not None and speed >= 0.5 else cog
        fix = Fix(mmsi, ts, lon, lat, x, y, sog, cog, heading, nav_status, berth, anchorage,
                  bool(in_port), zones, near, shore, check, details)
        if accepted:
            if v.last is not None and ts < v.last.ts:
                return None                             # late duplicate: already past it
            v.recent.append(fix)
            v.last = fix
            if self.ctx.plan is not None:               # what happened to the plans now
                happened = self.ctx.plan.observe(fix, v)
                if happened:
                    fix.plan_events = tuple(happened)
        return fix, v, accepted

    def _run_rules(self, items: list[tuple]) -> None:
        """The fixes of a round (``_take_fix``, in time order) through each rule that watches
        fixes, a rule at a time: ``Rule.on_fixes`` gets the (fix, vessel) pairs of the
        vessels it applies to — accepted fixes, or every one if it ``sees_rejected`` — and
        passes over, cheaply, those that cannot concern it. Rules keep their own state per
        subject and the engine's lifecycle is per (rule, subject), so one rule's conditions
        never depend on another's: a round rule by rule gives the alerts fix by fix did."""
        if not items:
            return
        accepted = [(f, v) for f, v, ok in items if ok]
        every = None
        for rule in self.rules:
            if not rule.watches_fixes:
                continue
            if rule.sees_rejected:
                if every is None:
                    every = [(f, v) for f, v, _ in items]
                mine = every
            else:
                mine = accepted
            s = rule.settings
            if s.exclude_mmsi or s.exclude_categories or type(rule).applies is not Rule.applies:
                mine = [(f, v) for f, v in mine if rule.applies(v)]
            if mine:
                for c in rule.on_fixes(mine, self.ctx):
                    self._handle(rule, c)

    def tick(self, now: float) -> None:
        """Once a round: pair and silence rules, clearing of state alerts, forgetting."""
        with self._lock:
            self.now = now
            for rule in self.rules:
                for c in rule.on_tick(now, self.ctx):
                    self._handle(rule, c)
            for (alert_id, qualifier), since in list(self._clearing.items()):
                alert = self.by_id.get(alert_id)
                if alert is None:                       # finalised meanwhile
                    del self._clearing[(alert_id, qualifier)]
                elif now - since >= RULES[alert.rule].clear_s:
                    self._clear(alert, qualifier, since)
            for key, alert in list(self.live.items()):
                if not alert.open and now - (alert.end or alert.last) > self.window_s:
                    del self.live[key]                  # final: stored, no longer joinable
                    self.by_id.pop(alert.alert_id, None)
            for mmsi in [m for m, v in self.ctx.vessels.items()
                         if v.last is not None and now - v.last.ts > self.forget_s]:
                del self.ctx.vessels[mmsi]
                self.plausibility.forget(mmsi)

    # ---- lifecycle -----------------------------------------------------------------------
    def _handle(self, rule, c: Condition) -> None:
        key = (rule.name, c.subject or subject_key(c.mmsi, c.other))
        alert = self.live.get(key)
        if not c.active:
            if alert is not None and c.qualifier in alert.holding:
                clearing = (alert.alert_id, c.qualifier)
                self._clearing.setdefault(clearing, c.ts)
                if c.ts - self._clearing[clearing] >= rule.clear_s:
                    self._clear(alert, c.qualifier, self._clearing[clearing])
            return
        if alert is not None and self._joins(alert, c.ts):
            self._join(rule, alert, c)
        else:
            self._raise(rule, key, c)

    def _joins(self, alert: Alert, ts: float) -> bool:
        if alert.open:
            return True
        return ts - (alert.end if alert.kind == STATE and alert.end else alert.last) \
            <= self.window_s

    def _raise(self, rule, key, c: Condition) -> None:
        alert = Alert(
            alert_id=f"{rule.name}:{key[1]}:{int(c.since or c.ts)}", rule=rule.name,
            kind=rule.kind, severity=rule.settings.severity,
            mmsi=min(c.mmsi, c.other) if c.other else c.mmsi, subject_id=c.subject,
            other_mmsi=max(c.mmsi, c.other) if c.other else None, start=c.since or c.ts,
            last=c.ts,
            lon=c.lon, lat=c.lat, sector=self.ctx.sector_of(c.lon, c.lat),
            details=dict(c.details), holding=[c.qualifier] if rule.kind == STATE else [])
        self.live[key] = self.by_id[alert.alert_id] = alert
        self._dirty.add(alert.alert_id)
        if self.archive is not None:
            self.archive.append(alert)

    def _join(self, rule, alert: Alert, c: Condition) -> None:
        self._clearing.pop((alert.alert_id, c.qualifier), None)
        changed = False
        if rule.kind == EVENT:
            alert.occurrences += 1
            changed = True
        elif c.qualifier not in alert.holding:
            if not alert.holding:                   # it had cleared: a repeat
                alert.occurrences += 1
                alert.end = None
            alert.holding.append(c.qualifier)
            changed = True
        if c.ts > alert.last:                       # the latest position and figures
            alert.last, alert.lon, alert.lat = c.ts, c.lon, c.lat
            alert.details = dict(c.details)
        if changed:
            self._dirty.add(alert.alert_id)

    def _clear(self, alert: Alert, qualifier: str, since: float) -> None:
        self._clearing.pop((alert.alert_id, qualifier), None)
        if qualifier in alert.holding:
            alert.holding.remove(qualifier)
            if not alert.holding:
                alert.end = since
            self._dirty.add(alert.alert_id)

    # ---- operators -----------------------------------------------------------------------
    def acknowledge(self, alert_id: str, operator: str, comment: str = "",
                    now: float | None = None) -> Alert | None:
        """Acknowledge an incident (event alerts close; state alerts stay while they hold
        but no longer call for attention, and their repeats join acknowledged)."""
        if not operator or not operator.strip():
            raise ValueError("an acknowledgement needs the operator's name")
        with self._lock:
            alert = self.by_id.get(alert_id)
            if alert is None or alert.acked:
                return alert
            now = self.now if now is None else now
            alert.acked_at, alert.acked_by = now, operator.strip()
            alert.ack_comment = (comment or "").strip() or None
            if alert.kind == EVENT:
                alert.end = now
            self._dirty.add(alert_id)
            return alert

    def silence(self, mmsi: int, minutes: float, operator: str, comment: str = "",
                now: float | None = None) -> Silence:
        if minutes <= 0:
            raise ValueError("silence for a positive number of minutes")
        with self._lock:
            now = self.now if now is None else now
            s = self.silences[int(mmsi)] = Silence(int(mmsi), now + minutes * 60,
                                                   (operator or "").strip() or None,
                                                   (comment or "").strip() or None, now)
            self._dirty_silences.add(int(mmsi))
            return s

    # ---- reading (views, CLI) ------------------------------------------------------------
    def open_copy(self, now: float) -> tuple[list[Alert], dict]:
        """(open alerts, silences in force) as they are now, copied under the lock (the twin
        image's: ``AlertReading`` answers the same from them)."""
        with self._lock:
            return deep_copy(([a for a in self.live.values() if a.open],
                              {m: s for m, s in self.silences.items() if s.until > now}))

    def open_alerts(self, now: float | None = None, sectors=None) -> list[Alert]:
        """Open alerts, most severe and newest first; ``sectors`` limits them to those."""
        with self._lock:
            alerts = [a for a in self.live.values() if a.open
                      and (not sectors or a.sector in sectors)]
        return list_order(alerts)

    def all_alerts(self) -> list[Alert]:
        """Every alert raised (batch engines, ``keep_all``), else the ones still live."""
        with self._lock:
            return list(self.archive if self.archive is not None else self.by_id.values())

    # ---- history store -------------------------------------------------------------------
    def take_changes(self) -> tuple[list[dict], list[dict]]:
        """Rows of the alerts and silences changed since the last call (for one write)."""
        with self._lock:
            alerts = [self.by_id[i].to_row() for i in self._dirty if i in self.by_id]
            silences = [asdict(self.silences[m]) for m in self._dirty_silences
                        if m in self.silences]
            self._dirty.clear()
            self._dirty_silences.clear()
        return alerts, silences

    def put_back(self, alerts: list[dict], silences: list[dict]) -> None:
        """Rows taken and not handed to the store: mark them changed again (their current
        values are taken next)."""
        with self._lock:
            self._dirty.update(r["alert_id"] for r in alerts)
            self._dirty_silences.update(r["mmsi"] for r in silences)

    def restore(self, alerts: list[dict], silences: list[dict], now: float | None) -> int:
        """Open and still-joinable incidents and running silences from the store."""
        with self._lock:
            for row in alerts:
                a = Alert.from_row(row)
                if not a.open and now is not None and \
                        now - (a.end or a.last) > self.window_s:
                    continue
                key = (a.rule, a.subject())
                old = self.live.get(key)
                if old is None or old.start <= a.start:
                    self.live[key] = a
                self.by_id[a.alert_id] = a
            for row in silences:
                s = Silence(**row)
                if now is None or s.until > now:
                    self.silences[s.mmsi] = s
            self.now = now
            return len(self.by_id)


def located_rows(loc: dict):
    """What ``AlertContext.locate`` says of each point, a tuple a point in order (berth,
    anchorage, in port, x, y, zones, near zones, metres to shore) as ``_take_fix`` reads it:
    the arrays made Python values once (a NumPy element read one at a time costs more than
    the whole ``tolist``)."""
    return zip(*(list(loc[k]) if k in ("zones", "near_zones") else np.asarray(loc[k]).tolist()
                 for k in ("berth", "anchorage", "in_port", "x", "y", "zones", "near_zones",
                           "shore_m")))


def run_alerts(fixes, port, config: dict | None = None, static=None, source: str = "batch",
               tick_s: float = 10.0) -> AlertEngine:
    """The alert engine over a fixes table (mmsi, ts, lon, lat[, sog, cog, heading,
    nav_status]) in time order, ticking every ``tick_s`` of data time — what the live engine
    does, without the wait. ``static``: mmsi -> {ship_type, length, ais_class, name}."""
    engine = AlertEngine(port, config, source=source, keep_all=True)
    for mmsi, fields in (static or {}).items():
        engine.remember(mmsi, fields)
    feed_fixes(engine, fixes, tick_s)
    return engine


def feed_fixes(engine: AlertEngine, fixes, tick_s: float = 10.0) -> None:
    """Fixes in time order through ``apply_fix``, ticking every ``tick_s`` of data time (the
    fixes are located in one vectorised call)."""
    df = fixes.sort_values("ts", kind="stable").reset_index(drop=True)
    if df.empty:
        return
    loc = engine.ctx.locate(df["lon"].to_numpy(), df["lat"].to_numpy())
    cols = [df[c].to_numpy() if c in df else np.full(len(df), np.nan)
            for c in ("mmsi", "ts", "lon", "lat", "sog", "cog", "heading", "nav_status")]
    next_tick = float(cols[1][0]) if engine.now is None else engine.now + tick_s
    with engine._lock:
        for (m, t, x, y, s, c, h, n), row in zip(zip(*cols), located_rows(loc)):
            t = float(t)
            while t >= next_tick:
                engine.tick(next_tick)
                next_tick += tick_s
            engine.apply_fix(int(m), t, float(x), float(y), _num(s), _num(c), _num(h),
                             None if n != n else int(n), row)
        engine.tick(next_tick)


def _num(v):
    return None if v is None or v != v else float(v)
