"""``python app.py bench soak --minutes N``: the whole app on a live loopback feed of mutated real
lines for N minutes, with the feed dropped now and then; prints memory growth, errors, rejects
by reason and reconnect times.

* **The feed**: a loopback TCP "receiver" sends the real NY hour's NMEA, stamped with the time
  of sending, ``--mutate`` of the lines mutated (``bench.mutate``), at ``--rate`` lines a
  second, looping. Every ``--drop-every`` seconds it drops the connection and stays away for
  ``--outage`` seconds (listening socket closed: connections are refused), then listens again;
  the time from its coming back to the app's next received message is a reconnect time.
* **The app**: ``create_app`` with its engine thread (admission, state, port calls, alerts,
  radar none, the sample berth plan, the predicted tide) on a SQLite history store in a
  temporary folder, the bundled NY week loaded into it first (``--no-history`` skips it),
  served by werkzeug on a loopback port; a client signed in as an operator (an API token of
  a user made in the store) asks for the wall, the vessels page, the Dash layout and the API
  every second (a non-200 answer, or one sent to the login page, is an error).
* **Figures**: RSS after the warm-up (the first tenth, at least a minute — a third of a short
  run — at most 3) and at
  the end; engine round errors, reader restarts, lines that raised, HTTP errors; rejects by
  reason; reconnect times; the loaded history's rows at start and end (never pruned by the
  live feed). Last line ``rss_growth_pct=… errors=… reconnect_max_s=… drops=…
  history_rows_changed=…``.
* ``--trace-memory``: where the growth is. tracemalloc from the end of the warm-up; each RSS
  print lists the source lines whose allocations grew most, memory outside Python's allocator
  (SQLite's own count, glibc's heap in use and free) and the sizes of the twin's bounded
  windows (pending first reports, static-only vessels, vessels).
"""
from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

