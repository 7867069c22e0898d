"""AIS through Redis Streams: one receiver network, many twins (docs/deployment.md, "A coastline").

    python app.py feed-reader --ais tcp://receiver:10110 --redis redis://host:6379/0
                              [--partitions 16] [--stream ais] [--retain-s 3600]
                              [--ops-port 8070]

**The feed reader** (``StreamWriter``) reads NMEA lines from a receiver (TCP, UDP), checks their
framing (``nmea.parse``: checksum, fields — a line that fails is a counted reject and goes no
further), joins the sentences of a multi-sentence message (``ais.Reassembler``) and appends each
message to the Redis Stream ``{stream}:{p}`` as one entry: its original lines (``lines``) and
the time the reader received it (``t``, epoch seconds). ``p`` is the MMSI modulo
``partitions``, so all messages of one vessel are in one partition, in the order they came.
The reader decodes nothing but the MMSI (30 bits of the payload, through pyais's bit vector);
decoding, cleaning and duplicates are each twin's, exactly as for a TCP feed. Entries older
than ``retain_s`` are trimmed (``XADD … MINID ~``), and a partition never holds more than
``max_entries`` (``XTRIM MAXLEN ~``): Redis's memory is bounded whatever the feed does.
Entries are sent in batches (one pipeline per ``flush_s``); while Redis is away they wait in a
bounded buffer (past ``max_buffer`` the oldest go, counted as ``buffer_overflow``).

**The twin** reads them with ``--ais redis://host:6379/0?partitions=16`` (also ``rediss://``,
``unix:///path/redis.sock?partitions=16``; ``stream=`` when it is not ``ais``): a
``StreamReader`` reads every partition through the consumer group named for the twin (``group=``
in the URL, else ``PORTTWIN_TWIN`` or the port package's directory name), so each twin gets
every message once, whatever other twins read, and a twin restarted within ``retain_s`` first
gets what arrived while it was away. What the stream trimmed before the twin read it (away
longer than ``retain_s``, or ``max_entries`` behind) is counted, per partition, as
``stream_trimmed`` rejects (``StreamReader._read_checked``): no message is lost uncounted.
Entries delivered but not yet acknowledged when a twin stopped (read, not handed over) are read
again at its start. Each entry's lines go to the twin's
``AisSource`` with the reader's receive time as their arrival (checked against the time Redis
took the entry, its id) — framing, reassembly, duplicates, time checks and decoding as for any
live feed — and the twin's admission keeps what is inside its region (``outside_region``,
counted). A malformed entry (no ``lines``, too many lines) is a counted reject naming the stream
and entry id, a receive time the entry's id contradicts is noted and replaced by the id's; no
entry stops the reader.
"""
from __future__ import annotations

import argparse
import logging
import math
import os
import signal
import sys
import threading
import time
from collections import deque
from urllib.parse import parse_qs, urlencode, urlparse

from pyais.bit_vector import int_bit_vector

from . import nmea
from .ais import _ARMOUR_OK, MAX_LINE, Reassembler
from .health import FeedHealth
from .transport import _Receiver

log = logging.getLogger(__name__)

SCHEMES = ("redis", "rediss", "unix")
DEFAULT_STREAM = "ais"
DEFAULT_PARTITIONS = 16
MAX_PARTITIONS = 1024
MAX_LINES_PER_ENTRY = 9          # an AIS message is at most 9 sentences (one digit)
MAX_ENTRY_BYTES = MAX_LINES_PER_ENTRY * (MAX_LINE + 1)


def _text(value) -> str:
    """A name or id as redis-py gives it (bytes, or str when decoding) -> str."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _stream_id(entry_id: str) -> tuple[int, int]:
    """``1700000000000-3`` -> (1700000000000, 3), to compare stream ids."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def is_stream_url(url: str | None) -> bool:
    return bool(url) and urlparse(url).scheme in SCHEMES


def stream_names(stream: str, partitions: int) -> list[str]:
    return [f"{stream}:{p}" for p in range(partitions)]


