"""AIS as a feed of the twin: any transport -> NMEA lines -> decoded records -> twin events.

``--ais`` takes ``tcp://host:port`` (client, reconnects by itself), ``udp://[host]:port``
(listener; NMEA's usual port is 10110) or a file of NMEA (plain or .gz), which is replayed
at its recorded pace like the bundled CSV.
"""
from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections import deque
from datetime import datetime, timezone

from .ais import MET_HYDRO, AisDecoder
from .events import FixedStation, MetHydroObservation, StaticReport, VesselReport
from .health import FeedHealth
from .live import line_transport
from .timecheck import LiveTimeCheck, recording_window
from .transport import file_lines

POSITION_TYPES = {1: "A", 2: "A", 3: "A", 18: "B", 19: "B", 27: "A", 9: None}
# the order of VesselReport's fields that to_events builds it by
_REPORT_AT = ("ts", "source", "mmsi", "lon", "lat", "sog", "cog", "heading", "nav_status",
              "name", "imo", "callsign", "ship_type", "length", "width", "draught",
              "destination", "eta", "ais_class", "to_bow", "to_stern", "to_port",
              "to_starboard", "static")
if tuple(f.name for f in dataclasses.fields(VesselReport)) != _REPORT_AT:
    raise RuntimeError("VesselReport's fields changed: to_events gives them by position")

# Static and voyage data (type 5; type 24 parts A and B) is broadcast again every 6 minutes,
# mostly unchanged. A message that says exactly what the last one passed on for the same
# ship and part said (the same payload), within ``STATIC_REPEAT_S``, tells the twin nothing:
# the live source counts it and makes no event of it (in the NY hour, 1,397 of 12,671
# messages). After the window the next one is passed on again, so what forgets a ship's
# static data (the fleet state after ``expire_minutes`` of silence) hears it again: the
# window is at most a third of that (``static_repeat_window``).
STATIC_REPEAT_S = 600.0
STATIC_REPEAT_MEMORY = 100_000      # (ship, part) pairs remembered; junk MMSIs cannot grow it


def static_repeat_window(expire_s: float) -> float:
    """The repeat window for a twin that forgets a silent ship after ``expire_s``."""
    return max(0.0, min(STATIC_REPEAT_S, float(expire_s) / 3.0))


def resolve_eta(eta: str | None, ts: float) -> float | None:
    """AIS ETA 'MM-DDTHH:MMZ' has no year: take the occurrence nearest after the message
    (an ETA up to ~6 months in the past is kept in this year; older rolls to the next).
    None for no ETA, for a date that does not exist (02-30; 02-29 rolled into a year that
    has none) and for a message time that is no time."""
    if not eta:
        return None
    try:
        year = datetime.fromtimestamp(ts, timezone.utc).year
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    t = _eta_in_year(eta, year)
    if t is not None and ts - t >= 183 * 86400:    # (sent - t).days > 182
        t = _eta_in_year(eta, year + 1)
    return t


@functools.lru_cache(maxsize=4096)
def _eta_in_year(eta: str, year: int) -> float | None:
    """Epoch seconds of 'MM-DDTHH:MMZ' in ``year`` (None: no such time). Remembered: every
    ship repeats its ETA every few minutes."""
    try:
        month, rest = eta.split("-", 1)
        day, hm = rest.rstrip("Z").split("T")
        hour, minute = hm.split(":")
        return datetime(year, int(month), int(day), int(hour), int(minute),
                        tzinfo=timezone.utc).timestamp()
    except (ValueError, TypeError, OverflowError):
        return None


def _dims(rec: dict) -> dict:
    b, s, p, sb = (rec.get(k) for k in ("to_bow", "to_stern", "to_port", "to_starboard"))
    out = {}
    if b is not None and s is not None and (b + s) > 0:
        out.update(to_bow=float(b), to_stern=float(s), length=float(b + s))
    if p is not None and sb is not None and (p + sb) > 0:
        out.update(to_port=float(p), to_starboard=float(sb), width=float(p + sb))
    return out


# What ``to_events`` reads of a position report's record: the live source's decoder gives
# these fields only (``AisDecoder(only=…)``; a type 18 has 20), cleaned as in a full record.
POSITION_READS = frozenset({"type", "mmsi", "lon", "lat", "speed", "course", "heading",
                            "status"})
EVENT_READS = {**{t: POSITION_READS for t in POSITION_TYPES},
               19: POSITION_READS | {"shipname", "shiptype", "to_bow", "to_stern", "to_port",
                                     "to_starboard"}}


