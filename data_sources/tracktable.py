"""tracktable text trajectories (``.traj``) -> position fixes.

One line per trajectory: ``*T*,<uuid>,terrestrial,<npts>,0,*P*,terrestrial,2,1,1,0,`` and then
``npts`` points of ``MMSI,YYYY-MM-DD hh:mm:ss,lon,lat`` (UTC). Position and time only — no
speed, course or status (the port-call tracker implies speed from the positions). The bundled
NY week (``NYHarbor_2020_12_first_week.traj``) is tracktable's MarineCadastre sample.

A line that does not parse is rejected and counted (``on_reject(reason, detail)``), a point
that does not parse likewise; the rest of the file is read. A point dated before 1980 or after
2100 is ``time_implausible``, one outside the span the bulk of the file lies in
(``timecheck.recording_window``) ``time_outside_recording``: one corrupt date must not stretch
a history load or a replay over years.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from .timecheck import plausible_epoch, recording_window
from .transport import file_lines

HEADER_FIELDS = 11          # *T*,uuid,terrestrial,npts,0,*P*,terrestrial,2,1,1,0


def read_traj(path, on_reject=None) -> pd.DataFrame:
    """Columns: mmsi (int64), ts (epoch s, float), lon, lat; ``trajectory`` (its uuid)."""
    reject = on_reject or (lambda reason, detail: None)
    name = Path(path).name
    mmsi, ts, lon, lat, traj, where = [], [], [], [], [], []
    for n, line in enumerate(file_lines(path, on_error=reject), 1):
        line = line.strip()
        if not line:
            continue
        parts = line.split(",")
        if parts[0] != "*T*" or len(parts) < HEADER_FIELDS or parts[5] != "*P*":
            reject("bad_trajectory", f"line {n}: not a tracktable trajectory")
            continue
        points = parts[HEADER_FIELDS:]
        if len(points) % 4:
            reject("bad_trajectory", f"line {n}: {len(points)} point fields, not a multiple of 4")
            points = points[: len(points) - len(points) % 4]
        uuid = parts[1]
        for i in range(0, len(points), 4):
            m, t, x, y = points[i:i + 4]
            try:
                when = datetime.strptime(t, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
                fx, fy, fm = float(x), float(y), int(m)
            except ValueError:
                reject("bad_point", f"line {n}: {m},{t},{x},{y}")
                continue
            if not (-180 <= fx <= 180 and -90 <= fy <= 90):
                reject("position_out_of_range", f"line {n}: {fx},{fy}")
                continue
            if not 1 <= fm <= 999_999_999:
                reject("invalid_mmsi", f"line {n}: {m}")
                continue
            if not plausible_epoch(when.timestamp()):
                reject("time_implausible", f"{name}:{n}: {m},{t}")
                continue
            mmsi.append(fm)
            ts.append(when.timestamp())
            lon.append(fx)
            lat.append(fy)
            traj.append(uuid)
            where.append(n)
    df = pd.DataFrame({"mmsi": np.array(mmsi, dtype=np.int64), "ts": np.array(ts, float),
                       "lon": np.array(lon, float), "lat": np.array(lat, float),
                       "trajectory": traj})
    window = recording_window(df["ts"].to_numpy())
    if window is None:
        return df
    outside = ((df["ts"] < window[0]) | (df["ts"] > window[1])).to_numpy()
    for i in np.nonzero(outside)[0]:
        reject("time_outside_recording",
               f"{name}:{where[i]}: {mmsi[i]},{datetime.fromtimestamp(ts[i], timezone.utc)}")
    return df[~outside].reset_index(drop=True) if outside.any() else df
