"""VTS radar target tracks: NMEA ``TTM`` / ``TLL`` (parsed with pynmea2) and CSV/JSON exports.

NMEA 0183 radar sentences, as ARPA and VTS trackers send them:

* ``TTM`` — tracked target message: target number, distance and bearing *from the radar*,
  speed and course, CPA and TCPA, name, status (``T`` tracking, ``Q`` acquiring, ``L`` lost),
  UTC time of day. The position is worked out from the radar site (``site=`` in the config, or
  the latest ``GGA`` / ``RMC`` of a radar on a ship) with pyproj.Geod.
* ``TLL`` — target latitude and longitude, with number, name, time and status.

Time of day comes with each sentence; the date from the latest ``RMC`` / ``ZDA``, else the
``date=`` given, else the arrival time (live). Bad input is counted by reason in the feed's
health and skipped: checksum, unparseable fields, relative bearings without the site's
heading, no position, no date.

    python app.py vts FILE [--site LON,LAT] [--date YYYY-MM-DD] [--format jsonl|csv]
"""
from __future__ import annotations

import csv
import json
import sys
from dataclasses import asdict
from datetime import date, datetime, timezone
from pathlib import Path

import pynmea2
from pyproj import Geod

from .events import RadarTrackReport
from .jsonout import dumps, safe_cell
from .rows import first, lowered, number, parse_time
from .timecheck import plausible_epoch, recording_window
from .live import LineFeed
from .transport import file_lines

GEOD = Geod(ellps="WGS84")
STATUS = {"T": "tracking", "Q": "acquiring", "L": "lost"}
UNIT_M = {"N": 1852.0, "K": 1000.0, "S": 1609.344}       # TTM distance / speed units
KN_PER = {"N": 1.0, "K": 1000.0 / 1852.0, "S": 1609.344 / 1852.0}


