"""One receiver network, many twins: the feed reader writes AIS into Redis Streams partitioned
by MMSI, and each twin reads every partition through its own consumer group (a real Redis)."""
from __future__ import annotations

import re
import time
from collections import defaultdict
from pathlib import Path

import pytest

from data_sources import nmea
from data_sources.ais import AisDecoder
from data_sources.streams import (StreamReader, StreamWriter, mmsi_of, parse_stream_url,
                                  stream_names)
from tests import servers

ROOT = Path(__file__).resolve().parents[2]
NY_NMEA = ROOT / "data/ais/NYHarbor_2020_06_30_first_hour.nmea"
PS_TRAJ = ROOT / "data/sources/pugetsound/PugetSound_2020_06_30.traj"
PARTITIONS = 4


@pytest.fixture(scope="module")
def redis_url():
    with servers.redis() as url:
        yield url


@pytest.fixture
def fresh(redis_url):
    import redis
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    yield client
    client.close()


def _lines(path: Path) -> list[str]:
    from bench.ingest import read_lines
    return read_lines(path)


def _single(lines) -> list[str]:
    """The one-sentence messages among ``lines`` whose framing is good (a feed reader takes
    every one of them)."""
    out = []
    for ln in lines:
        try:
            if nmea.parse(ln).frag_count == 1:
                out.append(ln.strip())
        except nmea.FramingError:
            pass
    return out


def _times(lines):
    return [nmea.parse(ln).rx_time for ln in lines]


def _busiest_hour(lines):
    """The Puget Sound day's lines of its busiest hour (the streams keep an hour)."""
    times = _times(lines)
    start = max(range(0, 86400, 1800),
                key=lambda off: sum(times[0] + off <= t < times[0] + off + 3600 for t in times))
    lo = times[0] + start
    return [ln for ln, t in zip(lines, times) if lo <= t < lo + 3600]


def _write(writer, lines, now):
    """The lines as a receiver would have given them: each at its recorded time, moved so the
    last one arrives now."""
    times = _times(lines)
    shift = now - max(times)
    for line, t in zip(lines, times):
        writer.on_line(line, t + shift)
    writer.reassembler.flush()
    writer.flush()


def _entries(client, name):
    return client.xrange(name)


def test_every_message_lands_whole_in_the_partition_of_its_mmsi(fresh, redis_url):
    lines = _lines(NY_NMEA)
    writer = StreamWriter(redis_url, PARTITIONS)
    _write(writer, lines, time.time())
    direct = AisDecoder(dedup_window_s=0)
    expected = [r for r in (direct.feed(ln, 0.0) for ln in lines) if r is not None]
    direct.finish()

    seen_in = defaultdict(set)
    via = AisDecoder(dedup_window_s=0)
    got = []
    multi = 0
    for p, name in enumerate(stream_names("ais", PARTITIONS)):
        entries = _entries(fresh, name)
        assert entries, f"partition {p} is empty"
        for _, fields in entries:
            entry_lines = fields[b"lines"].decode().split("\n")
            multi += len(entry_lines) > 1
            mmsi = mmsi_of(nmea.parse(entry_lines[0]).payload)
            assert mmsi % PARTITIONS == p
            seen_in[mmsi].add(p)
            records = [r for r in (via.feed(ln, 0.0) for ln in entry_lines) if r is not None]
            assert len(records) == 1, entry_lines          # one whole message per entry
            got.extend(records)
    assert multi > 100                                     # type 5: two sentences, kept together
    assert all(len(ps) == 1 for ps in seen_in.values())
    assert writer.written == len(expected) == len(got)

    def key(r):
        return repr((r["mmsi"], r["type"], r.get("lon"), r.get("lat"), r.get("shipname")))
    assert sorted(map(key, got)) == sorted(map(key, expected))
    # one vessel's messages keep their order
    by_mmsi_expected, by_mmsi_got = defaultdict(list), defaultdict(list)
    for r in expected:
        by_mmsi_expected[r["mmsi"]].append(key(r))
    for r in got:
        by_mmsi_got[r["mmsi"]].append(key(r))
    assert by_mmsi_got == by_mmsi_expected