def mmsi_of(payload: str) -> int | None:
    """The MMSI of an AIS payload (bits 8-37; every message type has it there), or None when
    the payload is too short or its first characters are no armour."""
    head = payload[:7]
    if len(head) < 7 or not _ARMOUR_OK.issuperset(head):
        return None
    return int_bit_vector(head.encode("ascii"), 0).get_num(8, 30)


def parse_stream_url(url: str, default_group: str | None = None) -> dict:
    """``redis://host:6379/0?partitions=16&stream=ais&group=nynj`` -> the Redis URL without our
    parameters, the stream name, the number of partitions and the consumer group. Raises
    ``ValueError`` naming what is wrong (the twin's configuration error)."""
    u = urlparse(url)
    if u.scheme not in SCHEMES:
        raise ValueError(f"not a Redis URL: {url!r}")
    query = parse_qs(u.query, keep_blank_values=True)
    ours = {k: query.pop(k)[-1] for k in ("partitions", "stream", "group") if k in query}
    try:
        partitions = int(ours.get("partitions", DEFAULT_PARTITIONS))
    except ValueError:
        raise ValueError(f"partitions={ours['partitions']!r}: a whole number") from None
    if not 1 <= partitions <= MAX_PARTITIONS:
        raise ValueError(f"partitions={partitions}: 1 to {MAX_PARTITIONS}")
    stream = ours.get("stream") or DEFAULT_STREAM
    group = ours.get("group") or default_group
    if not group:
        raise ValueError("name the consumer group (group= in the URL or PORTTWIN_TWIN)")
    rest = urlencode(query, doseq=True)     # what redis-py reads itself (db=, password=)
    base = url.split("?", 1)[0]              # as written: unix:///path keeps its slashes
    redis_url = f"{base}?{rest}" if rest else base
    return {"redis_url": redis_url, "stream": stream, "partitions": partitions, "group": group}