class VtsDecoder:
    """NMEA lines -> ``RadarTrackReport``s. ``site`` (lon, lat) and ``site_heading`` (for
    relative bearings) describe a fixed radar; ``GGA``/``RMC`` lines move it."""

    def __init__(self, source: str = "vts", site: tuple[float, float] | None = None,
                 site_heading: float | None = None, day: date | None = None,
                 on_reject=None, on_warning=None, radar_id: str | None = None):
        self.source = source
        self.radar_id = radar_id or source
        self.site = site
        self.site_heading = site_heading
        self.day = day
        self.on_reject = on_reject or (lambda reason, detail=None: None)
        self.on_warning = on_warning or (lambda reason, detail=None: None)
        self._last_ttm: dict[str, RadarTrackReport] = {}
        self._clock: float | None = None     # latest full time from ZDA / RMC

    def feed(self, line: str, arrival: float | None = None) -> list[RadarTrackReport]:
        line = line.strip()
        if not line or line[0] not in "$!":
            if line:
                self.on_reject("not_nmea", line[:40])
            return []
        try:
            msg = pynmea2.parse(line, check=True)
        except pynmea2.ChecksumError as exc:
            if "missing" not in str(exc):
                self.on_reject("checksum", line[:60])
                return []
            self.on_warning("no_checksum", line[:60])
            try:
                msg = pynmea2.parse(line, check=False)
            except pynmea2.ParseError as exc2:
                self.on_reject("unparseable", f"{exc2}")
                return []
        except pynmea2.ParseError as exc:
            self.on_reject("unparseable", f"{exc.args[0] if exc.args else exc}: {line[:60]}")
            return []
        kind = msg.sentence_type
        try:
            if kind == "TTM":
                return self._ttm(msg, arrival)
            if kind == "TLL":
                return self._tll(msg, arrival)
            if kind in ("GGA", "RMC"):
                self._own_position(msg)
            elif kind == "ZDA" and msg.year:
                self.day = date(int(msg.year), int(msg.month), int(msg.day))
                if msg.timestamp is not None:
                    self._clock = datetime.combine(self.day, msg.timestamp).replace(
                        tzinfo=timezone.utc).timestamp()
            else:
                self.on_warning("other_sentence", kind)
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            self.on_reject("bad_field", f"{kind}: {exc}")
        return []

    # ---- sentences -----------------------------------------------------------------------
    def _own_position(self, msg) -> None:
        if msg.sentence_type == "RMC" and msg.datestamp:
            self.day = msg.datestamp
            if msg.timestamp is not None:
                self._clock = datetime.combine(self.day, msg.timestamp).replace(
                    tzinfo=timezone.utc).timestamp()
        if msg.latitude or msg.longitude:
            if msg.sentence_type == "RMC" and msg.status != "A":
                return
            self.site = (float(msg.longitude), float(msg.latitude))
            if msg.sentence_type == "RMC" and msg.true_course:
                self.site_heading = float(msg.true_course)

    def _time(self, hms, arrival: float | None) -> float | None:
        if hms is None:                    # no time of day: arrival, else the log's clock
            return arrival if arrival is not None else self._clock
        day = self.day
        if day is None:
            if arrival is None:
                return None
            day = datetime.fromtimestamp(arrival, timezone.utc).date()
        ts = datetime.combine(day, hms).replace(tzinfo=timezone.utc).timestamp()
        if self.day is None and arrival is not None and ts - arrival > 43200:
            ts -= 86400                    # just after midnight, a sentence from yesterday
        return ts

    def _target(self, number) -> str:
        return f"{self.radar_id}:{int(number)}"

    def _ttm(self, m, arrival) -> list[RadarTrackReport]:
        if not m.target_number:
            self.on_reject("no_target_number", str(m)[:60])
            return []
        target = self._target(m.target_number)
        unit = (m.dist_unit or "N").upper()
        if unit not in UNIT_M:
            self.on_reject("bad_field", f"TTM unit {unit!r}")
            return []
        ts = self._time(m.timestamp, arrival)
        if ts is None:
            self.on_reject("no_date", f"TTM {target}: no date (give --date or RMC/ZDA)")
            return []
        if self.site is None:
            self.on_reject("no_site", f"TTM {target}: radar site unknown (config or GGA/RMC)")
            return []
        if m.distance in (None, "") or m.bearing in (None, ""):
            self.on_reject("no_position", f"TTM {target}: no distance/bearing")
            return []
        bearing = float(m.bearing)
        if (m.brg_ref or "T").upper() == "R":
            if self.site_heading is None:
                self.on_reject("relative_bearing", f"TTM {target}: relative bearing and no "
                                                   "site heading")
                return []
            bearing = (bearing + self.site_heading) % 360.0
        distance_m = float(m.distance) * UNIT_M[unit]
        lon, lat, _ = GEOD.fwd(self.site[0], self.site[1], bearing, distance_m)
        course = number(m.cog)
        if course is not None and (m.cog_unit or "T").upper() == "R" and self.site_heading:
            course = (course + self.site_heading) % 360.0
        speed = number(m.speed)
        report = RadarTrackReport(
            ts=ts, source=self.source, target=target, lon=lon, lat=lat,
            speed=None if speed is None else speed * KN_PER[unit], course=course,
            status=STATUS.get((m.status or "T").upper(), "tracking"), distance_m=distance_m,
            bearing=bearing, cpa_m=None if number(m.dist_cpa) is None
            else number(m.dist_cpa) * UNIT_M[unit],
            tcpa_s=None if number(m.time_cpa) is None else number(m.time_cpa) * 60.0,
            name=(m.name or None))
        self._last_ttm[target] = report
        return [report]

    def _tll(self, m, arrival) -> list[RadarTrackReport]:
        if not m.target_number:
            self.on_reject("no_target_number", str(m)[:60])
            return []
        target = self._target(m.target_number)
        if not m.lat or not m.lon:
            self.on_reject("no_position", f"TLL {target}: no lat/lon")
            return []
        lat = _dm(m.lat, m.lat_dir, "NS")
        lon = _dm(m.lon, m.lon_dir, "EW")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            self.on_reject("bad_position", f"TLL {target}: {lat},{lon}")
            return []
        ts = self._time(m.timestamp, arrival)
        if ts is None:
            self.on_reject("no_date", f"TLL {target}: no date (give --date or RMC/ZDA)")
            return []
        ttm = self._last_ttm.get(target)
        same = ttm is not None and abs(ttm.ts - ts) < 1.0       # TTM + TLL of one update
        return [RadarTrackReport(
            ts=ts, source=self.source, target=target, lon=lon, lat=lat,
            speed=ttm.speed if same else None, course=ttm.course if same else None,
            status=STATUS.get((m.target_status or "T").upper(), "tracking"),
            name=(m.target_name or None))]