def test_corrupt_lines_stop_at_the_feed_reader_counted(fresh, redis_url):
    writer = StreamWriter(redis_url, PARTITIONS)
    good = "!AIVDM,1,1,,A,15MgK45P3@G?fl0E`JbR0OwT0@MS,0*4E"
    bad_sum = good[:-2] + "00"
    for line in ["garbage", bad_sum, "!AIVDM,1,1,,A,15Mg,0*" + "%02X" % nmea.checksum(
            "AIVDM,1,1,,A,15Mg,0"), "x" * 5000, good]:
        writer.on_line(line, time.time())
    writer.flush()
    rejects = writer.health.status()["rejects"]
    assert rejects["not_ais"] == 1 and rejects["bad_checksum"] == 1
    assert rejects["bad_armour"] == 1 and rejects["line_too_long"] == 1
    assert writer.written == 1
    assert sum(fresh.xlen(n) for n in stream_names("ais", PARTITIONS)) == 1


def test_redis_away_buffers_a_bounded_backlog_and_sends_it_in_order_when_back(fresh,
                                                                             redis_url,
                                                                             tmp_path):
    import redis
    from data_sources.streams import _redis
    writer = StreamWriter(redis_url, 1, max_buffer=500, retry_s=0,
                          client=_redis(f"unix://{tmp_path / 'none.sock'}"))
    lines = _single(_lines(NY_NMEA))[:800]
    now = time.time()
    for i, line in enumerate(lines):
        writer.on_line(line, now - 800 + i)
        writer.flush()                               # fails: nothing is lost but the oldest
    assert writer.written == 0 and writer.buffered() == 500
    assert writer.health.status()["rejects"]["buffer_overflow"] == 300
    assert writer.write_errors == 800
    writer.redis = redis.Redis.from_url(redis_url)   # Redis is back
    assert writer.flush() == 500
    entries = fresh.xrange("ais:0")
    assert [e[1][b"lines"].decode() for e in entries] == [ln.strip() for ln in lines[300:]]


def _reader(url, group, got, clock=time.time):
    return StreamReader(url, lambda line, arrival: got.append((line, arrival)), group=group,
                        clock=clock)


def _wait(pred, seconds=20.0):
    deadline = time.monotonic() + seconds
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_each_twin_reads_every_message_once_and_a_restarted_one_gets_what_it_missed(
        fresh, redis_url):
    url = f"{redis_url}?partitions={PARTITIONS}"
    writer = StreamWriter(redis_url, PARTITIONS)
    lines = _single(_lines(NY_NMEA))
    first, second = lines[:3000], lines[3000:6000]
    got_a, got_b = [], []
    a, b = _reader(url, "nynj", got_a).start(), _reader(url, "other", got_b).start()
    _wait(lambda: a.state == "connected" and b.state == "connected")
    now = time.time()
    for i, ln in enumerate(first):
        writer.on_line(ln, now - 100 + i * 0.01)
    writer.flush()
    _wait(lambda: len(got_a) == len(got_b) == len(first))
    a.stop()
    for ln in second:                     # while twin "nynj" is away
        writer.on_line(ln, now)
    writer.flush()
    _wait(lambda: len(got_b) == len(lines[:6000]))
    assert len(got_a) == len(first)
    again = _reader(url, "nynj", got_a).start()
    _wait(lambda: len(got_a) == 6000)
    time.sleep(0.5)
    again.stop()
    b.stop()
    assert sorted(ln for ln, _ in got_a) == sorted(ln.strip() for ln in lines[:6000])
    assert sorted(got_a) == sorted(got_b)                 # the same lines, the same arrivals
    assert abs(got_a[0][1] - (now - 100)) < 1e-3          # the feed reader's receive time


