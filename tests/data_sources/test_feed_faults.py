"""Fault suite of the feeds: poison lines on the live TCP path, a receiver that drops and comes
back, bad documents on every HTTP feed — against real local servers. No exception may end a
reader; every bad input is a counted reject; a dropped link is shown as such at once."""
import http.server
import json
import socket
import threading
import time
from collections import Counter

from data_sources import nmea
from data_sources.ais import AisDecoder
from data_sources.ais_source import AisSource
from data_sources.berth_plan import PlanPoller
from data_sources.hydromet import HttpPoller
from tests.data_sources.test_live_feeds import wait_for

TYPE1 = "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A"
TYPE5 = ("!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C",
         "!AIVDM,2,2,1,A,88888888880,2*25")             # gpsd's sample, 2 sentences


def tag(value: str) -> str:
    body = f"c:{value}"
    return f"\\{body}*{nmea.checksum(body):02X}\\"


def poison_lines() -> list[str]:
    """Each of the lines that, measured on the old main, ended the TCP reader or the decoder."""
    lines = [line for v in ("nan", "inf", "-inf", "1e17", "0", "1e93475727", "9999999999")
             for line in (tag(v) + TYPE5[0], TYPE5[1])]     # the time on the first part
    lines += [TYPE1 + ",rB003669946,1²72415370",          # USCG trailer, non-ASCII digit
              "\\c:1593475200*00\\" + TYPE1,               # tag block fails its checksum
              "\x00\xff" * 40, "!AIVDM," + "A" * 50_000,   # random bytes; a 50 kB line
              "!AIVDM,1,1,,A,\x85\x86,0*00", "\\" * 30]
    return lines