def _dm(value: str, hemisphere: str, signs: str) -> float:
    """NMEA ddmm.mmmm / dddmm.mmmm -> degrees."""
    head, _, _ = value.partition(".")
    degrees_len = len(head) - 2
    deg = float(value[:degrees_len]) + float(value[degrees_len:]) / 60.0
    if (hemisphere or signs[0]).upper() not in signs:
        raise ValueError(f"hemisphere {hemisphere!r}")
    return -deg if hemisphere.upper() == signs[1] else deg


# ---- VTS exports: CSV / JSON track tables --------------------------------------------------
FIELD_NAMES = {
    "target": ("target", "track_id", "track", "id", "target_id"),
    "time": ("time", "ts", "timestamp", "datetime"),
    "lat": ("lat", "latitude"), "lon": ("lon", "lng", "longitude"),
    "speed": ("speed", "sog", "speed_kn"), "course": ("course", "cog", "course_deg"),
    "status": ("status",), "name": ("name", "label"),
}


def parse_track_row(row: dict, source: str, on_reject) -> RadarTrackReport | None:
    """One row of a VTS track export (CSV or JSON object) -> a report, or None (counted)."""
    low = lowered(row)

    def get(name):
        return first(low, FIELD_NAMES[name])
    target, when, lat, lon = get("target"), get("time"), get("lat"), get("lon")
    if target is None or when is None or lat is None or lon is None:
        on_reject("missing_field", f"needs target, time, lat, lon: {str(row)[:80]}")
        return None
    try:
        ts = parse_time(when)
        lat, lon = float(lat), float(lon)
        speed, course = number(get("speed")), number(get("course"))
    except (ValueError, TypeError, OverflowError) as exc:
        on_reject("bad_field", f"{exc}: {str(row)[:80]}")
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        on_reject("bad_position", f"{lat},{lon}")
        return None
    status = str(get("status") or "tracking").strip().lower()
    status = STATUS.get(status.upper(), status)
    if status not in STATUS.values():
        on_reject("bad_field", f"status {status!r}")
        return None
    return RadarTrackReport(ts=ts, source=source, target=str(target), lon=lon, lat=lat,
                            speed=speed, course=course, status=status, name=get("name"))


def load_tracks(path, source: str = "vts", on_reject=None, **decoder_args) -> list:
    """A whole file -> time-ordered reports: NMEA (``.nmea``/``.txt``/``.log``), CSV or
    JSON (a list of objects, ``{"tracks": [...]}`` or JSON lines). Rows of an export dated
    outside the recording's own span are rejected (``_keep_to_recording``)."""
    path = Path(path)
    on_reject = on_reject or (lambda reason, detail=None: None)
    suffix = path.suffixes[-2] if path.suffix == ".gz" and len(path.suffixes) > 1 \
        else path.suffix
    out: list = []                           # (place in the file, report)
    if suffix.lower() == ".csv":
        reader = csv.DictReader(file_lines(path))
        for row in reader:
            r = parse_track_row(row, source, on_reject)
            if r is not None:
                out.append((f"{path.name}:{reader.line_num}", r))
    elif suffix.lower() in (".json", ".jsonl"):
        for n, row in enumerate(_json_rows(path, on_reject), 1):
            r = parse_track_row(row, source, on_reject)
            if r is not None:
                out.append((f"{path.name}#{n}", r))
    else:
        decoder = VtsDecoder(source, on_reject=on_reject, **decoder_args)
        for n, line in enumerate(file_lines(path, encoding="latin-1"), 1):
            out.extend((f"{path.name}:{n}", r) for r in decoder.feed(line))
    # an NMEA log's times are times of day on the date of its own ZDA/RMC sentences (the
    # radar's clock): there only a date that is no date at all is refused
    export = suffix.lower() in (".csv", ".json", ".jsonl")
    kept = _keep_to_recording(out, on_reject, window=export)
    kept.sort(key=lambda r: r.ts)
    return kept