def _read_then_died(fresh, redis_url, reader, lines) -> None:
    """Twin "nynj"'s group made (``reader`` connects once and stops), ``lines`` written to the
    one partition, and the first 20 read by the twin, which then died before handing them
    over (delivered, not acknowledged)."""
    reader.start()
    _wait(lambda: reader.state == "connected")
    reader.stop()
    writer = StreamWriter(redis_url, 1)
    for ln in lines:
        writer.on_line(ln, time.time())
    writer.flush()
    fresh.xreadgroup("nynj", "nynj", {"ais:0": ">"}, count=20)


def test_entries_delivered_but_not_acknowledged_are_read_again_at_start(fresh, redis_url):
    url = f"{redis_url}?partitions=1&group=nynj"
    lines = _single(_lines(NY_NMEA))[:50]
    got: list = []
    _read_then_died(fresh, redis_url, _reader(url, None, got), lines)
    again = _reader(url, None, got).start()
    _wait(lambda: len(got) == 50)
    again.stop()
    assert [ln for ln, _ in got] == [ln.strip() for ln in lines]
    assert fresh.xpending("ais:0", "nynj")["pending"] == 0


def test_hostile_entries_are_counted_with_their_place_and_the_reader_goes_on(fresh,
                                                                            redis_url):
    from data_sources.health import FeedHealth
    health = FeedHealth("ais")
    got: list = []
    r = StreamReader(f"{redis_url}?partitions=1&group=nynj",
                     lambda line, arrival: got.append((line, arrival)), health=health)
    r.start()
    _wait(lambda: r.state == "connected")
    good = "!AIVDM,1,1,,A,15MgK45P3@G?fl0E`JbR0OwT0@MS,0*4E"
    fresh.xadd("ais:0", {"nolines": "x"})
    long_id = fresh.xadd("ais:0", {"lines": "\n".join([good] * 12), "t": "1"}).decode()
    fresh.xadd("ais:0", {"lines": good, "t": "1e309"})
    fresh.xadd("ais:0", {"lines": good, "t": str(time.time() + 86400 * 365 * 300)})
    fresh.xadd("ais:0", {"lines": b"\xff\xfe" + good.encode()})
    fresh.xadd("ais:0", {"lines": good, "t": repr(time.time() - 5)})
    _wait(lambda: len(got) == 4)
    r.stop()
    status = health.status()
    assert status["rejects"]["bad_stream_entry"] == 2
    assert status["last_error"] == f"bad_stream_entry: ais:0/{long_id}: 12 lines"
    assert health.notes["stream_time_implausible"] == 3
    now = time.time()
    assert all(abs(t - now) < 60 for _, t in got)         # no entry moved the clock
    assert got[-1][0] == good


