"""The history store (SQLAlchemy): SQLite file by default, PostgreSQL by URL.

Tables: ``positions`` (thinned), ``vessels`` (static data), ``port_calls`` (stage timestamps),
``visits`` (berth and anchorage stays = occupancy intervals), ``tracker_state`` (what the
port-call tracker knows of each vessel, so a restarted engine resumes open calls),
``kpi_snapshots``, ``alerts`` (incidents with their acknowledgement), ``alert_silences`` and
``meta`` (per source: the time up to which everything is committed).

Everything one engine round produced is written in **one transaction**: positions, changed
calls with their visits, tracker state and the watermark commit together or not at all, so a
crash loses at most the round in progress — never half of one.

Each row carries a ``source``: the live feed ("live") and loaded history
("history:<file>") live side by side; the engine restores only its own source.
"""
from __future__ import annotations

import logging

import json
import math
from dataclasses import dataclass, field
from operator import itemgetter

import orjson
import pandas as pd
from sqlalchemy import (JSON, Boolean, Column, Float, Index, Integer, MetaData, String, Table,
                        bindparam, create_engine, delete, func, select)
from sqlalchemy.dialects import postgresql, sqlite

from .portcalls import GEOD as _GEOD
from .portcalls import PortCall
from .schema import engine_options, schema_change

log = logging.getLogger(__name__)

_ORJSON = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS

metadata = MetaData()

