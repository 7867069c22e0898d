"""Position history from any supported file, as one table (for batch tools: port calls,
history load, benchmarks).

* MarineCadastre CSV (``.csv``, ``.csv.gz``): positions with SOG, nav status, static data;
* tracktable trajectories (``.traj``): position and time only;
* NMEA AIS (anything else: ``.nmea``, ``.nm4``, ``.aivdm``, ``.log``, ``.txt``, ``.gz``):
  decoded with the AIS layer; messages without a time in their framing are counted.

``load_positions(path)`` -> (fixes, static): fixes is a DataFrame with mmsi, ts (epoch s UTC),
lon, lat, sog (NaN when unknown), nav_status (NaN when unknown); static maps MMSI to the last
known static fields (ship_type, length, name …).

``load_recording(path, source)`` -> the same files as time-ordered twin events, for a replay
on the wall (``--replay FILE``): a ``.traj`` becomes position-only ``VesselReport``s.

A file that is not text (an ASTERIX radar capture, a workbook, gzip under a name without
``.gz``) raises ``sniff.NotTextError`` saying what it looks like, instead of being read as
thousands of rejected lines.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from . import marinecadastre
from .ais_source import load_nmea_file
from .events import StaticReport, VesselReport
from .sniff import require_text
from .tracktable import read_traj

EXPECTED = "NMEA AIS, a MarineCadastre CSV or a tracktable .traj (plain or .gz)"

STATIC_FIELDS = ("name", "imo", "callsign", "ship_type", "length", "width", "draught",
                 "destination")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return name[:-3].rsplit(".", 1)[-1] if name.endswith(".gz") else path.suffix.lower()[1:]


COLUMNS = ("mmsi", "ts", "lon", "lat", "sog", "cog", "heading", "nav_status")


def _nan(value):
    return np.nan if value is None else value


def kind_of(path) -> str:
    """How a position file is read: "traj", "csv" (MarineCadastre) or "nmea" (anything else)."""
    kind = _suffix(Path(path))
    return kind if kind in ("traj", "csv") else "nmea"


def load_recording(path, source: str, on_reject=None, on_warning=None) -> list:
    """A recording as time-ordered twin events (what a ``ReplaySource`` plays): NMEA decoded
    (positions, static data, stations), MarineCadastre rows as reports, tracktable points as
    position-only reports (no speed, course or static data: ``static=False`` so the twin
    keeps what it knows of the vessel). Raises ``NotTextError`` for a binary file and
    ``OSError`` for an unreadable one."""
    path = Path(path)
    require_text(path, EXPECTED)
    kind = kind_of(path)
    if kind == "csv":
        return marinecadastre.load_file(path, source=source, on_reject=on_reject)
    if kind == "nmea":
        return load_nmea_file(path, source, on_reject=on_reject, on_warning=on_warning)
    df = read_traj(path, on_reject=on_reject).sort_values("ts", kind="stable")
    return [VesselReport(float(t), source, int(m), float(x), float(y), static=False)
            for m, t, x, y in df[["mmsi", "ts", "lon", "lat"]].itertuples(index=False)]


def load_positions(path, rejects: Counter | None = None) -> tuple[pd.DataFrame, dict]:
    """Raises ``NotTextError`` (saying what the file looks like) for a binary file."""
    path = Path(path)
    rejects = rejects if rejects is not None else Counter()
    require_text(path, EXPECTED)

    def on_reject(reason, detail=""):
        rejects[reason] += 1

    kind = _suffix(path)
    if kind == "traj":
        df = read_traj(path, on_reject=on_reject)
        for column in ("sog", "cog", "heading", "nav_status"):
            df[column] = np.nan
        return df[list(COLUMNS)], {}
    if kind == "csv":
        events = marinecadastre.load_file(path, source="file", on_reject=on_reject)
    else:
        events = load_nmea_file(path, "file", on_reject=on_reject)
    rows, static = [], {}
    for e in events:
        if isinstance(e, (VesselReport, StaticReport)):
            known = static.setdefault(e.mmsi, {})
            for name in STATIC_FIELDS:
                value = getattr(e, name, None)
                if value is not None:
                    known[name] = value
        if isinstance(e, VesselReport):
            rows.append((e.mmsi, e.ts, e.lon, e.lat, _nan(e.sog), _nan(e.cog), _nan(e.heading),
                         _nan(e.nav_status)))
    df = pd.DataFrame.from_records(rows, columns=COLUMNS)
    df["mmsi"] = df["mmsi"].astype(np.int64)
    return df, static
