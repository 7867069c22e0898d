"""Astronomical tide from NOAA harmonic constants.

    h(t) = Z0 + Σ f_i(t) · A_i · cos(V_i(t) + u_i(t) − κ_i)

``A`` (metres) and ``κ`` (degrees, Greenwich epoch, GMT) come from NOAA CO-OPS (the bundled
``data/hydromet/harmonics/noaa_*.json``); the nodal factors ``f``, ``u`` and the astronomical
argument ``V`` come from UTide (``utide.harmonics.FUV``, after t_tide / Foreman), a maintained
library — pytides2 does not run on Python 3.11 / NumPy 2. ``Z0`` is mean sea level above the
chart datum (MLLW) from the station's datums, so heights are metres above MLLW like NOAA's
published predictions.

UTide's Sa (after t_tide) takes the solar perigee off its argument (V = h − p'); NOAA's Sa
is V = h, so p' is added back. Four NOAA names differ from UTide's: LAM2 = LDA2, RHO = RHO1, M1 = NO1 (same speed,
14.4966939°/h) and 2MK3 = MO3 (same speed and same V; the nodal factor differs by the ratio
f(M2)f(K1)/f(O1), a fraction of a millimetre on these stations' 2MK3 amplitudes).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

NOAA_TO_UTIDE = {"LAM2": "LDA2", "RHO": "RHO1", "M1": "NO1", "2MK3": "MO3"}
EPOCH_ORDINAL = datetime(1970, 1, 1).toordinal()      # UTide's time: proleptic ordinal days
_DAYS_KEPT = 32                                       # days of nodal factors a predictor keeps
_CHUNK = 20_000                                       # times a step of ``heights`` takes


class HarmonicsError(ValueError):
    """A harmonic-constants file that cannot be used (the message names file and problem)."""


@dataclass
class TideStation:
    id: str
    name: str
    lon: float
    lat: float
    datums: dict                      # metres above station datum
    names: list[str]                  # NOAA constituent names
    amplitude: np.ndarray             # metres
    phase_deg: np.ndarray             # Greenwich phase lag κ, degrees (GMT)
    chart_datum: str = "MLLW"
    timezone: str = "UTC"

    @classmethod
    def load(cls, path: str | Path) -> "TideStation":
        path = Path(path)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            constituents = doc["harmonic_constituents"]
            names = [str(c["name"]).upper() for c in constituents]
            amplitude = np.array([float(c["amplitude"]) for c in constituents])
            phase = np.array([float(c["phase"]) for c in constituents])
            datums = {k: float(v) for k, v in doc["datums"].items()}
            station_id = str(doc.get("source", {}).get("id") or path.stem.split("_")[-1])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise HarmonicsError(f"{path}: not a NOAA harmonic-constants file ({exc})") from exc
        chart = doc.get("chart_datum") or "MLLW"
        for needed in ("MSL", chart):
            if needed not in datums:
                raise HarmonicsError(f"{path}: datum {needed} missing (needed for heights "
                                     f"above {chart})")
        return cls(station_id, doc.get("name", station_id), float(doc.get("longitude", "nan")),
                   float(doc.get("latitude", "nan")), datums, names, amplitude, phase,
                   chart, doc.get("timezone", "UTC"))

    def datum_height(self, datum: str) -> float:
        """Height of a datum (MHHW, MLLW …) above this station's chart datum, metres."""
        return self.datums[datum] - self.datums[self.chart_datum]


