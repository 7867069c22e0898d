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

from sqlalchemy import text

# pg_advisory_xact_lock's key for every schema change of a PortTwin database ("porttwin")
SCHEMA_LOCK = int.from_bytes(b"porttwin", "big") & 0x7FFF_FFFF_FFFF_FFFF


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
