"""Cargo throughput: a terminal's feed of cargo work, and monthly port statistics.

* **Terminal feed** — CSV or JSON rows (a file, JSON lines over TCP/UDP/MQTT, an HTTP poll):
  ``time, terminal, berth, vessel (name / IMO / MMSI), moves, teu, tonnage, passengers, crew``
  -> ``CargoWork`` events. A row needs a time, a terminal and at least one quantity; negative
  quantities are rejected. Bad rows are counted by reason and skipped.
* **Monthly statistics** — a port's monthly TEU table, CSV or XLSX, with a column mapping
  (``[throughput] columns`` in port.toml). The default mapping is the Port Authority of NY &
  NJ table's (bundled: ``data/throughput/port_ny_teu.csv``, Jan 2021 – Nov 2025): ``Month,
  Year, Import Loads, Import Empties, Export Loads, Export Empties, Total Loads, Total
  Empties, Total``.
"""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pandas as pd

from .events import CargoWork
from .live import LineFeed
from .rows import lowered, parse_objects, parse_time

MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                      "sep", "oct", "nov", "dec"), 1)}
QUANTITIES = {"moves": int, "teu": float, "tonnage": float, "passengers": int, "crew": int}


def parse_row(row: dict, source: str, on_reject=None) -> CargoWork | None:
    reject = on_reject or (lambda reason, detail=None: None)
    low = lowered(row)
    when, terminal = low.get("time") or low.get("ts"), low.get("terminal")
    if when in (None, "") or terminal in (None, ""):
        reject("missing_field", f"needs time and terminal: {str(row)[:80]}")
        return None
    try:
        ts = parse_time(when)
        values = {k: cast(float(low[k])) for k, cast in QUANTITIES.items()
                  if low.get(k) not in (None, "")}
        mmsi = int(low["mmsi"]) if low.get("mmsi") not in (None, "") else None
        imo = int(low["imo"]) if low.get("imo") not in (None, "") else None
        period = float(low["period_s"]) if low.get("period_s") not in (None, "") else None
    except (ValueError, TypeError, OverflowError) as exc:
        reject("bad_field", f"{exc}: {str(row)[:80]}")
        return None
    if not values:
        reject("no_quantity", f"{terminal}: no moves, TEU, tonnage, passengers or crew")
        return None
    bad = [k for k, v in values.items() if v < 0 or not math.isfinite(v)]
    if bad:
        reject("out_of_range", f"{terminal}: {bad} negative")
        return None
    return CargoWork(ts=ts, source=source, terminal=str(terminal).strip(),
                     berth=(str(low["berth"]).strip() or None) if low.get("berth") else None,
                     vessel=(str(low["vessel"]).strip() or None) if low.get("vessel") else None,
                     mmsi=mmsi, imo=imo, period_s=period, **values)


def parse_payload(payload, source: str, on_reject=None) -> list[CargoWork]:
    """One JSON line / message: an object or a list of objects."""
    try:
        doc = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        if on_reject:
            on_reject("bad_json", str(exc)[:80])
        return []
    rows = doc if isinstance(doc, list) else [doc]
    return parse_objects(rows, lambda row: parse_row(row, source, on_reject), on_reject)


def load_file(path, source: str = "terminal", on_reject=None) -> list[CargoWork]:
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        rows = csv.DictReader(io.StringIO(text))
        out = [w for w in (parse_row(r, source, on_reject) for r in rows) if w is not None]
    else:
        stripped = text.lstrip()
        if stripped.startswith("["):
            out = parse_payload(stripped, source, on_reject)
        else:
            out = [w for line in text.splitlines() if line.strip()
                   for w in parse_payload(line, source, on_reject)]
    return sorted(out, key=lambda w: w.ts)


class ThroughputFormatError(ValueError):
    """A monthly statistics file that cannot be read as one: missing, not a table, or a
    layout whose columns the mapping does not name. The message says which file, what was
    found and how to map it (``[throughput] columns`` in port.toml); the feed panel shows it
    and the app runs on without the series."""


# the fields of the monthly table and the PANYNJ column each is read from by default
MONTHLY_FIELDS = ("month", "year", "teu", "loaded", "empty", "import_loads", "export_loads")
PANYNJ_COLUMNS = {"month": "Month", "year": "Year", "teu": "Total", "loaded": "Total Loads",
                  "empty": "Total Empties", "import_loads": "Import Loads",
                  "export_loads": "Export Loads"}
HEADER_SEARCH_ROWS = 30        # a workbook may have title rows above its header