class TidePredictor:
    """Predict one station's astronomical tide; reuse it for many times (the constituent
    lookup is done once)."""

    def __init__(self, station: TideStation):
        from utide._ut_constants import ut_constants
        self.station = station
        known = [n.strip() for n in ut_constants.const.name]
        index, keep, unknown = [], [], []
        for i, name in enumerate(station.names):
            utide_name = NOAA_TO_UTIDE.get(name, name)
            if utide_name in known:
                index.append(known.index(utide_name))
                keep.append(i)
            elif station.amplitude[i] > 0:
                unknown.append(name)
        if unknown:
            raise HarmonicsError(f"station {station.id}: constituents unknown to UTide: {unknown}")
        self._lind = np.array(index)
        sa = [j for j, i in enumerate(keep) if station.names[i] == "SA"]
        self._sa = sa[0] if sa else None
        self._amp = station.amplitude[keep]
        self._phase = np.deg2rad(station.phase_deg[keep])
        # constituents are about mean sea level; heights are given above the chart datum
        self.z0 = station.datum_height("MSL")
        self._days: dict[float, tuple] = {}         # _day_factors

    def heights(self, times) -> np.ndarray:
        """Water level in metres above the chart datum (MLLW) at ``times`` (epoch seconds,
        datetimes or anything ``pd.to_datetime`` takes as UTC).

        UTide's nodal factors and Greenwich arguments are taken linearised about the middle
        of each UTC day (``FUV``'s NodsatLint and GwchLint, what t_tide calls linearised
        times): one ``FUV`` per station and day instead of one per call — a twin asks every
        hour, a replay of a day 24 times. Within 0.08 mm of the exact times on the bundled
        NY and Puget Sound stations over ten days (the nodal cycle is 18.6 years)."""
        from utide.astronomy import ut_astron
        epoch = _epoch_seconds(times)
        if epoch.size == 0:
            return np.zeros(0)
        days = EPOCH_ORDINAL + epoch / 86400.0
        out = np.empty(epoch.size)
        whole = np.floor(days)
        order = np.argsort(whole, kind="stable")
        first_days, starts = np.unique(whole[order], return_index=True)
        for day, in_day in zip(first_days, np.split(order, starts[1:])):
            f, u, v_ref, freq, tref = self._day_factors(float(day))
            # (times × constituents) arrays: a day at one second is 86,400 × 37, in chunks
            for lo in range(0, len(in_day), _CHUNK):
                at = in_day[lo:lo + _CHUNK]
                t = days[at]
                v = v_ref + 24.0 * (t[:, None] - tref) * freq
                if self._sa is not None:      # NOAA's Sa argument is h; UTide's is h − p'
                    v[:, self._sa] += ut_astron(t)[0][5]
                arg = 2 * np.pi * (u + v) - self._phase
                out[at] = self.z0 + (f * self._amp * np.cos(arg)).sum(axis=1)
        return out

    def _day_factors(self, day: float) -> tuple:
        """(f, u, v at the day's middle, speeds in cycles per hour, that middle) of one UTC
        day (UTide's ordinal days), remembered for the last ``_DAYS_KEPT`` days asked."""
        got = self._days.get(day)
        if got is None:
            from utide.harmonics import FUV, linearized_freqs
            tref = day + 0.5
            f, u, v = FUV(np.array([tref]), tref, self._lind, self.station.lat, [1, 0, 1, 0])
            if len(self._days) >= _DAYS_KEPT:        # a long series: memory stays bounded
                self._days.clear()
            got = self._days[day] = (f, u, v, linearized_freqs(tref)[self._lind][None, :],
                                     tref)
        return got

    def series(self, start, end, step: str = "6min") -> pd.DataFrame:
        """A table time (UTC), height_m from ``start`` to ``end`` inclusive."""
        times = pd.date_range(pd.Timestamp(start, tz="UTC") if _naive(start) else
                              pd.Timestamp(start).tz_convert("UTC"),
                              pd.Timestamp(end, tz="UTC") if _naive(end) else
                              pd.Timestamp(end).tz_convert("UTC"), freq=pd.Timedelta(step))
        return pd.DataFrame({"time": times, "height_m": self.heights(times)})

    def extremes(self, start, end, step_s: float = 60.0) -> pd.DataFrame:
        """High and low waters between ``start`` and ``end`` (time, height_m, type H/L), found
        on a one-minute grid and refined by a parabola through the three samples."""
        t0, t1 = _epoch_seconds([start, end])
        grid = np.arange(t0, t1 + step_s, step_s)
        h = self.heights(grid)
        d = np.diff(h)
        rows = []
        for i in np.nonzero(np.sign(d[:-1]) != np.sign(d[1:]))[0] + 1:
            a, b, c = h[i - 1], h[i], h[i + 1]
            denom = a - 2 * b + c
            x = 0.5 * (a - c) / denom if denom else 0.0
            rows.append((grid[i] + x * step_s, b - 0.25 * (a - c) * x, "H" if d[i - 1] > 0 else "L"))
        out = pd.DataFrame(rows, columns=["ts", "height_m", "type"])
        out.insert(0, "time", pd.to_datetime(out["ts"], unit="s", utc=True))
        return out.drop(columns="ts")


