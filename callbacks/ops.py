"""Operations endpoints of a PortTwin web process: is it up, is its twin fresh, what is it doing.

    GET /healthz   200 "ok" while the process serves (liveness: restart it when this fails)
    GET /readyz    JSON {ready, twin_id, snapshot_age_s, twin_time, …}; 503 when the twin's
                   latest snapshot is older than ``READY_MAX_AGE_S`` (readiness: take the worker
                   out of the load balancer, it would show a stale port)
    GET /metrics   Prometheus text (prometheus-client)

What is measured where:

* **HTTP requests** by route and status, and their seconds — counted in the process that serves
  them (``porttwin_http_requests_total``, ``porttwin_http_request_seconds``). Under gunicorn set
  ``PROMETHEUS_MULTIPROC_DIR`` (an empty folder, shared by the workers): prometheus-client then
  writes each worker's counters to files there and ``/metrics`` on any worker sums them.
* **The twin's own figures** — messages and rejects by source and reason, engine rounds and
  their seconds, snapshot age, ingest lag, open alerts by severity — are read from the twin at
  scrape time by a collector (``TwinCollector``): they are the twin's counts, not a second
  bookkeeping that could drift from the feed panel.

``twin_id`` is made once when the twin starts (``new_twin_id``); every web process that reads
that twin reports the same id, so "do all workers serve the same twin?" is one look at /readyz.
"""
from __future__ import annotations

import os
import time
import uuid

import flask
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram,
                               generate_latest)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

READY_MAX_AGE_S = 5.0
# buckets for a dashboard request: most answer in milliseconds, a report may take seconds
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0)


def new_twin_id() -> str:
    """An id for one run of a twin: its start time and a random part (sortable, unique)."""
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:8]}"


def twin_status(engine, now_wall: float | None = None) -> dict:
    """What /readyz says of the twin: its id, its time and how old its latest snapshot is
    (seconds of wall clock since the engine last completed a round; before the first round
    the twin is not ready)."""
    now_wall = time.time() if now_wall is None else now_wall
    last = getattr(engine, "last_round_wall", None)
    age = None if last is None else max(0.0, now_wall - last)
    snap = engine.snapshot()
    status = {"twin_id": getattr(engine, "twin_id", None),
              "snapshot_age_s": None if age is None else round(age, 3),
              "snapshot_version": int(getattr(snap, "version", 0)),
              "twin_time": float(snap.time) if snap is not None else None,
              "vessels": int(len(snap.vessels)) if snap is not None else 0,
              "engine_errors": int(getattr(engine, "errors", 0)),
              "pid": os.getpid(),        # which process answered (a gunicorn worker, the twin)
              "ready": age is not None and age <= READY_MAX_AGE_S}
    writer = getattr(getattr(engine, "activity", None), "writer", None)
    if writer is not None:     # the twin itself: its history store's lag (not readiness —
        status["history"] = writer.status(now_wall)     # the picture is live without it)
    return status


def add_ops_arguments(parser, default_port: int) -> None:
    """``--ops-host`` / ``--ops-port`` of a service without pages of its own (the twin, a feed
    reader): where its /healthz, /readyz and /metrics are."""
    parser.add_argument("--ops-host", default="127.0.0.1",
                        help="address of /healthz, /readyz, /metrics (default 127.0.0.1)")
    parser.add_argument("--ops-port", type=int, default=default_port,
                        help=f"port of /healthz, /readyz, /metrics (default {default_port}; "
                             "0: none)")


def serve_ops(app: flask.Flask, host: str, port: int):
    """Serve a service's ops app on a daemon thread (werkzeug, threaded); returns the server
    (``shutdown()`` to stop it), or None when ``port`` is 0."""
    if not port:
        return None
    import threading

    from werkzeug.serving import make_server
    server = make_server(host, port, app, threaded=True)
    threading.Thread(target=server.serve_forever, name=f"{app.name}-ops", daemon=True).start()
    return server