def load_monthly_teu(path, on_reject=None, columns: dict | None = None,
                     sheet: str | None = None) -> pd.DataFrame:
    """A monthly TEU table -> one row per month: ``month`` (first day, UTC), ``teu``
    (total), ``loaded``, ``empty``, ``import_loads``, ``export_loads`` (None where the table
    has no such column).

    The file is CSV or XLSX (told by its content, not its name; ``sheet``: the workbook's sheet,
    default the first). ``columns`` maps each field to the table's column name; at least
    ``month`` and ``teu``. ``month`` holds a date or a year-month ("2021-01", "Jan 2021", a date
    cell), or a month name or number when ``year`` names the year column. The default mapping
    is the PANYNJ table's (``PANYNJ_COLUMNS``). The header is the first row (of the first 30)
    that has every mapped column, so title rows above it do not matter.

    Raises ``ThroughputFormatError`` for a file that is missing, unreadable, not a table or
    of another layout; a row that does not parse (a "Total" line, an empty cell) is counted
    by ``on_reject("bad_row", detail)`` and skipped."""
    path = Path(path)
    mapping = dict(PANYNJ_COLUMNS if columns is None else columns)
    unknown = sorted(set(mapping) - set(MONTHLY_FIELDS))
    if unknown:
        raise ThroughputFormatError(f"{path}: unknown fields in the column mapping: {unknown} "
                                    f"(known: {', '.join(MONTHLY_FIELDS)})")
    for needed in ("month", "teu"):
        if not mapping.get(needed):
            raise ThroughputFormatError(f"{path}: the column mapping must name '{needed}'")
    rows = _table_rows(path, sheet)
    header_at, index = _find_header(rows, mapping)
    if header_at is None:
        found = next((r for r in rows if any(c not in (None, "") for c in r)), [])
        mapped = {k: v for k, v in mapping.items() if v}
        raise ThroughputFormatError(
            f"{path}: unknown layout: no row has the columns "
            f"{sorted(set(mapped.values()))} (the first row has "
            f"{[str(c) for c in found if c not in (None, '')][:12]}); say which column is "
            f"which in port.toml, e.g. [throughput] columns = {{month = \"...\", "
            f"teu = \"...\"}}")
    reject = on_reject or (lambda reason, detail=None: None)
    out = []
    for n, row in enumerate(rows[header_at + 1:], header_at + 2):
        cell = {k: (row[i] if i < len(row) else None) for k, i in index.items()}
        if all(v in (None, "") for v in cell.values()):
            continue                                   # blank line
        try:
            month = _month(cell["month"], cell.get("year"))
            teu = _number(cell["teu"])
            if teu is None or teu < 0:
                raise ValueError(f"TEU {cell['teu']!r}")
            record = {"month": month, "teu": teu}
            for k in ("loaded", "empty", "import_loads", "export_loads"):
                record[k] = _number(cell.get(k))
            out.append(record)
        except (KeyError, ValueError, TypeError, OverflowError) as exc:
            reject("bad_row", f"{path.name}:{n}: {exc}")
    if not out:
        raise ThroughputFormatError(f"{path}: no month could be read from the "
                                    f"{len(rows) - header_at - 1} rows under the header")
    table = pd.DataFrame(out).drop_duplicates("month", keep="last")
    table = table.sort_values("month").reset_index(drop=True)
    for k in ("loaded", "empty", "import_loads", "export_loads"):
        table[k] = pd.to_numeric(table[k], errors="coerce")
        if table[k].isna().any():                   # None, not NaN, into the store
            table[k] = table[k].astype(object).where(table[k].notna(), None)
    return table


def _table_rows(path: Path, sheet: str | None) -> list[list]:
    """The file's rows as lists of cells: an XLSX workbook (by its content, whatever its name)
    through openpyxl, else CSV text (UTF-8, else Windows-1252)."""
    from .sniff import sniff
    try:
        what = sniff(path)
    except OSError as exc:
        raise ThroughputFormatError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if what.kind == "xlsx":
        import openpyxl
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:                       # openpyxl raises many kinds
            raise ThroughputFormatError(f"{path}: unreadable workbook: {exc}") from None
        try:
            if sheet is not None and sheet not in book.sheetnames:
                raise ThroughputFormatError(f"{path}: no sheet {sheet!r} (sheets: "
                                            f"{book.sheetnames})")
            ws = book[sheet] if sheet is not None else book.worksheets[0]
            return [list(r) for r in ws.iter_rows(values_only=True)]
        finally:
            book.close()
    if what.kind == "ole2":
        raise ThroughputFormatError(f"{path}: an old Excel .xls workbook; save it as .xlsx "
                                    "or CSV")
    if what.binary:
        raise ThroughputFormatError(f"{path}: expected a CSV or XLSX table; this looks like "
                                    f"{what.description}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return [row for row in csv.reader(io.StringIO(text))]


def _find_header(rows: list[list], mapping: dict):
    """(row index, field -> column index) of the first row naming every mapped column
    (compared without case and surrounding blanks), or (None, None)."""
    wanted = {k: str(v).strip().lower() for k, v in mapping.items() if v}
    for at, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = [str(c).strip().lower() if c is not None else "" for c in row]
        if all(w in names for w in wanted.values()):
            return at, {k: names.index(w) for k, w in wanted.items()}
    return None, None


def _number(value) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        number = float(str(value).strip().replace(",", "").replace("\u00a0", ""))
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number


def _month(value, year=None) -> pd.Timestamp:
    """The first day (UTC) of the month a cell names: a date cell, "2021-01", "Jan 2021" …;
    with a year cell, a month name ("Jan", "January") or number (1–12)."""
    import datetime as dt
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("no month")
    if isinstance(value, (dt.date, pd.Timestamp)):
        return pd.Timestamp(value.year, value.month, 1, tz="UTC")
    if year not in (None, ""):
        y = int(float(year))
        if isinstance(value, (int, float)) or str(value).strip().isdigit():
            m = int(float(value))
        else:
            m = MONTHS[str(value).strip()[:3].lower()]
        if not 1 <= m <= 12:
            raise ValueError(f"month {value!r}")
        return pd.Timestamp(y, m, 1, tz="UTC")
    when = pd.Timestamp(str(value).strip())
    return pd.Timestamp(when.year, when.month, 1, tz="UTC")


class CargoFeed(LineFeed):
    """A terminal's live feed: JSON lines over tcp:// or udp:// (one object per line)."""

    what = "terminal feed"

    def __init__(self, url: str, source_id: str = "terminal", label: str | None = None,
                 stale_after_s: float = 3600.0):
        super().__init__(url, source_id, label, stale_after_s)

    def parse(self, line: str, arrival: float) -> list:
        return parse_payload(line, self.source_id, self.health.record_reject)
