"""Deployment configuration: defaults that run offline, then a TOML file, then environment
variables ``PORTTWIN_<FIELD>``, then command-line overrides (later wins).

What a port shows besides its geometry — the recording the wall replays, the history loaded on
first start, the monthly TEU statistics, the history store's file — is the port package's
(``port.toml`` ``[replay]``, ``[history]``, ``[throughput]``; ``var/<locode>.sqlite``): the
defaults here are empty and ``Config.for_port(port)`` fills them from the package, so a
deployment of another port inherits nothing of New York. A value set in the TOML, the
environment or on the command line wins over the package's."""
from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# numbers are finite and not negative; these have narrower bounds (min, max)
LIMITS = {"port": (1, 65535), "refresh_ms": (100, 86_400_000),
          "history_read_timeout_s": (1, 3600)}


class ConfigError(ValueError):
    """A configuration value that cannot be used. The message says where it came from (the
    TOML file, the environment variable or the argument), the key and what was expected, so
    a deployment fails with one line an operator can act on, not a traceback."""


@dataclass
class Config:
    port_dir: Path = ROOT / "data" / "ports" / "nynj"
    # the wall's replay when ``ais`` is "": a MarineCadastre CSV, a tracktable .traj or an
    # NMEA file (plain or .gz); "" = the port package's [replay] file (none: no AIS on the
    # wall). ``ais_csv`` is the older name of the same setting (``ais_replay`` wins).
    ais_replay: Path = Path("")
    ais_csv: Path = Path("")
    ais: str = ""                  # NMEA feed: tcp://host:port, udp://:port or a file; "" = replay
    ais_source_id: str = ""        # "" = the package's [replay] source_id, else "ais-replay"
    ais_label_key: str = ""        # translated on screen; "" = the package's, else the file name
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
    # a live AIS message's own time is believed only within these of its receive time
    # (terrestrial receivers: seconds; raise max_latency for a satellite feed)
    ais_max_latency_s: float = 600.0
    ais_max_ahead_s: float = 300.0
    # the twin takes positions only inside the port's bounds grown by this margin
    region_margin_km: float = 20.0
    language: str = ""             # "" = the port's default
    tour_s: float = 0.0            # the wall's camera tour: seconds per preset view (0 = off)
    start_engine: bool = True
    # history store: SQLAlchemy URL; "" = the port's SQLite file var/<locode>.sqlite;
    # "none" = no store
    history_url: str = ""
    # production (docs/deployment.md): the twin runs as ``python app.py twin`` and web workers
    # (``gunicorn "app:wsgi()"``) read it from this Redis; "" = embedded: one process
    redis_url: str = ""
    # accounts and audit (callbacks/access.py, twin/accounts.py) live in the history store;
    # with history_url "none", in this SQLAlchemy URL ("" = the port's SQLite file)
    accounts_url: str = ""
    # the session-signing key; "" = one made on first start and kept in the accounts store
    # (shared by every web worker)
    secret_key: str = ""
    session_idle_minutes: float = 30.0     # a session ends after this long without a request
    session_max_hours: float = 12.0        # ... and this long after its login in any case
    wall_session_days: float = 90.0        # a wall screen's device login (no idle limit)
    login_max_failures: int = 5            # wrong passwords in a row before the lock
    login_lockout_minutes: float = 15.0
    # "" = /metrics open to the monitoring network; else it needs "Authorization: Bearer …"
    metrics_token: str = ""
    # served behind a TLS reverse proxy (docs/deployment.md): secure cookies, HSTS, the
    # proxy's X-Forwarded-For/-Proto trusted for one hop
    behind_tls_proxy: bool = False
    # where the first start writes the admin's random password (mode 0600); "" = var/
    admin_password_file: Path = Path("")
    history_retention_days: float = 400.0
    # one retention pass never deletes more than this share of a table's rows of its source;
    # more needs ``python app.py history prune`` (which says what it will delete)
    history_prune_max_share: float = 0.05
    # positions a running twin keeps for its history store while the store is away (then the
    # oldest are dropped, counted: twin/history_writer.py); ~250 bytes each in memory
    history_backlog_positions: int = 500_000
    # how long a web request waits for a history read (a report, a track, playback) before
    # it answers 503 and the store is treated as down for a few seconds (twin/store_guard.py)
    history_read_timeout_s: float = 20.0
    # loaded into the store on first start so the KPI views have real port calls;
    # "" = the port package's [history] file (none: nothing loaded)
    history_file: Path = Path("")
    history_autoload: bool = True
    # run the alert rules over the loaded history once, in the background (reports, playback)
    history_alerts: bool = True
    # the next-stay forecast (twin/forecast_live.py): the model file ("" = var/<LOCODE>-
    # forecast.joblib, written by ``python app.py forecast train``); with none there and
    # ``forecast_learn``, learnt from the loaded history in the background on first start
    forecast_model: Path = Path("")
    forecast_learn: bool = True
    # the other feeds (issue 6). radar: "auto" = the port's simulated radar (radar.toml) over
    # a replayed AIS recording; "none"; tcp://host:port or udp://:port (NMEA TTM/TLL)
    radar: str = "auto"
    # hydro-met observations: "" = none (the predicted tide only); a CO-OPS JSON / CSV file;
    # http(s)://… polled every hydromet_interval_s; mqtt://host:port/topic
    hydromet: str = ""
    hydromet_interval_s: float = 360.0
    # berth plan: "auto" = the port package's berth_plan*.csv; "none"; a file; http(s)://…
    berth_plan: str = "auto"
    # monthly TEU statistics (CSV or XLSX) loaded into the history store on first start;
    # "" = the port package's [throughput] monthly (read with its column mapping)
    throughput_monthly: Path = Path("")

    def for_port(self, port) -> "Config":
        """This configuration with what it leaves to the port package filled in from ``port``
        (a ``twin.port.Port``): the replay file with its label and source id, the history
        file, the throughput table and the store URL (``default_store_url``). A value this
        configuration sets is kept; calling it again changes nothing."""
        changes: dict = {}
        package = port.replay or {}
        replay = (self.ais_replay if is_set(self.ais_replay) else
                  self.ais_csv if is_set(self.ais_csv) else package.get("file"))
        ours = replay is not None and package.get("file") is not None and \
            os.path.abspath(replay) == os.path.abspath(package["file"])
        if replay is not None:
            changes["ais_replay"] = Path(replay)
        if not self.ais_source_id:
            changes["ais_source_id"] = (package.get("source_id") if ours else None) \
                or "ais-replay"
        if not self.ais_label_key:
            changes["ais_label_key"] = (package.get("label") if ours else None) or (
                f"Replay: {Path(replay).name}" if replay is not None else "ais_none")
        if not is_set(self.history_file) and port.history_file is not None:
            changes["history_file"] = Path(port.history_file)
        if not is_set(self.throughput_monthly) and (port.throughput or {}).get("monthly"):
            changes["throughput_monthly"] = Path(port.throughput["monthly"])
        if not self.history_url:
            changes["history_url"] = default_store_url(port.path, port.locode)
        return dataclasses.replace(self, **changes)

    @classmethod
    def load(cls, toml_path: str | Path | None = None, env: dict | None = None,
             **overrides) -> "Config":
        """Raises ConfigError naming the file, variable or argument of a bad value."""
        names = {f.name for f in dataclasses.fields(cls)}
        values: dict = {}
        where: dict = {}                         # key -> "file: key", variable or argument
        if toml_path:
            try:
                with open(toml_path, "rb") as fh:
                    doc = tomllib.load(fh)
            except OSError as exc:
                raise ConfigError(f"{toml_path}: {exc.strerror or exc}") from None
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{toml_path}: not valid TOML: {exc}") from None
            unknown = sorted(set(doc) - names)
            if unknown:
                raise ConfigError(f"{toml_path}: unknown configuration keys: {unknown}")
            values.update(doc)
            where.update({k: f"{toml_path}: {k}" for k in doc})
        env = os.environ if env is None else env
        for name in names:
            key = f"PORTTWIN_{name.upper()}"
            if key in env:
                values[name], where[name] = env[key], key
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = sorted(set(given) - names)
        if unknown:
            raise ConfigError(f"unknown configuration keys: {unknown}")
        values.update(given)
        where.update({k: k for k in given})
        return cls(**{name: _coerce(cls, name, value, where[name])
                      for name, value in values.items()})


