"""A PostgreSQL that hangs does not take the walls down (twin/store_guard.py, twin/accounts.py).

Production layout on real servers — one `python app.py twin`, Redis, PostgreSQL and a
stateless web worker (gunicorn "app:wsgi()") — with the worker's way to PostgreSQL through a
proxy that can freeze: while frozen it takes what is sent and answers nothing, as a hung
server or a black-holing network does (the kernel acknowledges, nothing answers, the
connections stay open). The twin reaches PostgreSQL directly and goes on.

Before the guard, the first wall refresh after the freeze that asked who its user is waited
for good, and with it each of the worker's request threads in turn."""
import os
import subprocess
import sys
import threading
import time

import pytest
import requests

from bench.load import Page, Recorder
from tests import servers
from tests.auth import cli_token, cli_user, sign_in_http
from tests.conftest import ROOT
from twin.accounts import Accounts

WALL, OPERATOR = "wall-hall-1", "li.wei"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    logs = tmp_path_factory.mktemp("logs")
    with servers.redis() as redis_url, servers.postgres_server() as pg:
        proxy = servers.FreezingProxy(str(pg.sock / ".s.PGSQL.5432"))
        env = {**os.environ, "PORTTWIN_REDIS_URL": redis_url, "PORTTWIN_HISTORY_URL": pg.url,
               "PORTTWIN_HISTORY_AUTOLOAD": "false", "PORTTWIN_HISTORY_ALERTS": "false",
               "PYTHONPATH": str(ROOT)}
        cli_user(env, WALL, "wall")
        cli_user(env, OPERATOR, "operator")
        token = cli_token(env, OPERATOR)
        procs = []

        def start(args, name, extra=None):
            out = open(logs / f"{name}.log", "w")
            p = subprocess.Popen(args, cwd=ROOT, env={**env, **(extra or {})}, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
            procs.append((p, out))
            return p
        ops_port, port = servers.free_port(), servers.free_port()
        twin = start([sys.executable, "app.py", "twin", "--ops-port", str(ops_port)], "twin")
        try:
            servers.wait_ready(f"http://127.0.0.1:{ops_port}/readyz", 120, twin)
            web_pg = f"postgresql+psycopg://porttwin@127.0.0.1:{proxy.port}/postgres"
            web = start([sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4",
                         "--bind", f"127.0.0.1:{port}", "app:wsgi()"], "web",
                        {"PORTTWIN_HISTORY_URL": web_pg, "PORTTWIN_HISTORY_READ_TIMEOUT_S": "3"})
            base = f"http://127.0.0.1:{port}"
            servers.wait_ready(base + "/readyz", 180, web)
            yield {"base": base, "token": token, "proxy": proxy, "pg": pg.url, "logs": logs}
        finally:
            proxy.thaw()
            servers.stop_processes(procs)


def _api(deployment) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {deployment['token']}"
    return s


def test_walls_refresh_while_postgresql_hangs_and_history_answers_503_until_it_is_back(
        deployment):
    base, proxy, api = deployment["base"], deployment["proxy"], _api(deployment)
    # a wall screen signed in with its device login, its page open and refreshing
    wall = sign_in_http(base, WALL)
    deps = wall.get(base + "/_dash-dependencies", timeout=30).json()
    record = Recorder(warmup_until=0)
    page = Page(wall, base, deps, record, "/")
    page.load("wall-load")
    fast = [cid for cid, every in page.timers() if every <= 2]
    assert fast and not record.errors, dict(record.error_kinds)
    mmsi = api.get(base + "/api/v1/vessels", timeout=30).json()["vessels"][0]["mmsi"]
    assert api.get(f"{base}/api/v1/vessels/{mmsi}/track", timeout=30).status_code == 200

    proxy.freeze()
    try:
        time.sleep(Accounts.CACHE_S + 1)          # who the wall is must be asked again now
        # the wall goes on refreshing: every reply comes (the first waits for the accounts
        # store's few seconds, the next ones are answered from what was known)
        for _ in range(6):
            for cid in fast:
                page.tick(cid, "wall")
        assert record.lat["wall"] and not record.errors, dict(record.error_kinds)
        # and several at once do not starve each other of the worker's threads
        threads = [threading.Thread(target=page.tick, args=(cid, "wall")) for cid in fast * 4]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not record.errors, dict(record.error_kinds)

        # history reads (a vessel's track) answer 503 in their time, then at once
        for _ in range(3):
            reply = api.get(f"{base}/api/v1/vessels/{mmsi}/track", timeout=30)
            assert reply.status_code == 503 and reply.json()["store"] == "history"
            assert reply.headers["Retry-After"]
        # the live API does not need the store
        assert api.get(base + "/api/v1/vessels", timeout=30).status_code == 200
        ready = requests.get(base + "/readyz", timeout=10)
        assert ready.status_code == 200
        stores = ready.json()["stores"]
        assert not stores["accounts"]["up"] and not stores["history"]["up"]
        metrics = api.get(base + "/metrics", timeout=10).text
        assert 'porttwin_store_up{store="history"} 0.0' in metrics
        # nobody new signs in meanwhile: the login page says why, and the attempt is audited
        # once the store is back
        s = requests.Session()
        form = s.get(base + "/login", timeout=30).text
        csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        login = s.post(base + "/login", data={"username": OPERATOR, "password": "x" * 12,
                                              "csrf_token": csrf}, timeout=30)
        assert login.status_code == 503 and 'id="login-error"' in login.text
    finally:
        proxy.thaw()

    deadline = time.monotonic() + 60                  # tried again every few seconds
    while api.get(f"{base}/api/v1/vessels/{mmsi}/track", timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "history reads did not come back"
        time.sleep(1)
    accounts = Accounts(deployment["pg"])
    deadline = time.monotonic() + 60
    while True:
        rows = [r for r in accounts.audit_rows(action="login")
                if r["detail"].get("reason") == "store_unavailable"]
        if rows:
            break
        assert time.monotonic() < deadline, "the login attempt was never audited"
        time.sleep(1)
    assert rows[0]["user_name"] == OPERATOR and not rows[0]["ok"]
    accounts.engine.dispose()
    for cid in fast:
        page.tick(cid, "wall")
    assert not record.errors, dict(record.error_kinds)
