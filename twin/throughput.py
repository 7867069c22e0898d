"""Throughput KPIs: TEU per month and year, year-on-year, per terminal; moves per berth-hour.

Definitions (docs/definitions.md, "Throughput"):

* **TEU per month** — the port's monthly statistics as published (bundled for NY/NJ); a
  terminal feed's TEU summed per calendar month (UTC) per terminal.
* **TEU per year** — the sum of the months; a year with fewer than 12 months is marked
  partial and compared year-on-year only over the same months (year-to-date).
* **Year-on-year** — (this period − same period a year earlier) / same period a year earlier.
* **Moves per berth-hour** — crane moves reported at a berth ÷ hours a vessel was at that
  berth (port calls' berth stays) over the same period; only where both exist.
"""
from __future__ import annotations

import threading

import pandas as pd

from data_sources.events import CargoWork


def yearly(monthly: pd.DataFrame) -> pd.DataFrame:
    """year, teu, months, partial, yoy (year-to-date for a partial year)."""
    m = monthly.assign(year=monthly["month"].dt.year, mon=monthly["month"].dt.month)
    out = []
    for year, g in m.groupby("year"):
        months = set(g["mon"])
        prev = m[(m["year"] == year - 1) & m["mon"].isin(months)]
        prev_total = prev["teu"].sum() if len(prev) == len(months) else None
        total = g["teu"].sum()
        out.append({"year": int(year), "teu": float(total), "months": len(months),
                    "partial": len(months) < 12,
                    "yoy": None if not prev_total else (total - prev_total) / prev_total})
    return pd.DataFrame(out)


def month_on_year(monthly: pd.DataFrame) -> pd.DataFrame:
    """Each month with the same month a year earlier and the change."""
    m = monthly.set_index("month")["teu"]
    prev = m.copy()
    prev.index = prev.index + pd.DateOffset(years=1)
    df = pd.DataFrame({"teu": m, "teu_year_before": prev.reindex(m.index)})
    df["yoy"] = (df["teu"] - df["teu_year_before"]) / df["teu_year_before"]
    return df.reset_index()


class Throughput:
    """Cargo work from terminal feeds, kept per terminal and berth (the twin's model)."""

    def __init__(self, monthly: pd.DataFrame | None = None):
        self.monthly = monthly
        self.work: list[CargoWork] = []
        self._lock = threading.Lock()

    def apply(self, events) -> None:
        got = [e for e in events if isinstance(e, CargoWork)]
        if got:
            with self._lock:
                self.work.extend(got)

    def frame(self) -> pd.DataFrame:
        with self._lock:
            rows = [{"ts": w.ts, "terminal": w.terminal, "berth": w.berth, "vessel": w.vessel,
                     "mmsi": w.mmsi, "moves": w.moves, "teu": w.teu, "tonnage": w.tonnage,
                     "passengers": w.passengers, "crew": w.crew} for w in self.work]
        df = pd.DataFrame(rows, columns=["ts", "terminal", "berth", "vessel", "mmsi", "moves",
                                         "teu", "tonnage", "passengers", "crew"])
        df["time"] = pd.to_datetime(df["ts"], unit="s", utc=True)
        return df

    def teu_by_terminal_month(self) -> pd.DataFrame:
        df = self.frame().dropna(subset=["teu"])
        if df.empty:
            return pd.DataFrame(columns=["terminal", "month", "teu"])
        df["month"] = df["time"].dt.tz_localize(None).dt.to_period("M").dt.to_timestamp() \
            .dt.tz_localize("UTC")
        return df.groupby(["terminal", "month"], as_index=False)["teu"].sum()

    def moves_per_berth_hour(self, stays: pd.DataFrame, start: float, end: float
                             ) -> pd.DataFrame:
        """Per berth: moves reported, hours occupied (clipped to the period), moves/hour.
        ``stays``: berth stays with ``place``, ``arrival``, ``departure`` (epoch s)."""
        df = self.frame()
        df = df[(df["ts"] >= start) & (df["ts"] < end)].dropna(subset=["moves", "berth"])
        moves = df.groupby("berth")["moves"].sum()
        s = stays.copy()
        s["departure"] = s["departure"].fillna(end)
        s["hours"] = (s["departure"].clip(upper=end) - s["arrival"].clip(lower=start)) \
            .clip(lower=0) / 3600
        hours = s.groupby("place")["hours"].sum()
        out = pd.DataFrame({"moves": moves}).join(hours, how="inner")
        out = out[out["hours"] > 0]
        out["moves_per_berth_hour"] = out["moves"] / out["hours"]
        return out.reset_index(names="berth")
