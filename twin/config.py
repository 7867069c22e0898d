"""Deployment configuration: defaults that run offline, then a TOML file, then environment
variables ``PORTTWIN_<FIELD>``, then command-line overrides (later wins)."""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Config:
    port_dir: Path = ROOT / "data" / "ports" / "nynj"
    ais_csv: Path = ROOT / "data" / "ais" / "NYHarbor_2020_06_30_first_hour.csv"
    ais: str = ""                  # NMEA feed: tcp://host:port, udp://:port or a file; "" = CSV
    ais_source_id: str = "ais-marinecadastre"
    ais_label_key: str = "replay_marinecadastre"   # translated on screen
    speed: float = 1.0             # replay speed factor
    loop: bool = True              # replay loops at the end of the recording
    warmup_s: float = 900.0        # data applied at once on start: map, trails and berth
                                   # states populated (a stay counts after 15 min)
    host: str = "127.0.0.1"
    port: int = 8050
    refresh_ms: int = 1000         # vessel layer / KPI refresh period in the browser
    trail_minutes: float = 20.0
    expire_minutes: float = 30.0   # vessels silent this long leave the live picture
    stale_after_s: float = 60.0    # a feed silent this long is shown stale
    language: str = ""             # "" = the port's default
    tour_s: float = 0.0            # the wall's camera tour: seconds per preset view (0 = off)
    start_engine: bool = True
    # history store: SQLAlchemy URL; "" = SQLite file var/porttwin.sqlite; "none" = no store
    history_url: str = ""
    history_retention_days: float = 400.0
    # loaded into the store on first start so the KPI views have real port calls
    history_file: Path = ROOT / "data" / "ais" / "NYHarbor_2020_12_first_week.traj.gz"
    history_autoload: bool = True
    # run the alert rules over the loaded history once, in the background (reports, playback)
    history_alerts: bool = True
    # the other feeds (issue 6). radar: "auto" = the port's simulated radar (radar.toml) over
    # a replayed AIS recording; "none"; tcp://host:port or udp://:port (NMEA TTM/TLL)
    radar: str = "auto"
    # hydro-met observations: "" = none (the predicted tide only); a CO-OPS JSON / CSV file;
    # http(s)://… polled every hydromet_interval_s; mqtt://host:port/topic
    hydromet: str = ""
    hydromet_interval_s: float = 360.0
    # berth plan: "auto" = the port package's berth_plan*.csv; "none"; a file; http(s)://…
    berth_plan: str = "auto"
    # monthly TEU statistics loaded into the history store on first start
    throughput_monthly: Path = ROOT / "data" / "throughput" / "port_ny_teu.csv"

    @classmethod
    def load(cls, toml_path: str | Path | None = None, env: dict | None = None,
             **overrides) -> "Config":
        values: dict = {}
        if toml_path:
            with open(toml_path, "rb") as fh:
                values.update(tomllib.load(fh))
        env = os.environ if env is None else env
        for f in dataclasses.fields(cls):
            key = f"PORTTWIN_{f.name.upper()}"
            if key in env:
                values[f.name] = env[key]
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown configuration keys: {sorted(unknown)}")
        return cls(**{name: _coerce(cls, name, value) for name, value in values.items()})


def _coerce(cls, name: str, value):
    default = getattr(cls, name)
    if isinstance(default, bool):
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    if isinstance(default, Path):
        return Path(value)
    return type(default)(value)