def feed_metrics(healths):
    """The feed families of /metrics — messages accepted and rejects by reason (counters),
    seconds since the last message (gauge), by source — from ``FeedHealth.status()`` dicts:
    the twin's feeds and the feed reader's receiver are reported alike."""
    messages = CounterMetricFamily("porttwin_messages", "Messages accepted, by source",
                                   labels=["source"])
    rejects = CounterMetricFamily("porttwin_rejects", "Input rejected, by source and reason",
                                  labels=["source", "reason"])
    lag = GaugeMetricFamily("porttwin_ingest_lag_seconds",
                            "Seconds since the source's last accepted message",
                            labels=["source"])
    for h in healths:
        source = str(h.get("source") or h.get("label") or "?")
        if "messages" not in h:              # an empty slot: no feed of that kind
            continue
        messages.add_metric([source], float(h.get("messages") or 0))
        for reason, n in (h.get("rejects") or {}).items():
            rejects.add_metric([source, str(reason)], float(n))
        if h.get("last_message_age_s") is not None:
            lag.add_metric([source], float(h["last_message_age_s"]))
    yield messages
    yield rejects
    yield lag


def history_metrics(status: dict):
    """The history writer's families (``HistoryWriter.status()``): rows waiting for the
    store, commits and failed ones, positions dropped while it was away, seconds since the
    last commit."""
    waiting = GaugeMetricFamily("porttwin_history_rows_waiting",
                                "Rows handed to the history writer and not yet committed")
    waiting.add_metric([], status["rows_waiting"])
    yield waiting
    for name, key, text in (("porttwin_history_commits", "commits", "History commits"),
                            ("porttwin_history_write_errors", "errors",
                             "History commits that failed (each is tried again)"),
                            ("porttwin_history_positions_dropped", "positions_dropped",
                             "Positions not kept while the history store was away")):
        c = CounterMetricFamily(name, text)
        c.add_metric([], status[key])
        yield c
    age = GaugeMetricFamily("porttwin_history_last_commit_age_seconds",
                            "Seconds since the last history commit")
    age.add_metric([], float("nan") if status["last_commit_age_s"] is None
                   else status["last_commit_age_s"])
    yield age


class TwinCollector:
    """The twin's figures, read when Prometheus scrapes (see the module docstring)."""

    def __init__(self, engine):
        self.engine = engine

    def collect(self):
        engine = self.engine
        yield from feed_metrics(engine.feed_health())

        status = twin_status(engine)
        age = GaugeMetricFamily("porttwin_snapshot_age_seconds",
                                "Seconds since the twin's latest snapshot (last engine round)")
        age.add_metric([], float("nan") if status["snapshot_age_s"] is None
                       else status["snapshot_age_s"])
        yield age
        vessels = GaugeMetricFamily("porttwin_vessels", "Vessels in the twin's snapshot")
        vessels.add_metric([], status["vessels"])
        yield vessels
        errors = CounterMetricFamily("porttwin_engine_errors", "Engine rounds that failed")
        errors.add_metric([], status["engine_errors"])
        yield errors
        rounds = getattr(engine, "round_stats", None)
        if rounds is not None:
            n, total = rounds()
            s = CounterMetricFamily("porttwin_engine_rounds", "Engine rounds completed")
            s.add_metric([], n)
            yield s
            t = CounterMetricFamily("porttwin_engine_round_seconds",
                                    "Seconds spent in engine rounds")
            t.add_metric([], total)
            yield t

        writer = getattr(getattr(engine, "activity", None), "writer", None)
        if writer is not None:                  # the twin itself (a web worker has none)
            yield from history_metrics(writer.status())

        alerts = getattr(getattr(engine, "activity", None), "alerts", None)
        if alerts is not None:
            g = GaugeMetricFamily("porttwin_open_alerts", "Open alerts, by severity",
                                  labels=["severity"])
            counts: dict = {}
            for a in alerts.open_alerts(engine.now()):
                counts[a.severity] = counts.get(a.severity, 0) + 1
            for severity, n in sorted(counts.items()):
                g.add_metric([severity], n)
            yield g


def store_guards(server: flask.Flask) -> list:
    """This worker's guards of the stores its requests call (``twin.store_guard``): the
    accounts', and the history's where the views read it through one."""
    wired = server.config.get("PORTTWIN", {})
    guards = [getattr(wired.get("accounts"), "guard", None),
              getattr(wired.get("store"), "guard", None)]
    return [g for g in guards if g is not None]


