"""AIS framing, reassembly and cleaning: what reaches the twin is checked and in real units."""
import json
from collections import Counter

import pytest

from data_sources import nmea
from data_sources.ais import AisDecoder, decode_payload

TYPE1 = "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A"
TYPE5_1 = "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C"
TYPE5_2 = "!AIVDM,2,2,1,A,88888888880,2*25"


def decoder():
    rejects = Counter()
    return AisDecoder(on_reject=lambda r, d: rejects.update([r])), rejects


@pytest.mark.parametrize("line, rx, station", [
    (TYPE1, None, None),
    ("garbage before it " + TYPE1, None, None),
    ("\\c:1565218798*53\\!BSVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*"
     f"{nmea.checksum('BSVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0'):02X}", 1565218798.0, None),
    ("1452468552.123 " + TYPE1, 1452468552.123, None),
    (TYPE1 + ",rNYC01,1325394060", 1325394060.0, "NYC01"),
])
def test_framings(line, rx, station):
    s = nmea.parse(line)
    assert s.payload == "15RTgt0PAso;90TKcjM8h6g208CQ" and s.frag_count == 1
    assert s.rx_time == rx and s.station == station


@pytest.mark.parametrize("line, reason", [
    (TYPE1.replace("*4A", "*4B"), "bad_checksum"),
    (TYPE1[:-3], "no_checksum"),
    ("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47", "not_ais"),
])
def test_bad_lines_are_rejected_with_a_reason(line, reason):
    with pytest.raises(nmea.FramingError) as err:
        nmea.parse(line)
    assert err.value.reason == reason


def test_a_tag_block_with_a_wrong_checksum_is_not_believed_but_the_sentence_is_used():
    warnings = Counter()
    dec = AisDecoder(on_warning=lambda r, d: warnings.update([r]))
    # *53 is c:'s alone: the g: field was added without a new checksum — or a bit flipped
    rec = dec.feed("\\g:1-1-9,c:1565218798*53\\" + TYPE1, 1e9)
    assert rec["mmsi"] == 371798000 and rec["ts"] == 1e9     # the receive time, not c:
    assert warnings == Counter({"bad_tagblock_checksum": 1})
    # the same tag block with its right checksum is used
    ok = "c:1565218798"
    rec = dec.feed(f"\\{ok}*{nmea.checksum(ok):02X}\\" + TYPE1, 1e9)
    assert rec["ts"] == 1565218798.0


def test_fragments_join_in_any_order_and_orphans_are_counted():
    dec, rejects = decoder()
    assert dec.feed(TYPE5_2, 0.0) is None                 # second part first
    rec = dec.feed(TYPE5_1, 0.5)
    assert rec["type"] == 5 and rec["shipname"] == "EVER DIADEM" and rec["destination"] == "NEW YORK"
    assert dec.feed(TYPE5_1, 1.0) is None                 # a first part whose second never comes
    assert dec.feed(TYPE1, 20.0)["type"] == 1             # … times out (10 s)
    assert rejects == Counter({"orphan_fragment": 1})


def test_a_reused_sequence_id_does_not_stitch_two_messages():
    dec, rejects = decoder()
    dec.feed(TYPE5_1, 0.0)
    dec.feed(TYPE5_1, 0.1)                                # part 1 again: the old one is orphaned
    assert dec.feed(TYPE5_2, 0.2)["shipname"] == "EVER DIADEM"
    assert rejects == Counter({"orphan_fragment": 1})


def test_not_available_codes_become_null_with_raw_codes_kept():
    rec = decode_payload("15RTgt0PAso;90TKcjM8h6g208CQ")
    assert rec["heading"] == 215 and rec["speed"] == 12.3 and rec["turn"] is None
    assert rec["raw"]["turn"] == -127                     # turning left, no turn indicator
    # heading 511, lon/lat 181/91 in a real type 1 from libais's examples:
    rec = decode_payload("403Ovl@000Htt<tSF0l4Q@100`Pq")
    assert rec["type"] == 4 and rec["lon"] is None and rec["lat"] is None
    assert rec["raw"]["lon"] == 181.0 and rec["timestamp"] is None


def test_ship_type_codes_pyais_collapses_are_kept():
    # A real type 5 from gpsd's capture (WENDING, 244660839): ship type 66, a reserved passenger
    # code, which pyais's enum turns into 65.
    payload = "53aDrIl000010GK3?T1LDp@TpL000000000000122`433ug0034m0ESlQCP000000000000"
    rec = decode_payload(payload, 2)
    assert rec["shipname"] == "WENDING" and rec["shiptype"] == 66