def _naive(value) -> bool:
    return pd.Timestamp(value).tzinfo is None


def _epoch_seconds(times) -> np.ndarray:
    if np.isscalar(times) or isinstance(times, (datetime, pd.Timestamp, str)):
        times = [times]
    arr = np.asarray(times)
    if arr.dtype.kind in "fiu":
        return arr.astype(float)
    index = pd.to_datetime(pd.Index(list(times)) if arr.dtype == object else times, utc=True)
    return index.as_unit("ns").asi8 / 1e9


BUNDLED_HARMONICS = Path(__file__).resolve().parent.parent / "data" / "hydromet" / "harmonics"


def harmonics_file(station: str, port_dir: str | Path | None = None) -> Path | None:
    """Where a tide station's harmonic constants are: the port package's own
    ``harmonics/noaa_<id>.json`` first, else the bundled ``data/hydromet/harmonics`` one;
    None when neither has them (``port check`` reports it as an error)."""
    name = f"noaa_{station}.json"
    for folder in ([Path(port_dir) / "harmonics"] if port_dir else []) + [BUNDLED_HARMONICS]:
        if (folder / name).is_file():
            return folder / name
    return None


def load_stations(directory: str | Path, ids=None) -> dict[str, TidePredictor]:
    """Predictors for the stations whose ``noaa_<id>.json`` is in ``directory`` (all, or
    those in ``ids``), keyed by station id."""
    out = {}
    for path in sorted(Path(directory).glob("noaa_*.json")):
        station = TideStation.load(path)
        if ids is None or station.id in ids:
            out[station.id] = TidePredictor(station)
    return out



def main(argv: list[str] | None = None) -> int:
    """``python app.py tide --harmonics FILE --start ISO --end ISO [--step 6min]``: CSV
    ``time,height_m`` (UTC, metres above the station's chart datum, MLLW) on stdout."""
    import argparse
    import sys
    parser = argparse.ArgumentParser(prog="app.py tide", description=main.__doc__)
    parser.add_argument("--harmonics", required=True, type=Path,
                        help="NOAA harmonic-constants JSON (e.g. data/hydromet/harmonics/"
                             "noaa_8518750.json)")
    parser.add_argument("--start", required=True, help="ISO time, UTC unless it has an offset")
    parser.add_argument("--end", required=True, help="ISO time, inclusive")
    parser.add_argument("--step", default="6min", help="pandas interval (default 6min)")
    parser.add_argument("--extremes", action="store_true",
                        help="print high and low waters (time,height_m,type) instead")
    args = parser.parse_args(argv)
    try:
        predictor = TidePredictor(TideStation.load(args.harmonics))
        step = pd.Timedelta(args.step)
        if step <= pd.Timedelta(0):
            raise ValueError(f"--step must be positive, got {args.step}")
        table = (predictor.extremes(args.start, args.end) if args.extremes
                 else predictor.series(args.start, args.end, step))
    except (HarmonicsError, ValueError) as exc:
        print(f"tide: {exc}", file=sys.stderr)
        return 2
    table["time"] = table["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    table["height_m"] = table["height_m"].round(3)
    table.to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0