class StoresCollector:
    """Whether this worker's stores answer, and the calls refused or timed out meanwhile;
    the audit records waiting for the accounts store."""

    def __init__(self, server: flask.Flask):
        self.server = server

    def collect(self):
        up = GaugeMetricFamily("porttwin_store_up", "Whether this worker's store answers "
                               "(0: calls refused at once until a retry succeeds)",
                               labels=["store"])
        refused = CounterMetricFamily("porttwin_store_calls_refused",
                                      "Store calls refused at once (down, or every slot "
                                      "taken by calls waiting on it)", labels=["store"])
        timeouts = CounterMetricFamily("porttwin_store_call_timeouts",
                                       "Store calls that ran past their time", labels=["store"])
        failures = CounterMetricFamily("porttwin_store_call_failures",
                                       "Store calls that could not reach the database",
                                       labels=["store"])
        for guard in store_guards(self.server):
            st = guard.status()
            up.add_metric([st["store"]], 1.0 if st["up"] else 0.0)
            refused.add_metric([st["store"]], st["refused"])
            timeouts.add_metric([st["store"]], st["timeouts"])
            failures.add_metric([st["store"]], st["failures"])
        yield from (up, refused, timeouts, failures)
        accounts = self.server.config.get("PORTTWIN", {}).get("accounts")
        if accounts is not None:
            waiting = GaugeMetricFamily("porttwin_audit_records_waiting",
                                        "Audit records kept until the accounts store answers")
            waiting.add_metric([], accounts.audit_waiting())
            yield waiting
            dropped = CounterMetricFamily("porttwin_audit_records_dropped",
                                          "Audit records dropped while the store was away "
                                          "(past the backlog; each one logged)")
            dropped.add_metric([], accounts.audit_dropped)
            yield dropped


def _http_registry():
    """The registry of the HTTP counters; multiprocess (files in PROMETHEUS_MULTIPROC_DIR,
    summed over the workers) when that folder is set, as prometheus-client documents."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry, None          # metrics are created on the default registry
    registry = CollectorRegistry()
    return registry, registry


def register(server: flask.Flask, engine) -> None:
    """Add /healthz, /readyz and /metrics to a web process that reads ``engine``."""
    scrape, own = _http_registry()
    kwargs = {"registry": own} if own is not None else {}
    requests = Counter("porttwin_http_requests", "HTTP requests, by route, method and status",
                       ["route", "method", "status"], **kwargs)
    seconds = Histogram("porttwin_http_request_seconds", "HTTP request seconds, by route",
                        ["route"], buckets=HTTP_BUCKETS, **kwargs)
    twin = CollectorRegistry()
    twin.register(TwinCollector(engine))
    twin.register(StoresCollector(server))

    @server.before_request
    def _start_timer():
        flask.g.porttwin_t0 = time.perf_counter()

    @server.after_request
    def _count(response):
        t0 = getattr(flask.g, "porttwin_t0", None)
        # the URL rule, not the path: bounded label values (/api/v1/vessels/<int:mmsi>)
        rule = flask.request.url_rule.rule if flask.request.url_rule is not None else "other"
        requests.labels(rule, flask.request.method, str(response.status_code)).inc()
        if t0 is not None:
            seconds.labels(rule).observe(time.perf_counter() - t0)
        return response

    @server.get("/healthz")
    def healthz():
        return flask.Response("ok\n", mimetype="text/plain")

    @server.get("/readyz")
    def readyz():
        status = twin_status(engine)
        # the stores this worker's requests call: reported, not a reason to be unready (the
        # walls are served while the history and accounts stores are away)
        stores = {g.name: g.status() for g in store_guards(server)}
        if stores:
            status["stores"] = stores
        return flask.jsonify(status), (200 if status["ready"] else 503)

    @server.get("/metrics")
    def metrics():
        body = generate_latest(scrape) + generate_latest(twin)
        return flask.Response(body, mimetype=CONTENT_TYPE_LATEST)
