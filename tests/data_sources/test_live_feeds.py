"""Live AIS transports against real local servers: TCP (killed and restarted) and UDP."""
import socket
import time

from data_sources.ais_source import AisSource, load_nmea_file
from data_sources.feed_emulator import FeedServer, timed_lines
from tests.conftest import ROOT
from data_sources import nmea
from twin.engine import Engine

NY_NMEA = ROOT / "data" / "ais" / "NYHarbor_2020_06_30_first_hour.nmea"


def wait_for(condition, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_tcp_source_reconnects_by_itself_after_the_server_dies():
    lines = timed_lines(NY_NMEA)
    server = FeedServer(lines, port=0, speed=600).start()     # 10 min of traffic per second
    port = server.port
    source = AisSource(f"tcp://127.0.0.1:{port}")
    source.transport.backoff_s = 0.1
    source.start()
    try:
        assert wait_for(lambda: source.health.messages > 50)
        assert source.transport.state == "connected" and source.transport.connects == 1
        server.stop()                                             # the receiver dies
        assert wait_for(lambda: source.transport.state == "reconnecting")
        time.sleep(0.5)                                           # … and stays down a while
        before = source.health.messages
        server = FeedServer(lines, port=port, speed=600).start()  # … then comes back
        assert wait_for(lambda: source.health.messages > before + 50)
        assert source.transport.connects >= 2
        events = source.poll()
        assert events and all(-75 < e.lon < -73 for e in events if hasattr(e, "lon"))
    finally:
        source.stop()
        server.stop()


def test_udp_listener_receives_datagrams():
    source = AisSource("udp://127.0.0.1:0")
    source.start()
    try:
        lines = [line for _, line in timed_lines(NY_NMEA)[:20]]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto("\r\n".join(lines[:10]).encode(), ("127.0.0.1", source.transport.port))
            s.sendto("\r\n".join(lines[10:]).encode(), ("127.0.0.1", source.transport.port))
        assert wait_for(lambda: source.health.messages >= 15)
    finally:
        source.stop()


def test_ny_feed_over_tcp_builds_the_twin_with_static_data_merged():
    server = FeedServer(timed_lines(NY_NMEA), port=0, speed=300).start()
    source = AisSource(f"tcp://127.0.0.1:{server.port}")
    engine = Engine([source], tick_s=0.05)
    engine.start()
    try:
        assert wait_for(lambda: len(engine.state.vessels) > 150, timeout=15)
        snap = engine.snapshot()
        # a live feed runs on the receive clock: the emulator stamps its lines with the time
        # it sends them, as a receiver does
        assert abs(snap.time - time.time()) < 5
        v = snap.vessel(367000140)                               # class B: type 24 A + B
        assert v["name"] == "SAMUEL I NEWHOUSE" and v["ship_type"] == 60
        assert v["length"] == 94 and v["callsign"] == "WYR3371"
    finally:
        engine.stop()
        source.stop()
        server.stop()


def test_the_re_encoded_ny_file_replays_like_the_csv():
    events = load_nmea_file(NY_NMEA, "ais-nmea")
    positions = [e for e in events if hasattr(e, "lon")]
    # 8,689 CSV rows, of which two are exact duplicates (GENESIS EAGLE and MARJORIE B
    # MCALLISTER at 00:59:59): re-encoded, they are identical transmissions and merged.
    assert len(positions) == 8687 and len({e.mmsi for e in positions}) == 295


def test_aids_base_stations_and_sar_aircraft_reach_the_twin_and_the_map():
    import base64

    import numpy as np

    from data_sources.ais import AisDecoder
    from data_sources.ais_source import to_events
    from layouts import map_layers, theme
    from twin.state import FleetState

    dec, state = AisDecoder(dedup_window_s=0), FleetState()
    path = ROOT / "data" / "ais" / "conformance" / "gpsd" / "sample.aivdm"
    events = [e for line in open(path) if (r := dec.feed(line, 1e9)) for e in to_events(r, "t")]
    state.apply(events)
    snap = state.snapshot(1e9)
    aton = snap.stations.set_index("mmsi").loc[123456789]        # gpsd's type 21 example
    assert aton["kind"] == "aton" and aton["name"] == "CHINA ROSE MURPHY EXPRESS ALERT"
    assert aton["lat"] == 47.920618 and not aton["virtual"]
    # 4 type-4 reports: one corrupt (rejected), one without a position (lon 181): two stations
    assert (snap.stations["kind"] == "base").sum() == 2
    sar = snap.vessels.set_index("mmsi").loc[111265591]            # gpsd's type 9 example
    assert sar["category"] == "sar" and sar["sog"] == 0
    block = map_layers.stations_layer(snap.stations)["@@binary"]
    assert block["length"] == len(snap.stations)
    buf = base64.b64decode(block["buffer"])
    a = block["attributes"]["getFillColor"]
    fill = np.frombuffer(buf, np.uint8, a["byteLength"], a["offset"]).reshape(-1, 4)
    kinds = snap.stations["kind"].tolist()
    assert (fill[kinds.index("aton"), :3] == theme.ATON).all()
    assert (fill[kinds.index("base"), :3] == theme.BASE_STATION).all()


def test_met_hydro_messages_become_observations_at_their_stations():
    from data_sources.ais import AisDecoder
    from data_sources.ais_source import to_events
    from twin.state import FleetState

    dec, state = AisDecoder(), FleetState()
    path = ROOT / "data" / "ais" / "conformance" / "gpsd" / "ais-nmea-type6-fid55.log"
    state.apply([e for line in open(path) if (r := dec.feed(line, 1e9)) for e in to_events(r, "t")])
    thames = {k: v for k, v in state.met_hydro.items() if 51 < (v.lat or 0) < 52}
    assert thames, "the Thames estuary tide gauges"
    levels = [v.values["waterlevel"] for v in thames.values() if "waterlevel" in v.values]
    assert levels and all(-10 <= lv <= 30 for lv in levels)
    # not-available readings are absent, never numbers like 30.01 or -102.4
    for obs in state.met_hydro.values():
        assert obs.values.get("airtemp") != -102.4 and obs.values.get("pressure") != 1310


def tagged(t: float, tail: str = "08CQ") -> str:
    """A type 1 report (differing in its last characters) with a good tag block at ``t``."""
    line = f"AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g2{tail},0"
    body = f"c:{t:.0f}"
    return f"\\{body}*{nmea.checksum(body):02X}\\!{line}*{nmea.checksum(line):02X}"


def test_a_live_feeds_clock_is_the_receive_clock_whatever_the_messages_say():
    source = AisSource("udp://127.0.0.1:0")           # not started: lines fed by hand
    try:
        now = time.time()
        source.on_line(tagged(now - 60), now)            # a slower receiver, 60 s old: kept
        source.on_line(tagged(9999999999, "08CR"), now)          # a bit flip to 2286
        source.on_line(tagged(now - 86400 * 365, "08CS"), now)   # older than the latency
        source.on_line(tagged(now + 3600, "08CT"), now)          # an hour ahead
        events = source.poll()
        assert [round(e.ts) for e in events] == [round(now - 60)] + [round(now)] * 3
        assert now <= source.data_time() < now + 5       # no message moved the clock
        notes = source.health.status()["notes"]
        assert notes["time_ahead"] == 1 and notes["time_too_old"] == 1
        assert notes["time_implausible"] == 1
    finally:
        source.transport._sock.close()


def test_nmea_file_replay_times_untimed_lines_by_the_file_and_counts_the_rest(tmp_path):
    from collections import Counter
    rejects, notes = Counter(), Counter()

    def line(tail):                 # type 1 reports differing in their last characters
        body = f"AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g2{tail},0"
        return f"!{body}*{nmea.checksum(body):02X}"

    def tag(t):
        return f"\\c:{t}*{nmea.checksum(f'c:{t}'):02X}\\"
    f = tmp_path / "mixed.nmea"
    f.write_text(f"{line('08CQ')}\n"                         # before any time: no_time
                 + "".join(f"{tag(1593475200 + i)}{line(f'0{i}CR')}\n" for i in range(5))
                 + f"{tag(1593475200)}{line('08CR')}\n"
                 f"\\c:1593475260*00\\{line('08CS')}\n"   # its tag block fails its checksum
                 f"{tag(3786000000)}{line('08CT')}\n"         # 2089: outside the recording
                 f"{tag(9999999999)}{line('08CU')}\n")        # 2286: no time at all
    events = load_nmea_file(f, "t", on_reject=lambda r, d: rejects.update([r]),
                            on_warning=lambda r, d: notes.update([r]))
    assert [e.ts for e in events] == sorted([1593475200.0 + i for i in range(5)]
                                            + [1593475200.0] * 3)
    assert rejects == Counter({"no_time": 1, "time_outside_recording": 1})
    assert notes["time_from_previous_line"] == 2 and notes["bad_tagblock_checksum"] == 1
    assert notes["time_implausible"] == 1


def test_emulator_paces_a_file_without_times_steadily(tmp_path):
    from data_sources.feed_emulator import UNTIMED_LINES_PER_S
    f = tmp_path / "plain.nmea"
    f.write_text("!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\n" * 3)
    assert [t for t, _ in timed_lines(f)] == [0.0, 1 / UNTIMED_LINES_PER_S, 2 / UNTIMED_LINES_PER_S]


def _static_line(t: float, **fields) -> str:
    """A type 24 message of MMSI 367000140 (pyais's encoder), stamped with receive time t."""
    from pyais.encode import encode_dict
    from data_sources.feed_emulator import stamp
    [sentence] = encode_dict({"type": 24, "mmsi": 367000140, **fields}, sentence_type="VDM")
    return stamp(sentence, t)


def test_static_data_said_again_unchanged_makes_no_event_but_a_change_or_the_window_does():
    source = AisSource("udp://127.0.0.1:0", static_repeat_s=120)    # not started
    try:
        now = float(int(time.time()))                   # tag blocks carry whole seconds
        said = [(now - 500, {"partno": 0, "shipname": "ALPHA"}),   # new: an event
                (now - 470, {"partno": 0, "shipname": "ALPHA"}),   # the same again: none
                (now - 440, {"partno": 1, "ship_type": 70}),        # the other part: an event
                (now - 410, {"partno": 0, "shipname": "BRAVO"}),   # renamed: an event
                (now - 380, {"partno": 0, "shipname": "ALPHA"}),   # and back: an event
                (now - 350, {"partno": 0, "shipname": "ALPHA"}),   # unchanged: none
                (now - 200, {"partno": 0, "shipname": "ALPHA"})]   # 180 s on: an event again
        source.on_lines([_static_line(t, **f) for t, f in said], now)
        events = source.poll()
        assert [(round(now - e.ts), e.name, e.ship_type) for e in events] == [
            (500, "ALPHA", None), (440, None, 70), (410, "BRAVO", None),
            (380, "ALPHA", None), (200, "ALPHA", None)]
        status = source.health.status()
        assert status["messages"] == 7                   # every message was heard and handled
        assert status["notes"]["static_repeat"] == 2
        engine = Engine([source])
        source.on_line(_static_line(now - 150, partno=0, shipname="ALPHA"), now)   # again
        assert source.poll() == []
        engine.state.apply(events)                       # what the twin was told is all
        assert engine.state.static_only[367000140][1]["name"] == "ALPHA"
    finally:
        source.transport._sock.close()


def test_one_read_of_good_and_bad_lines_hands_over_the_good_and_counts_the_bad(monkeypatch):
    from data_sources import ais_source
    source = AisSource("udp://127.0.0.1:0")              # not started: reads fed by hand
    try:
        now = time.time()
        good = [tagged(now - 5), tagged(now - 4, "08CR"), tagged(now - 3, "08CS")]
        source.on_lines([good[0], "!AIVDM,1,1,,A,garbage*00", "\x00" * 50, good[1]], now)
        assert len(source.poll()) == 2
        status = source.health.status()
        assert status["messages"] == 2 and sum(status["rejects"].values()) == 2
        # a record that makes the source itself raise costs that line only
        real = ais_source.to_events
        calls = []

        def fails_once(record, source_id):
            calls.append(record["ts"])
            if len(calls) == 1:
                raise KeyError("a record no check foresaw")
            return real(record, source_id)
        monkeypatch.setattr(ais_source, "to_events", fails_once)
        source.on_lines([tagged(now - 2, "08CT"), tagged(now - 1, "08CU"), tagged(now, "08CV")],
                        now)
        assert [round(now - e.ts) for e in source.poll()] == [1, 0]
        assert source.health.status()["rejects"]["internal_error"] == 1
    finally:
        source.transport._sock.close()


def test_the_live_decoders_short_records_make_the_events_full_records_make():
    """The live source decodes position reports into the fields ``to_events`` reads only
    (``EVENT_READS``): on two ports' real traffic every event is the one a full record makes,
    n/a codes and bad angles cleaned alike."""
    from bench.ingest import reencoded_lines
    from data_sources.ais import AisDecoder
    from data_sources.ais_source import EVENT_READS, to_events
    puget = ROOT / "data" / "sources" / "pugetsound" / "PugetSound_2020_06_30.traj"
    for lines in ([ln for ln in NY_NMEA.read_text(encoding="latin-1").splitlines()],
                  reencoded_lines(puget)[:20000]):
        full, short = AisDecoder(), AisDecoder(only=EVENT_READS)
        events = {"full": [], "short": []}
        for line in lines:
            for name, decoder in (("full", full), ("short", short)):
                record = decoder.feed(line, 0.0)
                if record is not None:
                    events[name].extend(to_events(record, "ais"))
        assert len(events["full"]) > 4000
        assert events["short"] == events["full"]
        n_a = [e for e in events["full"] if getattr(e, "heading", 0) is None]
        assert n_a                                   # heading 511 (n/a) cleaned in both