def to_events(rec: dict, source: str) -> list:
    """Twin events for one decoded AIS record (positions, static and voyage data)."""
    t, ts, mmsi = rec["type"], rec["ts"], rec["mmsi"]
    if t in POSITION_TYPES:
        lon, lat = rec.get("lon"), rec.get("lat")
        if lon is None or lat is None:
            return []
        # only types 19 and 9 carry static data with the position (``static``); every field
        # given by position (a third cheaper than keywords, once per message): the static
        # fields None, the AIS class and ``static`` where ``_REPORT_AT`` checks they are
        report = VesselReport(ts, source, mmsi, lon, lat, rec.get("speed"), rec.get("course"),
                              rec.get("heading"), rec.get("status"), None, None, None, None,
                              None, None, None, None, None, POSITION_TYPES[t], None, None, None,
                              None, t in (19, 9))
        if t == 19:
            report.name, report.ship_type = rec.get("shipname"), rec.get("shiptype")
            for name, value in _dims(rec).items():
                setattr(report, name, value)
        elif t == 9:              # SAR aircraft: speed in whole knots, no heading or status
            report.name = "SAR aircraft"
        return [report]
    if t == 5:
        return [StaticReport(ts=ts, source=source, mmsi=mmsi, name=rec.get("shipname"),
                             imo=rec.get("imo"), callsign=rec.get("callsign"),
                             ship_type=rec.get("shiptype"), draught=rec.get("draught"),
                             destination=rec.get("destination"),
                             eta=resolve_eta(rec.get("eta"), ts), ais_class="A", **_dims(rec))]
    if t == 8 and rec.get("dac") == 1 and rec.get("fid") in MET_HYDRO:
        values = {k: rec[k] for k in MET_HYDRO[rec["fid"]][1]
                  if k not in ("lon", "lat", "day", "hour", "minute") and rec.get(k) is not None}
        return [MetHydroObservation(ts=ts, source=source, station=f"ais:{mmsi}",
                                    lon=rec.get("lon"), lat=rec.get("lat"), values=values)]
    if t in (21, 4):
        if rec.get("lon") is None or rec.get("lat") is None:
            return []
        return [FixedStation(ts=ts, source=source, mmsi=mmsi, kind="aton" if t == 21 else "base",
                             lon=rec["lon"], lat=rec["lat"], name=rec.get("name"),
                             aid_type=rec.get("aid_type"), virtual=bool(rec.get("virtual_aid")),
                             off_position=rec.get("off_position") if t == 21 else None)]
    if t == 24:              # part A: name; part B: type, call sign, size — merged in the twin
        if rec.get("partno") == 0:
            return [StaticReport(ts=ts, source=source, mmsi=mmsi, name=rec.get("shipname"))]
        return [StaticReport(ts=ts, source=source, mmsi=mmsi, ship_type=rec.get("shiptype"),
                             callsign=rec.get("callsign"), **_dims(rec))]
    return []