def test_two_ports_on_one_coastline_feed_each_keep_their_own_vessels(fresh, redis_url,
                                                                    monkeypatch):
    """The NY hour and a Puget Sound hour in one set of streams; each port's twin, built as
    ``python app.py twin --ais redis://…`` builds it, has the vessels of its own port — those a
    twin fed the same port's lines directly has — and none of the other's."""
    import app as porttwin
    from data_sources.ais_source import AisSource
    from twin.config import Config
    from twin.port import Port

    ny_lines, ps_lines = _lines(NY_NMEA), _busiest_hour(_lines(PS_TRAJ))
    now = time.time()
    writer = StreamWriter(redis_url, PARTITIONS)

    def twin(port_dir, ais):
        config = Config.load(env={}, port_dir=port_dir, ais=ais, history_url="none")
        port = Port.load(config.port_dir)
        config = config.for_port(port)
        source = porttwin.build_ais_source(config)
        return porttwin.build_engine(config, port, None, source), source

    url = f"{redis_url}?partitions={PARTITIONS}"
    monkeypatch.delenv("PORTTWIN_TWIN", raising=False)
    ny, ny_source = twin(ROOT / "data/ports/nynj", url)
    ps, ps_source = twin(ROOT / "data/ports/pugetsound", url)
    assert isinstance(ny_source.transport, StreamReader)
    assert ny_source.transport.group == "nynj" and ps_source.transport.group == "pugetsound"
    for source in (ny_source, ps_source):
        source.start()
    _wait(lambda: ny_source.transport.state == ps_source.transport.state == "connected")
    # one receiver network hears both ports (interleaved in time)
    merged = []
    for lines in (ny_lines, ps_lines):
        times = _times(lines)
        merged += [(t - max(times), i, ln) for i, (ln, t) in enumerate(zip(lines, times))]
    for dt, _, line in sorted(merged):
        writer.on_line(line, now + dt)
    writer.reassembler.flush()
    writer.flush()
    total = writer.written
    _wait(lambda: ny_source.transport.entries == ps_source.transport.entries == total, 60)
    for source in (ny_source, ps_source):
        source.stop()
    ny.step()
    ps.step()

    def direct(port_dir, lines):
        engine, source = twin(port_dir, "tcp://127.0.0.1:9")     # never started
        assert isinstance(source, AisSource)
        times = _times(lines)
        shift = now - max(times)
        for line, t in zip(lines, times):
            source.on_line(line, t + shift)
        engine.step()
        return engine

    ny_direct, ps_direct = direct(ROOT / "data/ports/nynj", ny_lines), \
        direct(ROOT / "data/ports/pugetsound", ps_lines)
    ny_mmsi = {mmsi_of(nmea.parse(ln).payload) for ln in _single(ny_lines)}
    ps_mmsi = {mmsi_of(nmea.parse(ln).payload) for ln in ps_lines}
    assert len(ny.state.vessels) > 200 and len(ps.state.vessels) >= 10
    assert set(ny.state.vessels) == set(ny_direct.state.vessels)
    assert set(ps.state.vessels) == set(ps_direct.state.vessels)
    assert not set(ny.state.vessels) & (ps_mmsi - ny_mmsi)
    assert not set(ps.state.vessels) & (ny_mmsi - ps_mmsi)
    for mmsi, v in ny_direct.state.vessels.items():
        assert (ny.state.vessels[mmsi].lon, ny.state.vessels[mmsi].lat) == (v.lon, v.lat)
    # what is not the twin's port is counted where it was left
    assert ps_source.health.status()["rejects"].get("outside_region", 0) > 5000


def test_stream_urls_are_checked_like_any_setting():
    spec = parse_stream_url("redis://h:6379/0?partitions=8&stream=coast&group=g&db=1", None)
    assert spec == {"redis_url": "redis://h:6379/0?db=1", "stream": "coast", "partitions": 8,
                    "group": "g"}
    for bad in ("redis://h/0?partitions=0", "redis://h/0?partitions=x",
                "redis://h/0?partitions=5000"):
        with pytest.raises(ValueError, match="partitions"):
            parse_stream_url(bad, "g")
    with pytest.raises(ValueError, match="group"):
        parse_stream_url("redis://h/0", None)


