"""Who may use the twin: accounts, roles, companies and their fleets, API tokens, and the audit
trail (GB/T 22239-2019 level 3: identification, access control, security audit).

Stored with SQLAlchemy in the port's history store (the same SQLite file or PostgreSQL
database), so every web worker of a deployment sees the same accounts and writes one audit
trail. Passwords are kept as werkzeug scrypt hashes, API tokens as SHA-256 digests (the token
itself is shown once, when made). Nothing here is deleted by a retention pass: the audit trail
stays until someone deletes it on purpose.

Roles (``ROLES``) and what each may do (``PERMISSIONS``) are the one definition the web side
(``callbacks/access.py``) enforces on every page, callback and API route.

A store that does not answer (PostgreSQL hung or restarting) never holds a request for long:
every call into it goes through a ``StoreGuard`` (``twin.store_guard``: on a thread of its own,
waited for a few seconds, refused at once while the store is known to be down). Meanwhile
who a user or a token is comes from what was known before the outage, for at most
``STALE_S`` (no account can change while the store is away: every change is written there);
a user never seen before, and a login, get ``StoreUnavailable`` (the web answers 503). Audit
records that cannot be written wait in memory (``AUDIT_BACKLOG`` of them, the oldest dropped
past it, counted and logged) and are written, with their own times, when the store is back.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text,
                        create_engine, delete, func, or_, select, update)
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .schema import create_tables, engine_options
from .store_guard import StoreGuard, StoreUnavailable, is_connection_error

log = logging.getLogger(__name__)

ROLES = ("admin", "supervisor", "operator", "leadership", "company", "wall")

# what a role may do; "wall" = see the command-centre wall, "acknowledge" = acknowledge and
# silence alerts, "vessels" = the vessels page (a company sees its own fleet there), "api" =
# the REST API (scoped like the page), "reports" / "export" = the leadership reports and their
# PDF / Excel, "playback" = the stored history replayed, "audit" = read the audit trail,
# "accounts" = manage users, companies and tokens, "revoke" = end a wall screen's device login
# (the /screens page)
PERMISSIONS = {
    "admin": {"wall", "acknowledge", "vessels", "api", "reports", "export", "playback",
              "audit", "accounts", "settings", "revoke"},
    "supervisor": {"wall", "acknowledge", "vessels", "api", "reports", "export", "playback",
                   "settings", "revoke"},
    "operator": {"wall", "acknowledge", "vessels", "api", "playback"},
    "leadership": {"wall", "vessels", "api", "reports", "export", "playback"},
    "company": {"vessels", "api"},
    "wall": {"wall"},
}
# the page a role lands on after login (the first it may see)
HOME = {"company": "/vessels"}

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 256
TOKEN_PREFIX = "ptw_"

metadata = MetaData()

companies = Table(
    "auth_companies", metadata,
    Column("company_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created", Float, nullable=False),
)
company_vessels = Table(
    "auth_company_vessels", metadata,
    Column("company_id", String(64), primary_key=True),
    Column("kind", String(8), primary_key=True),          # "mmsi" | "imo"
    Column("number", Integer, primary_key=True),
)
users = Table(
    "auth_users", metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("company_id", String(64)),
    Column("password_hash", String(300), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    # bumped to end every session of the user at once (revoke, password change, disable)
    Column("session_version", Integer, nullable=False, default=1),
    Column("failed", Integer, nullable=False, default=0),
    Column("locked_until", Float),
    Column("created", Float, nullable=False),
    Column("last_login", Float),
)
tokens = Table(
    "auth_tokens", metadata,
    Column("digest", String(64), primary_key=True),       # sha256 of the token
    Column("prefix", String(16), nullable=False),         # the token's first characters
    Column("user_name", String(64), nullable=False),
    Column("created", Float, nullable=False),
    Column("last_used", Float),
    Column("revoked", Boolean, nullable=False, default=False),
)
settings = Table(
    "auth_settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", Float, nullable=False),
    Column("user_name", String(64)),
    Column("role", String(16)),
    Column("action", String(40), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("target", String(300)),
    Column("address", String(64)),
    Column("detail", Text),
)
Index("ix_audit_time", audit.c.time)


class AccountError(ValueError):
    """A request the accounts refuse (unknown role, weak password, no such company …): the
    message says which and why, for the CLI and the audit."""


@dataclass(frozen=True)
class Identity:
    """Who a request is: a logged-in user or a token's user."""
    name: str
    role: str
    company_id: str | None
    session_version: int
    via_token: bool = False

    def may(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, ())

    @property
    def home(self) -> str:
        return HOME.get(self.role, "/")