def test_a_type1_missing_only_its_radio_field_is_used():
    rec = decode_payload("15RTgt0PAso;90TKcjM8h6g208", 0)          # 156 bits
    assert rec["mmsi"] == 371798000 and rec["speed"] == 12.3 and rec["radio"] is None


@pytest.mark.parametrize("payload, fill, reason", [
    ("15RTgt0PAso;90TKcjM8h6g2", 0, "bad_length"),        # 144 bits: a torn type 1
    ("15RTgt0PAso;90TKcjM8h6g208CQ!!", 0, "bad_armour"),
    ("15RTgt0PAso;90TKcjM8h6g208CQ" + "00", 0, "bad_length"),
])
def test_wrong_length_and_illegal_armour_are_rejected(payload, fill, reason):
    from data_sources.ais import AisError
    with pytest.raises(AisError) as err:
        decode_payload(payload, fill)
    assert err.value.reason == reason


def test_every_shared_corpus_decodes_without_stopping():
    from tests.conftest import ROOT
    corpora = ROOT / "data" / "ais" / "conformance"
    files = [p for p in corpora.rglob("*") if p.suffix in (".aivdm", ".nmea", ".nm4", ".log")]
    assert len(files) == 5
    for path in files:
        dec, rejects = decoder()
        records = [r for line in open(path, encoding="latin-1") if (r := dec.feed(line, 0.0))]
        dec.finish()
        assert records, path
        for r in records:                    # what `decode --format jsonl` prints
            json.loads(json.dumps(r))
        assert all(r["lat"] is None or -90 <= r["lat"] <= 90 for r in records if "lat" in r)
        assert all(r["lon"] is None or -180 <= r["lon"] <= 180 for r in records if "lon" in r)


def test_decode_cli_prints_json_lines_and_a_reject_summary(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    f = tmp_path / "feed.nmea"
    f.write_text("\n".join([TYPE1, TYPE1.replace("*4A", "*00"), "1452468552 " + TYPE5_1,
                            "1452468553 " + TYPE5_2, "junk"]) + "\n")
    out = subprocess.run([sys.executable, str(root / "app.py"), "decode", str(f),
                          "--format", "jsonl"], capture_output=True, text=True, check=True)
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(r["type"], r["mmsi"]) for r in records] == [(1, 371798000), (5, 351759000)]
    assert records[1]["ts"] == 1452468552 and records[1]["shipname"] == "EVER DIADEM"
    assert "decoded 2 messages" in out.stderr
    assert "bad_checksum 1" in out.stderr and "not_ais 1" in out.stderr


def test_one_transmission_heard_by_two_receivers_is_merged():
    warnings = Counter()
    dec = AisDecoder(on_warning=lambda r, d: warnings.update([r]))
    heard = [f"\\s:{station},c:1565218798\\" + TYPE1 for station in ("r1", "r2", "r3")]
    assert dec.feed(heard[0], 0.0)["station"] == "r1"              # the earliest is kept
    assert dec.feed(heard[1], 0.1) is None and dec.feed(heard[2], 0.2) is None
    assert warnings == Counter({"duplicate": 2}) and dec.duplicates == 2
    # the same payload a minute later is a new report (a moored ship repeating itself)
    later = "\\c:1565218858\\" + TYPE1
    assert dec.feed(later, 60.0)["ts"] == 1565218858.0



def test_duplicate_memory_forgets_the_oldest_not_a_just_refreshed_payload():
    dec = AisDecoder(dedup_memory=4)                 # past 4 payloads, the oldest 2 go
    others = [nmea_line("!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g2" + tail + ",0*00")
              for tail in ("08CR", "08CS", "08CT", "08CU")]
    assert dec.feed("\\c:1593471000\\" + TYPE1, 0.0)                      # A
    assert dec.feed("\\c:1593471001\\" + others[0], 0.1)
    assert dec.feed("\\c:1593471002\\" + others[1], 0.2)
    assert dec.feed("\\c:1593471060\\" + TYPE1, 1.0)                      # A a minute later: new
    assert dec.feed("\\c:1593471061\\" + others[2], 1.1)
    assert dec.feed("\\c:1593471061\\" + others[3], 1.2)                  # 5 > 4: two oldest go
    # A was refreshed at …1060, so it is among the newest and still remembered
    assert dec.feed("\\c:1593471061\\" + TYPE1, 1.3) is None and dec.duplicates == 1


