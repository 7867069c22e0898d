"""Position history from any supported file, as one table (for batch tools: port calls,
history load, benchmarks).

* MarineCadastre CSV (``.csv``, ``.csv.gz``): positions with SOG, nav status, static data;
* tracktable trajectories (``.traj``): position and time only;
* NMEA AIS (anything else: ``.nmea``, ``.nm4``, ``.aivdm``, ``.log``, ``.txt``, ``.gz``):
  decoded with the AIS layer; messages without a time in their framing are counted.

``load_positions(path)`` -> (fixes, static): fixes is a DataFrame with mmsi, ts (epoch s UTC),
lon, lat, sog (NaN when unknown), nav_status (NaN when unknown); static maps MMSI to the last
known static fields (ship_type, length, name …).
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from . import marinecadastre
from .ais_source import load_nmea_file
from .events import StaticReport, VesselReport
from .tracktable import read_traj

STATIC_FIELDS = ("name", "imo", "callsign", "ship_type", "length", "width", "draught",
                 "destination")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return name[:-3].rsplit(".", 1)[-1] if name.endswith(".gz") else path.suffix.lower()[1:]


COLUMNS = ("mmsi", "ts", "lon", "lat", "sog", "cog", "heading", "nav_status")


def _nan(value):
    return np.nan if value is None else value


def load_positions(path, rejects: Counter | None = None) -> tuple[pd.DataFrame, dict]:
    path = Path(path)
    rejects = rejects if rejects is not None else Counter()

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