def _redis(url: str):
    """A client that fails at once when Redis is away (no retries of its own: the writer
    keeps the batch and backs off, so a Redis that is down costs one quick error a try)."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2,
                                health_check_interval=30, retry=Retry(NoBackoff(), 0))


# ---- the feed reader's side ----------------------------------------------------------------
class StreamWriter:
    """Checked, grouped AIS messages -> Redis Streams partitioned by MMSI (see the module)."""

    def __init__(self, redis_url: str, partitions: int = DEFAULT_PARTITIONS,
                 stream: str = DEFAULT_STREAM, retain_s: float = 3600.0,
                 max_entries: int = 1_000_000, max_buffer: int = 200_000,
                 health: FeedHealth | None = None, client=None, clock=time.time,
                 retry_s: float = 0.5, max_retry_s: float = 10.0):
        if not 1 <= partitions <= MAX_PARTITIONS:
            raise ValueError(f"partitions: 1 to {MAX_PARTITIONS}")
        self.redis = client or _redis(redis_url)
        self.partitions, self.stream = partitions, stream
        self.names = stream_names(stream, partitions)
        self.retain_s, self.max_entries = retain_s, max_entries
        self.max_buffer = max_buffer
        self.retry_s, self.max_retry_s = retry_s, max_retry_s
        self._backoff = 0.0
        self._retry_at = float("-inf")     # time.monotonic() before which no try is made
        self.health = health or FeedHealth("feed-reader", label=f"{stream} ×{partitions}")
        self.clock = clock
        self.reassembler = Reassembler(on_reject=self.health.record_reject)
        self.written = 0                   # entries Redis has taken
        self.write_errors = 0
        self.by_partition = [0] * partitions
        self._buffer: deque = deque()      # (partition, fields) waiting for Redis
        self._lock = threading.Lock()      # the buffer: lines come on the transport's thread
        self._send_lock = threading.Lock()
        self._failing = False

    def on_line(self, line: str, arrival: float) -> None:
        """One line from the receiver; never raises (a bad line is a counted reject)."""
        if len(line) > MAX_LINE:
            self.health.record_reject("line_too_long", f"{len(line)} characters")
            return
        line = line.strip()
        if not line or line.startswith("#"):
            return
        try:
            sentence = nmea.parse(line)
        except nmea.FramingError as err:
            self.health.record_reject(err.reason, err.detail)
            return
        parts = self.reassembler.add_item(sentence, (line, sentence.payload), arrival)
        if parts is None:
            return                                  # a fragment: the rest is still to come
        first_payload = parts[0][1]                 # the MMSI is in the first fragment
        mmsi = mmsi_of(first_payload)
        if mmsi is None:
            self.health.record_reject("bad_armour", f"no MMSI in {first_payload[:20]!r}")
            return
        p = mmsi % self.partitions
        entry = {"lines": "\n".join(ln for ln, _ in parts), "t": repr(float(arrival))}
        overflow = 0
        with self._lock:
            self._buffer.append((p, entry))
            overflow = len(self._buffer) - self.max_buffer
            for _ in range(max(0, overflow)):
                self._buffer.popleft()
        if overflow > 0:
            self.health.record_reject("buffer_overflow",
                                      f"Redis away: {overflow} oldest messages dropped")
        self.health.record_messages(1)

    def flush(self) -> int:
        """Send what is buffered in one pipeline; returns the entries written. Called every
        ``flush_s`` by the feed reader's main thread, never on the receiver's: a Redis that is
        slow or away never holds up reading. Redis away: the batch stays buffered (bounded)
        for the next try, ``retry_s`` doubling to ``max_retry_s`` later; the failure is logged
        once."""
        with self._send_lock:
            if time.monotonic() < self._retry_at:
                return 0
            with self._lock:
                batch = list(self._buffer)
                self._buffer.clear()
            if not batch:
                return 0
            minid = max(0, int((self.clock() - self.retain_s) * 1000))
            try:
                pipe = self.redis.pipeline(transaction=False)
                touched = set()
                for p, fields in batch:
                    pipe.xadd(self.names[p], fields, minid=minid, approximate=True)
                    touched.add(p)
                for p in touched:
                    pipe.xtrim(self.names[p], maxlen=self.max_entries, approximate=True)
                pipe.execute()
            except Exception as exc:         # redis.ConnectionError, a full Redis …
                self.write_errors += 1
                with self._lock:             # back in front, in order; the bound still holds
                    self._buffer.extendleft(reversed(batch))
                    while len(self._buffer) > self.max_buffer:
                        self._buffer.popleft()
                        self.health.record_reject("buffer_overflow", "Redis away")
                if not self._failing:
                    log.warning("feed reader: Redis write failed (%s); buffering", exc)
                    self._failing = True
                self._backoff = min(max(self._backoff * 2, self.retry_s), self.max_retry_s)
                self._retry_at = time.monotonic() + self._backoff
                return 0
            self._backoff = 0.0
            if self._failing:
                log.info("feed reader: Redis writes recovered")
                self._failing = False
            for p, _ in batch:
                self.by_partition[p] += 1
            self.written += len(batch)
            return len(batch)

    def buffered(self) -> int:
        with self._lock:
            return len(self._buffer)


# ---- the twin's side -------------------------------------------------------------------------
class StreamReader(_Receiver):
    """The transport of a twin fed by partitioned streams: every partition through the twin's
    consumer group, each entry's lines to ``on_line`` with the reader's receive time."""

    batch = 2000                 # entries per read (over all partitions)
    block_ms = 1000
    check_s = 5.0                # a read in this often also counts what was trimmed unread

    def __init__(self, url: str, on_line, group: str | None = None, health=None,
                 on_reject=None, on_note=None, client=None, clock=time.time, on_lines=None):
        spec = parse_stream_url(url, group)
        self.name = f"streams {spec['stream']}:0..{spec['partitions'] - 1} as {spec['group']}"
        super().__init__(on_line, on_reject, health, on_lines)
        self.on_note = on_note or (health.record_note if health is not None
                                   else (lambda reason, detail=None: None))
        self.spec = spec
        self.names = stream_names(spec["stream"], spec["partitions"])
        self.group, self.consumer = spec["group"], spec["group"]
        self.clock = clock
        self._client = client
        self.entries = 0
        self.trimmed = 0             # entries trimmed from a partition before this twin read them
        self.redis = None

    def supervision(self) -> dict:
        return {"backoff_s": 0.5, "max_backoff_s": 5.0}

    def _connect(self):
        if self._client is not None:
            return self._client
        import redis
        return redis.Redis.from_url(self.spec["redis_url"], socket_timeout=5,
                                    socket_connect_timeout=5, health_check_interval=30)

    def _ensure_groups(self, r) -> None:
        """This twin's group on every partition. A new one starts from now (what came before
        is no twin's of this name) with its read counter set (``ENTRIESREAD``: Redis leaves
        it unknown otherwise, and its ``lag`` then cannot count what is trimmed unread)."""
        import redis
        for name in self.names:
            try:
                info = r.xinfo_stream(name)
                at, read = _text(info["last-generated-id"]), int(info["entries-added"])
            except redis.ResponseError:         # no such stream yet
                at, read = "0-0", 0
            try:
                r.xgroup_create(name, self.group, id=at, mkstream=True, entries_read=read)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def _loop(self, stop: threading.Event) -> None:
        """One connection: groups made, this consumer's pending entries read again, then new
        ones until Redis goes away (the supervisor connects again)."""
        try:
            r = self.redis = self._connect()
            self._ensure_groups(r)
        except Exception as exc:
            self._failed(exc)
            self._set_state("reconnecting", self.last_error)
            return                          # the supervisor tries again, backing off
        self._recovered()
        self._set_state("connected")
        try:
            # what was delivered to this consumer and not acknowledged (it stopped between)
            self._drain(r, {n: "0" for n in self.names}, stop)
            check_at = 0.0                  # the first read after connecting is checked
            while not stop.is_set():
                if time.monotonic() >= check_at:
                    check_at = time.monotonic() + self.check_s
                    got = self._read_checked(r)
                    if any(entries for _, entries in got or []):
                        self._handle(r, got)
                        continue
                got = r.xreadgroup(self.group, self.consumer, {n: ">" for n in self.names},
                                   count=self.batch, block=self.block_ms)
                self._handle(r, got)
        except Exception as exc:
            if not stop.is_set():
                self._failed(exc)
                self._set_state("reconnecting", self.last_error)

    def _read_checked(self, r):
        """One read of every partition (not blocking) in one transaction with each partition's
        counters as they were right before it, to count what the stream trimmed (its
        ``retain_s``, ``max_entries``) before this twin read it — the twin was away longer
        than the stream keeps, or fell that far behind.

        Redis's ``lag`` of the group (entries added less entries read) still counts what was
        trimmed. What is really left after the group's last delivered entry is known when the
        read gave fewer entries than asked (it reached the end: that many) or when the
        stream's first entry is past that entry (all of it): ``lag`` less that is the loss,
        counted (``stream_trimmed``, naming the partition and the number). The group's read
        counter is then set to the stream's (``XGROUP SETID … ENTRIESREAD``), so a loss is
        counted once, not again at the next check nor when the twin starts again.

        The first read after connecting is checked so, then one every ``check_s`` (two
        counters a partition cost more than the read when it brings a few entries): with
        the group's counter known (``_ensure_groups``), Redis only adds what each read
        delivers, so a loss stays in ``lag`` until a check counts it."""
        with r.pipeline(transaction=True) as pipe:
            for name in self.names:
                pipe.xinfo_groups(name)
                pipe.xinfo_stream(name)
            pipe.xreadgroup(self.group, self.consumer, {n: ">" for n in self.names},
                            count=self.batch)
            *infos, got = pipe.execute()
        read = {_text(name): entries for name, entries in got or []}
        for k, name in enumerate(self.names):
            groups, stream = infos[2 * k], infos[2 * k + 1]
            mine = next((g for g in groups if _text(g.get("name")) == self.group), None)
            lag = mine.get("lag") if mine else None       # None: Redis cannot tell (XDEL)
            if not lag:
                continue
            entries = read.get(name) or []
            last = _text(mine["last-delivered-id"])
            first = stream.get("first-entry")
            if len(entries) < self.batch:                 # to the end: all that was left
                left = len(entries)
            elif first and _stream_id(_text(first[0])) > _stream_id(last):
                left = int(stream["length"])              # all of it is after the last read
            else:
                continue                                  # told once it has caught up
            lost = lag - left
            if lost <= 0:
                continue
            self.trimmed += lost
            detail = f"{name}: {lost} entries trimmed before group {self.group} read them " \
                     f"(after {last})"
            if self.health is not None:
                self.health.record_reject("stream_trimmed", detail, count=lost)
            else:
                self.on_reject("stream_trimmed", detail)
            log.warning("%s: %s", self.name, detail)
            upto = _text(entries[-1][0]) if entries else last
            r.xgroup_setid(name, self.group, upto,
                           entries_read=int(stream["entries-added"]) - (left - len(entries)))
        return got

    def _drain(self, r, ids: dict, stop) -> None:
        while ids and not stop.is_set():
            got = r.xreadgroup(self.group, self.consumer, ids, count=self.batch)
            ids = {}
            for name, entries in got or []:
                name = name.decode() if isinstance(name, bytes) else name
                if entries:
                    ids[name] = entries[-1][0]
            self._handle(r, got)

    def _handle(self, r, got) -> None:
        for name, entries in got or []:
            name = name.decode() if isinstance(name, bytes) else name
            done = []
            for entry_id, fields in entries:
                done.append(entry_id)
                if not fields:              # None: trimmed away before it was read again
                    self.trimmed += 1
                    self.on_reject("stream_trimmed", f"{name}/{_text(entry_id)}: delivered, "
                                   "then trimmed before this twin read it again")
                    continue
                # an entry no check foresaw is counted and acknowledged like any other:
                # raising here would deliver it again at every reconnect, ahead of the rest
                try:
                    self._entry(name, entry_id, fields)
                except Exception as exc:
                    eid = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                    self.on_reject("internal_error",
                                   f"{name}/{eid}: {type(exc).__name__}: {exc}"[:300])
            if done:
                r.xack(name, self.group, *done)
                self.entries += len(done)

    def _entry(self, name: str, entry_id, fields: dict) -> None:
        eid = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
        place = f"{name}/{eid}"
        lines = fields.get(b"lines", fields.get("lines"))
        if not isinstance(lines, (bytes, str)) or not lines:
            self.on_reject("bad_stream_entry", f"{place}: no lines")
            return
        if len(lines) > MAX_ENTRY_BYTES:
            self.on_reject("bad_stream_entry", f"{place}: {len(lines)} bytes")
            return
        if isinstance(lines, bytes):
            lines = lines.decode("utf-8", errors="replace")
        lines = lines.split("\n")
        if len(lines) > MAX_LINES_PER_ENTRY:
            self.on_reject("bad_stream_entry", f"{place}: {len(lines)} lines")
            return
        arrival = self._arrival(place, eid, fields.get(b"t", fields.get("t")))
        self.deliver(lines, arrival)

    # how long a feed reader may have held a message before Redis took it (its buffer while
    # Redis was away); an entry claiming an earlier receive time than that is not believed
    max_held_s = 86400.0

    def _arrival(self, place: str, entry_id: str, raw) -> float:
        """The feed reader's receive time ``t``, checked against the time Redis gave the entry
        (its id: milliseconds of Redis's clock, not the entry's word): believed when it is at
        most a minute after it and at most ``max_held_s`` before it. Otherwise the entry's
        Redis time is used and the reason noted — so what a twin reads back after hours away
        keeps the hour it came in, and no entry's ``t`` can say it comes from the future."""
        now = self.clock()
        try:
            added = min(int(entry_id.split("-", 1)[0]) / 1000.0, now)
        except ValueError:
            added = now
        try:
            t = float(raw.decode() if isinstance(raw, bytes) else raw)
        except (TypeError, ValueError, UnicodeDecodeError):
            t = math.nan
        if not (math.isfinite(t) and added - self.max_held_s <= t <= added + 60):
            self.on_note("stream_time_implausible", f"{place}: {raw!r}")
            return added
        return t