def _keep_to_recording(placed: list, on_reject, window: bool = True) -> list:
    """The reports of a recording whose time is believable: plausible (``time_implausible``
    otherwise) and inside the span the bulk of the file lies in (``time_outside_recording``),
    so one corrupt row cannot stretch a replay over years."""
    span = recording_window([r.ts for _, r in placed]) if window else None
    kept = []
    for place, r in placed:
        if not plausible_epoch(r.ts):
            on_reject("time_implausible", f"{place}: time {r.ts!r}")
        elif span is not None and not span[0] <= r.ts <= span[1]:
            on_reject("time_outside_recording", f"{place}: time {r.ts!r}")
        else:
            kept.append(r)
    return kept


def _json_rows(path: Path, on_reject):
    text = "\n".join(file_lines(path))
    try:
        doc = json.loads(text)
        rows = doc.get("tracks", doc.get("data", [])) if isinstance(doc, dict) else doc
        yield from (r for r in rows if isinstance(r, dict))
        return
    except json.JSONDecodeError:
        pass
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            on_reject("bad_json", f"line {n}: {exc}")
            continue
        if isinstance(row, dict):
            yield row
        else:
            on_reject("bad_json", f"line {n}: not an object")


class VtsSource(LineFeed):
    """A live radar feed (NMEA TTM/TLL over tcp:// or udp://) for the engine."""

    what = "VTS"

    def __init__(self, url: str, source_id: str = "vts", label: str | None = None,
                 site: tuple[float, float] | None = None, site_heading: float | None = None,
                 stale_after_s: float = 30.0):
        super().__init__(url, source_id, label, stale_after_s)
        self.decoder = VtsDecoder(source_id, site=site, site_heading=site_heading,
                                  on_reject=self.health.record_reject,
                                  on_warning=self.health.record_note)

    def parse(self, line: str, arrival: float) -> list:
        return self.decoder.feed(line, arrival)    # one transport thread: the decoder's own


def main(argv: list[str] | None = None) -> int:
    """``python app.py vts FILE``: one JSON object per radar target report (target id, time,
    lat, lon, speed, course, status, source) on stdout; rejects counted on stderr."""
    import argparse
    from collections import Counter
    parser = argparse.ArgumentParser(prog="app.py vts", description=main.__doc__)
    parser.add_argument("file", type=Path, help="TTM/TLL log (NMEA), or a CSV/JSON export")
    parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    parser.add_argument("--site", help="radar site LON,LAT (for TTM without GGA/RMC)")
    parser.add_argument("--site-heading", type=float, help="for relative bearings (TTM R)")
    parser.add_argument("--date", help="UTC date YYYY-MM-DD of the log (without RMC/ZDA)")
    parser.add_argument("--source", default="vts", help="source id (default vts)")
    args = parser.parse_args(argv)
    rejects: Counter = Counter()
    examples: dict = {}

    def reject(reason, detail=None):
        rejects[reason] += 1
        examples.setdefault(reason, detail)
    try:
        site = tuple(float(v) for v in args.site.split(",")) if args.site else None
        day = date.fromisoformat(args.date) if args.date else None
        reports = load_tracks(args.file, args.source, on_reject=reject, site=site,
                              site_heading=args.site_heading, day=day)
    except (OSError, ValueError) as exc:
        print(f"vts: {exc}", file=sys.stderr)
        return 2
    keys = ("target", "time", "lat", "lon", "speed", "course", "status", "source")
    writer = csv.writer(sys.stdout, lineterminator="\n") if args.format == "csv" else None
    if writer:
        writer.writerow(keys)
    for r in reports:
        row = asdict(r)
        row["time"] = datetime.fromtimestamp(r.ts, timezone.utc).isoformat().replace(
            "+00:00", "Z")
        out = {k: row[k] for k in keys}
        for k in ("distance_m", "bearing", "cpa_m", "tcpa_s", "name"):
            if row[k] is not None:
                out[k] = row[k]
        if writer:
            writer.writerow([safe_cell(out[k]) for k in keys])
        else:
            print(dumps(out))
    total = sum(rejects.values())
    print(f"{len(reports)} reports, {total} rejected"
          + "".join(f"\n  {k}: {n} (e.g. {examples[k]})" for k, n in rejects.most_common()),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
