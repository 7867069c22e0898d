"""NOAA/BOEM MarineCadastre AIS CSV -> ``VesselReport`` events.

The layout (``BaseDateTime,LON,LAT,MMSI,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,
Status,Length,Width,Draft,Cargo,TranscieverClass,ETA``) is the one most US users have. The file
already holds decoded AIS, so "not available" codes appear as numbers and are mapped here, at the
edge, to ``None`` (ITU-R M.1371-5 field definitions):

=============  =========================================================================
field          cleaning
=============  =========================================================================
LON / LAT      181 / 91 = not available -> record rejected (``position_not_available``);
               other values outside +-180 / +-90 -> rejected (``position_out_of_range``)
SOG            102.3 = not available, negative -> None (102.2 means ">= 102.2 kn", kept)
COG            MarineCadastre stores the 12-bit COG field as a *signed* number, so true
               courses >= 204.8 deg appear as COG - 409.6 (e.g. 349.0 -> -60.6). We undo
               the wrap (+409.6). Raw 3600 (= not available) then reads 360.0 and is None,
               as is anything outside [0, 360). Measured on the bundled NY hour: wrapped
               values agree with the true heading as well as unwrapped ones do (median
               |COG - heading| 2.4 deg for both, n = 357 / 644 moving vessels).
Heading        511 = not available -> None; other values >= 360 -> None
Status         15 = "undefined" (default) -> None
VesselType     0 = not available -> None
Length/Width   0 or blank -> None
Draft          0 or blank -> None
VesselName     '@' padding cut at the first '@' (as gpsd does), blank -> None
IMO            'IMO1234567'; kept only if its check digit is right, else None
ETA            ISO time, blank -> None
=============  =========================================================================

Anything else wrong with a row (wrong column count, unparseable time or number, invalid MMSI)
rejects that row with a counted reason; the feed never stops for one bad row. A time that is
no time at all (before 1980, after 2100) is ``time_implausible``; reading a whole file, a time
outside the span the bulk of the file lies in (``timecheck.recording_window``) is
``time_outside_recording`` — one row re-dated 2120 in a 2020 file must not stretch the replay
over a century.
"""
from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .events import VesselReport
from .timecheck import plausible_epoch, recording_window

COLUMNS = (
    "BaseDateTime", "LON", "LAT", "MMSI", "SOG", "COG", "Heading", "VesselName", "IMO",
    "CallSign", "VesselType", "Status", "Length", "Width", "Draft", "Cargo",
    "TranscieverClass", "ETA",
)


class RowError(ValueError):
    """A row that cannot become an event; ``reason`` is the counter key."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _num(value: str, field: str) -> float | None:
    value = value.strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise RowError("bad_number", f"{field}={value!r}") from None


def _time(value: str, field: str) -> float | None:
    value = value.strip()
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise RowError("bad_time", f"{field}={value!r}") from None
    if t.tzinfo is None:  # MarineCadastre times are UTC without a suffix
        t = t.replace(tzinfo=timezone.utc)
    return t.timestamp()


def clean_cog(cog: float | None) -> float | None:
    """Undo MarineCadastre's signed 12-bit COG and map not-available to None."""
    if cog is None:
        return None
    if cog < 0:
        cog += 409.6
    cog = round(cog, 1)
    return cog if 0.0 <= cog < 360.0 else None


def clean_heading(heading: float | None) -> float | None:
    if heading is None or not 0.0 <= heading < 360.0:
        return None  # 511 = not available
    return heading


def clean_sog(sog: float | None) -> float | None:
    if sog is None or sog < 0 or sog > 102.25:
        return None  # 102.3 = not available
    return sog


def clean_positive(value: float | None) -> float | None:
    return value if value is not None and value > 0 else None


def clean_text(value: str) -> str | None:
    """AIS 6-bit text: cut at the first '@' (padding), strip blanks."""
    value = value.split("@", 1)[0].strip()
    return value or None


def imo_is_valid(imo: int) -> bool:
    """IMO ship identification number check digit (SOLAS XI-1/3, IMO Res. A.1117(30))."""
    if not 1_000_000 <= imo <= 9_999_999:
        return False
    digits = [int(d) for d in str(imo)]
    return sum(d * w for d, w in zip(digits[:6], range(7, 1, -1))) % 10 == digits[6]


def clean_imo(value: str) -> int | None:
    value = value.strip().upper().removeprefix("IMO")
    if not value.isdigit():
        return None
    imo = int(value)
    return imo if imo_is_valid(imo) else None


