"""Fuzz: real sentences, mutated, never raise out of the decoder and never yield a position out
of range. Checksums are recomputed after mutation half the time, so damage reaches the decoder
and not only the framing."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_sources import nmea
from data_sources.ais import AisDecoder
from tests.conftest import ROOT

CORPUS = [line.strip() for path in (ROOT / "data" / "ais" / "conformance").rglob("*")
          if path.suffix in (".aivdm", ".nmea", ".nm4")
          for line in open(path, encoding="latin-1") if "VDM" in line or "VDO" in line]


def reseal(line: str) -> str:
    """Give a mutated sentence a valid checksum again."""
    start, star = line.find("!"), line.rfind("*")
    if start < 0 or star <= start:
        return line
    body = line[start + 1:star]
    return f"{line[:start]}!{body}*{nmea.checksum(body):02X}"


@st.composite
def mutated(draw):
    line = draw(st.sampled_from(CORPUS))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["replace", "delete", "insert", "truncate"]))
        i = draw(st.integers(0, max(0, len(line) - 1)))
        ch = draw(st.characters(min_codepoint=32, max_codepoint=126))
        if kind == "replace":
            line = line[:i] + ch + line[i + 1:]
        elif kind == "delete":
            line = line[:i] + line[i + 1:]
        elif kind == "insert":
            line = line[:i] + ch + line[i:]
        else:
            line = line[:i]
    return reseal(line) if draw(st.booleans()) else line


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutated(), min_size=1, max_size=6))
def test_mutated_sentences_never_crash_or_leak_bad_positions(lines):
    dec = AisDecoder()
    for line in lines:
        record = dec.feed(line, 0.0)
        if record is None:
            continue
        assert record["mmsi"] and 0 < record["mmsi"] <= 999_999_999
        if record.get("lat") is not None:
            assert -90 <= record["lat"] <= 90
        if record.get("lon") is not None:
            assert -180 <= record["lon"] <= 180
        for name in ("speed", "course", "heading"):
            value = record.get(name)
            if value is not None and record["type"] in (1, 2, 3, 18, 19):
                assert {"speed": 102.2, "course": 359.9, "heading": 359}[name] >= value >= 0
    dec.finish()
