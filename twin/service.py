"""``python app.py twin``: the twin of one port as a service, for web workers in other processes.

    PORTTWIN_REDIS_URL=redis://localhost:6379/0 \\
    PORTTWIN_HISTORY_URL=postgresql+psycopg://porttwin@/porttwin \\
    python app.py twin [--config FILE] [--replay FILE | --ais URL] [--speed X] [--no-loop]
                       [--ops-host 127.0.0.1] [--ops-port 8060]

It runs what the embedded ``python app.py`` runs in its one process — the feeds, the twin,
port calls, alerts, the history writer — and no pages: after every engine round it publishes
the twin image (``twin.image``) to Redis (``twin.bus``) and it applies the commands web
workers send (acknowledge, silence), each stored before it is answered. Its own HTTP is
operations only: ``/healthz``, ``/readyz`` and ``/metrics`` on ``--ops-host:--ops-port``.

Start order and the whole deployment: docs/deployment.md.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

log = logging.getLogger("porttwin.twin")

MAX_TEXT = 500              # operator names and comments (characters)
MAX_SILENCE_MIN = 24 * 60
MAX_SILENCE_VESSELS = 10


class TwinService:
    """Publishes ``engine``'s image after each round and applies commands from ``bus``.

    Once started, images are made and sent by a publisher thread of their own: the engine's
    round only says a new one is due, so pickling and Redis (megabytes at 50,000 vessels, or
    a Redis that is slow or away) never hold up the feeds. A publisher behind by a round or
    more sends the newest. Not started (tests, tools), each round publishes at once."""

    def __init__(self, engine, bus):
        self.engine, self.bus = engine, bus
        self.seq = 0
        self.published_bytes = 0
        self.publish_errors = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._due = threading.Event()
        self._commands: threading.Thread | None = None
        self._publisher: threading.Thread | None = None
        engine.after_round.append(self._round_done)

    def _round_done(self, _engine) -> None:
        if self._publisher is not None:
            self._due.set()
        else:
            self.publish()

    def _publish_when_due(self) -> None:
        while not self._stop.is_set():
            if self._due.wait(1.0):
                self._due.clear()
                self.publish()

    def publish(self) -> None:
        from .image import make_image
        with self._lock:
            self.seq += 1
            try:
                self.published_bytes = self.bus.publish(make_image(self.engine, self.seq))
            except Exception:                   # Redis away: the twin runs on, says so once
                self.publish_errors += 1
                if self.publish_errors == 1 or self.publish_errors % 600 == 0:
                    log.exception("publishing the twin image failed (%d times)",
                                  self.publish_errors)

    def handle(self, command: dict) -> dict:
        """Apply one command (validated: it comes from the network) and store it."""
        activity = self.engine.activity
        if activity is None or activity.alerts is None:
            return {"ok": False, "error": "this twin has no alerts"}
        op = command.get("op")
        operator = _text(command.get("operator"), "operator")
        comment = _text(command.get("comment") or "", "comment")
        if not operator.strip():
            raise ValueError("an acknowledgement needs the operator's name")
        if op == "acknowledge":
            alert_id = _text(command.get("alert_id"), "alert_id")
            alert = activity.acknowledge(alert_id, operator, comment)
            answer = {"ok": True, "found": alert is not None}
        elif op == "silence":
            mmsis = command.get("mmsis")
            if (not isinstance(mmsis, list) or not 0 < len(mmsis) <= MAX_SILENCE_VESSELS
                    or not all(isinstance(m, int) and 0 < m < 10**9 for m in mmsis)):
                raise ValueError("mmsis: 1 to 10 MMSIs")
            minutes = command.get("minutes")
            if not isinstance(minutes, (int, float)) or not 0 < minutes <= MAX_SILENCE_MIN:
                raise ValueError(f"minutes: more than 0, at most {MAX_SILENCE_MIN}")
            done = activity.silence(mmsis, float(minutes), operator, comment)
            answer = {"ok": True, "silenced": [s.mmsi for s in done]}
        else:
            raise ValueError(f"unknown command {op!r}")
        log.info("%s by %s applied", op, operator)
        self.publish()                     # every screen sees it with the next image, now
        return answer

    def start(self) -> "TwinService":
        self._publisher = threading.Thread(target=self._publish_when_due,
                                           name="porttwin-publisher", daemon=True)
        self._publisher.start()
        self.engine.start()                 # its first round publishes the first image
        self._commands = threading.Thread(
            target=self.bus.serve_commands, args=(self.handle, self._stop),
            name="porttwin-commands", daemon=True)
        self._commands.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.engine.stop()
        for thread in (self._commands, self._publisher):
            if thread is not None:
                thread.join(5)


def _text(value, name: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ValueError(f"{name}: text of at most {MAX_TEXT} characters")
    return value


def main(argv: list[str] | None = None) -> int:
    from callbacks import ops
    parser = argparse.ArgumentParser(prog="app.py twin", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, help="deployment TOML (see porttwin.toml)")
    parser.add_argument("--speed", type=float, help="replay speed factor (default 1)")
    parser.add_argument("--no-loop", dest="loop", action="store_false", default=None,
                        help="stop at the end of the recording instead of looping")
    parser.add_argument("--replay", dest="ais_replay", type=Path,
                        help="AIS recording to replay (default: the port package's [replay])")
    parser.add_argument("--ais", help="NMEA AIS feed: tcp://host:port, udp://:port, a file, or "
                                      "feed readers' streams: redis://host:port/db?partitions=N "
                                      "(python app.py feed-reader)")
    parser.add_argument("--redis", default=os.environ.get("PORTTWIN_REDIS_URL"),
                        help="Redis URL (default $PORTTWIN_REDIS_URL)")
    ops.add_ops_arguments(parser, default_port=8060)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if not args.redis:
        print("app.py twin: set PORTTWIN_REDIS_URL (or --redis URL): the web workers read "
              "the twin from Redis", file=sys.stderr)
        return 2

    import flask

    import app as porttwin
    from twin.config import Config, ConfigError
    from twin.port import Port, PortPackageError

    from .bus import RedisBus, twin_key
    try:
        config = Config.load(args.config, speed=args.speed, loop=args.loop, ais=args.ais,
                             ais_replay=args.ais_replay)
        port = Port.load(config.port_dir)
        config = config.for_port(port)
        source = porttwin.build_ais_source(config)
        store = porttwin.build_store(config, port)
        engine = porttwin.build_engine(config, port, store, source)
        # the forecast the workers show is recorded here, once an hour, for the reports
        porttwin.record_forecasts(engine, porttwin.build_forecast(config, port, store), store)
    except (ConfigError, PortPackageError) as exc:
        print(f"app.py twin: {exc}", file=sys.stderr)
        return 2
    engine.twin_id = ops.new_twin_id()
    bus = RedisBus(args.redis, twin_key(port))
    service = TwinService(engine, bus)

    ops_app = flask.Flask("porttwin-twin")
    ops.register(ops_app, engine)
    server = ops.serve_ops(ops_app, args.ops_host, args.ops_port)
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    service.start()
    log.info("twin %s of %s publishing to Redis as %s; ops on http://%s:%d/", engine.twin_id,
             port.name, bus.prefix, args.ops_host, args.ops_port)
    while not stopped.wait(1.0):
        pass
    log.info("stopping")
    service.stop()
    if server is not None:
        server.shutdown()
    if store is not None:
        store.engine.dispose()          # the store's connections (its writes are committed)
    return 0
