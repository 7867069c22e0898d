"""The production layout on this machine, for `bench load` (docs/deployment.md):

    python app.py bench stack [--workers 4] [--threads 4] [--port 8050] [--seconds N]

starts a throwaway Redis and PostgreSQL (Debian packages, on sockets: tests/servers.py), one
`python app.py twin` and `gunicorn --workers N "app:wsgi()"` on 127.0.0.1:PORT, waits until
every worker is ready, prints the URL, the twin_id and two API tokens — of a ``wall`` user
(``bench-wall``) and a ``leadership`` user (``bench-user``), made in its throwaway store — and
keeps them running (Ctrl-C, or ``--seconds``, stops them all). Then, in another shell:

    python app.py bench load --url http://127.0.0.1:8050 --walls 50 --users 20 --seconds 60 \
        --token WALL_TOKEN --user-token USER_TOKEN
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests import servers
from twin.config import ROOT


def _bench_users(store_url: str) -> tuple[str, str]:
    """A wall user and a leadership user in the throwaway store, and an API token of each
    (``bench load --token … --user-token …``)."""
    import secrets
    from twin.accounts import Accounts
    accounts = Accounts(store_url)
    tokens = []
    for name, role in (("bench-wall", "wall"), ("bench-user", "leadership")):
        if accounts.identity(name) is None:
            accounts.add_user(name, role, secrets.token_urlsafe(16))
        tokens.append(accounts.add_token(name))
    return tokens[0], tokens[1]


def _workers_twin_ids(url: str, workers: int, tries: int = 400) -> dict[int, str]:
    """/readyz on new connections until every worker has answered (the kernel hands each
    connection to one of them): {worker pid: twin_id}."""
    import requests
    seen: dict[int, str] = {}
    for _ in range(tries):
        reply = requests.get(url, timeout=10, headers={"Connection": "close"}).json()
        seen[reply["pid"]] = reply["twin_id"]
        if len(seen) >= workers:
            break
    return seen


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="app.py bench stack", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--port", type=int, default=8050)
    p.add_argument("--seconds", type=float, default=0, help="stop after this long (0: Ctrl-C)")
    args = p.parse_args(argv)
    logs = Path(tempfile.mkdtemp(prefix="porttwin-stack-"))
    procs = []
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    with servers.redis() as redis_url, servers.postgres() as pg_url:
        metrics = logs / "metrics"
        metrics.mkdir()
        env = {**os.environ, "PORTTWIN_REDIS_URL": redis_url, "PORTTWIN_HISTORY_URL": pg_url,
               "PORTTWIN_HISTORY_ALERTS": "false", "PYTHONPATH": str(ROOT)}

        def start(cmd, name, **extra):
            out = open(logs / f"{name}.log", "w")
            proc = subprocess.Popen(cmd, cwd=ROOT, env={**env, **extra}, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            procs.append(proc)
            return proc
        try:
            ops = servers.free_port()
            twin = start([sys.executable, "app.py", "twin", "--ops-port", str(ops)], "twin")
            ready = servers.wait_ready(f"http://127.0.0.1:{ops}/readyz", 600, twin).json()
            web = start([sys.executable, "-m", "gunicorn", "--workers", str(args.workers),
                         "--threads", str(args.threads), "--keep-alive", "75",
                         "--bind", f"127.0.0.1:{args.port}",
                         "app:wsgi()"], "web",
                        # the workers' HTTP counters, summed on /metrics of any of them
                        PROMETHEUS_MULTIPROC_DIR=str(metrics))
            url = f"http://127.0.0.1:{args.port}"
            servers.wait_ready(url + "/readyz", 300, web)
            seen = _workers_twin_ids(url + "/readyz", args.workers)
            print(f"every worker's /readyz: {len(seen)} of {args.workers} workers answered, "
                  f"twin_ids {sorted(set(seen.values()))}", flush=True)
            if web.poll() is not None or len(seen) < args.workers \
                    or set(seen.values()) != {ready["twin_id"]}:
                # another server on the port (gunicorn could not bind it), or workers of
                # another twin: what a load run measured would not be this stack
                print(f"app.py bench stack: {url} is not this stack's {args.workers} workers "
                      f"of twin {ready['twin_id']} (gunicorn exit code {web.poll()}; is the "
                      f"port taken? see {logs / 'web.log'})", file=sys.stderr, flush=True)
                return 1
            wall_token, user_token = _bench_users(pg_url)
            print(f"url={url} twin_id={ready['twin_id']} workers={args.workers} logs={logs} "
                  f"wall_token={wall_token} user_token={user_token}", flush=True)
            end = time.monotonic() + args.seconds if args.seconds else float("inf")
            while not stop["now"] and time.monotonic() < end:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for proc in procs:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            for proc in procs:
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