def nmea_line(sentence: str) -> str:
    """The same sentence with its checksum made right."""
    body = sentence[1:sentence.rindex("*")]
    return f"!{body}*{nmea.checksum(body):02X}"


def test_a_repeated_static_message_decodes_to_an_equal_independent_record():
    dec = AisDecoder(cache_size=2)
    first = dec.feed("1452468552 " + TYPE5_1, 0.0) or dec.feed("1452468552 " + TYPE5_2, 0.0)
    again = (dec.feed("1452469000 " + TYPE5_1, 10.0)
             or dec.feed("1452469000 " + TYPE5_2, 10.0))          # 6 min later, unchanged
    assert dec.cache_hits == 1
    assert again["ts"] == 1452469000 and first["ts"] == 1452468552
    assert {k: v for k, v in again.items() if k != "ts"} == \
        {k: v for k, v in first.items() if k != "ts"}
    again["shipname"] = "changed downstream"
    third = dec.feed("1452469400 " + TYPE5_1, 20.0) or dec.feed("1452469400 " + TYPE5_2, 20.0)
    assert third["shipname"] == "EVER DIADEM" and dec.cache_hits == 2
    for tail in ("08CR", "08CS", "08CT"):          # position reports are never remembered
        dec.feed(nmea_line("!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g2" + tail + ",0*00"), 20.0)
    assert len(dec._decoded) == 1


def test_an_eta_resolves_to_the_next_occurrence_and_a_missing_date_is_no_eta():
    """AIS ETAs have no year: this year's date, or next year's when it is more than half a
    year past. A date that does not exist is no ETA — also 02-29 rolled into a year without
    one (it raised, and a replayed file with such a message failed to load)."""
    from datetime import datetime, timezone

    from data_sources.ais_source import resolve_eta, to_events

    def at(*args):
        return datetime(*args, tzinfo=timezone.utc).timestamp()

    sent = at(2024, 6, 30, 12)
    assert resolve_eta("07-02T06:30Z", sent) == at(2024, 7, 2, 6, 30)
    assert resolve_eta("05-01T00:00Z", sent) == at(2024, 5, 1)          # two months late
    assert resolve_eta("01-15T08:00Z", at(2024, 12, 20)) == at(2025, 1, 15, 8)
    assert resolve_eta("02-30T00:00Z", sent) is None
    assert resolve_eta("02-29T12:00Z", at(2024, 3, 10)) == at(2024, 2, 29, 12)
    assert resolve_eta("02-29T12:00Z", at(2024, 9, 1)) is None          # 2025 has no 02-29
    assert resolve_eta("07-02T06:30Z", float("nan")) is None
    record = {"type": 5, "ts": at(2024, 9, 1), "mmsi": 366999001, "shipname": "LEAP",
              "eta": "02-29T12:00Z"}
    (static,) = to_events(record, "ais")
    assert static.name == "LEAP" and static.eta is None


def test_a_record_no_check_foresaw_is_counted_and_the_rest_of_the_file_loads(tmp_path,
                                                                              monkeypatch):
    """A replayed NMEA file: a record whose events cannot be made (as the 02-29 ETA could
    not) is an ``internal_error`` with its file:line; every other line still loads."""
    import data_sources.ais_source as ais_source
    from tests.conftest import ROOT
    path = ROOT / "data" / "ais" / "NYHarbor_2020_06_30_first_hour.nmea"
    lines = [ln for ln in path.read_text(encoding="latin-1").splitlines()
             if ln.startswith("\\")][:200]
    small = tmp_path / "hour.nmea"
    small.write_text("\n".join(lines) + "\n", encoding="latin-1")
    whole = ais_source.load_nmea_file(small, "ais")
    bad_mmsi = whole[0].mmsi
    real = ais_source.to_events

    def failing(record, source):
        if record["mmsi"] == bad_mmsi:
            raise ValueError("no such day")
        return real(record, source)

    monkeypatch.setattr(ais_source, "to_events", failing)
    rejects = []
    events = ais_source.load_nmea_file(small, "ais",
                                       on_reject=lambda r, d: rejects.append((r, d)))
    assert [e for e in whole if e.mmsi != bad_mmsi] == events
    assert rejects and all(r == "internal_error" and f"{small}:" in d for r, d in rejects)
    assert len(rejects) == sum(1 for e in whole if e.mmsi == bad_mmsi)
