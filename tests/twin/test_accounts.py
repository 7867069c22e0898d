"""Accounts, companies, tokens and the audit trail (twin/accounts.py) and their command line
(``python app.py users|companies|tokens|audit``), on a real SQLite store."""
import json
import os
import stat
import subprocess
import sys

import pytest

from tests.conftest import ROOT, FakeClock
from twin.accounts import AccountError, Accounts
from twin.accounts_cli import parse_since

PW = "harbour-pilot-42"


@pytest.fixture
def accounts(tmp_path):
    return Accounts(f"sqlite:///{tmp_path / 'a.sqlite'}", max_failures=3, lockout_s=60,
                    clock=FakeClock(1_800_000_000.0))


def test_roles_companies_and_password_rules_are_checked(accounts):
    with pytest.raises(AccountError, match="role 'captain'"):
        accounts.add_user("x", "captain", PW)
    with pytest.raises(AccountError, match="at least 10"):
        accounts.add_user("li", "operator", "short")
    with pytest.raises(AccountError, match="needs --company"):
        accounts.add_user("li", "company", PW)
    with pytest.raises(AccountError, match="no company 'acme'"):
        accounts.add_user("li", "company", PW, "acme")
    with pytest.raises(AccountError, match="not 9 digits"):
        accounts.add_company("acme", "Acme", ["36700000"])
    with pytest.raises(AccountError, match="user name"):
        accounts.add_user("'; drop table auth_users; --", "operator", PW)
    fleet = accounts.add_company("acme", "Acme Lines", ["367000001", "367000002"], ["9670602"])
    assert fleet.mmsis == {367000001, 367000002} and fleet.imos == {9670602}
    ident = accounts.add_user("li", "company", PW, "acme")
    assert ident.company_id == "acme" and ident.may("vessels") and not ident.may("wall")
    with pytest.raises(AccountError, match="exists"):
        accounts.add_user("li", "operator", PW)
    stored = accounts.users()[0]
    assert PW not in json.dumps(stored, default=str)


def test_lockout_after_repeated_failures_and_unlock(accounts):
    accounts.add_user("op", "operator", PW)
    assert accounts.authenticate("op", PW)[1] == "ok"
    assert accounts.authenticate("ghost", PW) == (None, "unknown_user")
    assert [accounts.authenticate("op", "wrong")[1] for _ in range(3)] == \
        ["bad_password", "bad_password", "locked_now"]
    assert accounts.authenticate("op", PW) == (None, "locked")      # right password, locked
    accounts.clock.advance(61)                                       # the lock has ended
    assert accounts.authenticate("op", PW)[1] == "ok"


def test_revoke_ends_sessions_and_tokens_disable_ends_the_user(accounts):
    accounts.add_user("screen", "wall", PW)
    token = accounts.add_token("screen")
    assert accounts.token_identity(token).name == "screen"
    assert accounts.token_identity(token + "x") is None
    version = accounts.identity("screen").session_version
    assert accounts.revoke("screen") == 1
    assert accounts.identity("screen").session_version == version + 1
    assert accounts.token_identity(token) is None
    accounts.set_active("screen", False)
    assert accounts.identity("screen") is None
    assert accounts.authenticate("screen", PW) == (None, "disabled")


def test_first_start_makes_one_admin_with_a_private_password_file(accounts, tmp_path):
    path = tmp_path / "admin.txt"
    password = accounts.ensure_admin(path)
    assert password and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text().split() == ["admin", password]
    assert accounts.authenticate("admin", password)[0].role == "admin"
    assert accounts.ensure_admin(tmp_path / "again.txt") is None     # only the first start
    assert not (tmp_path / "again.txt").exists()


