"""Cargo throughput: a terminal's feed of cargo work, and monthly port statistics.

* **Terminal feed** — CSV or JSON rows (a file, JSON lines over TCP/UDP/MQTT, an HTTP poll):
  ``time, terminal, berth, vessel (name / IMO / MMSI), moves, teu, tonnage, passengers, crew``
  -> ``CargoWork`` events. A row needs a time, a terminal and at least one quantity; negative
  quantities are rejected. Bad rows are counted by reason and skipped.
* **Monthly statistics** — the Port Authority of NY & NJ monthly TEU table (bundled:
  ``data/throughput/port_ny_teu.csv``, Jan 2021 – Nov 2025): ``Month, Year, Import Loads,
  Import Empties, Export Loads, Export Empties, Total Loads, Total Empties, Total``.
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


def load_monthly_teu(path, on_reject=None) -> pd.DataFrame:
    """The monthly TEU table -> one row per month: ``month`` (first day, UTC), ``teu``
    (total), ``loaded``, ``empty``, ``import_loads``, ``export_loads``."""
    table = pd.read_csv(path)
    rows = []
    for i, r in table.iterrows():
        try:
            month = MONTHS[str(r["Month"]).strip()[:3].lower()]
            rows.append({"month": pd.Timestamp(int(r["Year"]), month, 1, tz="UTC"),
                         "teu": float(r["Total"]), "loaded": float(r["Total Loads"]),
                         "empty": float(r["Total Empties"]),
                         "import_loads": float(r["Import Loads"]),
                         "export_loads": float(r["Export Loads"])})
        except (KeyError, ValueError, TypeError, OverflowError) as exc:
            if on_reject:
                on_reject("bad_row", f"row {i + 2}: {exc}")
    return pd.DataFrame(rows).sort_values("month").reset_index(drop=True)


class CargoFeed(LineFeed):
    """A terminal's live feed: JSON lines over tcp:// or udp:// (one object per line)."""

    what = "terminal feed"

    def __init__(self, url: str, source_id: str = "terminal", label: str | None = None,
                 stale_after_s: float = 3600.0):
        super().__init__(url, source_id, label, stale_after_s)

    def parse(self, line: str, arrival: float) -> list:
        return parse_payload(line, self.source_id, self.health.record_reject)