def parse_row(row: list[str], source: str) -> VesselReport:
    """One CSV row (already split) -> a ``VesselReport``; raises ``RowError`` when unusable."""
    if len(row) != len(COLUMNS):
        raise RowError("bad_column_count", f"{len(row)} columns, expected {len(COLUMNS)}")
    r = dict(zip(COLUMNS, row))

    ts = _time(r["BaseDateTime"], "BaseDateTime")
    if ts is None:
        raise RowError("bad_time", "BaseDateTime is empty")
    if not plausible_epoch(ts):
        raise RowError("time_implausible", f"BaseDateTime={r['BaseDateTime'].strip()!r}")

    mmsi_text = r["MMSI"].strip()
    if not mmsi_text.isdigit() or not 0 < int(mmsi_text) <= 999_999_999:
        raise RowError("invalid_mmsi", repr(mmsi_text))
    mmsi = int(mmsi_text)

    lon, lat = _num(r["LON"], "LON"), _num(r["LAT"], "LAT")
    if lon is None or lat is None or lon == 181.0 or lat == 91.0:
        raise RowError("position_not_available", f"lon={lon} lat={lat}")
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise RowError("position_out_of_range", f"lon={lon} lat={lat}")

    status = _num(r["Status"], "Status")
    ship_type = _num(r["VesselType"], "VesselType")
    ais_class = r["TranscieverClass"].strip().upper() or None
    return VesselReport(
        ts=ts,
        source=source,
        mmsi=mmsi,
        lon=lon,
        lat=lat,
        sog=clean_sog(_num(r["SOG"], "SOG")),
        cog=clean_cog(_num(r["COG"], "COG")),
        heading=clean_heading(_num(r["Heading"], "Heading")),
        nav_status=int(status) if status is not None and 0 <= status <= 14 else None,
        name=clean_text(r["VesselName"]),
        imo=clean_imo(r["IMO"]),
        callsign=clean_text(r["CallSign"]),
        ship_type=int(ship_type) if ship_type is not None and 1 <= ship_type <= 99 else None,
        length=clean_positive(_num(r["Length"], "Length")),
        width=clean_positive(_num(r["Width"], "Width")),
        draught=clean_positive(_num(r["Draft"], "Draft")),
        eta=_time(r["ETA"], "ETA"),
        ais_class=ais_class if ais_class in ("A", "B") else None,
    )


def parse_lines(
    lines: Iterable[str],
    source: str = "marinecadastre",
    on_reject: Callable[[str, str], None] | None = None,
) -> Iterator[VesselReport]:
    """Parse MarineCadastre CSV lines (header first). Bad rows go to ``on_reject(reason, detail)``."""
    for _, report in _numbered(lines, source, on_reject):
        yield report


def _numbered(lines: Iterable[str], source: str, on_reject, where: str = "line "
              ) -> Iterator[tuple[int, VesselReport]]:
    """(line number, report) of each good row; rejects say ``{where}{line}: …``."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        return
    header = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ValueError(f"not a MarineCadastre AIS CSV: missing columns {missing}")
    # Files exported with another column order are read by name.
    order = None if tuple(header) == COLUMNS else [header.index(c) for c in COLUMNS]
    for line_no, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        try:
            if order is not None:
                if len(row) != len(header):
                    raise RowError("bad_column_count", f"{len(row)} columns, expected {len(header)}")
                row = [row[i] for i in order]
            yield line_no, parse_row(row, source)
        except RowError as err:
            if on_reject is not None:
                on_reject(err.reason, f"{where}{line_no}: {err.detail}")


def load_file(path, source: str = "marinecadastre",
              on_reject: Callable[[str, str], None] | None = None) -> list[VesselReport]:
    """Read a whole MarineCadastre CSV (plain or .gz) into a time-ordered list of reports.

    A row dated outside the recording's own span (``recording_window``) is a corrupt record:
    rejected as ``time_outside_recording`` (place ``file:line``), it never stretches the span
    of the replay, of the radar simulated over it, or of a history load."""
    from .transport import file_lines

    name = Path(path).name
    rows = list(_numbered(file_lines(path, on_error=on_reject), source, on_reject,
                         where=f"{name}:"))
    window = recording_window([r.ts for _, r in rows])
    reports = []
    for line_no, r in rows:
        if window is not None and not window[0] <= r.ts <= window[1]:
            if on_reject is not None:
                when = datetime.fromtimestamp(r.ts, timezone.utc).isoformat()
                on_reject("time_outside_recording", f"{name}:{line_no}: BaseDateTime={when}")
            continue
        reports.append(r)
    reports.sort(key=lambda r: r.ts)  # stable: rows of equal time keep file order
    return reports