positions = Table(
    "positions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(80), nullable=False),
    Column("mmsi", Integer, nullable=False),
    Column("ts", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("sog", Float), Column("cog", Float), Column("heading", Float),
    Column("nav_status", Integer),
    Index("ix_positions_mmsi_ts", "mmsi", "ts"),
    Index("ix_positions_source_ts", "source", "ts"),
)

vessels = Table(
    "vessels", metadata,
    Column("mmsi", Integer, primary_key=True),
    Column("name", String(40)), Column("imo", Integer), Column("callsign", String(16)),
    Column("ship_type", Integer), Column("length", Float), Column("width", Float),
    Column("draught", Float), Column("destination", String(40)), Column("updated", Float),
)

# the static fields the store keeps of a vessel
VESSEL_FIELDS = tuple(c.name for c in vessels.columns if c.name not in ("mmsi", "updated"))

port_calls = Table(
    "port_calls", metadata,
    Column("call_id", String(120), primary_key=True),
    Column("source", String(80), nullable=False),
    Column("mmsi", Integer, nullable=False),
    Column("category", String(20)), Column("kind", String(20)), Column("open", Boolean),
    Column("stage", String(20)),
    Column("arrival_port_area", Float), Column("arrival_observed", Boolean),
    Column("anchorage_arrival", Float), Column("anchorage_departure", Float),
    Column("berth_arrival", Float), Column("berth_departure", Float),
    Column("port_area_departure", Float),
    Column("waiting_s", Float), Column("berth_s", Float), Column("port_time_s", Float),
    Column("shifts", Integer), Column("anchorages", String(400)), Column("berths", String(400)),
    Column("other_stays", Integer),
    Column("ended_by", String(20)), Column("last_seen", Float),
    Index("ix_port_calls_source_arrival", "source", "arrival_port_area"),
    Index("ix_port_calls_mmsi", "mmsi"),
)

visits = Table(
    "visits", metadata,
    Column("call_id", String(120), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("source", String(80), nullable=False),
    Column("mmsi", Integer, nullable=False),
    Column("kind", String(12), nullable=False),      # berth / anchorage / other
    Column("place", String(80), nullable=False),     # "" for an "other" stay
    Column("arrival", Float, nullable=False),
    Column("departure", Float),
    Column("lon", Float), Column("lat", Float),      # the stay's mean position
    Index("ix_visits_place_arrival", "place", "arrival"),
)

tracker_state = Table(
    "tracker_state", metadata,
    Column("source", String(80), primary_key=True),
    Column("mmsi", Integer, primary_key=True),
    Column("state", JSON, nullable=False),
)

kpi_snapshots = Table(
    "kpi_snapshots", metadata,
    Column("source", String(80), primary_key=True),
    Column("ts", Float, primary_key=True),
    Column("kpis", JSON, nullable=False),
)

# what the live forecast said (twin/forecast_live.py, ForecastRecorder): once an hour the
# next 24 h of arrivals, hour by hour — kept like the KPI snapshots (statistics: not pruned),
# so a report can set each past hour's forecast against what happened
forecast_log = Table(
    "forecast_log", metadata,
    Column("source", String(80), primary_key=True),
    Column("made_hour", Float, primary_key=True),     # the hour it was made in (epoch s)
    Column("hour_start", Float, primary_key=True),    # the hour it forecasts
    Column("made_at", Float, nullable=False),
    Column("expected", Float, nullable=False),
    Column("low", Float, nullable=False), Column("high", Float, nullable=False),
    Column("from_fleet", Float),                      # of ``expected``: the ships in sight
    Index("ix_forecast_log_source_hour", "source", "hour_start"),
)

meta = Table(
    "meta", metadata,
    Column("source", String(80), primary_key=True),
    Column("key", String(40), primary_key=True),
    Column("value", String(200)),
)


alerts = Table(
    "alerts", metadata,
    Column("source", String(80), primary_key=True),
    Column("alert_id", String(160), primary_key=True),
    Column("rule", String(40), nullable=False), Column("kind", String(8), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("mmsi", Integer), Column("other_mmsi", Integer),     # no vessel: a station …
    Column("subject_id", String(80)),
    Column("start", Float, nullable=False), Column("last", Float, nullable=False),
    Column("end", Float), Column("open", Boolean),
    Column("lon", Float), Column("lat", Float), Column("sector", String(40)),
    Column("details", JSON), Column("holding", JSON), Column("occurrences", Integer),
    Column("acked_at", Float), Column("acked_by", String(80)), Column("ack_comment", String(400)),
    Index("ix_alerts_source_start", "source", "start"),
)

alert_silences = Table(
    "alert_silences", metadata,
    Column("source", String(80), primary_key=True),
    Column("mmsi", Integer, primary_key=True),
    Column("until", Float, nullable=False), Column("by", String(80)),
    Column("comment", String(400)), Column("created", Float),
)

throughput_monthly = Table(
    "throughput_monthly", metadata,
    Column("port", String(16), primary_key=True),        # UN/LOCODE
    Column("month", String(7), primary_key=True),        # YYYY-MM
    Column("teu", Float, nullable=False), Column("loaded", Float), Column("empty", Float),
    Column("import_loads", Float), Column("export_loads", Float),
    Column("source", String(200)),
)

ALERT_COLUMNS = tuple(c.name for c in alerts.columns if c.name != "source")
# a position row as the live path hands it to ``write_round``: a tuple in this order
POSITION_FIELDS = ("mmsi", "ts", "lon", "lat", "sog", "cog", "heading", "nav_status")


@dataclass
class PendingWrites:
    """Rows of one or more engine rounds not yet committed, as the store writes them, merged:
    the position rows in the order they came, and of everything else the latest version —
    a call, a vessel's tracker state, an alert, a silence, a KPI snapshot by its key, a
    vessel's static fields merged field by field — with the latest watermark and resume
    point. Rounds merged while the store is away therefore cost memory for their positions
    only; ``keep_positions`` bounds those (``HistoryWriter``).

    Every row is built when the round is taken (``round_rows``, on the engine's thread), so
    a writer on another thread never reads a call or an alert the engine is changing."""

    source: str
    positions: list = field(default_factory=list)     # POSITION_FIELDS tuples
    calls: dict = field(default_factory=dict)         # call_id -> (row, visit rows)
    states: dict = field(default_factory=dict)        # mmsi -> tracker_state row
    static: dict = field(default_factory=dict)        # mmsi -> [updated, {field: value}]
    alerts: dict = field(default_factory=dict)        # alert_id -> row
    silences: dict = field(default_factory=dict)      # mmsi -> row
    kpis: dict = field(default_factory=dict)          # ts -> kpi_snapshots row
    watermark: float | None = None
    resume: float | None = None
    prune_at: float | None = None                     # retention due at this data time

    def rows(self) -> int:
        return (len(self.positions) + len(self.calls) + len(self.states) + len(self.static)
                + len(self.alerts) + len(self.silences) + len(self.kpis)
                + (self.watermark is not None))

    def empty(self) -> bool:
        """Nothing to write but the watermark (which moves with every round: it is written
        with a round's rows, not on its own), and no retention due."""
        return self.rows() == (self.watermark is not None) and self.prune_at is None

    def merge(self, newer: "PendingWrites") -> "PendingWrites":
        """``newer`` (rows of later rounds) added to these; returns self."""
        self.positions.extend(newer.positions)
        for mine, theirs in ((self.calls, newer.calls), (self.states, newer.states),
                             (self.alerts, newer.alerts), (self.silences, newer.silences),
                             (self.kpis, newer.kpis)):
            mine.update(theirs)
        for mmsi, (updated, fields) in newer.static.items():
            if mmsi in self.static:
                self.static[mmsi][0] = updated
                self.static[mmsi][1].update(fields)
            else:
                self.static[mmsi] = [updated, dict(fields)]
        if newer.watermark is not None:
            self.watermark, self.resume = newer.watermark, newer.resume
        if newer.prune_at is not None:
            self.prune_at = newer.prune_at
        return self

    def keep_positions(self, most: int) -> list:
        """Drop the oldest position rows past ``most``; returns those dropped."""
        over = len(self.positions) - max(0, int(most))
        if over <= 0:
            return []
        dropped = self.positions[:over]
        del self.positions[:over]
        return dropped


def round_rows(source: str, *, fixes=(), calls=(), states: dict | None = None,
               static: dict | None = None, watermark: float | None = None,
               now: float | None = None, alert_rows=(), silences=(),
               resume: float | None = None, kpis: dict | None = None) -> PendingWrites:
    """The rows one round writes (``HistoryStore.write_round`` takes the same arguments)."""
    out = PendingWrites(source, positions=list(fixes))
    for c in calls:
        row = _clean_row(c.to_row(now))
        row["source"] = source
        out.calls[c.call_id] = (row, [
            {"call_id": c.call_id, "seq": i, "source": source, "mmsi": c.mmsi,
             "kind": v.kind, "place": v.place, "arrival": v.arrival,
             "departure": v.departure, "lon": _clean(v.lon), "lat": _clean(v.lat)}
            for i, v in enumerate(c.visits)])
    for m, s in (states or {}).items():
        out.states[int(m)] = {"source": source, "mmsi": int(m), "state": s}
    for m, s in (static or {}).items():
        out.static[int(m)] = [now, dict(s)]
    for r in alert_rows:
        out.alerts[r["alert_id"]] = {"source": source,
                                     **{k: _jsonable(r.get(k)) for k in ALERT_COLUMNS}}
    for s in silences:
        out.silences[s["mmsi"]] = {"source": source, **s}
    if kpis is not None and now is not None:
        out.kpis[now] = {"source": source, "ts": now, "kpis": _jsonable(kpis)}
    if watermark is not None:
        out.watermark = float(watermark)
        out.resume = out.watermark if resume is None else min(float(resume), out.watermark)
    return out


@dataclass
class Thinning:
    """Which fixes the store keeps: the first of a vessel, then one when ``min_interval_s`` has
    passed, or it moved ``min_move_m``, or its nav status changed — a moored ship's
    3-minute reports all stay, a ship under way is kept about twice a minute."""

    min_interval_s: float = 30.0
    min_move_m: float = 200.0

    def keep(self, last: tuple | None, ts: float, lon: float, lat: float, status) -> bool:
        """``last`` = (ts, lon, lat, status) of the vessel's last kept fix, or None."""
        if last is None:
            return True
        if ts <= last[0]:
            return False
        return (ts - last[0] >= self.min_interval_s or status != last[3]
                or _GEOD.inv(last[1], last[2], lon, lat)[2] >= self.min_move_m)


_PLAIN = frozenset((str, int, bool, type(None)))     # stored as they are (floats: unless NaN)


def _sqlite_adapters() -> None:
    """numpy scalars bound as SQLite numbers: the driver would otherwise store them through
    the buffer protocol, as blobs of their bytes. (Rows handed over as they are —
    ``HistoryStore._write_positions`` — rely on it; ``_clean`` converts the others.)"""
    import sqlite3

    import numpy as np
    for kind in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                 np.uint64):
        sqlite3.register_adapter(kind, int)
    for kind in (np.float16, np.float32):
        sqlite3.register_adapter(kind, float)
    sqlite3.register_adapter(np.bool_, bool)


def _clean(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):          # numpy scalars
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


def _clean_row(row: dict, **extra) -> dict:
    """``_clean`` of every value (plain ones passed over without a call), then ``extra``."""
    out = {k: v if type(v) in _PLAIN or (type(v) is float and v == v) else _clean(v)
           for k, v in row.items()}
    out.update(extra)
    return out


def _json_cells(params: list, json_at: frozenset) -> list:
    """Rows with their JSON columns (at ``json_at``) serialised, as the JSON type's processor
    does (None too)."""
    if not json_at:
        return params
    return [tuple(_json_dumps(v) if i in json_at else v for i, v in enumerate(p))
            for p in params]


def _executemany(conn, sql: str, params: list) -> None:
    """SQLite: ``sql`` for every row of ``params`` on the transaction's own driver connection
    (a cursor of it: what ``exec_driver_sql`` does less SQLAlchemy's execution context,
    which cost more than the insert for a round's few rows of a table)."""
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()


class HistoryStore:
    def __init__(self, url: str, retention_days: float = 400.0):
        self.url = url
        self.retention_days = retention_days
        self.engine = create_engine(url, json_serializer=_json_dumps, **engine_options(url))
        if self.engine.dialect.name == "sqlite":
            from sqlalchemy import event
            _sqlite_adapters()

            @event.listens_for(self.engine, "connect")
            def _sqlite_pragmas(dbapi_conn, _):     # safe after a crash, readers don't block
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.close()
        with schema_change(self.engine) as conn:   # processes starting at once: one makes it
            metadata.create_all(conn)
            self._migrate(conn)
        self._insert = (postgresql.insert if self.engine.dialect.name == "postgresql"
                        else sqlite.insert)
        self._upserts: dict[tuple, object] = {}     # (table, keys, keep) -> statement
        self._compiled: dict[tuple, tuple] = {}     # (statement, columns) -> SQLite's SQL
        self._positions_insert = positions.insert()
        self._visits_insert = visits.insert()
        # built once (an IN list that expands when run): compiled once, not every round
        self._visits_delete = delete(visits).where(
            visits.c.call_id.in_(bindparam("ids", expanding=True)))

    def _migrate(self, conn) -> None:
        """Bring a store made by an earlier version up to this schema, keeping its rows.

        v2 (radar, hydro-met and berth-plan alerts): ``alerts.subject_id`` added and
        ``alerts.mmsi`` nullable (an alert about a station or a radar track has no vessel).
        """
        from sqlalchemy import inspect, text
        self._add_columns(conn)
        columns = {c["name"] for c in inspect(conn).get_columns("alerts")}
        if "subject_id" in columns:
            return
        log.info("history store: upgrading the alerts table (subject_id, nullable mmsi)")
        keep = [c for c in alerts.columns if c.name in columns]
        conn.execute(text("DROP INDEX IF EXISTS ix_alerts_source_start"))
        conn.execute(text("ALTER TABLE alerts RENAME TO alerts_v1"))
        alerts.create(conn)
        names = ", ".join(f'"{c.name}"' for c in keep)
        conn.execute(text(f"INSERT INTO alerts ({names}) SELECT {names} FROM alerts_v1"))
        conn.execute(text("DROP TABLE alerts_v1"))

    def _add_columns(self, conn) -> None:
        """v3 (stays anywhere): nullable columns added since a store was made are added to it
        (``visits.lon/lat``, ``port_calls.other_stays``), its rows kept."""
        from sqlalchemy import inspect, text
        inspector = inspect(conn)
        for table in (visits, port_calls):
            have = {c["name"] for c in inspector.get_columns(table.name)}
            for col in table.columns:
                if col.name not in have and col.nullable:
                    kind = col.type.compile(dialect=self.engine.dialect)
                    log.info("history store: adding %s.%s", table.name, col.name)
                    conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{col.name}" '
                                      f"{kind}"))

    # ---- writing -------------------------------------------------------------------------
    def _upsert(self, conn, table, rows: list[dict], keys: tuple, keep: tuple = ()) -> None:
        """Insert or update by ``keys``; columns in ``keep`` are never overwritten with NULL
        (an acknowledgement stays, whatever older copy of the row a round writes later)."""
        if not rows:
            return
        key = (table.name, tuple(keys), tuple(keep))
        upsert = self._upserts.get(key)
        if upsert is None:                  # built once: its compiled form is then cached
            stmt = self._insert(table)
            cols = {c.name: (func.coalesce(getattr(stmt.excluded, c.name), c) if c.name in keep
                             else getattr(stmt.excluded, c.name))
                    for c in table.columns if c.name not in keys}
            upsert = self._upserts[key] = stmt.on_conflict_do_update(
                index_elements=list(keys), set_=cols)
        self._many(conn, upsert, table, rows)

    def _many(self, conn, stmt, table, rows: list, names: tuple | None = None) -> None:
        """``stmt`` (an insert or upsert of ``table``) for every row. On SQLite the statement
        is compiled once per set of columns and its SQL handed to the driver's executemany
        with the rows as tuples: SQLAlchemy's per-row parameter processing was half of a
        round's store time (positions and tracker states of every vessel, every round).
        The driver then does what SQLAlchemy's processors would: JSON columns are
        serialised here (``_json_dumps``); SQLite's own types take str, int, float, bool and
        None as they are. Elsewhere (PostgreSQL: batched by SQLAlchemy's insertmanyvalues)
        the rows go through Core. ``names``: the rows are tuples of these columns, in this
        order (on SQLite handed over as they are when the SQL takes them so)."""
        if not rows:
            return
        sqlite = self.engine.dialect.name == "sqlite"
        if names is not None:
            if sqlite:
                sql, order, json_at = self._sqlite_sql(stmt, table, names)
                if sql is not None and order == names:      # tuples as the SQL takes them
                    _executemany(conn, sql, _json_cells(rows, json_at))
                    return
            rows = [dict(zip(names, r)) for r in rows]
        if not sqlite:
            conn.execute(stmt, rows)
            return
        names = tuple(rows[0])
        sql, order, json_at = self._sqlite_sql(stmt, table, names)
        if sql is None or any(tuple(r) != names for r in rows):
            conn.execute(stmt, rows)                # mixed rows: Core sorts them out
            return
        if len(order) > 1:                          # a row's values in the SQL's order, in C
            get = itemgetter(*order)
            params = [get(r) for r in rows]
        else:
            params = [tuple(r[n] for n in order) for r in rows]
        _executemany(conn, sql, _json_cells(params, json_at))

    def _sqlite_sql(self, stmt, table, names: tuple) -> tuple:
        """(SQL, parameter order, positions of JSON columns) of ``stmt`` compiled by SQLite
        for these columns, once; SQL None when the statement has binds of its own."""
        got = self._compiled.get((id(stmt), names))
        if got is None or got[0] is not stmt:
            compiled = stmt.compile(dialect=self.engine.dialect, column_keys=list(names))
            order = tuple(compiled.positiontup or ())
            json_cols = {c.name for c in table.columns if isinstance(c.type, JSON)}
            sql = compiled.string if set(order) <= set(names) else None  # binds of its own
            got = self._compiled[(id(stmt), names)] = (
                stmt, sql, order, frozenset(i for i, n in enumerate(order) if n in json_cols))
        return got[1:]

    def write_round(self, source: str, *, fixes: list = (), calls: list[PortCall] = (),
                    states: dict[int, dict] | None = None, static: dict[int, dict] | None = None,
                    watermark: float | None = None, now: float | None = None,
                    alert_rows: list[dict] = (), silences: list[dict] = (),
                    resume: float | None = None) -> None:
        """Everything of one engine round, in one transaction. ``static``: per vessel the
        static fields that changed; a field not given keeps its stored value (AIS sends a
        Class B ship's name and its type in different messages). ``resume``: the data time
        from which the stored tracker states are all current (``PortActivity``: a vessel's
        state is checkpointed every 30 s of its data, not every round), the watermark when
        not given. ``fixes``: position rows, dicts with ``POSITION_FIELDS`` or tuples in
        that order (the live path)."""
        self.commit(round_rows(source, fixes=fixes, calls=calls, states=states, static=static,
                               watermark=watermark, now=now, alert_rows=alert_rows,
                               silences=silences, resume=resume))

    def commit(self, rows: PendingWrites) -> None:
        """``rows`` (one round's, or several rounds' merged) in one transaction: all of it
        or, when it raises, none of it."""
        source = rows.source
        with self.engine.begin() as conn:
            self._upsert(conn, alerts, list(rows.alerts.values()), ("source", "alert_id"),
                         keep=("acked_at", "acked_by", "ack_comment"))
            self._upsert(conn, alert_silences, list(rows.silences.values()),
                         ("source", "mmsi"))
            if rows.positions:
                self._write_positions(conn, source, rows.positions)
            self._write_calls(conn, rows.calls)
            self._upsert(conn, tracker_state, list(rows.states.values()), ("source", "mmsi"))
            self._upsert(conn, vessels, [
                {"mmsi": m, "updated": updated,
                 **{k: _clean(fields.get(k)) for k in VESSEL_FIELDS}}
                for m, (updated, fields) in rows.static.items()], ("mmsi",), keep=VESSEL_FIELDS)
            self._upsert(conn, kpi_snapshots, list(rows.kpis.values()), ("source", "ts"))
            if rows.watermark is not None:
                self._upsert(conn, meta, [
                    {"source": source, "key": "watermark", "value": repr(rows.watermark)},
                    {"source": source, "key": "resume", "value": repr(rows.resume)}],
                    ("source", "key"))

    def _write_positions(self, conn, source: str, fixes) -> None:
        """Position rows: dicts, or tuples in ``POSITION_FIELDS`` order (the live path). On
        SQLite tuples go to the driver as they are, the source in front — SQLite stores NaN
        as NULL and numpy scalars as numbers (``_sqlite_adapters``), all that ``_clean``
        would do; a round's positions are most of what it writes. Elsewhere, and dicts,
        are cleaned first."""
        if isinstance(fixes[0], tuple):
            if self.engine.dialect.name == "sqlite":
                self._many(conn, self._positions_insert, positions,
                           [(source,) + f for f in fixes], names=("source",) + POSITION_FIELDS)
                return
            fixes = [dict(zip(POSITION_FIELDS, f)) for f in fixes]
        self._many(conn, self._positions_insert, positions,
                   [_clean_row(f, source=source) for f in fixes])

    def _write_calls(self, conn, calls: dict) -> None:
        """Calls (``PendingWrites.calls``: call id -> (row, visit rows)), their visits
        replaced by the ones given."""
        if not calls:
            return
        self._upsert(conn, port_calls, [row for row, _ in calls.values()], ("call_id",))
        ids = list(calls)
        if self.engine.dialect.name == "sqlite":     # by primary key, on the driver (as _many)
            _executemany(conn, "DELETE FROM visits WHERE call_id = ?", [(i,) for i in ids])
        else:
            for chunk in range(0, len(ids), 500):
                conn.execute(self._visits_delete, {"ids": ids[chunk:chunk + 500]})
        vrows = [v for _, stays in calls.values() for v in stays]
        if vrows:
            self._many(conn, self._visits_insert, visits, vrows)

    def write_alerts(self, source: str, rows: list[dict], silences: list[dict] = ()) -> None:
        """Alerts and silences on their own (an operator's acknowledgement, the CLI)."""
        self.commit(round_rows(source, alert_rows=rows, silences=silences))

    def write_monthly_teu(self, port: str, monthly, source: str) -> int:
        """Monthly TEU statistics (``data_sources.throughput.load_monthly_teu``) for a port;
        a month already stored is replaced by the new figure."""
        rows = [{"port": port, "month": r.month.strftime("%Y-%m"), "teu": r.teu,
                 "loaded": r.loaded, "empty": r.empty, "import_loads": r.import_loads,
                 "export_loads": r.export_loads, "source": source}
                for r in monthly.itertuples()]
        with self.engine.begin() as conn:
            self._upsert(conn, throughput_monthly, rows, ("port", "month"))
        return len(rows)

    def monthly_teu(self, port: str) -> pd.DataFrame:
        q = select(throughput_monthly).where(throughput_monthly.c.port == port) \
            .order_by(throughput_monthly.c.month)
        with self.engine.connect() as conn:
            df = pd.DataFrame(conn.execute(q).mappings().all())
        if df.empty:
            return df
        df["month"] = pd.to_datetime(df["month"] + "-01", utc=True)
        return df

    def alerts(self, source: str | None = None, since: float | None = None,
               live_only: bool = False) -> list[dict]:
        """Alert rows, oldest first; ``live_only``: open ones, and closed ones whose last
        occurrence or end is at or after ``since`` (still joinable)."""
        q = select(alerts)
        if source is not None:
            q = q.where(alerts.c.source == source)
        if live_only:
            q = q.where(alerts.c.open | (alerts.c.last >= (since or 0))
                        | (alerts.c.end >= (since or 0)))
        elif since is not None:
            q = q.where(alerts.c.last >= since)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(alerts.c.start)).mappings().all()
        return [{k: (json.loads(v) if k in ("details", "holding") and isinstance(v, str) else v)
                 for k, v in r.items()} for r in rows]

    def silences(self, source: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(alert_silences).where(
                alert_silences.c.source == source)).mappings().all()
        return [{k: v for k, v in r.items() if k != "source"} for r in rows]

    def replace_source(self, source: str) -> None:
        """Forget everything of one source (before loading a file again)."""
        with self.engine.begin() as conn:
            for table in (positions, port_calls, visits, tracker_state, kpi_snapshots, meta,
                          alerts, alert_silences):
                conn.execute(delete(table).where(table.c.source == source))

    def write_kpis(self, source: str, ts: float, kpis: dict) -> None:
        self.commit(round_rows(source, now=ts, kpis=kpis))

    def write_forecast(self, source: str, made_at: float, hours: list[dict]) -> int:
        """One forecast of the next hours (``LiveForecast.port_view()["hours"]``), made at
        ``made_at``; a second one made in the same hour replaces the first."""
        made_hour = math.floor(made_at / 3600.0) * 3600.0
        rows = [{"source": source, "made_hour": made_hour, "hour_start": float(h["start"]),
                 "made_at": float(made_at), "expected": float(h["expected"]),
                 "low": float(h["low"]), "high": float(h["high"]),
                 "from_fleet": _clean(h.get("from_fleet"))}
                for h in hours if all(math.isfinite(float(h[k]))
                                      for k in ("start", "expected", "low", "high"))]
        if rows and math.isfinite(made_at):
            with self.engine.begin() as conn:
                self._upsert(conn, forecast_log, rows, ("source", "made_hour", "hour_start"))
        return len(rows)

    def forecasts(self, source: str | None, start: float, end: float) -> pd.DataFrame:
        """The logged forecasts of the hours beginning in [start, end) (every one made)."""
        q = select(forecast_log).where(forecast_log.c.hour_start >= start,
                                       forecast_log.c.hour_start < end)
        if source is not None:
            q = q.where(forecast_log.c.source == source)
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(q).mappings().all(),
                                columns=[c.name for c in forecast_log.columns])

    # ---- retention ------------------------------------------------------------------------
    def prune_plan(self, source: str, before: float) -> dict:
        """What pruning ``source``'s positions older than ``before`` would delete: the rows
        it would delete, the rows of that source, and the time span they cover."""
        cond = (positions.c.source == source) & (positions.c.ts < before)
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(positions)
                                 .where(positions.c.source == source)).scalar() or 0
            n, first, last = conn.execute(select(func.count(), func.min(positions.c.ts),
                                                 func.max(positions.c.ts)).where(cond)).one()
        return {"source": source, "before": before, "delete": int(n or 0), "of": int(total),
                "first": first, "last": last}

    def prune(self, source: str, now: float, max_share: float | None = 0.05,
              retention_days: float | None = None) -> int:
        """Retention of one source's positions, on that source's own clock ``now``: its
        positions older than ``retention_days`` go (calls and visits stay: they are the
        statistics). Other sources are never touched — a live feed does not prune a loaded
        history. A pass that would delete more than ``max_share`` of the source's rows
        deletes nothing and says so (a clock gone wrong must not empty the store); ``None``
        lifts the limit (``python app.py history prune``). Returns the rows deleted."""
        if not math.isfinite(now):
            return 0
        days = self.retention_days if retention_days is None else retention_days
        before = now - days * 86400
        plan = self.prune_plan(source, before)
        if not plan["delete"]:
            return 0
        if max_share is not None and plan["delete"] > max_share * plan["of"]:
            log.warning("history retention of %s: %d of %d positions are older than %.0f days "
                        "at %s; refused (more than %.0f %% in one pass) — run `python app.py "
                        "history prune` to delete them", source, plan["delete"], plan["of"],
                        days, now, max_share * 100)
            self.set_meta(source, "prune_refused", json.dumps(plan))
            return 0
        with self.engine.begin() as conn:
            return conn.execute(delete(positions).where(
                (positions.c.source == source) & (positions.c.ts < before))).rowcount

    def set_meta(self, source: str, key: str, value: str) -> None:
        with self.engine.begin() as conn:
            self._upsert(conn, meta, [{"source": source, "key": key, "value": value}],
                         ("source", "key"))

    # ---- reading -------------------------------------------------------------------------
    def get_meta(self, source: str, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(meta.c.value).where(meta.c.source == source,
                                                           meta.c.key == key)).scalar()

    def watermark(self, source: str) -> float | None:
        v = self.get_meta(source, "watermark")
        return float(v) if v is not None else None

    def tracker_states(self, source: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(tracker_state.c.state)
                                .where(tracker_state.c.source == source)).scalars().all()
        return [s if isinstance(s, dict) else json.loads(s) for s in rows]

    def calls(self, source: str | None = None, start: float | None = None,
              end: float | None = None) -> pd.DataFrame:
        q = select(port_calls)
        if source is not None:
            q = q.where(port_calls.c.source == source)
        if start is not None:
            q = q.where((port_calls.c.last_seen >= start) | port_calls.c.open)
        if end is not None:
            q = q.where(port_calls.c.arrival_port_area < end)
        with self.engine.connect() as conn:
            df = pd.DataFrame(conn.execute(q.order_by(port_calls.c.arrival_port_area)).mappings()
                              .all(), columns=[c.name for c in port_calls.columns])
        return df

    def visits(self, source: str | None = None) -> pd.DataFrame:
        q = select(visits)
        if source is not None:
            q = q.where(visits.c.source == source)
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(q).mappings().all(),
                                columns=[c.name for c in visits.columns])

    def positions(self, mmsi: int | None = None, source: str | None = None,
                  start: float | None = None, end: float | None = None) -> pd.DataFrame:
        q = select(positions)
        if mmsi is not None:
            q = q.where(positions.c.mmsi == int(mmsi))
        if source is not None:
            q = q.where(positions.c.source == source)
        if start is not None:
            q = q.where(positions.c.ts >= start)
        if end is not None:
            q = q.where(positions.c.ts < end)
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(q.order_by(positions.c.ts)).mappings().all(),
                                columns=[c.name for c in positions.columns])

    def static(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(select(vessels)).mappings().all(),
                                columns=[c.name for c in vessels.columns])

    def static_of(self, mmsi: int) -> dict | None:
        """One vessel's stored static data (by its key: a card reads it every second)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(vessels).where(vessels.c.mmsi == int(mmsi))).mappings().first()
        return None if row is None else dict(row)

    def mmsi_of(self, key: int) -> int | None:
        """The MMSI of a stored vessel known by its MMSI or IMO number (None: unknown)."""
        with self.engine.connect() as conn:
            return conn.execute(select(vessels.c.mmsi).where(
                (vessels.c.mmsi == int(key)) | (vessels.c.imo == int(key)))
                .order_by(vessels.c.mmsi != int(key)).limit(1)).scalar()

    def last_position(self, mmsi: int, at_or_before: float) -> dict | None:
        """The vessel's latest stored position at or before a time (ts, lon, lat, source)."""
        c = positions.c
        with self.engine.connect() as conn:
            row = conn.execute(select(c.ts, c.lon, c.lat, c.source)
                               .where(c.mmsi == int(mmsi), c.ts <= float(at_or_before))
                               .order_by(c.ts.desc()).limit(1)).mappings().first()
        return None if row is None else dict(row)

    def position_counts(self) -> dict[str, tuple[int, float, float]]:
        """source -> (positions, first ts, last ts)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(positions.c.source, func.count(), func.min(positions.c.ts),
                                       func.max(positions.c.ts)).group_by(positions.c.source))
            return {s: (int(n), lo, hi) for s, n, lo, hi in rows}

    def counts(self) -> dict:
        with self.engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                    for t in (positions, port_calls, visits, tracker_state, vessels)}

    def sources(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(port_calls.c.source).distinct()).scalars())

    def latest_kpis(self, source: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(kpi_snapshots.c.kpis).where(
                kpi_snapshots.c.source == source).order_by(kpi_snapshots.c.ts.desc())
                .limit(1)).scalar()
        return row if row is None or isinstance(row, dict) else json.loads(row)

    def close(self) -> None:
        self.engine.dispose()


def _jsonable(obj):
    """Plain JSON data: NaN and numpy scalars cleaned (``_clean``), tuples as lists, keys as
    strings."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return _clean(obj)