def test_the_feed_reader_command_reads_a_receiver_into_the_partitions(fresh, redis_url):
    """``python app.py feed-reader`` on a receiver (the feed emulator over TCP): messages in
    the partition streams, its /readyz and /metrics, a clean stop on SIGTERM."""
    import signal
    import subprocess
    import sys

    import requests
    feed_port, ops_port = servers.free_port(), servers.free_port()
    feed = subprocess.Popen([sys.executable, "app.py", "feed", str(NY_NMEA), "--tcp",
                             str(feed_port), "--speed", "60", "--no-loop"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    reader = subprocess.Popen([sys.executable, "app.py", "feed-reader", "--ais",
                               f"tcp://127.0.0.1:{feed_port}", "--redis", redis_url,
                               "--partitions", str(PARTITIONS), "--ops-port", str(ops_port)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    names = stream_names("ais", PARTITIONS)
    try:
        _wait(lambda: sum(fresh.xlen(n) for n in names) > 500, 60)
        assert all(fresh.xlen(n) > 0 for n in names)
        ready = requests.get(f"http://127.0.0.1:{ops_port}/readyz", timeout=5)
        assert ready.status_code == 200 and ready.json()["written"] > 0
        metrics = requests.get(f"http://127.0.0.1:{ops_port}/metrics", timeout=5).text
        assert 'porttwin_stream_entries_written_total{partition="0"}' in metrics
        assert 'porttwin_messages_total{source="feed-reader"}' in metrics
        assert 'porttwin_ingest_lag_seconds{source="feed-reader"}' in metrics  # a mute receiver
    finally:
        feed.terminate()
        reader.send_signal(signal.SIGTERM)
        out, _ = reader.communicate(timeout=30)
        feed.wait(10)
    assert reader.returncode == 0, out


def test_a_password_in_the_stream_url_is_not_shown_as_the_feed_label():
    import app as porttwin
    assert porttwin._safe_label("redis://:s3cret@h:6379/0?partitions=4") == \
        "redis://:***@h:6379/0?partitions=4"
    assert porttwin._safe_label("rediss://twin:s3cret@h/0") == "rediss://twin:***@h/0"
    assert porttwin._safe_label("tcp://10.0.0.1:10110") == "tcp://10.0.0.1:10110"


def test_an_entry_that_makes_the_reader_fail_is_counted_once_and_the_rest_flows(fresh,
                                                                                 redis_url):
    """Whatever an entry does that no check foresaw (here: its handling raises), it is a
    counted ``internal_error`` with its place and acknowledged — not delivered again at every
    reconnect ahead of everything after it."""
    from data_sources.health import FeedHealth
    health = FeedHealth("ais")
    got: list = []
    r = StreamReader(f"{redis_url}?partitions=1&group=nynj",
                     lambda line, arrival: got.append(line), health=health)
    plain_entry = r._entry

    def entry(name, entry_id, fields):
        if fields.get(b"poison"):
            raise RuntimeError("unforeseen")
        plain_entry(name, entry_id, fields)
    r._entry = entry
    r.start()
    _wait(lambda: r.state == "connected")
    good = "!AIVDM,1,1,,A,15MgK45P3@G?fl0E`JbR0OwT0@MS,0*4E"
    bad_id = fresh.xadd("ais:0", {"lines": good, "poison": "1"}).decode()
    fresh.xadd("ais:0", {"lines": good, "t": repr(time.time())})
    _wait(lambda: len(got) == 1)
    time.sleep(0.3)
    r.stop()
    assert got == [good]
    assert health.status()["rejects"]["internal_error"] == 1
    assert health.status()["last_error"] == \
        f"internal_error: ais:0/{bad_id}: RuntimeError: unforeseen"
    assert fresh.xpending("ais:0", "nynj")["pending"] == 0
    assert r.state == "stopped" and r.connects == 1          # the loop never restarted


def test_entries_read_back_after_hours_keep_the_time_they_came_in(fresh, redis_url):
    """A twin away longer than an hour (a reader keeping more) reads what it missed at the
    times it came in; a receive time the entry's Redis time contradicts is not believed."""
    from data_sources.health import FeedHealth
    health = FeedHealth("ais")
    got: list = []
    r = StreamReader(f"{redis_url}?partitions=1&group=nynj",
                     lambda line, arrival: got.append(arrival), health=health)
    r.start()
    _wait(lambda: r.state == "connected")
    good = "!AIVDM,1,1,,A,15MgK45P3@G?fl0E`JbR0OwT0@MS,0*4E"
    added = int((time.time() - 3 * 3600) * 1000)          # Redis took it three hours ago
    fresh.xadd("ais:0", {"lines": good, "t": repr(added / 1000 - 2.5)}, id=f"{added}-0")
    fresh.xadd("ais:0", {"lines": good, "t": repr(added / 1000 - 3 * 86400)}, id=f"{added}-1")
    fresh.xadd("ais:0", {"lines": good, "t": repr(time.time())}, id=f"{added}-2")
    _wait(lambda: len(got) == 3)
    r.stop()
    assert got[0] == pytest.approx(added / 1000 - 2.5)    # believed: held 2.5 s by the reader
    assert got[1] == pytest.approx(added / 1000)          # three days before Redis had it
    assert got[2] == pytest.approx(added / 1000)          # three hours after Redis had it
    assert health.notes["stream_time_implausible"] == 2


@pytest.mark.parametrize("partitions, batch", [(1, 2000), (1, 200), (PARTITIONS, 150)])
def test_what_the_stream_trimmed_before_a_twin_read_it_is_counted_once(fresh, redis_url,
                                                                        partitions, batch):
    """A twin away longer than the feed reader keeps (its ``max_entries`` trimming, as Redis
    does it: approximately): every message written is either read by the twin or counted as
    ``stream_trimmed`` on the partition — none is lost without a count — and a restart does
    not count the same loss again; so too when what is left takes it several reads, and on
    several partitions at once."""
    from data_sources.health import FeedHealth
    writer = StreamWriter(redis_url, partitions, max_entries=500 // partitions)
    lines = _single(_lines(NY_NMEA))[:3000]
    health, got = FeedHealth("ais"), []
    url = f"{redis_url}?partitions={partitions}&group=nynj"
    r = StreamReader(url, lambda line, arrival: got.append(line), health=health)
    r.start()
    _wait(lambda: r.state == "connected")
    r.stop()                                        # the twin goes away
    now = time.time()
    for k in range(0, len(lines), 100):             # the feed goes on, trimmed as it goes
        for ln in lines[k:k + 100]:
            writer.on_line(ln, now)
        writer.flush()
    names = stream_names("ais", partitions)
    left = [fields[b"lines"].decode() for n in names for _, fields in fresh.xrange(n)]
    kept = len(left)
    assert kept < len(lines)                        # the stream has lost what it could not keep
    again = StreamReader(url, lambda line, arrival: got.append(line), health=health)
    again.batch, again.check_s = batch, 0.2
    again.start()
    _wait(lambda: len(got) == kept and health.rejects["stream_trimmed"] > 0)
    time.sleep(0.6)                                 # later checks add nothing
    again.stop()
    assert len(got) + health.rejects["stream_trimmed"] == writer.written == len(lines)
    assert again.trimmed == len(lines) - kept
    assert sorted(got) == sorted(left)              # what was left, each once
    if partitions == 1:
        assert got == [ln.strip() for ln in lines[-kept:]]      # the newest, in order
    assert re.match(r"stream_trimmed: ais:\d+: \d+ entries trimmed before group nynj",
                    health.status()["last_error"])          # the partition named
    later_health = FeedHealth("ais")                # the twin starts again: nothing new lost
    later = StreamReader(url, lambda line, arrival: got.append(line), health=later_health)
    later.start()
    _wait(lambda: later.state == "connected")
    time.sleep(0.3)
    later.stop()
    assert later_health.rejects["stream_trimmed"] == 0 and later.trimmed == 0


def test_entries_delivered_then_trimmed_before_a_restart_are_counted(fresh, redis_url):
    """Read by a twin that died before handing them over, then trimmed: at its start they are
    counted, with the partition and entry, and the rest flows."""
    from data_sources.health import FeedHealth
    lines = _single(_lines(NY_NMEA))[:60]
    url = f"{redis_url}?partitions=1&group=nynj"
    health, got = FeedHealth("ais"), []
    _read_then_died(fresh, redis_url, StreamReader(
        url, lambda line, arrival: got.append(line), health=health), lines)
    fresh.xtrim("ais:0", maxlen=40, approximate=False)            # and the stream moved on
    again = StreamReader(url, lambda line, arrival: got.append(line), health=health)
    again.start()
    _wait(lambda: len(got) == 40)
    again.stop()
    assert health.rejects["stream_trimmed"] == 20 and again.trimmed == 20
    assert got == [ln.strip() for ln in lines[20:]]
    assert fresh.xpending("ais:0", "nynj")["pending"] == 0
