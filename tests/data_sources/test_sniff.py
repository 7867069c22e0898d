"""A binary file given where text is expected says what it looks like (issue 15): an ASTERIX
radar capture, a workbook under a .csv name, gzip without .gz — instead of a count of
"not_nmea" rejects."""
import gzip
import struct
import zipfile
from collections import Counter

import pytest

from data_sources.positions import load_positions, load_recording
from data_sources.sniff import NotTextError, require_text, sniff

ROOT_NMEA = "!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24\n"


def asterix_block(cat: int, body: bytes = b"\xfd\xf7\x02\x19\xc9\x35\x6d\x4d\xa0") -> bytes:
    return bytes([cat]) + struct.pack(">H", 3 + len(body)) + body


def udp_frame(payload: bytes) -> bytes:
    """Ethernet II / IPv4 / UDP around ``payload``."""
    udp = struct.pack(">HHHH", 40000, 8600, 8 + len(payload), 0) + payload
    ip = (bytes([0x45, 0]) + struct.pack(">H", 20 + len(udp)) + b"\0\0\0\0" + bytes([64, 17])
          + b"\0\0" + bytes([10, 0, 0, 1, 239, 0, 0, 1]) + udp)
    return b"\x01\x00\x5e\x00\x00\x01" + b"\x00\x11\x22\x33\x44\x55" + b"\x08\x00" + ip


def pcap(frames, little: bool = True) -> bytes:
    e = "<" if little else ">"
    out = struct.pack(e + "IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for f in frames:
        out += struct.pack(e + "IIII", 1600000000, 0, len(f), len(f)) + f
    return out


def pcapng(frames) -> bytes:
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = block(1, struct.pack("<HHI", 1, 0, 65535))
    epbs = b"".join(block(6, struct.pack("<IIIII", 0, 0, 0, len(f), len(f)) + f)
                    for f in frames)
    return shb + idb + epbs


@pytest.mark.parametrize("little", [True, False])
def test_an_asterix_cat048_pcap_is_named(tmp_path, little):
    f = tmp_path / "radar.nmea"
    f.write_bytes(pcap([udp_frame(asterix_block(48) + asterix_block(48))], little))
    got = sniff(f)
    assert got.kind == "pcap" and got.binary
    assert "ASTERIX CAT048" in got.description and "not AIS" in got.description
    with pytest.raises(NotTextError, match=r"radar.nmea: expected NMEA.*looks like a pcap "
                                           r"network capture of ASTERIX CAT048"):
        require_text(f, "NMEA AIS")


def test_a_cat062_pcapng_and_raw_blocks(tmp_path):
    f = tmp_path / "tracks.pcapng"
    f.write_bytes(pcapng([udp_frame(asterix_block(62))]))
    assert sniff(f).kind == "pcapng" and "CAT062 (system track data)" in str(sniff(f))
    raw = tmp_path / "tracks.ast"
    raw.write_bytes(asterix_block(62) * 5)
    assert sniff(raw).kind == "asterix" and "CAT062" in str(sniff(raw))


def test_nmea_over_udp_in_a_capture_is_told_how_to_use_it(tmp_path):
    f = tmp_path / "ais.pcap"
    f.write_bytes(pcap([udp_frame(ROOT_NMEA.encode())]))
    assert "NMEA sentences over UDP" in str(sniff(f))


def test_compressed_and_office_files(tmp_path):
    text = b"BaseDateTime,LON,LAT,MMSI\n"
    wrong = tmp_path / "ais.csv"
    wrong.write_bytes(gzip.compress(text))
    with pytest.raises(NotTextError, match=r"gzip-compressed data under a name without \.gz "
                                           r"\(rename it ais\.csv\.gz\)"):
        require_text(wrong, "a CSV")
    right = tmp_path / "ais.csv.gz"
    right.write_bytes(gzip.compress(text))
    require_text(right, "a CSV")                         # gzip of text is what .gz readers take
    capture = tmp_path / "radar.log.gz"
    capture.write_bytes(gzip.compress(pcap([udp_frame(asterix_block(48))])))
    with pytest.raises(NotTextError, match="this .gz file holds a pcap network capture of "
                                           "ASTERIX CAT048"):
        require_text(capture, "NMEA AIS")

    from openpyxl import Workbook
    book = Workbook()
    book.active.append(["Month", "TEU"])
    xlsx = tmp_path / "teu.csv"
    book.save(xlsx)
    assert sniff(xlsx).kind == "xlsx" and "Excel workbook" in str(sniff(xlsx))
    archive = tmp_path / "bundle.nmea"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("day1.nmea", ROOT_NMEA)
    assert sniff(archive).kind == "zip" and "day1.nmea" in str(sniff(archive))
    ole = tmp_path / "old.xls"
    ole.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504)
    assert "old Excel" in str(sniff(ole))


def test_text_is_text(tmp_path):
    """A CSV whose first bytes happen to be "0" (48) or ">" (62) is not taken for ASTERIX."""
    for content in ("0,1,2\n0,3,4\n", ">62 lines\n", ROOT_NMEA, "MMSI;Zeit\nÄ,ö\n"):
        f = tmp_path / "t.txt"
        f.write_text(content, encoding="utf-8")
        assert sniff(f).kind == "text" and not sniff(f).binary, content
    empty = tmp_path / "empty.nmea"
    empty.write_bytes(b"")
    assert sniff(empty).kind == "empty"
    require_text(empty, "NMEA")


def test_the_position_readers_refuse_binary_files_with_the_reason(tmp_path):
    f = tmp_path / "week.traj"
    f.write_bytes(pcap([udp_frame(asterix_block(48))]))
    with pytest.raises(NotTextError, match="ASTERIX CAT048"):
        load_positions(f, Counter())
    with pytest.raises(NotTextError, match="ASTERIX CAT048"):
        load_recording(f, "replay")