class AisSource:
    """A live AIS feed for the engine. Lines arrive on the transport's thread; ``poll()`` hands
    the events gathered since the last poll to the engine.

    A live feed's time is the receive clock: a message's own time (tag block, USCG trailer)
    is used for the message only when it is at most ``max_ahead_s`` ahead of its arrival and
    at most ``max_latency_s`` behind it (``timecheck.LiveTimeCheck``). The twin's clock for
    this feed (``data_time``) is the wall clock, never a message's time: no single message —
    a bit flip to 2286 — can move it."""

    live = True                 # new MMSIs are confirmed before they enter (twin.admission)
    max_buffer = 200_000        # events waiting for the engine; past it the oldest are dropped

    def __init__(self, url: str, source_id: str = "ais", label: str | None = None,
                 stale_after_s: float = 60.0, max_latency_s: float = 600.0,
                 max_ahead_s: float = 300.0, group: str | None = None,
                 static_repeat_s: float = STATIC_REPEAT_S):
        self.url = url
        self.source_id = source_id
        self.label = label or url
        self.health = FeedHealth(source_id, label=self.label, stale_after_s=stale_after_s)
        self.decoder = AisDecoder(on_reject=self.health.record_reject,
                                  on_warning=self.health.record_note,
                                  time_check=LiveTimeCheck(max_ahead_s, max_latency_s),
                                  only=EVENT_READS)
        self._events: deque = deque()
        self._lock = threading.Lock()
        self._last_time = float("-inf")
        self.static_repeat_s = static_repeat_s
        self._static_sent: dict[tuple, tuple] = {}   # (mmsi, type, part) -> (payload, ts)
        # tcp://, udp:// or the partitioned Redis Streams of feed readers (``group``: this
        # twin's consumer group there; data_sources.streams)
        self.transport = line_transport(url, self.on_line, "AIS", health=self.health,
                                        group=group, streams=True, on_lines=self.on_lines)

    def start(self) -> None:
        self.transport.start()

    def stop(self) -> None:
        self.transport.stop()

    def on_line(self, line: str, arrival: float) -> None:
        self.on_lines((line,), arrival)

    def on_lines(self, lines, arrival: float) -> None:
        """The lines of one read (a TCP chunk, a datagram, a stream entry), received at
        ``arrival``: decoded one by one, their events handed to the engine's buffer at once
        and their messages counted at once. A line that makes anything here raise is a
        counted ``internal_error``; the others stand."""
        feed, source_id, events, messages = self.decoder.feed, self.source_id, [], 0
        for line in lines:
            try:
                record = feed(line, arrival)
                if record is None:
                    continue
                messages += 1
                if record["type"] in (5, 24) and self._said_before(record):
                    continue                     # handled: heard, and nothing new
                events.extend(to_events(record, source_id))
            except Exception as exc:             # one bad line must not cost the others
                self.health.record_reject("internal_error", f"{self.label}: "
                                          f"{type(exc).__name__}: {exc}: {line[:60]!r}"[:300])
        if events:
            with self._lock:
                self._events.extend(events)
                overflow = len(self._events) - self.max_buffer
                if overflow > 0:
                    for _ in range(overflow):
                        self._events.popleft()
            if overflow > 0:             # the engine has fallen far behind: say so, stay bounded
                self.health.record_reject("buffer_overflow",
                                          f"{overflow} oldest events dropped")
        self.health.record_messages(messages)

    def _said_before(self, record: dict) -> bool:
        """Whether this static message repeats the last one passed on for its ship and part
        (the same payload) within ``static_repeat_s`` (counted as ``static_repeat``)."""
        if self.static_repeat_s <= 0:
            return False
        key = (record["mmsi"], record["type"], record.get("partno"))
        payload, ts = self.decoder.last_payload, record["ts"]
        last = self._static_sent.get(key)
        if last is not None and last[0] == payload and 0.0 <= ts - last[1] < self.static_repeat_s:
            self.health.record_note("static_repeat")
            return True
        if len(self._static_sent) >= STATIC_REPEAT_MEMORY and key not in self._static_sent:
            self._static_sent.clear()
        self._static_sent[key] = (payload, ts)
        return False

    def poll(self) -> list:
        with self._lock:
            events = list(self._events)
            self._events.clear()
        return events

    def data_time(self) -> float:
        """The twin's now for this feed: the wall clock, never turned back."""
        self._last_time = max(self._last_time, time.time())
        return self._last_time


def load_nmea_file(path, source: str, on_reject=None, on_warning=None) -> list:
    """A whole NMEA file -> time-ordered twin events (for replay at the recorded pace).

    A replay needs each message's time from its framing (tag block, epoch column, USCG
    trailer). A message without a believable one (none, or its tag block's checksum failed)
    takes the time of the last timed line before it — the file's own receive clock — and is
    counted as a note (``time_from_previous_line``); before the first timed line it is
    rejected as ``no_time``. Times outside the recording (``timecheck.recording_window``: a
    bit flip turning 2020 into 2286) are rejected as ``time_outside_recording`` with their
    line number."""
    note = on_warning or (lambda reason, detail: None)
    reject = on_reject or (lambda reason, detail: None)
    decoder = AisDecoder(on_reject=reject, on_warning=note)
    records = []
    for number, line in enumerate(file_lines(path, encoding="latin-1", on_error=reject),
                                  start=1):
        record = decoder.feed(line, 0.0)
        if record is not None:
            records.append((number, record))
    decoder.finish()
    window = recording_window([r["ts"] for _, r in records if r["ts"]])
    events, previous = [], None
    for number, record in records:
        ts = record["ts"]
        if ts and window is not None and not window[0] <= ts <= window[1]:
            reject("time_outside_recording", f"{path}:{number}: {ts!r}")
            continue
        if ts:
            previous = ts
        elif previous is not None:
            record["ts"] = previous
            note("time_from_previous_line", f"{path}:{number}")
        else:
            reject("no_time", f"{path}:{number}: type {record['type']} MMSI {record['mmsi']}: "
                              "no time in its framing, cannot be replayed")
            continue
        try:
            events.extend(to_events(record, source))
        except Exception as exc:        # a record no check foresaw: counted, the file goes on
            reject("internal_error", f"{path}:{number}: {type(exc).__name__}: {exc}"[:300])
    events.sort(key=lambda e: e.ts)
    return events
