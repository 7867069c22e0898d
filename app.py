"""PortTwin: a digital twin of a port on one 3D map.

    python app.py                      serve the dashboard on the bundled NY/NJ scenario
    python app.py --speed 10           ... replaying ten times faster
    python app.py --replay FILE        ... replaying another recording (CSV, .traj or NMEA)
    python app.py bench map            layer-update benchmark (binary vs pydeck JSON)
    python app.py --ais tcp://127.0.0.1:10110   ... on a live NMEA feed (or udp://:10110, FILE.nmea)
    python app.py decode FILE...       decode NMEA AIS to JSON lines (rejects on stderr)
    python app.py feed FILE --tcp 10110   serve an NMEA file over TCP at its recorded pace
    python app.py port check DIR       validate a port package; `port init …` makes one
    python app.py portcalls --positions FILE --out calls.csv   port calls over a position file
    python app.py history load FILE    load a position file into the history store
    python app.py alerts --positions FILE --out alerts.jsonl   the alert rules over a file
    python app.py users add NAME --role ROLE --password-stdin   accounts (also companies,
                                       tokens, audit: twin/accounts_cli.py)
    python app.py twin                 the twin as a service (feeds, port calls, alerts,
                                       history) publishing to Redis for web workers:
    gunicorn --workers 4 "app:wsgi()"  stateless web workers of that twin (docs/deployment.md)
    python app.py feed-reader --ais tcp://HOST:PORT --redis URL --partitions 16
                                       one receiver network into Redis Streams by MMSI, for
                                       many twins (each: --ais redis://…?partitions=16)

``create_app(config)`` builds the Dash app and starts the twin's engine in a background thread
(embedded); with ``redis_url`` (``PORTTWIN_REDIS_URL``) it reads a twin service instead.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import threading
from pathlib import Path

import flask
from dash import Dash, Input, Output, State, dcc, html
from flask_caching import Cache
from flask_compress import Compress
from werkzeug.serving import WSGIRequestHandler

from callbacks import access, api, ops
from callbacks import playback as playback_callbacks
from callbacks import reports as reports_callbacks
from callbacks import vessels as vessels_callbacks
from callbacks import wall as wall_callbacks
from data_sources.ais_source import AisSource, static_repeat_window
from data_sources.health import FeedHealth
from data_sources.positions import load_recording
from data_sources.replay import NoSource, ReplaySource
from data_sources.sniff import NotTextError
from data_sources.streams import is_stream_url
from layouts import audit, ids, map_layers, playback, reports, vessels, wall
from layouts.i18n import normalise_language
from twin.config import ROOT, Config, ConfigError, default_store_url, is_set
from twin.accounts import Accounts
from twin.activity import PortActivity
from twin.admission import Admission
from twin.alerts import AlertEngine
from twin.engine import Engine
from twin.forecast_live import ForecastRecorder, LiveForecast
from twin.feeds import Feeds, build_feeds
from twin.history import HistoryStore, recent_reports
from twin.history_cli import (history_source, load_history, load_history_alerts,
                              open_store)
from twin.port import Port, PortPackageError
from twin.query import TwinQuery
from twin.state import FleetState
from twin.store_guard import GuardedStore, StoreGuard

log = logging.getLogger("porttwin")
LANG_COOKIE = "porttwin_lang"


def build_ais_source(config: Config, port: Port | None = None):
    """The AIS feed: a live NMEA URL (tcp://, udp://), an NMEA file replayed at its recorded
    pace, or a recording replayed (``ais_replay``: MarineCadastre CSV, tracktable .traj or
    NMEA; by default the port package's ``[replay]`` file). With neither, a ``NoSource``: the
    wall shows the AIS slot empty rather than another port's recording. Rejects count in the
    feed's health. A replay file that is missing, binary (sniffed: "this looks like a pcap
    capture of ASTERIX CAT048 …") or holds no position is a ``ConfigError`` naming it."""
    if port is not None:
        config = config.for_port(port)
    url = config.ais
    if url.startswith(("tcp://", "udp://")) or is_stream_url(url):
        # a stream URL is read as this twin's consumer group (PORTTWIN_TWIN, else the port
        # package's directory name; group= in the URL overrides it)
        group = os.environ.get("PORTTWIN_TWIN") or Path(config.port_dir).name
        try:
            return AisSource(url, source_id="ais-nmea", label=_safe_label(url),
                             stale_after_s=config.stale_after_s,
                             max_latency_s=config.ais_max_latency_s,
                             max_ahead_s=config.ais_max_ahead_s, group=group,
                             static_repeat_s=static_repeat_window(config.expire_minutes * 60))
        except ValueError as exc:                   # partitions=abc, a scheme it cannot read
            raise ConfigError(f"--ais {_safe_label(url)}: {exc}") from None
    if url:
        return _replay(config, Path(url), "ais-nmea", f"NMEA replay: {Path(url).name}", "ais")
    replay = (config.ais_replay if is_set(config.ais_replay) else
              config.ais_csv if is_set(config.ais_csv) else None)
    if replay is None:
        log.info("no AIS feed: the deployment names none and the port package no recording")
        return NoSource("ais", config.ais_label_key or "ais_none")
    return _replay(config, Path(replay), config.ais_source_id or "ais-replay",
                   config.ais_label_key or f"Replay: {Path(replay).name}", "ais_replay")


def _safe_label(url: str) -> str:
    """A feed URL as the screens may show it: a password in it (redis://:secret@host) is not."""
    from urllib.parse import urlparse
    u = urlparse(url)
    if u.password:
        netloc = u.netloc.rsplit("@", 1)[-1]
        user = f"{u.username}:" if u.username else ":"
        return u._replace(netloc=f"{user}***@{netloc}").geturl()
    return url


def _replay(config: Config, path: Path, source_id: str, label: str, setting: str):
    """A recording replayed on the wall; ConfigError (one line naming the file and why) when
    it cannot be."""
    health = FeedHealth(source_id, label=label, stale_after_s=config.stale_after_s)
    try:
        events = load_recording(path, source_id, on_reject=health.record_reject,
                                on_warning=health.record_note)
    except NotTextError as exc:
        raise ConfigError(f"{setting}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{setting}: {path}: cannot be read ({exc.strerror or exc})") from None
    if not events:
        reasons = ", ".join(f"{k} {v}" for k, v in health.rejects.most_common(3))
        raise ConfigError(f"{setting}: {path}: no position could be read"
                          + (f" (rejected: {reasons}; last: {health.last_error})"
                             if reasons else " (empty)"))
    return ReplaySource(events, source_id=source_id, label=label, speed=config.speed,
                        loop=config.loop, warmup_s=config.warmup_s, health=health)


def build_store(config: Config, port: Port | None = None) -> HistoryStore | None:
    """The port's history store (``var/<locode>.sqlite`` unless ``history_url`` says
    otherwise), with the port package's history file (``[history]``; the bundled NY week for
    NY) loaded on first start. A history file that cannot be loaded is logged and skipped:
    the live twin runs without it."""
    port = port if port is not None else Port.load(config.port_dir)
    config = config.for_port(port)
    if config.history_url.lower() == "none":
        return None
    store = open_store(config.history_url, config.history_retention_days)
    history = Path(config.history_file) if is_set(config.history_file) else None
    if history is not None and not history.is_file():
        log.warning("history file %s (port package or history_file) is absent: not loaded",
                    history)
        history = None
    if config.history_autoload and history is not None \
            and history_source(history) not in store.sources():
        log.info("first start: loading %s into the history store", history.name)
        try:
            result = load_history(store, history, port)
        except (NotTextError, OSError, ValueError) as exc:
            log.error("history file not loaded: %s", exc)
            return store
        log.info("loaded %d port calls in %.1f s", result["calls"], result["seconds"])
    if config.history_alerts and history is not None:
        source = history_source(history)
        if source in store.sources() and store.get_meta(source, "alerts_loaded") is None:
            threading.Thread(target=_history_alerts, args=(store, history, port), daemon=True,
                             name="history-alerts").start()
    return store


def _history_alerts(store: HistoryStore, history: Path, port: Port) -> None:
    """The alert rules over the loaded history (reports, playback), in the background: the
    dashboard serves meanwhile."""
    try:
        got = load_history_alerts(store, history, port)
        log.info("history alerts: %d in %.1f s", got["alerts"], got["seconds"])
    except Exception:                      # the live twin goes on without them
        log.exception("history alerts failed")


def build_forecast(config: Config, port: Port, store: HistoryStore | None,
                   learn: bool = True) -> LiveForecast:
    """The live forecast: the saved model (``forecast_model``, else var/<LOCODE>-forecast.
    joblib), else one learnt from the loaded history in the background (``forecast_learn``;
    not in a stateless web worker: the twin service's machine trains it)."""
    path = Path(config.forecast_model) if is_set(config.forecast_model) else \
        ROOT / "var" / f"{port.locode}-forecast.joblib"
    source = history_source(config.history_file) if is_set(config.history_file) else None
    return LiveForecast.start(port, path, store, source,
                              learn=learn and config.forecast_learn)


def record_forecasts(engine, forecast: LiveForecast, store: HistoryStore | None) -> None:
    """Once an hour of twin time the forecast goes to the store (the reports' forecast
    against what happened) — where the twin runs: the embedded app, ``app.py twin``."""
    if store is not None and getattr(engine, "activity", None) is not None:
        engine.after_round.append(ForecastRecorder(forecast, store, engine.activity.source))


def build_engine(config: Config, port: Port | None = None,
                 store: HistoryStore | None = None, source=None) -> Engine:
    """The twin's engine on the configured AIS feed (``source``, else built here), with port
    calls when a port is given; with a store they are written as they happen and resumed
    after a restart."""
    if port is not None:
        config = config.for_port(port)
    source = source if source is not None else build_ais_source(config)
    state = FleetState(trail_s=config.trail_minutes * 60, expire_s=config.expire_minutes * 60)
    activity = None
    feeds = build_feeds(config, port, source, store) if port is not None else Feeds()
    if port is not None:
        live = f"live:{source.source_id}"
        alerts = AlertEngine(port, source=live)
        alerts.ctx.fusion, alerts.ctx.hydromet, alerts.ctx.plan = \
            feeds.fusion, feeds.hydromet, feeds.plan
        activity = PortActivity(port.geometry, store=store, source=live, alerts=alerts,
                                prune_max_share=config.history_prune_max_share,
                                backlog_positions=config.history_backlog_positions)
        restored = activity.restore()
        if restored and activity.watermark:
            # the live picture as it was: positions (and trails) of the last minutes
            state.apply(recent_reports(store, activity.source,
                                       activity.watermark - config.expire_minutes * 60))
            for s in [source] + feeds.sources:
                if hasattr(s, "resume"):
                    # a replay continues where it was, from where every state catches up
                    s.resume(activity.watermark, activity.resume_from)
            log.info("resumed %d vessels' port-call state at %s", restored,
                     activity.watermark)
    sources = [source] + feeds.sources
    admission = Admission(
        port.bounds if port is not None else None, margin_m=config.region_margin_km * 1000,
        max_ahead_s=config.ais_max_ahead_s,
        max_speed_kn=activity.alerts.plausibility.max_speed_kn if activity else 50.0,
        confirm_sources=[s.source_id for s in sources if getattr(s, "live", False)],
        health={s.source_id: s.health for s in sources if hasattr(s, "health")},
        project=port.geometry.to_metres if port is not None else None)
    admission.know(state.vessels)                     # restored: already confirmed
    engine = Engine(sources, state, activity=activity, models=feeds.models,
                    admission=admission)
    engine.feeds = feeds
    return engine


def accounts_url(config: Config, port: Port) -> str:
    """Where the accounts and the audit trail are kept: ``accounts_url``, else the history
    store, else (no store) the port's SQLite file."""
    if config.accounts_url:
        return config.accounts_url
    if config.history_url and config.history_url.lower() != "none":
        return config.history_url
    return default_store_url(port.path, port.locode)


def admin_password_file(config: Config, url: str) -> Path:
    """Where the first start writes the admin's password: ``admin_password_file``, else next
    to the SQLite store, else var/."""
    if is_set(config.admin_password_file):
        return Path(config.admin_password_file)
    if url.startswith("sqlite:///"):
        db = Path(url[len("sqlite:///"):])
        return db.with_name(db.stem + "-admin-password.txt")
    return ROOT / "var" / "admin-password.txt"


def open_accounts(config: Config, port: Port, store: HistoryStore | None = None) -> Accounts:
    """The deployment's accounts (on the history store's database when they share it). On
    the very first start an ``admin`` with a random password is made, printed once and
    written to a 0600 file."""
    url = accounts_url(config, port)
    engine = store.engine if store is not None and store.url == url else url
    accounts = Accounts(engine, max_failures=config.login_max_failures,
                        lockout_s=config.login_lockout_minutes * 60)
    path = admin_password_file(config, url)
    password = accounts.ensure_admin(path)
    if password is not None:
        msg = (f"first start: user 'admin' made with password {password} (also in {path}, "
               f"mode 0600) — log in at /login and add the real users "
               f"(python app.py users add …)")
        print(msg, file=sys.stderr, flush=True)
    return accounts


def connect_twin(config: Config, port: Port):
    """A web worker's view of a twin service (``python app.py twin``) through Redis: the
    engine's reading interface over the twin's latest image, the history store read where the
    twin writes it, and the bus. Waits up to 60 s for the twin's first image (start order:
    docs/deployment.md)."""
    from twin.bus import RedisBus, twin_key
    from twin.image import ImageEngine
    bus = RedisBus(config.redis_url, twin_key(port))
    bus.latest(wait_s=60.0)
    engine = ImageEngine(bus.latest, bus)
    store = None
    if config.history_url.lower() != "none":
        store = open_store(config.history_url, config.history_retention_days)
    return engine, store, bus


def wsgi() -> flask.Flask:
    """The WSGI app of a web worker: ``gunicorn --workers N "app:wsgi()"``. Configured as
    ``python app.py`` is (``PORTTWIN_CONFIG`` names the TOML, ``PORTTWIN_*`` variables); with
    ``PORTTWIN_REDIS_URL`` the worker is stateless and serves the twin service's twin, else
    each worker runs a twin of its own (embedded; one worker only makes sense then)."""
    path = os.environ.get("PORTTWIN_CONFIG")
    config = Config.load(Path(path) if path else None)
    if not config.redis_url:
        log.warning("PORTTWIN_REDIS_URL is not set: this worker runs its own twin; with "
                    "several workers each shows a different one (docs/deployment.md)")
    return create_app(config).server


def create_app(config: Config | None = None) -> Dash:
    """The dashboard of one port: everything it shows (replay, history, statistics, store) is
    the port package's unless the configuration names it (``Config.for_port``)."""
    config = config or Config.load()
    port = Port.load(config.port_dir)
    config = config.for_port(port)
    if config.redis_url:
        engine, store, bus = connect_twin(config, port)
    else:
        source = build_ais_source(config)  # a wrong AIS file fails here, before any loading
        store = build_store(config, port)
        engine = build_engine(config, port, store, source)
        engine.twin_id = ops.new_twin_id()
        bus = None

    app = Dash(
        __name__,
        title="PortTwin",
        assets_folder=str(ROOT / "assets"),
        update_title=None,
        serve_locally=True,            # every script from this server: no CDN
        # the pages are routed, so not every callback's ids are in the first layout; Dash
        # would otherwise ship every page's layout (~0.9 MB) inside each page load to check
        # ids in the browser — tests/test_app.py checks them once instead
        suppress_callback_exceptions=True,
    )
    # every response compressed: Brotli where the browser takes it, else gzip (map layers,
    # panels and the page shell are JSON and HTML that shrink 5-10x)
    app.server.config.update(COMPRESS_ALGORITHM=["br", "gzip"], COMPRESS_LEVEL=6,
                             COMPRESS_BR_LEVEL=1, COMPRESS_MIN_SIZE=500)
    Compress(app.server)
    # The views' cache: the port layers per second (60 s), the tide per minute, the history
    # summary (300 s) — the vessel layers are kept apart, per snapshot, by
    # callbacks.wall.SharedLayers (and, with Redis, here too for the other workers, 30 s).
    # Embedded: bounded (threshold 300; expired entries go on every write, callbacks/cache.py;
    # a threshold of 2000 grew 82 MB in a 10-minute soak). Entries without a timeout: 60 s.
    if bus is not None:      # shared by every worker: layers, tide, port layers built once
        cache = Cache(app.server, config={"CACHE_TYPE": "RedisCache",
                                          "CACHE_REDIS_URL": config.redis_url,
                                          "CACHE_KEY_PREFIX": bus.key("cache:"),
                                          "CACHE_DEFAULT_TIMEOUT": 60})
    else:
        cache = Cache(app.server, config={"CACHE_TYPE": "callbacks.cache.ExpiringSimpleCache",
                                          "CACHE_THRESHOLD": 300,
                                          "CACHE_DEFAULT_TIMEOUT": 60})
    # the views read history through a guard when it is a server that may hang: a request
    # waits at most history_read_timeout_s, at most 2 wait at once per worker, and while it
    # does not answer the views get 503 at once (twin/store_guard.py) — the walls never wait
    # on it. The engine (embedded) writes through the store itself (twin/history_writer.py).
    views_store = store
    if store is not None and store.engine.dialect.name != "sqlite":
        views_store = GuardedStore(store, StoreGuard(
            "history", slots=2, timeout_s=config.history_read_timeout_s, retry_s=10.0))
    query = TwinQuery(engine, port, views_store)   # every view's data goes through it
    query.forecast_model = build_forecast(config, port, store, learn=bus is None)
    if bus is None:                  # embedded: this process runs the twin, it records them
        record_forecasts(engine, query.forecast_model, store)
    app.server.config["PORTTWIN"] = {"engine": engine, "port": port, "config": config,
                                      "store": views_store, "query": query,
                                      "shared_cache": bus is not None}
    api.register(app.server, query)
    ops.register(app.server, engine)            # /healthz, /readyz, /metrics
    # login, roles, company scopes, CSRF, audit: the gate of every request
    accounts = open_accounts(config, port, store)
    app.server.config["PORTTWIN"]["accounts"] = accounts
    app.server.config["PORTTWIN"]["access"] = access.Access(app, accounts, config, query, port)

    def page(path: str, lang: str):
        """The page for a path (unknown paths show the wall); a page the signed-in user's
        role may not see is replaced by that user's own (a company: its vessels)."""
        ident = access.current_identity()
        if ident is not None and not ident.may(access.PAGE_PERMISSION.get(path, "wall")):
            path = ident.home
        if path == "/audit":
            return audit.layout(port, lang, app.server.config["PORTTWIN"].get("accounts"))
        if path == "/vessels":
            return vessels.layout(port, config, lang)
        if path == "/reports":
            return reports.layout(port, config, lang, query)
        if path == "/playback":
            return playback.layout(port, config, lang, query)
        token, layers = wall_callbacks.live_layers(engine.snapshot(), cache, "type",
                                                   bus is not None)
        return wall.layout(port, config, lang, initial_layers=layers.data, layer_token=token)

    def request_language() -> str:
        """A ?lang= link, else the cookie, else the deployment's, else the port's."""
        lang = normalise_language(config.language, port.language)
        if flask.has_request_context():
            lang = normalise_language(
                flask.request.args.get("lang") or flask.request.cookies.get(LANG_COOKIE), lang)
        return lang

    def serve_layout():
        """The shell: the language and the routed page."""
        return html.Div([dcc.Location(id=ids.URL), dcc.Store(id=ids.LANG, data=request_language()),
                         html.Div(id=ids.PAGE, className="page-root")])

    app.layout = serve_layout
    dash_index = app.interpolate_index

    def interpolate_index(**parts):
        """The page's <html lang>: screen readers and the browser's choice of CJK glyph
        forms read it (it was empty)."""
        lang = "zh-CN" if request_language() == "zh" else "en"
        return dash_index(**parts).replace("<html>", f'<html lang="{lang}">', 1)
    app.interpolate_index = interpolate_index
    # every page's components, for the check that each callback's ids exist (tests/test_app.py)
    app.server.config["PORTTWIN"]["pages"] = lambda: html.Div(
        [serve_layout()] + [page(p, "en") for p in PAGES])

    @app.callback(Output(ids.PAGE, "children"), Input(ids.URL, "pathname"),
                  State(ids.LANG, "data"))
    def route(path, lang):
        return page(path or "/", lang)

    @app.server.get(f"{map_layers.MAP_DATA_PATH}/<digest>/<layer_id>.json")
    def map_data(digest, layer_id):
        """A static map layer's data (``map_layers.static_layers_by_url``): compressed once,
        cached by the browser for good (its URL names its content), 304 when it has it."""
        data = map_layers.map_data(port, digest, layer_id)
        if data is None:
            return flask.jsonify(error="no such map data"), 404
        headers = {"ETag": f'"{digest}"', "Vary": "Accept-Encoding",
                   "Cache-Control": "private, max-age=31536000, immutable"}
        if flask.request.if_none_match.contains(digest):
            return flask.Response(status=304, headers=headers)
        accepted = flask.request.accept_encodings
        body = data.body
        if accepted["br"]:
            body, headers["Content-Encoding"] = data.br, "br"
        elif accepted["gzip"]:
            body, headers["Content-Encoding"] = data.gzip, "gzip"
        return flask.Response(body, mimetype="application/json", headers=headers)

    @app.server.after_request
    def remember_language(response):
        lang = flask.request.args.get("lang")
        if lang in ("en", "zh"):
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax")
        return response

    wall_callbacks.register(app, engine, port, cache, query,
                            history_source(config.history_file)
                            if is_set(config.history_file) else None)
    vessels_callbacks.register(app, query, port)
    reports_callbacks.register(app, query, port)
    playback_callbacks.register(app, query, port)
    if config.start_engine:
        engine.start()
    return app


PAGES = ("/", "/vessels", "/reports", "/playback", "/audit")


class QuietHandler(WSGIRequestHandler):
    """The embedded server's request handler, naming no server or Python version: the
    standard library's handler adds ``Server: Werkzeug/… Python/…`` beside the app's own
    ``Server: PortTwin`` (callbacks/access.py); this one leaves it to the app."""

    def send_response(self, code, message=None):
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def version_string(self) -> str:
        return "PortTwin"

SUBCOMMANDS = {
    "bench": "bench:run_bench",
    "decode": "data_sources.decode_cli:main",
    "feed": "data_sources.feed_emulator:main",
    "port": "twin.port_cli:main",
    "portcalls": "twin.history_cli:portcalls_main",
    "history": "twin.history_cli:history_main",
    "alerts": "twin.alerts.cli:main",
    "tide": "twin.tide:main",
    "berthplan": "twin.berth_plan_sample:main",
    "vts": "data_sources.vts:main",
    "twin": "twin.service:main",
    "feed-reader": "data_sources.streams:main",
    "users": "twin.accounts_cli:users_main",
    "companies": "twin.accounts_cli:companies_main",
    "tokens": "twin.accounts_cli:tokens_main",
    "audit": "twin.accounts_cli:audit_main",
    "forecast": "twin.forecast_cli:main",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SUBCOMMANDS:         # headless tools, imported only when used
        module, function = SUBCOMMANDS[argv[0]].split(":")
        return getattr(importlib.import_module(module), function)(argv[1:])

    parser = argparse.ArgumentParser(prog="app.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, help="deployment TOML (see porttwin.toml)")
    parser.add_argument("--host", help="address to serve on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to serve on (default 8050)")
    parser.add_argument("--speed", type=float, help="replay speed factor (default 1)")
    parser.add_argument("--no-loop", dest="loop", action="store_false", default=None,
                        help="stop at the end of the recording instead of looping")
    parser.add_argument("--replay", dest="ais_replay", type=Path,
                        help="AIS recording to replay: MarineCadastre CSV, tracktable .traj or "
                             "NMEA, plain or .gz (default: the port package's [replay])")
    parser.add_argument("--ais-csv", type=Path, help="the older name of --replay")
    parser.add_argument("--ais", help="NMEA AIS feed: tcp://host:port, udp://:port, a file, or "
                                      "feed readers' streams: redis://host:port/db?partitions=N")
    parser.add_argument("--lang", dest="language", choices=["en", "zh"],
                        help="default language (else the port's)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        config = Config.load(args.config, host=args.host, port=args.port, speed=args.speed,
                             loop=args.loop, ais_csv=args.ais_csv, ais=args.ais,
                             ais_replay=args.ais_replay, language=args.language)
        app = create_app(config)
    except (ConfigError, PortPackageError) as exc:   # one line naming the file and key
        print(f"app.py: {exc}", file=sys.stderr)
        return 2
    log.info("PortTwin serving http://%s:%d/", config.host, config.port)
    try:
        app.run(host=config.host, port=config.port, debug=False,
                dev_tools_disable_version_check=True, request_handler=QuietHandler)
    finally:        # after Ctrl-C: every port-call state written (Engine.stop)
        app.server.config["PORTTWIN"]["engine"].stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
