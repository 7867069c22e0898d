"""Tables made once, however many processes start at the same moment.

gunicorn starts its web workers together and the twin service starts beside them; each makes
the tables it needs on a new database (``metadata.create_all``: look, then CREATE). Two
processes looking at once both CREATE, and PostgreSQL refuses the second with a unique-key
error in its catalogue — a web worker that fails to boot stops gunicorn. On PostgreSQL the
schema is therefore made, and upgraded, inside a transaction holding one advisory lock of
the deployment: the others wait for it and find the tables made. SQLite (one process, the
embedded twin) needs no lock.
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import make_url, text

# pg_advisory_xact_lock's key for every schema change of a PortTwin database ("porttwin")
SCHEMA_LOCK = int.from_bytes(b"porttwin", "big") & 0x7FFF_FFFF_FFFF_FFFF


# libpq settings a live twin needs and libpq's defaults lack (a URL's own query wins): a
# server that never answers ends a connection attempt after ``connect_timeout`` s, not TCP's
# two minutes or never; keepalives and ``tcp_user_timeout`` (ms) end a connection whose
# peer vanished instead of leaving a write waiting on it for good
POSTGRES_CONNECT = {"connect_timeout": 10, "keepalives": 1, "keepalives_idle": 30,
                    "keepalives_interval": 10, "keepalives_count": 3,
                    "tcp_user_timeout": 30_000}


def engine_options(url: str) -> dict:
    """``create_engine`` options for a store at ``url`` (the history store's and the
    accounts'): SQLite across threads with a lock wait; PostgreSQL with ``POSTGRES_CONNECT``
    and connections checked before use (a pooled one may have died with a server restart)."""
    kwargs: dict = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    elif url.startswith("postgresql"):
        given = set(make_url(url).query)
        kwargs["connect_args"] = {k: v for k, v in POSTGRES_CONNECT.items() if k not in given}
        kwargs["pool_pre_ping"] = True
    return kwargs


@contextmanager
def schema_change(engine):
    """A connection in a transaction that holds the schema lock until it commits."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        yield conn


def create_tables(engine, metadata) -> None:
    """``metadata.create_all`` that any number of processes may run at once."""
    with schema_change(engine) as conn:
        metadata.create_all(conn)