# ---- python app.py feed-reader -----------------------------------------------------------------
def _ops_app(writer: StreamWriter, reader_health):
    """/healthz, /readyz (200 while Redis takes what comes) and /metrics of the feed reader."""
    import flask
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    from callbacks.ops import feed_metrics

    class Collector:
        def collect(self):
            yield from feed_metrics([reader_health.status()])
            w = CounterMetricFamily("porttwin_stream_entries_written",
                                    "Messages written to the partition streams",
                                    labels=["partition"])
            for p, n in enumerate(writer.by_partition):
                w.add_metric([str(p)], float(n))
            yield w
            b = GaugeMetricFamily("porttwin_stream_buffered",
                                  "Messages waiting for Redis in the feed reader")
            b.add_metric([], writer.buffered())
            yield b
            e = CounterMetricFamily("porttwin_stream_write_errors", "Failed Redis writes")
            e.add_metric([], writer.write_errors)
            yield e

    registry = CollectorRegistry()
    registry.register(Collector())
    app = flask.Flask("porttwin-feed-reader")

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    @app.get("/readyz")
    def readyz():
        ok = not writer._failing
        return {"ok": ok, "buffered": writer.buffered(), "written": writer.written}, \
            (200 if ok else 503)

    @app.get("/metrics")
    def metrics():
        return generate_latest(registry), 200, {"Content-Type": "text/plain; version=0.0.4"}

    return app


