"""``python app.py feed FILE --tcp 10110 [--speed 1] [--no-loop]``: serve any NMEA file over TCP
at its recorded pace, like a receiver or an aggregator would, to every client that connects.

The pace comes from the times in the framing (tag block ``c:``, epoch column, USCG trailer);
lines without a time go out with the previous one. A file with no times at all (plain
``!AIVDM`` lines) is paced at ``UNTIMED_LINES_PER_S``.

Like a receiver, it stamps each line with the time it sends it (a tag block ``c:``, checksum
recomputed; other tag-block fields kept): a live twin believes a message's own time only
near its receive time. ``--keep-times`` sends the recorded times unchanged instead.
"""
from __future__ import annotations

import argparse
import logging
import socketserver
import threading
import time

from . import nmea
from .transport import file_lines

log = logging.getLogger(__name__)
UNTIMED_LINES_PER_S = 20.0


def timed_lines(path) -> list[tuple[float, str]]:
    out, t = [], 0.0
    for line in file_lines(path, encoding="latin-1"):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            rx = nmea.parse(line).rx_time
        except nmea.FramingError:
            rx = None
        t = rx if rx is not None and rx == rx else t
        out.append((t, line))
    if out and out[0][0] == 0.0:
        first = next((t for t, _ in out if t), None)
        if first is None:                       # no times anywhere: a steady pace
            return [(i / UNTIMED_LINES_PER_S, line) for i, (_, line) in enumerate(out)]
        out = [(t or first, line) for t, line in out]
    return out


def stamp(line: str, t: float) -> str:
    """``line`` with its tag block's ``c:`` set to ``t`` (a tag block added when it has
    none) and the tag block's checksum made right."""
    fields: list[str] = []
    rest = line
    if line.startswith("\\"):
        end = line.find("\\", 1)
        if end > 0:
            body = line[1:end].rsplit("*", 1)[0]
            fields = [f for f in body.split(",") if f and not f.startswith("c:")]
            rest = line[end + 1:]
    body = ",".join(fields + [f"c:{int(t)}"])
    return f"\\{body}*{nmea.checksum(body):02X}\\{rest}"


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True      # a restarted emulator takes its port straight back
    daemon_threads = True


class FeedServer:
    """A threaded TCP server streaming ``lines`` to each client from the start."""

    def __init__(self, lines: list[tuple[float, str]], port: int = 10110,
                 host: str = "127.0.0.1", speed: float = 1.0, loop: bool = True,
                 retime: bool = True):
        if not lines:
            raise ValueError("nothing to serve: the file has no NMEA lines")
        self.lines, self.speed, self.loop, self.retime = lines, speed, loop, retime
        self._stop = threading.Event()
        feed = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                feed._stream(self.request)

        self.server = _Server((host, port), Handler)
        self.port = self.server.server_address[1]
        self._thread: threading.Thread | None = None

    def _stream(self, sock) -> None:
        t0 = self.lines[0][0]
        while not self._stop.is_set():
            start = time.monotonic()
            for t, line in self.lines:
                due = start + (t - t0) / self.speed
                delay = due - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    return
                if self.retime:
                    line = stamp(line, time.time())
                try:
                    sock.sendall((line + "\r\n").encode("latin-1"))
                except OSError:
                    return                       # the client went away
            if not self.loop:
                return

    def start(self) -> "FeedServer":
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                        name=f"feed:{self.port}")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop every client (as a receiver that dies would)."""
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="app.py feed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file")
    parser.add_argument("--tcp", type=int, default=10110, metavar="PORT")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--no-loop", dest="loop", action="store_false")
    parser.add_argument("--keep-times", dest="retime", action="store_false",
                        help="send the recorded times, not the time of sending")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server = FeedServer(timed_lines(args.file), args.tcp, args.host, args.speed, args.loop,
                        args.retime)
    log.info("serving %s on tcp://%s:%d at x%g", args.file, args.host, server.port, args.speed)
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