from bench.mutate import NY_NMEA, encode, mutations, real_lines


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class DroppingFeed:
    """A loopback receiver that drops its client and goes away now and then."""

    def __init__(self, lines, rate, mutate_share, drop_every_s, outage_s, seed=7):
        self.lines, self.rate = lines, rate
        self.keep_share = 1.0 - mutate_share
        self.drop_every_s, self.outage_s = drop_every_s, outage_s
        self.kinds: Counter = Counter()
        self.back_at: list[float] = []            # time.time() of each return
        self.drops = 0
        self.stop = threading.Event()
        self._seed = seed
        probe = socket.create_server(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        gen = mutations(self.lines, 10**12, self._seed, keep_share=self.keep_share,
                        now=time.time, counts=self.kinds)
        while not self.stop.is_set():
            server = socket.create_server(("127.0.0.1", self.port))
            server.settimeout(0.5)
            if self.drops:
                self.back_at.append(time.time())
            up_until = time.monotonic() + self.drop_every_s
            conn = None
            while not self.stop.is_set() and time.monotonic() < up_until:
                try:
                    conn, _ = server.accept()
                    break
                except socket.timeout:
                    continue
            if conn is not None:
                sent, start = 0, time.monotonic()
                try:
                    while not self.stop.is_set() and time.monotonic() < up_until:
                        batch = [encode(next(gen)) for _ in range(max(1, int(self.rate / 10)))]
                        conn.sendall(b"".join(batch))
                        sent += len(batch)
                        ahead = start + sent / self.rate - time.monotonic()
                        if ahead > 0:
                            time.sleep(ahead)
                except OSError:
                    pass
                conn.close()
            server.close()
            if self.stop.is_set():
                break
            self.drops += 1
            self.stop.wait(self.outage_s)


def _history_rows(store) -> dict:
    from sqlalchemy import func, select
    from twin.history import port_calls, positions, visits
    out = {}
    with store.engine.connect() as conn:
        for table in (positions, port_calls, visits):
            out[table.name] = conn.execute(select(func.count()).select_from(table).where(
                table.c.source.like("history:%"))).scalar()
    return out


def _native_memory() -> dict:
    """Memory outside Python's allocator, MB: SQLite's own count (``sqlite3_memory_used``: page
    caches, statements) and glibc's heap in use / free inside its arenas (``mallinfo2``). Empty
    where the libraries are not there (another libc, SQLite linked in statically)."""
    import ctypes
    import ctypes.util
    out = {}
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")
        lib.sqlite3_memory_used.restype = ctypes.c_int64
        out["sqlite"] = lib.sqlite3_memory_used() / 2**20
    except (OSError, AttributeError):
        pass
    try:
        class MallInfo2(ctypes.Structure):
            _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks",
                        "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = MallInfo2
        m = libc.mallinfo2()
        out["malloc_in_use"] = (m.uordblks + m.hblkhd) / 2**20
        out["malloc_free"] = m.fordblks / 2**20
    except (OSError, AttributeError):
        pass
    return out


def _short(filename: str) -> str:
    """A traced file's name as a reader finds it: relative to the repository when in it."""
    from twin.config import ROOT
    path = Path(filename)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else filename


def _print_growth(base, engine, native_base: dict, frames: int = 1, top: int = 12) -> None:
    """The source lines (with ``frames`` > 1: the call stacks) whose live allocations grew most
    since ``base``, memory outside Python, and the twin's windows."""
    import tracemalloc
    now = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)])
    stats = now.compare_to(base, "lineno" if frames == 1 else "traceback")
    total = sum(s.size_diff for s in stats)
    print(f"    traced growth since warm-up {total / 2**20:+.1f} MB; largest:")
    for s in stats[:top if frames == 1 else top // 2]:
        print(f"    {s.size_diff / 2**20:+8.2f} MB {s.count_diff:+8d} blocks  "
              + "  <  ".join(f"{_short(f.filename)}:{f.lineno}"
                             for f in list(s.traceback)[::-1][:frames]))
    native = _native_memory()
    if native:
        print("    outside Python: " + ", ".join(
            f"{k} {v:.1f} MB ({v - native_base.get(k, 0):+.1f})" for k, v in native.items()))
    admission, state = engine.admission, engine.state
    print(f"    windows: pending first reports {len(admission._pending) if admission else '-'}, "
          f"static-only {len(state.static_only)}, vessels {len(state.vessels)}", flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="app.py bench soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=100.0, help="lines per second")
    parser.add_argument("--mutate", type=float, default=0.1, help="share of lines mutated")
    parser.add_argument("--drop-every", type=float, default=60.0, help="seconds")
    parser.add_argument("--outage", type=float, default=3.0, help="seconds")
    parser.add_argument("--no-history", dest="history", action="store_false")
    parser.add_argument("--rss-every", type=float, default=300.0,
                        help="print RSS this often, seconds (where memory goes, and whether "
                             "it levels off)")
    parser.add_argument("--trace-memory", action="store_true",
                        help="where the memory goes: trace Python allocations from the end of "
                             "the warm-up and, at each RSS print, list the source lines whose "
                             "allocations grew most since then, with the sizes of the twin's "
                             "bounded windows (slower; RSS then includes the traces)")
    parser.add_argument("--trace-frames", type=int, default=1,
                        help="with --trace-memory: group allocations by this many frames of "
                             "their call stack (1: by source line)")
    args = parser.parse_args(argv)

    import logging
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from werkzeug.serving import make_server

    from app import create_app
    from twin.config import Config

    feed = DroppingFeed(real_lines([NY_NMEA]), args.rate, args.mutate, args.drop_every,
                        args.outage)
    tmp = tempfile.TemporaryDirectory()
    config = Config.load(env={}, ais=f"tcp://127.0.0.1:{feed.port}",
                         history_url=f"sqlite:///{Path(tmp.name) / 'soak.sqlite'}",
                         history_autoload=args.history, history_alerts=False, radar="none")
    feed.start()
    t_load = time.perf_counter()
    app = create_app(config)
    wired = app.server.config["PORTTWIN"]
    engine, store = wired["engine"], wired["store"]
    source = engine.primary
    import secrets
    accounts = wired["accounts"]
    accounts.add_user("soak-operator", "operator", secrets.token_urlsafe(18))
    auth = {"Authorization": f"Bearer {accounts.add_token('soak-operator')}"}
    history_start = _history_rows(store)
    forecast = wired["query"].forecast_model
    t_fc = time.perf_counter()
    while forecast is not None and forecast.status == "learning" and \
            time.perf_counter() - t_fc < 600:       # first start: learnt, then measured
        time.sleep(0.5)
    if forecast is not None:
        print(f"forecast {forecast.status} after {time.perf_counter() - t_fc:.1f} s", flush=True)
    print(f"app up in {time.perf_counter() - t_load:.1f} s; history rows {history_start}",
          flush=True)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()

    http: Counter = Counter()
    http_errors: list[str] = []
    stop = threading.Event()

    def client():
        paths = ["/", "/vessels", "/_dash-layout", "/api/v1/vessels", "/api/v1/sources",
                 "/api/v1/alerts", "/api/v1/forecast"]
        i = 0
        while not stop.wait(1.0):
            path = paths[i % len(paths)]
            i += 1
            try:
                req = urllib.request.Request(base + path, headers=auth)
                with urllib.request.urlopen(req, timeout=30) as r:
                    r.read()
                    if "/login" in r.url:                 # the token was not honoured
                        raise RuntimeError(f"sent to {r.url}")
                    http[r.status] += 1
            except Exception as exc:
                http["error"] += 1
                http_errors.append(f"{path}: {exc}")
    threading.Thread(target=client, daemon=True).start()

    # receive times: the first message after each return of the feed
    reconnects: list[float] = []
    seen_back = 0
    duration = args.minutes * 60
    warmup = min(180.0, max(60.0, duration / 10), duration / 3)   # a short run too
    t0 = time.monotonic()
    rss_base = None
    traced = None                                  # tracemalloc snapshot at the warm-up's end
    native_base: dict = {}
    last = source.health.messages
    next_rss = args.rss_every
    while time.monotonic() - t0 < duration:
        time.sleep(0.05)
        if time.monotonic() - t0 >= next_rss:
            next_rss += args.rss_every
            print(f"  {time.monotonic() - t0:6.0f} s  RSS {rss_mb():.1f} MB  "
                  f"messages {source.health.messages:,}", flush=True)
            if traced is not None:
                _print_growth(traced, engine, native_base, args.trace_frames)
        if rss_base is None and time.monotonic() - t0 >= warmup:
            rss_base = rss_mb()
            print(f"RSS after {warmup:.0f} s warm-up: {rss_base:.1f} MB", flush=True)
            if args.trace_memory:
                import tracemalloc
                tracemalloc.start(max(1, args.trace_frames))
                traced = tracemalloc.take_snapshot()
                native_base = _native_memory()
        messages = source.health.messages
        if len(feed.back_at) > seen_back and messages > last:
            reconnects.append(time.time() - feed.back_at[seen_back])
            seen_back += 1
        last = messages
    rss_end = rss_mb()
    stop.set()
    feed.stop.set()
    health = source.health.status()
    history_end = _history_rows(store)
    engine.stop()
    server.shutdown()

    errors = (engine.errors + source.transport._supervisor.restarts
              + health["rejects"].get("internal_error", 0) + http["error"]
              + sum(n for code, n in http.items() if code not in (200, "error")))
    growth = (rss_end - rss_base) / rss_base * 100 if rss_base else float("nan")
    print(f"soak {args.minutes:g} min: {health['messages']:,} messages at {args.rate:g} "
          f"lines/s, {args.mutate:.0%} mutated ({', '.join(f'{k} {v}' for k, v in feed.kinds.most_common())})")
    print(f"  RSS {rss_base:.1f} MB -> {rss_end:.1f} MB ({growth:+.2f} %)")
    print(f"  errors: engine rounds {engine.errors}"
          + (f" ({engine.last_error})" if engine.last_error else "")
          + f", reader restarts {source.transport._supervisor.restarts}, lines that raised "
          f"{health['rejects'].get('internal_error', 0)}, HTTP {dict(http)}")
    for e in http_errors[:5]:
        print(f"    {e}")
    print("  rejected: " + ", ".join(f"{k} {v:,}" for k, v in
                                     sorted(health["rejects"].items(), key=lambda kv: -kv[1])))
    print("  used with a note: " + ", ".join(f"{k} {v:,}" for k, v in
                                             sorted(health["notes"].items(),
                                                    key=lambda kv: -kv[1])))
    if reconnects:
        print(f"  feed dropped {feed.drops}x ({args.outage:g} s away each): receiving again "
              f"{min(reconnects):.2f}-{max(reconnects):.2f} s after it came back "
              f"(mean {statistics.mean(reconnects):.2f} s, n={len(reconnects)})")
    print(f"  history rows {history_start} -> {history_end}")
    changed = sum(abs(history_end[k] - history_start[k]) for k in history_start)
    print(f"rss_growth_pct={growth:.2f} errors={errors} "
          f"reconnect_max_s={max(reconnects) if reconnects else float('nan'):.2f} "
          f"drops={feed.drops} history_rows_changed={changed}")
    tmp.cleanup()
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