@dataclass(frozen=True)
class Fleet:
    """A company's vessels: MMSIs, and IMOs (a ship that changed its MMSI stays its own)."""
    company_id: str
    name: str
    mmsis: frozenset
    imos: frozenset


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def check_password_rules(name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if password.strip().lower() == name.lower():
        raise AccountError("the password must not be the user name")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password is longer than {MAX_PASSWORD} characters")


def _unlocked(now: float):
    """The users row's condition: not locked at ``now``."""
    return or_(users.c.locked_until.is_(None), users.c.locked_until <= now)


def _refusal(row, now: float) -> str | None:
    """Why this users row may not log in at ``now`` (None: it may, with the right password)."""
    if row is None:
        return "unknown_user"
    if not row.active:
        return "disabled"
    if row.locked_until and row.locked_until > now:
        return "locked"
    return None


class Accounts:
    """The accounts of one deployment, on a SQLAlchemy engine (the history store's)."""

    def __init__(self, engine_or_url, *, max_failures: int = 5, lockout_s: float = 900.0,
                 clock=time.time, guard: StoreGuard | None = None):
        if isinstance(engine_or_url, str):
            engine_or_url = create_engine(engine_or_url, **engine_options(engine_or_url))
        self.engine = engine_or_url
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.clock = clock
        create_tables(self.engine, metadata)     # workers starting at once: one makes them
        # a request asks who its user is on every call (50 walls: 50 a second); the answer is
        # kept a few seconds, so a revoke or a disable takes effect within CACHE_S
        self._cache: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()
        self.guard = guard or StoreGuard("accounts", slots=2, timeout_s=5.0, retry_s=5.0)
        self.stale_answers = 0          # identities answered from before an outage
        self._asking: set[str] = set()  # keys a request is asking the store for now
        self._stale_logged = 0.0
        # audit records waiting for the store to come back (``_audit_later``)
        self._audit_waiting: deque = deque()
        self._audit_writing = 0             # of them, being written now
        self.audit_dropped = 0
        self._audit_wake = threading.Event()
        self._audit_thread: threading.Thread | None = None

    CACHE_S = 5.0                       # how long an answer is used before it is asked again
    STALE_S = 900.0                     # how long it is used while the store does not answer
    REFRESH_WAIT_S = 2.0                # how long a request waits to have it asked again
    AUDIT_BACKLOG = 10_000              # audit records kept while the store does not answer
    AUDIT_WAIT_S = 3.0                  # how long a request waits for its audit record
    PAGE_WAIT_S = 20.0                  # how long the audit and screens pages wait on it

    # ---- settings -------------------------------------------------------------------------
    def setting(self, key: str, make=None) -> str | None:
        """A stored setting; with ``make``, made and stored on first use (the session key:
        one per deployment, shared by every worker)."""
        with self.engine.begin() as conn:
            row = conn.execute(select(settings.c.value).where(settings.c.key == key)).first()
            if row is not None or make is None:
                return row[0] if row else None
        value = make()
        try:
            with self.engine.begin() as conn:
                conn.execute(settings.insert().values(key=key, value=value))
        except Exception:               # another worker made it first: take theirs
            pass
        return self.setting(key)

    def secret_key(self) -> str:
        return self.setting("session_secret", lambda: secrets.token_hex(32))

    # ---- companies ------------------------------------------------------------------------
    def add_company(self, company_id: str, name: str, mmsis=(), imos=()) -> Fleet:
        if not NAME_RE.match(company_id or ""):
            raise AccountError(f"company id {company_id!r}: letters, digits, _ . @ - only "
                               f"(at most 64)")
        if not (name or "").strip():
            raise AccountError("the company needs a name")
        mm = {_number(m, "MMSI", 9) for m in mmsis}
        im = {_number(i, "IMO", 7) for i in imos}
        if not mm and not im:
            raise AccountError("a company needs at least one MMSI or IMO")
        with self.engine.begin() as conn:
            if conn.execute(select(companies.c.company_id)
                            .where(companies.c.company_id == company_id)).first():
                conn.execute(update(companies).where(companies.c.company_id == company_id)
                             .values(name=name.strip()))
                conn.execute(delete(company_vessels)
                             .where(company_vessels.c.company_id == company_id))
            else:
                conn.execute(companies.insert().values(company_id=company_id,
                                                       name=name.strip(), created=self.clock()))
            rows = [{"company_id": company_id, "kind": "mmsi", "number": m} for m in mm] + \
                   [{"company_id": company_id, "kind": "imo", "number": i} for i in im]
            conn.execute(company_vessels.insert(), rows)
        self._forget()
        return self.fleet(company_id)

    def fleet(self, company_id: str | None) -> Fleet | None:
        if not company_id:
            return None
        def load():
            with self.engine.begin() as conn:
                row = conn.execute(select(companies.c.name)
                                   .where(companies.c.company_id == company_id)).first()
                numbers = conn.execute(select(company_vessels.c.kind, company_vessels.c.number)
                                       .where(company_vessels.c.company_id == company_id)).all()
            if row is None:
                return False
            return Fleet(company_id, row[0], frozenset(n for k, n in numbers if k == "mmsi"),
                         frozenset(n for k, n in numbers if k == "imo"))
        return self._lookup(f"fleet:{company_id}", load) or None

    def companies(self) -> list[Fleet]:
        with self.engine.begin() as conn:
            ids = [r[0] for r in conn.execute(select(companies.c.company_id)
                                              .order_by(companies.c.company_id))]
        return [self.fleet(i) for i in ids]

    # ---- users ----------------------------------------------------------------------------
    def add_user(self, name: str, role: str, password: str,
                 company_id: str | None = None) -> Identity:
        if not NAME_RE.match(name or ""):
            raise AccountError(f"user name {name!r}: letters, digits, _ . @ - only "
                               f"(at most 64)")
        if role not in ROLES:
            raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
        if role == "company":
            if not company_id:
                raise AccountError("a company user needs --company ID")
            if self.fleet(company_id) is None:
                raise AccountError(f"no company {company_id!r} (python app.py companies add)")
        elif company_id:
            raise AccountError(f"--company is for the company role, not {role}")
        check_password_rules(name, password)
        try:
            with self.engine.begin() as conn:
                if conn.execute(select(users.c.name).where(users.c.name == name)).first():
                    raise AccountError(f"user {name!r} exists")
                conn.execute(users.insert().values(
                    name=name, role=role, company_id=company_id, active=True,
                    session_version=1, failed=0,
                    password_hash=generate_password_hash(password), created=self.clock()))
        except IntegrityError:           # made meanwhile by another process (workers' first
            raise AccountError(f"user {name!r} exists") from None   # start): the key decides
        self._forget()                   # "no such user" may be remembered
        return self.identity(name)

    def set_password(self, name: str, password: str) -> None:
        check_password_rules(name, password)
        self._update_user(name, password_hash=generate_password_hash(password),
                          session_version=users.c.session_version + 1, failed=0,
                          locked_until=None)

    def revoke(self, name: str) -> int:
        """End every session of the user (a wall screen's device login included) and revoke
        its API tokens; the user can log in again. Returns the tokens revoked. (From the
        screens page: through the guard, ``StoreUnavailable`` while the store is away.)"""
        return self.guard.call(self._revoke, name, timeout_s=self.PAGE_WAIT_S)

    def _revoke(self, name: str) -> int:
        self._update_user(name, session_version=users.c.session_version + 1)
        with self.engine.begin() as conn:
            n = conn.execute(update(tokens).where(tokens.c.user_name == name,
                                                  tokens.c.revoked.is_(False))
                             .values(revoked=True)).rowcount
        self._forget()
        return n

    def set_active(self, name: str, active: bool) -> None:
        self._update_user(name, active=active, session_version=users.c.session_version + 1)

    def unlock(self, name: str) -> None:
        self._update_user(name, failed=0, locked_until=None)

    def _update_user(self, name: str, **values) -> None:
        with self.engine.begin() as conn:
            n = conn.execute(update(users).where(users.c.name == name).values(**values)).rowcount
        if not n:
            raise AccountError(f"no user {name!r}")
        self._forget()

    def users(self) -> list[dict]:
        def load():
            with self.engine.begin() as conn:
                return conn.execute(select(users.c.name, users.c.role, users.c.company_id,
                                           users.c.active, users.c.locked_until,
                                           users.c.created, users.c.last_login)
                                    .order_by(users.c.name)).all()
        return [dict(r._mapping) for r in self.guard.call(load)]

    def count_users(self) -> int:
        with self.engine.begin() as conn:
            return conn.execute(select(func.count()).select_from(users)).scalar_one()

    def identity(self, name: str) -> Identity | None:
        """The active user of that name (None: no such user, or disabled), cached CACHE_S."""
        def load():
            with self.engine.begin() as conn:
                row = conn.execute(select(users.c.role, users.c.company_id, users.c.active,
                                          users.c.session_version)
                                   .where(users.c.name == name)).first()
            return Identity(name, row.role, row.company_id, row.session_version) \
                if row is not None and row.active else False
        return self._lookup(f"user:{name}", load) or None

    def authenticate(self, name: str, password: str) -> tuple[Identity | None, str]:
        """(identity, "ok") or (None, reason): unknown, disabled, locked, bad_password. After
        ``max_failures`` wrong passwords in a row the user is locked for ``lockout_s``
        (the lock is not lifted by a right password meanwhile)."""
        if len(password) > MAX_PASSWORD:    # no password is longer: not worth hashing
            return None, "bad_password"
        # the store's read and write go through the guard; the password hash (CPU, a tenth
        # of a second) runs here, on the request's thread: a burst of logins holds none of
        # the guard's slots, which every signed-in request's identity lookup needs
        row = self.guard.call(self._user_row, name)
        refused = _refusal(row, self.clock())
        if refused == "unknown_user":
            # the same work as for a real user, so the answer time tells nothing
            check_password_hash(_DUMMY_HASH, password)
        if refused:
            return None, refused
        if not check_password_hash(row.password_hash, password):
            return None, self.guard.call(self._count_failure, name, self.clock())
        return self.guard.call(self._record_login, name, row.password_hash, self.clock())

    def _user_row(self, name: str):
        with self.engine.begin() as conn:
            return conn.execute(select(users).where(users.c.name == name)).first()

    # Both writes below decide on the row as it is when they write, not as it was read before
    # the hash: logins checked at the same time (a password spray sends its guesses in
    # parallel) are each counted, and a lock set meanwhile holds. Each begins with its UPDATE,
    # which takes the row's write lock (PostgreSQL) or the database's (SQLite) at once.
    def _count_failure(self, name: str, now: float) -> str:
        """One wrong password, counted in the store (``failed + 1``); the one that makes
        ``max_failures`` locks the user: "bad_password", "locked_now", or the refusal of a
        user locked, disabled or gone meanwhile."""
        with self.engine.begin() as conn:
            counted = conn.execute(update(users).where(users.c.name == name, _unlocked(now))
                                   .values(failed=users.c.failed + 1)).rowcount
            row = conn.execute(select(users).where(users.c.name == name)).first()
            if not counted:
                return _refusal(row, now) or "locked"
            if row.failed < self.max_failures:
                return "bad_password"
            conn.execute(update(users).where(users.c.name == name)
                         .values(failed=0, locked_until=now + self.lockout_s))
        return "locked_now"

    def _record_login(self, name: str, checked_hash: str,
                      now: float) -> tuple[Identity | None, str]:
        """A right password's login written — if the user is still active, unlocked and has
        the password that was checked — and its identity as the row is now."""
        with self.engine.begin() as conn:
            written = conn.execute(
                update(users).where(users.c.name == name, users.c.active.is_(True),
                                    users.c.password_hash == checked_hash, _unlocked(now))
                .values(failed=0, locked_until=None, last_login=now)).rowcount
            row = conn.execute(select(users).where(users.c.name == name)).first()
        if not written:
            return None, _refusal(row, now) or "bad_password"   # the password changed meanwhile
        self._forget()
        ident = Identity(name, row.role, row.company_id, row.session_version)
        self._keep(f"user:{name}", ident)            # just read: not asked again
        return ident, "ok"

    # ---- tokens ---------------------------------------------------------------------------
    def add_token(self, user_name: str) -> str:
        """A new API token for the user, returned once (only its digest is kept)."""
        if self.identity(user_name) is None:
            raise AccountError(f"no active user {user_name!r}")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(tokens.insert().values(digest=token_digest(token), prefix=token[:10],
                                                user_name=user_name, created=self.clock(),
                                                revoked=False))
        return token

    def token_identity(self, token: str) -> Identity | None:
        """The user a token speaks for (None: unknown, revoked, or its user disabled)."""
        if not token or len(token) > 200:
            return None
        digest = token_digest(token)

        def load():
            with self.engine.begin() as conn:
                row = conn.execute(select(tokens.c.user_name)
                                   .where(tokens.c.digest == digest,
                                          tokens.c.revoked.is_(False))).first()
            return row[0] if row else False
        hit = self._lookup(f"token:{digest}", load)
        if not hit:
            return None
        ident = self.identity(hit)
        if ident is None:
            return None
        return Identity(ident.name, ident.role, ident.company_id, ident.session_version,
                        via_token=True)

    def touch_token(self, token: str) -> None:
        """When the token was last used (shown to admins): not written while the store does
        not answer — the audit trail has the use."""
        def write():
            with self.engine.begin() as conn:
                conn.execute(update(tokens).where(tokens.c.digest == token_digest(token))
                             .values(last_used=used))
        used = self.clock()
        try:
            self.guard.call(write, timeout_s=self.AUDIT_WAIT_S)
        except StoreUnavailable:
            pass

    # ---- audit ----------------------------------------------------------------------------
    def record(self, action: str, *, ok: bool, user: str | None = None,
               role: str | None = None, target: str | None = None,
               address: str | None = None, **detail) -> None:
        """One line of the audit trail. Never raises, and waits at most ``AUDIT_WAIT_S``: a
        record the store does not take now is kept and written when it is back
        (``_audit_later``); any other failure is logged (the caller's action has already
        been decided)."""
        row = dict(time=self.clock(), user_name=_cut(user, 64), role=_cut(role, 16),
                   action=_cut(action, 40), ok=bool(ok), target=_cut(target, 300),
                   address=_cut(address, 64),
                   detail=json.dumps(detail, default=str, ensure_ascii=False)[:4000]
                   if detail else None)

        def write():
            try:
                with self.engine.begin() as conn:
                    conn.execute(audit.insert().values(**row))
            except Exception as exc:
                if is_connection_error(exc):
                    self._audit_later([row])        # kept; the guard marks the store down
                raise
        try:
            self.guard.call(write, timeout_s=self.AUDIT_WAIT_S)
        except StoreUnavailable as exc:
            if not exc.started:                      # never ran: keep it here
                self._audit_later([row])
            # started: still running, it writes the record or keeps it itself
        except Exception:
            log.exception("audit record %s not written", action)

    def _audit_later(self, rows: list[dict]) -> None:
        """Keep audit records for when the store is back (a thread of its own writes them,
        oldest first, with their own times); bounded — past ``AUDIT_BACKLOG`` the oldest are
        dropped, counted, and logged with what they were."""
        with self._lock:
            self._audit_waiting.extend(rows)
            self._trim_audit()
            if self._audit_thread is None:
                self._audit_thread = threading.Thread(target=self._write_audit_later,
                                                      name="porttwin-audit-later", daemon=True)
                self._audit_thread.start()
        self._audit_wake.set()

    def _trim_audit(self) -> None:
        while len(self._audit_waiting) > self.AUDIT_BACKLOG:      # (under the lock)
            old = self._audit_waiting.popleft()
            self.audit_dropped += 1
            log.warning("audit record dropped (the store is away and %d wait): %s",
                        self.AUDIT_BACKLOG, {k: v for k, v in old.items() if v is not None})

    def audit_waiting(self) -> int:
        """Audit records not written yet (kept, or being written now)."""
        with self._lock:
            return len(self._audit_waiting) + self._audit_writing

    def _write_audit_later(self, retry_s: float = 5.0) -> None:
        """Write the waiting audit records, all in one transaction, every ``retry_s`` until
        none waits (this thread may wait on a hung store: nothing else waits on it). A batch
        that fails goes back in front of those kept meanwhile."""
        while True:
            with self._lock:
                rows = list(self._audit_waiting)
                self._audit_waiting.clear()
                self._audit_writing = len(rows)
                if not rows:
                    self._audit_thread = None
                    return
            try:
                with self.engine.begin() as conn:
                    conn.execute(audit.insert(), rows)
            except Exception as exc:
                log.debug("audit records still waiting: %s", exc)
                with self._lock:
                    self._audit_waiting.extendleft(reversed(rows))
                    self._audit_writing = 0
                    self._trim_audit()
                self._audit_wake.clear()
                self._audit_wake.wait(retry_s)
                continue
            with self._lock:
                self._audit_writing = 0
            log.warning("%d audit records written after the store came back", len(rows))

    def audit_rows(self, since: float | None = None, limit: int | None = None,
                   action: str | None = None) -> list[dict]:
        q = select(audit).order_by(audit.c.time.desc(), audit.c.id.desc())
        if since is not None:
            q = q.where(audit.c.time >= since)
        if action:
            q = q.where(audit.c.action == action)
        if limit:
            q = q.limit(limit)

        def load():
            with self.engine.begin() as conn:
                return [dict(r._mapping) for r in conn.execute(q)]
        rows = self.guard.call(load, timeout_s=self.PAGE_WAIT_S)
        for r in rows:
            r["detail"] = json.loads(r["detail"]) if r["detail"] else {}
        return rows

    # ---- first start ----------------------------------------------------------------------
    def ensure_admin(self, password_file: Path) -> str | None:
        """On first start (no user at all): an ``admin`` with a random password, written to
        ``password_file`` (mode 0600) and returned so the caller prints it once."""
        if self.count_users():
            return None
        password = secrets.token_urlsafe(15)
        try:
            self.add_user("admin", "admin", password)
        except AccountError:           # another worker made it first
            return None
        password_file = Path(password_file)
        password_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(f"admin\n{password}\n")
        os.chmod(password_file, 0o600)
        self.record("user_add", ok=True, user="admin", role="admin", target="admin",
                    how="first start")
        return password

    # ---- cache ----------------------------------------------------------------------------
    def _lookup(self, key: str, load):
        """What ``load`` says (an answer, False for "none"), kept ``CACHE_S``. When it is
        asked again, one request asks the store and waits at most ``REFRESH_WAIT_S``; the
        others meanwhile, and every one while the store does not answer, get the last
        answer when it is at most ``STALE_S`` old (counted, logged once a minute); a user
        with no answer at all waits for the guard's time, then ``StoreUnavailable``."""
        hit = self._cached(key)
        if hit is not None:
            return hit
        with self._lock:
            old = self._cache.get(key)
            if old is not None and time.monotonic() - old[0] > self.STALE_S:
                old = None
            asking = key in self._asking
            if not asking:
                self._asking.add(key)
        if asking and old is not None:              # another request is asking right now
            return old[1]
        try:
            value = self.guard.call(load, timeout_s=self.REFRESH_WAIT_S if old else None)
        except StoreUnavailable as exc:
            if old is None:
                raise
            self.stale_answers += 1
            now = time.monotonic()
            if now - self._stale_logged > 60:
                self._stale_logged = now
                log.warning("accounts: %s; answering from what was known up to %.0f s ago",
                            exc, now - old[0])
            return old[1]
        finally:
            if not asking:
                with self._lock:
                    self._asking.discard(key)
        self._keep(key, value)
        return value

    def _cached(self, key):
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.CACHE_S:
            return hit[1]
        return None

    def _keep(self, key, value) -> None:
        with self._lock:
            if len(self._cache) > 10000:
                self._cache.clear()
            self._cache[key] = (time.monotonic(), value)

    def _forget(self) -> None:
        with self._lock:
            self._cache.clear()


_DUMMY_HASH = generate_password_hash("not a password of anyone")


def _number(value, what: str, digits: int) -> int:
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) != digits:
        raise AccountError(f"{what} {value!r} is not {digits} digits")
    return int(text)


def _cut(value, n: int):
    return None if value is None else str(value)[:n]