def test_web_workers_starting_together_make_one_admin_and_all_boot(tmp_path):
    """gunicorn starts its workers at once on a new store: each asks for the first-start
    admin. One makes it; the others find it made — none fails to boot (one worker's
    unique-key error stopped the whole server, seen in ``bench stack``)."""
    import threading
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    workers = [Accounts(url) for _ in range(4)]       # four processes' own connections
    start = threading.Barrier(len(workers))
    got, failed = [], []

    def boot(acc, k):
        start.wait()
        try:
            got.append(acc.ensure_admin(tmp_path / f"admin-{k}.txt"))
        except Exception as exc:                         # a worker that would not boot
            failed.append(exc)
    threads = [threading.Thread(target=boot, args=(a, k)) for k, a in enumerate(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert failed == []
    assert len([p for p in got if p is not None]) == 1 and len(got) == 4
    assert [u["name"] for u in workers[0].users()] == ["admin"]


def test_the_audit_never_raises_and_reads_back_in_order(accounts, tmp_path):
    accounts.record("login", ok=False, user="x" * 500, address="10.0.0.1", reason="bad")
    accounts.clock.advance(5)
    accounts.record("export", ok=True, user="li", target="/api/v1/vessels?format=csv")
    rows = accounts.audit_rows()
    assert [r["action"] for r in rows] == ["export", "login"]
    assert len(rows[1]["user_name"]) == 64 and rows[1]["detail"] == {"reason": "bad"}
    assert [r["action"] for r in accounts.audit_rows(since=accounts.clock() - 1)] == ["export"]
    accounts.engine.dispose()
    broken = Accounts(f"sqlite:///{tmp_path / 'b.sqlite'}")
    with broken.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE audit")
    broken.record("login", ok=True, user="li")                     # logged, not raised


def test_since_reads_dates_times_and_spans():
    assert parse_since("24h", now=100_000.0) == 100_000.0 - 86_400
    assert parse_since("7d", now=1e6) == 1e6 - 7 * 86_400
    assert parse_since("2026-12-01") == 1796083200.0
    assert parse_since("2026-12-01T08:00:00+08:00") == 1796083200.0
    with pytest.raises(ValueError):
        parse_since("yesterday")


def _app(args, db, stdin=""):
    return subprocess.run([sys.executable, "app.py", *args, "--db", db], input=stdin,
                          text=True, capture_output=True, cwd=ROOT, timeout=120)


def test_the_command_line_makes_companies_users_tokens_and_reads_the_audit(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    done = _app(["companies", "add", "evergreen", "--name", "Evergreen",
                 "--mmsi", "367000001,367000002", "--imo", "9670602"], db)
    assert done.returncode == 0 and "2 MMSI, 1 IMO" in done.stdout, done.stderr
    done = _app(["users", "add", "ops", "--role", "company", "--company", "evergreen",
                 "--password-stdin"], db, PW + "\n")
    assert done.returncode == 0, done.stderr
    bad = _app(["users", "add", "x", "--role", "operator", "--password-stdin"], db, "short\n")
    assert bad.returncode == 2 and "at least 10" in bad.stderr
    token = _app(["tokens", "add", "--user", "ops"], db).stdout.strip()
    assert token.startswith("ptw_") and len(token) > 40
    assert Accounts(db).token_identity(token).company_id == "evergreen"
    listing = _app(["users", "list"], db).stdout
    assert "ops\tcompany\tevergreen\tactive" in listing
    lines = _app(["audit", "--format", "jsonl"], db).stdout.strip().splitlines()
    actions = [json.loads(x)["action"] for x in lines]
    assert actions == ["company_add", "user_add", "token_add"]
    assert all(json.loads(x)["user_name"].startswith("cli") for x in lines)
    assert token not in "\n".join(lines)                   # the token itself is not kept
    assert _app(["users", "revoke", "ops"], db).returncode == 0
    assert Accounts(db).token_identity(token) is None


def test_workers_starting_together_on_a_new_postgresql_all_make_its_tables():
    """gunicorn's workers and the twin start at once on a new PostgreSQL database: each
    makes the tables it needs (accounts, history). Two CREATE TABLEs of one table at the
    same moment are a unique-key error in PostgreSQL's catalogue — one worker failing to
    boot stopped the whole server in ``bench stack``. Made under one advisory lock, the
    others wait and find them made."""
    import threading

    from tests import servers
    from twin.history import HistoryStore
    with servers.postgres() as url:
        n = 8
        start = threading.Barrier(n)
        made, failed = [], []

        def boot(k):
            start.wait()
            try:
                made.append(Accounts(url) if k % 2 else HistoryStore(url))
            except Exception as exc:                     # a worker that would not boot
                failed.append(exc)
        threads = [threading.Thread(target=boot, args=(k,)) for k in range(n)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        assert failed == [] and len(made) == n
        accounts = next(m for m in made if isinstance(m, Accounts))
        accounts.add_user("ops", "operator", "a long enough secret 1")
        assert [u["name"] for u in accounts.users()] == ["ops"]
        for m in made:
            m.engine.dispose()


def test_a_login_checking_its_password_holds_up_no_other_users_lookup(tmp_path, monkeypatch):
    """The password hash (CPU) runs outside the store's guard: while logins are hashing, a
    signed-in user never seen by this worker is still looked up, not refused for want of a
    slot — and a wrong password does not throw away the answers kept for everyone else."""
    import threading

    import twin.accounts as accounts_module
    from twin.store_guard import StoreGuard
    accounts = Accounts(f"sqlite:///{tmp_path / 'a.sqlite'}", clock=FakeClock(1_800_000_000.0),
                        guard=StoreGuard("accounts", slots=1, timeout_s=5, retry_s=5))
    accounts.add_user("ops", "operator", PW)
    accounts.add_user("wall", "wall", PW)
    accounts._forget()                                          # this worker knows no one yet
    hashing, release = threading.Event(), threading.Event()
    real_check = accounts_module.check_password_hash

    def slow_check(pwhash, password):
        hashing.set()
        release.wait(10)
        return real_check(pwhash, password)
    monkeypatch.setattr(accounts_module, "check_password_hash", slow_check)
    got = []
    login = threading.Thread(target=lambda: got.append(accounts.authenticate("ops", "wrong")))
    login.start()
    try:
        assert hashing.wait(10)
        assert accounts.identity("wall").role == "wall"         # asked of the store meanwhile
        assert accounts.guard.status()["refused"] == 0
    finally:
        release.set()
        login.join(10)
    assert got == [(None, "bad_password")]
    assert "user:wall" in accounts._cache                       # kept through a wrong password


def _hashes_held(monkeypatch, how_many: int):
    """``check_password_hash`` held until ``how_many`` logins are inside it at once (their
    rows all read before any is written), then let go: logins checked at the same time."""
    import threading

    import twin.accounts as accounts_module
    real_check = accounts_module.check_password_hash
    inside = threading.Barrier(how_many, timeout=10)

    def held_check(pwhash, password):
        inside.wait()
        return real_check(pwhash, password)
    monkeypatch.setattr(accounts_module, "check_password_hash", held_check)


def _logins_at_once(accounts, attempts: list[tuple[str, str]]) -> list[str]:
    import threading
    got: dict[int, str] = {}

    def login(k, name, password):
        got[k] = accounts.authenticate(name, password)[1]
    threads = [threading.Thread(target=login, args=(k, *a)) for k, a in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    return [got.get(k) for k in range(len(attempts))]


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_wrong_passwords_tried_at_once_each_count_towards_the_lock(store, tmp_path,
                                                                   monkeypatch):
    """A password spray sends its guesses in parallel: each wrong password counts, however
    many are checked at the same time (read, hashed and written by different threads) — on
    the embedded store and on production's PostgreSQL."""
    import contextlib

    from tests import servers
    from twin.store_guard import StoreGuard
    with (servers.postgres() if store == "postgresql"
          else contextlib.nullcontext(f"sqlite:///{tmp_path / 'a.sqlite'}")) as url:
        accounts = Accounts(url, max_failures=3, lockout_s=60,
                            clock=FakeClock(1_800_000_000.0),
                            guard=StoreGuard("accounts", slots=4, timeout_s=10, retry_s=5))
        accounts.add_user("op", "operator", PW)
        _hashes_held(monkeypatch, 3)
        got = _logins_at_once(accounts, [("op", "wrong1"), ("op", "wrong2"), ("op", "wrong3")])
        assert sorted(got) == ["bad_password", "bad_password", "locked_now"]
        monkeypatch.undo()
        assert accounts.authenticate("op", PW) == (None, "locked")
        accounts.engine.dispose()


def test_a_right_password_checked_while_the_user_is_locked_does_not_lift_the_lock(
        accounts, monkeypatch):
    """The user's row was read before a parallel guess locked it: the right password, hashed
    meanwhile, still finds the user locked, and the lock stays."""
    import threading

    import twin.accounts as accounts_module
    accounts.add_user("op", "operator", PW)
    for _ in range(2):
        assert accounts.authenticate("op", "wrong")[1] == "bad_password"
    real_check = accounts_module.check_password_hash
    right_hashing, guess_done = threading.Event(), threading.Event()

    def check(pwhash, password):
        if password == PW:                       # the right one: held until the guess is in
            right_hashing.set()
            guess_done.wait(10)
        return real_check(pwhash, password)
    monkeypatch.setattr(accounts_module, "check_password_hash", check)
    got = []
    login = threading.Thread(target=lambda: got.append(accounts.authenticate("op", PW)))
    login.start()
    try:
        assert right_hashing.wait(10)            # its row read: not locked then
        assert accounts.authenticate("op", "wrong")[1] == "locked_now"
    finally:
        guess_done.set()
        login.join(10)
    assert got == [(None, "locked")]
    monkeypatch.undo()
    assert accounts.authenticate("op", PW) == (None, "locked")
    accounts.clock.advance(61)
    assert accounts.authenticate("op", PW)[1] == "ok"


def _answers_aged(accounts) -> None:
    """Every answer the accounts keep made older than ``CACHE_S``: the next asks the store."""
    for key in list(accounts._cache):
        at, value = accounts._cache[key]
        accounts._cache[key] = (at - Accounts.CACHE_S - 1, value)


def _until_written(accounts, within_s: float = 60) -> None:
    """Wait until no audit record waits for the store (its thread writes them)."""
    import time
    deadline = time.monotonic() + within_s
    while accounts.audit_waiting():
        assert time.monotonic() < deadline, "the waiting audit records were never written"
        time.sleep(0.2)


def test_while_postgresql_hangs_known_users_are_answered_and_audit_records_wait():
    """A hung store (a proxy that takes what is sent and answers nothing): who a known user
    or token is comes from before the outage, at once after the first wait; an unknown user
    and a login get ``StoreUnavailable`` within the guard's time; audit records made
    meanwhile are written, with their own times, once the store answers again; past the
    backlog the oldest are dropped and counted."""
    import time

    from tests import servers
    from twin.store_guard import StoreGuard, StoreUnavailable
    with servers.postgres_server() as pg:
        proxy = servers.FreezingProxy(str(pg.sock / ".s.PGSQL.5432"))
        url = f"postgresql+psycopg://porttwin@127.0.0.1:{proxy.port}/postgres"
        clock = FakeClock(1_800_000_000.0)
        accounts = Accounts(url, clock=clock,
                            guard=StoreGuard("accounts", timeout_s=1.0, retry_s=60.0))
        accounts.add_user("ops", "operator", PW)
        token = accounts.add_token("ops")
        assert accounts.token_identity(token).name == "ops"
        accounts.AUDIT_BACKLOG = 3
        proxy.freeze()
        try:
            _answers_aged(accounts)
            t0 = time.monotonic()
            assert accounts.identity("ops").role == "operator"       # waited 1 s, then known
            assert accounts.token_identity(token).name == "ops"      # refused at once: known
            assert accounts.stale_answers >= 2
            with pytest.raises(StoreUnavailable):
                accounts.identity("nobody")
            with pytest.raises(StoreUnavailable):
                accounts.authenticate("ops", PW)
            for k in range(5):
                clock.t += 60
                accounts.record("token_use", ok=True, user="ops", target=f"/api/{k}")
            assert time.monotonic() - t0 < 20                # nothing waited for good
            # the backlog waits, and the batch the writing thread took before the others came
            dropped, waiting = accounts.audit_dropped, accounts.audit_waiting()
            assert dropped >= 1 and waiting <= 3 + 1 and dropped + waiting == 5
        finally:
            proxy.thaw()
        _until_written(accounts)
        rows = Accounts(pg.url).audit_rows(action="token_use")
        assert len(rows) == 5 - dropped and {"/api/3", "/api/4"} <= {r["target"] for r in rows}
        for r in rows:                                    # each with the time it was made
            assert r["time"] == 1_800_000_000.0 + 60 * (int(r["target"][-1]) + 1)
        accounts.engine.dispose()


def test_while_postgresql_is_stopped_known_users_are_answered_and_audit_records_wait():
    """PostgreSQL stopped (connections cut, new ones refused): the same as a hang, at once —
    known users answered from before, a login refused, audit records written on its return."""
    import time

    from tests import servers
    from twin.store_guard import StoreGuard, StoreUnavailable
    with servers.postgres_server() as pg:
        accounts = Accounts(pg.url, guard=StoreGuard("accounts", timeout_s=5.0, retry_s=0.5))
        accounts.add_user("ops", "operator", PW)
        assert accounts.identity("ops") is not None
        pg.stop()
        try:
            _answers_aged(accounts)
            t0 = time.monotonic()
            assert accounts.identity("ops").role == "operator"
            with pytest.raises(StoreUnavailable):
                accounts.authenticate("ops", PW)
            with pytest.raises(StoreUnavailable):          # a supervisor's revoke: 503
                accounts.revoke("ops")
            accounts.record("login", ok=False, user="ops", reason="store_unavailable")
            assert time.monotonic() - t0 < 5 and accounts.audit_waiting() == 1
        finally:
            pg.start()
        _until_written(accounts)
        assert accounts.authenticate("ops", PW)[1] == "ok"       # back: the store answers
        rows = accounts.audit_rows(action="login")
        assert [r["detail"]["reason"] for r in rows] == ["store_unavailable"]
        accounts.engine.dispose()