def main(argv: list[str] | None = None) -> int:
    from callbacks import ops
    parser = argparse.ArgumentParser(prog="app.py feed-reader", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ais", required=True,
                        help="the receiver: tcp://host:port (client) or udp://[host]:port")
    parser.add_argument("--redis", default=os.environ.get("PORTTWIN_REDIS_URL"),
                        help="Redis URL (default $PORTTWIN_REDIS_URL)")
    parser.add_argument("--partitions", type=int, default=DEFAULT_PARTITIONS,
                        help=f"streams, by MMSI modulo this (default {DEFAULT_PARTITIONS})")
    parser.add_argument("--stream", default=DEFAULT_STREAM,
                        help=f"stream name; partitions are NAME:0 … (default {DEFAULT_STREAM})")
    parser.add_argument("--retain-s", type=float, default=3600.0,
                        help="seconds the streams keep (default 3600)")
    parser.add_argument("--flush-s", type=float, default=0.2,
                        help="longest wait before buffered messages go to Redis (default 0.2)")
    ops.add_ops_arguments(parser, default_port=8070)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if not args.redis:
        print("app.py feed-reader: set PORTTWIN_REDIS_URL (or --redis URL)", file=sys.stderr)
        return 2
    if not 1 <= args.partitions <= MAX_PARTITIONS:
        parser.error(f"--partitions: 1 to {MAX_PARTITIONS}")
    if args.retain_s <= 0 or args.flush_s <= 0:
        parser.error("--retain-s and --flush-s must be more than 0")
    from .live import line_transport

    health = FeedHealth("feed-reader", label=args.ais)
    writer = StreamWriter(args.redis, args.partitions, args.stream, args.retain_s,
                          health=health)
    try:
        transport = line_transport(args.ais, writer.on_line, "receiver", health=health)
    except (ValueError, OSError) as exc:
        print(f"app.py feed-reader: {exc}", file=sys.stderr)
        return 2
    server = ops.serve_ops(_ops_app(writer, health), args.ops_host, args.ops_port)
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    transport.start()
    log.info("feed reader: %s -> %s:0..%d; ops on http://%s:%d/", args.ais, args.stream,
             args.partitions - 1, args.ops_host, args.ops_port)
    last_log = time.monotonic()
    while not stopped.wait(args.flush_s):
        writer.flush()
        if time.monotonic() - last_log >= 60:
            last_log = time.monotonic()
            h = health.status()
            log.info("feed reader: %d messages, %d written, %d buffered, rejects %s",
                     h.get("messages") or 0, writer.written, writer.buffered(),
                     dict(h.get("rejects") or {}))
    transport.stop()
    writer.reassembler.flush()
    writer.flush()
    if server is not None:
        server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