def is_set(path) -> bool:
    """Whether a path setting names a file ("" — read as ``Path(".")`` — leaves it to the port
    package)."""
    return path is not None and str(path) not in ("", ".")


def default_store_url(port_dir, locode: str | None = None) -> str:
    """The port's own history store: the SQLite file ``var/<locode>.sqlite`` (else the package
    folder's name), so two ports never share port calls, positions or statistics.
    ``PORTTWIN_HISTORY_URL`` / ``history_url`` override it. ``locode`` is read from the
    package's port.toml when not given (for the command-line tools)."""
    if locode is None:
        try:
            meta = tomllib.loads((Path(port_dir) / "port.toml").read_text(encoding="utf-8"))
            locode = meta.get("locode") if isinstance(meta.get("locode"), str) else None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            locode = None
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", (locode or Path(port_dir).resolve().name).strip())
    return f"sqlite:///{ROOT / 'var' / (name.strip('_') or 'port')}.sqlite"


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def _coerce(cls, name: str, value, where: str):
    """``value`` as the type of the field's default; ConfigError saying ``where`` if it is
    not one (a typo such as ``loop = "ture"`` is an error, not silently false)."""
    default = getattr(cls, name)

    def bad(expected: str):
        return ConfigError(f"{where}: expected {expected}, got {value!r}")

    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        raise bad("true or false")
    if isinstance(default, Path):
        if isinstance(value, (str, Path)):
            return Path(value)
        raise bad("a path (text)")
    if isinstance(default, str):
        if isinstance(value, str):
            return value
        raise bad("text")
    number = value.strip() if isinstance(value, str) else value
    try:
        if isinstance(number, bool):
            raise ValueError
        if isinstance(default, int):
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        else:
            number = float(number)
            if not math.isfinite(number):
                raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise bad("a whole number" if isinstance(default, int) else "a number") from None
    low, high = LIMITS.get(name, (0, None))
    if number < low or (high is not None and number > high):
        raise bad(f"a number from {low}" + (f" to {high}" if high is not None else ""))
    return number
