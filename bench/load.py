"""Benchmark: many screens on one PortTwin deployment, as browsers load it.

    python app.py bench load --url http://127.0.0.1:8050 --walls 50 --users 20 --seconds 60

**Walls** replay the real wall refresh: each loads the page shell, the routed wall page and the
map's geometry it names (as a browser on its first visit), fires the callbacks the page fires on
load, then every interval of the page's timers (``dcc.Interval``: the 1 s tick, the 10 s slow
tick …) fires the callbacks that timer drives — with the inputs and state the page holds,
updated from every reply, as dash-renderer does — and then the callbacks whose inputs those
replies changed (one chain). The callbacks are read from the server's own
``/_dash-dependencies`` and the page from its layout, so the bench follows the app as it
changes. Clientside callbacks run in the browser and are not sent; nor are those of buttons
(pattern-matching ids), which only a click fires.

**Users** (shipping companies, leadership) open the vessels page and leave it refreshing (its
5 s tick), and call the REST API every ~2 s (vessels, one vessel's port calls, berths, feeds,
alerts, KPIs), in turn.

Screens sign in as the product's users: ``--token`` (a ``wall`` user's API token, ``python
app.py tokens add --user WALL``) for the walls, ``--user-token`` (default: the same) for the
users — a ``company`` user's token makes them a shipping company's screens, scoped to its
fleet. Each request carries ``Authorization: Bearer …``, so the figures include the login
check of every request.

Each screen is a thread with its own HTTP keep-alive connection. A request is an error if it
fails or answers other than 200/204. Printed: requests per kind, latency percentiles per kind,
and, as the last line: ``p50_ms=… p95_ms=… p99_ms=… errors=… requests=…`` over all requests
after the warm-up (``--warmup`` seconds, default 5: page loads are counted, the first refreshes
too; only the first seconds while every screen opens are left out).

The load generator needs CPU too: its own CPU seconds are printed, so a run on the same machine
as the server can be read for what it is.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import threading
import time
from collections import defaultdict

import numpy as np
import requests

TIMEOUT_S = 30.0
API_PATHS = ("/api/v1/vessels", "/api/v1/berths", "/api/v1/feeds", "/api/v1/alerts",
             "/api/v1/kpis", "/api/v1/port-calls")


def callback_outputs(spec: str) -> list[dict]:
    """``..a.children...b.data@hash..`` or ``a.children`` -> [{id, property}]."""
    body = spec[2:-2] if spec.startswith("..") else spec
    out = []
    for part in body.split("..."):
        cid, prop = part.rsplit(".", 1)
        out.append({"id": cid, "property": prop})
    return out


def _walk(component, props: dict, patterns: list | None = None) -> None:
    """Every component with a string id in a layout tree -> props[id] = its props; those
    with a dict id (pattern-matching, e.g. an alert row's buttons) appended to ``patterns``."""
    if isinstance(component, list):
        for c in component:
            _walk(c, props, patterns)
        return
    if not isinstance(component, dict) or "props" not in component:
        return
    p = component["props"]
    if isinstance(p.get("id"), str):
        props[p["id"]] = {**p, "_type": component.get("type")}
    elif isinstance(p.get("id"), dict) and patterns is not None:
        patterns.append(p)
    for value in p.values():
        if isinstance(value, (dict, list)):
            _walk(value, props, patterns)


def _pattern(cid: str) -> dict | None:
    """A pattern-matching input id (``{"index":["ALL"],"type":"alert-ack"}``) -> its dict."""
    if not cid.startswith("{"):
        return None
    return json.loads(cid)


class Page:
    """One browser tab of a Dash page: its components' props and the callbacks it fires."""

    def __init__(self, session: requests.Session, base: str, deps: list, record, path: str,
                 lang: str = "en"):
        self.s, self.base, self.record, self.path = session, base, record, path
        self.props: dict = {"url": {"pathname": path}, "lang": {"data": lang}}
        server = [d for d in deps if not d.get("clientside_function")]
        self.deps = [d for d in server if not any(_pattern(i["id"]) for i in d["inputs"])]
        # callbacks of pattern-matching components (ALL): the renderer fires them when a
        # reply draws a new set of those components (an alert list redrawn)
        self.pattern_deps = [d for d in server if d not in self.deps]
        self.patterns: list = []           # props of the pattern components drawn last

    def _value(self, cid: str, prop: str):
        return self.props.get(cid, {}).get(prop)

    def _present(self, dep) -> bool:
        return all(i["id"] in self.props for i in dep["inputs"])

    def _input(self, dep_input: dict):
        wanted = _pattern(dep_input["id"])
        if wanted is None:
            return {**dep_input, "value": self._value(dep_input["id"], dep_input["property"])}
        fixed = {k: v for k, v in wanted.items() if not isinstance(v, list)}
        return [{"id": p["id"], "property": dep_input["property"],
                 "value": p.get(dep_input["property"])}
                for p in self.patterns if all(p["id"].get(k) == v for k, v in fixed.items())]

    def fire(self, dep, changed: list[str], kind: str) -> set:
        """POST one callback; apply its reply; returns the "id.prop" it changed."""
        outputs = callback_outputs(dep["output"])
        body = {"output": dep["output"],
                "outputs": outputs if dep["output"].startswith("..") else outputs[0],
                "inputs": [self._input(i) for i in dep["inputs"]],
                "state": [{**st, "value": self._value(st["id"], st["property"])}
                          for st in dep["state"]],
                "changedPropIds": changed}
        status, reply = self.record(kind, lambda: self.s.post(
            self.base + "/_dash-update-component", data=json.dumps(body),
            headers={"Content-Type": "application/json"}, timeout=TIMEOUT_S))
        if status != 200 or not reply:
            return set()
        done, drawn = set(), []
        for cid, values in (reply.get("response") or {}).items():
            for prop, value in values.items():
                prop = prop.split("@", 1)[0]
                self.props.setdefault(cid, {})[prop] = value
                done.add(f"{cid}.{prop}")
                if prop == "children" and isinstance(value, (dict, list)):
                    _walk(value, self.props, drawn)
        if drawn:                                   # new pattern components: their callbacks
            self.patterns = drawn
            types = {p["id"].get("type") for p in drawn}
            for pdep in self.pattern_deps:
                ins = [_pattern(i["id"]) for i in pdep["inputs"]]
                if any(p and p.get("type") in types for p in ins):
                    self.fire(pdep, [], kind)
        return done

    def load(self, kind: str) -> None:
        """Open the page: the shell, the routed page, then what fires on load."""
        self.record(kind, lambda: self.s.get(f"{self.base}{self.path}", timeout=TIMEOUT_S),
                    json_reply=False)
        route = next(d for d in self.deps if d["output"] == "page.children")
        self.fire(route, ["url.pathname"], kind)
        for url in self.map_data_urls():          # as a browser on its first visit
            self.record(kind, lambda url=url: self.s.get(self.base + url, timeout=TIMEOUT_S),
                        json_reply=False)
        for dep in self.deps:
            if dep is not route and self._present(dep) and not dep.get("prevent_initial_call"):
                self.fire(dep, [f"{i['id']}.{i['property']}" for i in dep["inputs"]], kind)

    def map_data_urls(self) -> list[str]:
        """The URLs a page's maps load their layers' data from (the port's geometry)."""
        return sorted({layer["data"] for p in self.props.values()
                       for layer in (p.get("layers") or []) if isinstance(layer, dict)
                       and isinstance(layer.get("data"), str) and layer["data"].startswith("/")})

    def timers(self) -> list[tuple[str, float]]:
        """(id, seconds) of the page's running dcc.Interval timers."""
        out = []
        for cid, p in self.props.items():
            if p.get("_type") == "Interval" and not p.get("disabled"):
                out.append((cid, float(p.get("interval") or 1000) / 1000))
        return out

    def tick(self, timer: str, kind: str) -> None:
        """A timer fired: the callbacks it drives, then those whose inputs they changed."""
        p = self.props[timer]
        p["n_intervals"] = (p.get("n_intervals") or 0) + 1
        changed = set()
        key = f"{timer}.n_intervals"
        for dep in self.deps:
            if any(i["id"] == timer for i in dep["inputs"]) and self._present(dep):
                changed |= self.fire(dep, [key], kind)
        for dep in self.deps:                      # one chain: callbacks fed by the replies
            hit = [c for c in changed if c in
                   {f"{i['id']}.{i['property']}" for i in dep["inputs"]}]
            if hit and timer not in {i["id"] for i in dep["inputs"]} and self._present(dep):
                self.fire(dep, hit, kind)


class Recorder:
    def __init__(self, warmup_until: float):
        self.lock = threading.Lock()
        self.lat: dict = defaultdict(list)
        self.errors: dict = defaultdict(int)
        self.error_kinds: dict = defaultdict(int)
        self.bytes = 0
        self.warmup_until = warmup_until

    def __call__(self, kind: str, request, json_reply: bool = True):
        t0 = time.perf_counter()
        status, reply, error = None, None, None
        try:
            resp = request()
            status = resp.status_code
            if status == 200 and json_reply:
                reply = resp.json()
            # bytes on the wire: the compressed length where the server compressed
            n = int(resp.headers.get("Content-Length") or len(resp.content))
        except Exception as exc:              # a timeout, a reset: counted, never fatal
            error, n = type(exc).__name__, 0
        ms = (time.perf_counter() - t0) * 1000
        if time.time() >= self.warmup_until:
            with self.lock:
                self.lat[kind].append(ms)
                self.bytes += n
                if error or status not in (200, 204):
                    self.errors[kind] += 1
                    self.error_kinds[error or f"HTTP {status}"] += 1
        return status, reply


def _session(token: str | None) -> requests.Session:
    s = requests.Session()
    if token:
        s.headers["Authorization"] = f"Bearer {token}"
    return s


def _wall(base, deps, record, stop, seed, token=None):
    s = _session(token)
    page = Page(s, base, deps, record, "/")
    try:
        page.load("wall-load")
    except Exception:
        record.error_kinds["wall load failed"] += 1
    rng = random.Random(seed)
    due = {cid: time.time() + rng.uniform(0, every) for cid, every in page.timers()}
    every = dict(page.timers())
    while not stop.is_set():
        cid = min(due, key=due.get) if due else None
        if cid is None:
            stop.wait(1)
            continue
        wait = due[cid] - time.time()
        if wait > 0 and stop.wait(wait):
            break
        page.tick(cid, "wall" if every[cid] <= 2 else "wall-slow")
        due[cid] = max(due[cid] + every[cid], time.time())


def _user(base, deps, record, stop, seed, token=None):
    s = _session(token)
    rng = random.Random(seed)
    page = Page(s, base, deps, record, "/vessels")
    try:
        page.load("vessels-load")
    except Exception:
        record.error_kinds["vessels load failed"] += 1
    timers = dict(page.timers())
    next_tick = {cid: time.time() + rng.uniform(0, t) for cid, t in timers.items()}
    i = rng.randrange(len(API_PATHS))
    while not stop.is_set():
        path = API_PATHS[i % len(API_PATHS)]
        i += 1
        record("api", lambda: s.get(base + path, timeout=TIMEOUT_S))
        now = time.time()
        for cid, at in next_tick.items():
            if now >= at:
                page.tick(cid, "vessels")
                next_tick[cid] = now + timers[cid]
        stop.wait(rng.uniform(1.5, 2.5))


def _pct(values, q) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="app.py bench load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the deployment, e.g. http://127.0.0.1:8050")
    parser.add_argument("--walls", type=int, default=50)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=5,
                        help="seconds at the start not counted (default 5)")
    parser.add_argument("--token", help="API token the walls sign in with (a wall user's)")
    parser.add_argument("--user-token",
                        help="API token the users sign in with (default: --token)")
    args = parser.parse_args(argv)
    base = args.url.rstrip("/")
    user_token = args.user_token or args.token
    if not re.match(r"^https?://", base):
        parser.error("--url must be http(s)://host:port")

    reply = _session(args.token).get(base + "/_dash-dependencies", timeout=TIMEOUT_S)
    if reply.status_code in (401, 403):
        parser.error(f"the server answered {reply.status_code}: give --token (a wall user's "
                     f"API token: python app.py tokens add --user NAME)")
    deps = reply.json()
    stop = threading.Event()
    t_start = time.time()
    record = Recorder(t_start + args.warmup)
    cpu0 = time.process_time()
    threads = [threading.Thread(target=_wall, args=(base, deps, record, stop, i, args.token),
                                daemon=True) for i in range(args.walls)]
    threads += [threading.Thread(target=_user, args=(base, deps, record, stop, 1000 + i,
                                                     user_token),
                                 daemon=True) for i in range(args.users)]
    for t in threads:
        t.start()
        time.sleep(min(0.05, args.warmup / max(1, len(threads))))
    stop.wait(max(0.0, t_start + args.warmup + args.seconds - time.time()))
    stop.set()
    for t in threads:
        t.join(TIMEOUT_S + 1)
    span = time.time() - record.warmup_until
    cpu = time.process_time() - cpu0

    everything = [ms for v in record.lat.values() for ms in v]
    errors = sum(record.errors.values())
    print(f"{args.walls} walls + {args.users} users on {base} for {args.seconds:g} s "
          f"(after {args.warmup:g} s warm-up); load generator CPU {cpu:.1f} s")
    print(f"  {'kind':<14}{'requests':>9}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'errors':>8}")
    for kind in sorted(record.lat):
        v = record.lat[kind]
        print(f"  {kind:<14}{len(v):>9}{len(v) / span:>8.1f}{_pct(v, 50):>9.0f}"
              f"{_pct(v, 95):>9.0f}{_pct(v, 99):>9.0f}{record.errors[kind]:>8}")
    print(f"  received {record.bytes / 1e6:.1f} MB ({record.bytes / span / 1e6:.2f} MB/s, "
          f"as sent: compressed where the server compresses)")
    if record.error_kinds:
        print("  errors: " + ", ".join(f"{k} {n}" for k, n in sorted(record.error_kinds.items())))
    print(f"p50_ms={_pct(everything, 50):.0f} p95_ms={_pct(everything, 95):.0f} "
          f"p99_ms={_pct(everything, 99):.0f} errors={errors} requests={len(everything)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