class LineServer:
    """A loopback receiver sending the lines a test gives it, to one client at a time."""

    def __init__(self, port: int = 0):
        self.sock = socket.create_server(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        self.conn = None
        self._accepted = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        try:
            self.conn, _ = self.sock.accept()
            self._accepted.set()
        except OSError:
            pass

    def send(self, lines):
        assert self._accepted.wait(10), "the client did not connect"
        self.conn.sendall(b"".join((line + "\r\n").encode("latin-1") for line in lines))

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.sock.close()


def good(n: int, t0: float) -> list[str]:
    """n good lines of one real report, 10 s apart in time (so none is a duplicate)."""
    return [tag(f"{t0 + 10 * i:.0f}") + TYPE1 for i in range(n)]


def test_poison_lines_on_the_live_tcp_path_are_counted_and_the_reader_goes_on():
    server = LineServer()
    source = AisSource(f"tcp://127.0.0.1:{server.port}")
    source.start()
    try:
        now = time.time()
        server.send(good(3, now - 30))
        assert wait_for(lambda: source.health.messages == 3)
        server.send(poison_lines())
        server.send(good(3, now - 20))
        assert wait_for(lambda: source.health.messages >= 6)
        status = source.health.status()
        assert status["connection"] == "connected" and source.transport.connects == 1
        assert source.transport._supervisor.restarts == 0
        assert "internal_error" not in status["rejects"]
        # every absurd time was replaced by the receive time, and counted
        assert status["notes"]["time_implausible"] >= 5
        assert status["notes"]["bad_tagblock_checksum"] == 1
        assert status["rejects"]["line_too_long"] >= 1
        events = source.poll()
        assert all(abs(e.ts - now) < 120 for e in events)       # no 2286, no 1970
    finally:
        source.stop()
        server.close()


def test_a_line_handler_that_raises_is_a_counted_reject_not_the_end_of_the_reader():
    server = LineServer()
    source = AisSource(f"tcp://127.0.0.1:{server.port}")
    real = source.decoder.feed

    def flaky(line, arrival):            # a bug no check foresaw, on one kind of line
        if "BOOM" in line:
            raise RuntimeError("unforeseen")
        return real(line, arrival)
    source.decoder.feed = flaky
    source.start()
    try:
        server.send(["BOOM"] + good(2, time.time()))
        assert wait_for(lambda: source.health.messages == 2)
        assert source.health.status()["rejects"]["internal_error"] == 1
    finally:
        source.stop()
        server.close()


def test_the_decoder_never_raises_on_any_line():
    rejects = Counter()
    dec = AisDecoder(on_reject=lambda r, d: rejects.update([r]))
    for line in poison_lines():
        dec.feed(line, 1e9)
    assert rejects["internal_error"] == 0 and sum(rejects.values()) >= 3


def test_a_dropped_feed_reads_reconnecting_at_once_and_is_read_again_within_5_s():
    server = LineServer()
    port = server.port
    source = AisSource(f"tcp://127.0.0.1:{port}")
    source.start()
    try:
        server.send(good(2, time.time()))
        assert wait_for(lambda: source.health.messages == 2)
        back_after = []
        for drop in range(3):
            server.close()                                    # the receiver dies
            assert wait_for(lambda: source.health.status()["state"] == "reconnecting", 2)
            assert source.health.status()["connection_error"]
            time.sleep(1.5)                                   # … stays away a while
            server = LineServer(port)                         # … and comes back
            back = time.monotonic()
            before = source.health.messages
            sent = threading.Thread(target=server.send,      # 50 s apart: no duplicate
                                    args=(good(1, time.time() - 200 + 50 * drop),))
            sent.start()
            assert wait_for(lambda: source.health.messages > before, 10)
            back_after.append(time.monotonic() - back)
            sent.join()
            assert source.health.status()["state"] == "live"
        assert max(back_after) < 5.0, back_after
        # three drops, three reconnects (one more when a busy machine times a try out)
        assert source.health.status()["reconnects"] >= 3
    finally:
        source.stop()
        server.close()


class Documents:
    """A local HTTP server answering each GET with the next of ``bodies`` (the last repeats)."""

    def __init__(self, bodies: list[bytes]):
        self.bodies, self.served = list(bodies), 0
        docs = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = docs.bodies[min(docs.served, len(docs.bodies) - 1)]
                docs.served += 1
                self.send_response(200)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_bad_berth_plan_documents_are_counted_and_the_last_good_plan_stays():
    plan = [{"plan_id": "P1", "berth": "0Y8W", "eta": "2020-06-30T01:00Z", "mmsi": 1}]
    bad = [b'{"calls": null}', b'{"calls": 5}', b'{"nothing": []}', b"\xff\xfe\x00garbage",
           json.dumps([{"plan_id": "P2", "berth": "0Y8W", "eta": "2020-06-30T01:00Z",
                        "mmsi": 1e400}]).replace("Infinity", "1e400").encode(),
           b"[" * 100_000]                                  # nested past the parser's depth
    docs = Documents([json.dumps(plan).encode()] + bad + [json.dumps(plan).encode()])
    poller = PlanPoller(docs.url + "/lineup.json", interval_s=0.05)
    poller.start()
    try:
        assert wait_for(lambda: docs.served >= len(bad) + 2, 10)
        events = poller.poll()
        replaced = [e for e in events if type(e).__name__ == "PlanReplaced"]
        # only the two good documents replaced the plan; the bad ones were counted
        assert len(replaced) >= 2
        calls = [e for e in events if hasattr(e, "plan_id")]
        assert {c.plan_id for c in calls} == {"P1"}
        rejects = poller.health.status()["rejects"]
        assert rejects.get("bad_document", 0) >= 4 and rejects.get("bad_json", 0) >= 1
        assert rejects.get("bad_field", 0) >= 1                # the 1e400 MMSI
        assert poller._supervisor.alive and poller._supervisor.restarts == 0
    finally:
        poller.stop()
        docs.close()


def test_bad_coops_documents_are_counted_and_polling_goes_on():
    def coops(lat, t="2020-06-30 00:00"):
        return json.dumps({"metadata": {"id": "8518750", "lat": lat, "lon": "-74.0"},
                           "data": [{"t": t, "v": "0.71"}]}).encode()
    docs = Documents([coops("abc"), coops([1, 2]), b'{"metadata": [], "data": []}',
                      b'{"data": {"t": 1}}', b"not json", coops("40.7", "2020-06-30 00:06")])
    poller = HttpPoller(docs.url + "/coops", interval_s=0.05)
    poller.start()
    try:
        assert wait_for(lambda: docs.served >= 7, 10)
        obs = poller.poll()
        assert [o.station for o in obs][-1] == "8518750" and obs[-1].lat == 40.7
        assert poller.health.status()["rejected"] >= 4
        assert poller._supervisor.alive and poller._supervisor.restarts == 0
    finally:
        poller.stop()
        docs.close()


def test_an_http_feed_whose_server_is_down_reads_reconnecting_and_recovers():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    poller = HttpPoller(f"http://127.0.0.1:{dead}/x", interval_s=0.05)
    poller.start()
    try:
        assert wait_for(lambda: poller.health.status()["state"] == "reconnecting", 5)
        assert poller.health.status()["rejects"]["http_error"] >= 1
    finally:
        poller.stop()


def test_a_truncated_gz_recording_keeps_what_was_read_and_says_where_it_broke(tmp_path):
    import gzip

    from data_sources.ais_source import load_nmea_file
    from tests.conftest import ROOT
    src = ROOT / "data" / "ais" / "NYHarbor_2020_06_30_first_hour.nmea"
    whole = gzip.compress(src.read_bytes())
    cut = tmp_path / "cut.nmea.gz"
    cut.write_bytes(whole[: len(whole) // 2])                 # the download broke off
    rejects = Counter()
    events = load_nmea_file(cut, "t", on_reject=lambda r, d: rejects.update([r]))
    assert len(events) > 1000 and rejects["unreadable_file"] == 1