def _json_dumps(obj) -> str:
    """The store's JSON (orjson: the tracker state of every vessel seen is written every
    round, and the standard library's encoder was a fifth of the store's time). NaN is
    written as null, numpy scalars as numbers, keys as strings; anything orjson does not
    take is cleaned first (``_jsonable``)."""
    try:
        return orjson.dumps(obj, option=_ORJSON).decode()
    except TypeError:
        return orjson.dumps(_jsonable(obj), option=_ORJSON).decode()


def default_url(root) -> str:
    return f"sqlite:///{root / 'var' / 'porttwin.sqlite'}"


def recent_reports(store: HistoryStore, source: str, since: float) -> list:
    """The stored positions of one source since ``since`` as VesselReports, with the static
    data the store knows: what a restarted engine puts back into the live picture."""
    from data_sources.events import VesselReport
    fixes = store.positions(source=source, start=since)
    if fixes.empty:
        return []
    static = store.static().set_index("mmsi") if len(store.static()) else None
    out = []
    for row in fixes.itertuples(index=False):
        r = VesselReport(row.ts, source, int(row.mmsi), row.lon, row.lat, _clean(row.sog),
                         _clean(row.cog), _clean(row.heading), _clean(row.nav_status))
        if static is not None and row.mmsi in static.index:
            s = static.loc[row.mmsi]
            r.name, r.imo, r.callsign = _clean(s["name"]), _clean(s["imo"]), _clean(s["callsign"])
            r.ship_type, r.length, r.width = (_clean(s["ship_type"]), _clean(s["length"]),
                                              _clean(s["width"]))
            r.draught, r.destination = _clean(s["draught"]), _clean(s["destination"])
        else:
            r.static = False
        out.append(r)
    return out
