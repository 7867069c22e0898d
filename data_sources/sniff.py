"""What a file looks like, from its first bytes — so that a binary file given where text is
expected (an ASTERIX radar capture for ``--ais``, an XLSX workbook named ``.csv``, a gzip file
without ``.gz``) is answered with what it *is*, not with a count of "not_nmea" rejects.

``sniff(path)`` -> ``Sniffed(kind, description, binary)``; ``require_text(path, expected)``
raises ``NotTextError`` with one line an operator can act on. Only magic numbers and a few
structural checks are used (no decoding): a pcap / pcapng capture (``a1b2c3d4`` / ``d4c3b2a1``
/ ``0a0d0d0a``), and inside its first UDP packet an ASTERIX data block (category byte, e.g. 48
radar plots or 62 system tracks, then a 2-byte length that matches the payload) or NMEA
sentences; raw ASTERIX blocks (a chain of category + length blocks); gzip (``1f8b``, and
then what it holds), zip (``PK``; an XLSX/ODS/DOCX workbook by its members), bzip2, xz, PDF,
SQLite, old Excel (OLE2), Parquet; otherwise text or "binary data".
"""
from __future__ import annotations

import gzip
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

HEAD_BYTES = 65536

# ASTERIX categories a port or VTS is likely to see (EUROCONTROL numbering)
ASTERIX_CATEGORIES = {
    1: "monoradar target reports", 2: "monoradar service messages", 8: "weather reports",
    10: "surface movement (SMGCS)", 19: "MLAT status", 20: "MLAT target reports",
    21: "ADS-B target reports", 23: "ADS-B ground station", 34: "monoradar service messages",
    48: "monoradar target reports", 62: "system track data", 63: "sensor status",
    65: "SDPS service status", 240: "radar video",
}

MAGIC = (
    (b"\x1f\x8b", "gzip", "gzip-compressed data"),
    (b"BZh", "bzip2", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz", "xz-compressed data"),
    (b"%PDF", "pdf", "a PDF document"),
    (b"SQLite format 3\x00", "sqlite", "an SQLite database"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2", "an old Excel/Office file (.xls, OLE2)"),
    (b"PAR1", "parquet", "a Parquet file"),
    (b"\x89PNG", "png", "a PNG image"),
)


class NotTextError(ValueError):
    """A file given as a text format (NMEA, CSV, JSON, .traj) that is something else; the
    message names the file, what was expected and what it looks like."""


@dataclass(frozen=True)
class Sniffed:
    kind: str            # text, empty, gzip, zip, xlsx, pcap, pcapng, asterix, binary, …
    description: str     # in words, for a message
    binary: bool         # not readable as a text format as it stands
    inner: "Sniffed | None" = field(default=None, compare=False)   # what a gzip file holds

    def __str__(self) -> str:
        return self.description


def sniff(path) -> Sniffed:
    """What ``path`` looks like. Never raises for a readable file; an unreadable one raises
    its OSError (the caller says it could not be read)."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    return sniff_bytes(head, path)


def sniff_bytes(head: bytes, path: Path | None = None) -> Sniffed:
    if not head:
        return Sniffed("empty", "an empty file", False)
    if head[:4] in (b"\xa1\xb2\xc3\xd4", b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\x3c\x4d",
                    b"\x4d\x3c\xb2\xa1"):
        return _pcap(head)
    if head[:4] == b"\x0a\x0d\x0d\x0a":
        return _pcapng(head)
    if head[:2] == b"PK":
        return _zip(path)
    for magic, kind, words in MAGIC:
        if head.startswith(magic):
            if kind == "gzip":
                return _gzip(head, path)
            return Sniffed(kind, words, True)
    asterix = _asterix_blocks(head)
    if asterix:
        return Sniffed("asterix", f"raw ASTERIX data blocks ({asterix})", True)
    if _is_text(head):
        return Sniffed("text", "text", False)
    return Sniffed("binary", "binary data of an unknown format", True)


def require_text(path, expected: str) -> None:
    """Raise ``NotTextError`` when ``path`` is not text of the kind ``expected`` names (e.g.
    "NMEA AIS or a MarineCadastre CSV"). A ``.gz`` file must hold text; a gzip file under
    another name is named as such (the readers decompress by the ``.gz`` suffix)."""
    path = Path(path)
    got = sniff(path)
    if got.kind == "gzip" and path.suffix.lower() == ".gz":
        inner = got.inner
        if inner is None or not inner.binary:
            return
        raise NotTextError(f"{path}: expected {expected}; this .gz file holds "
                           f"{inner.description}")
    if got.kind == "gzip":
        raise NotTextError(f"{path}: expected {expected}; this is gzip-compressed data under a "
                           f"name without .gz (rename it {path.name}.gz)")
    if got.binary:
        raise NotTextError(f"{path}: expected {expected}; this looks like {got.description}")


# ---- formats -------------------------------------------------------------------------------

def _gzip(head: bytes, path: Path | None) -> Sniffed:
    """A gzip file and (as ``inner``) what its first decompressed bytes look like."""
    inner = None
    try:
        if path is not None:
            with gzip.open(path, "rb") as fh:
                data = fh.read(HEAD_BYTES)
        else:
            data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, HEAD_BYTES)
        inner = sniff_bytes(data)
    except (OSError, EOFError, zlib.error):
        pass
    words = "gzip-compressed data" + (f" ({inner.description})" if inner else "")
    return Sniffed("gzip", words, True, inner)


def _zip(path: Path | None) -> Sniffed:
    members: list[str] = []
    if path is not None:
        try:
            with zipfile.ZipFile(path) as z:
                members = z.namelist()
        except (zipfile.BadZipFile, OSError):
            return Sniffed("zip", "a zip archive (damaged)", True)
    if "xl/workbook.xml" in members:
        return Sniffed("xlsx", "an Excel workbook (.xlsx)", True)
    if "word/document.xml" in members:
        return Sniffed("docx", "a Word document (.docx)", True)
    if "content.xml" in members and "mimetype" in members:
        return Sniffed("ods", "an OpenDocument file (.ods/.odt)", True)
    shown = ", ".join(members[:3]) + (" …" if len(members) > 3 else "")
    return Sniffed("zip", f"a zip archive ({shown or 'empty'})", True)


def _pcap(head: bytes) -> Sniffed:
    """Classic libpcap: 24-byte global header (link type at 20), then records of
    ts_sec, ts_usec, incl_len, orig_len + data."""
    endian = "<" if head[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    if len(head) < 24:
        return Sniffed("pcap", "a pcap network capture (truncated)", True)
    linktype = struct.unpack(endian + "I", head[20:24])[0] & 0x0FFFFFFF
    packets = []
    at = 24
    while at + 16 <= len(head) and len(packets) < 8:
        incl = struct.unpack(endian + "I", head[at + 8:at + 12])[0]
        packets.append(head[at + 16:at + 16 + incl])
        at += 16 + incl
    return Sniffed("pcap", "a pcap network capture" + _payload_words(packets, linktype), True)


def _pcapng(head: bytes) -> Sniffed:
    """pcapng: blocks of type, total length …; the interface block (1) carries the link type,
    enhanced packet blocks (6) the packets."""
    if len(head) < 12:
        return Sniffed("pcapng", "a pcapng network capture (truncated)", True)
    magic = head[8:12]
    endian = "<" if magic == b"\x4d\x3c\x2b\x1a" else ">"
    linktype, packets, at = 1, [], 0
    while at + 12 <= len(head) and len(packets) < 8:
        btype, blen = struct.unpack(endian + "II", head[at:at + 8])
        if blen < 12:
            break
        if btype == 1 and at + 10 <= len(head):
            linktype = struct.unpack(endian + "H", head[at + 8:at + 10])[0]
        elif btype == 6 and at + 28 <= len(head):
            caplen = struct.unpack(endian + "I", head[at + 20:at + 24])[0]
            packets.append(head[at + 28:at + 28 + caplen])
        at += blen
    return Sniffed("pcapng", "a pcapng network capture" + _payload_words(packets, linktype),
                   True)


def _udp_payload(frame: bytes, linktype: int) -> bytes | None:
    """The UDP payload of one captured frame (Ethernet, Linux cooked, raw IPv4), else None."""
    if linktype == 1:                      # Ethernet (with one optional 802.1Q tag)
        if len(frame) < 14:
            return None
        ethertype, at = struct.unpack(">H", frame[12:14])[0], 14
        if ethertype == 0x8100 and len(frame) >= 18:
            ethertype, at = struct.unpack(">H", frame[16:18])[0], 18
        if ethertype != 0x0800:
            return None
        ip = frame[at:]
    elif linktype == 113:                  # Linux cooked capture (SLL)
        ip = frame[16:]
    elif linktype in (101, 228, 12):       # raw IP
        ip = frame
    else:
        return None
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:       # IPv4 carrying UDP
        return None
    ihl = (ip[0] & 0x0F) * 4
    return ip[ihl + 8:]


def _payload_words(packets: list[bytes], linktype: int) -> str:
    for frame in packets:
        payload = _udp_payload(frame, linktype)
        if not payload:
            continue
        cat = _asterix_blocks(payload, whole=True)
        if cat:
            return f" of ASTERIX {cat} over UDP (radar data, not AIS)"
        text = payload[:200].lstrip()
        if text[:1] in (b"!", b"$", b"\\"):
            return " of NMEA sentences over UDP (extract the payloads, e.g. with tshark, " \
                   "or send them to --ais udp://)"
    return ""


def _asterix_blocks(data: bytes, whole: bool = False) -> str:
    """``"CAT048 (monoradar target reports)"`` when ``data`` is a chain of ASTERIX data blocks
    (category byte, big-endian length counting the 3-byte header), else "". ``whole``: one UDP
    payload, which the blocks must fill exactly. Otherwise (the head of a file) the blocks
    must fill it or at least two must chain, and the bytes must not be text: 48 is ASCII "0"
    and 62 is ">", so a CSV is never taken for radar data."""
    at, blocks, first = 0, 0, None
    while at + 3 <= len(data):
        cat, length = data[at], struct.unpack(">H", data[at + 1:at + 3])[0]
        if cat not in ASTERIX_CATEGORIES or length < 4:
            break
        first = cat if first is None else first
        blocks += 1
        at += length
    if not blocks:
        return ""
    if whole:
        if at != len(data):
            return ""
    elif not (at == len(data) or blocks >= 2) or _is_text(data[:512]):
        return ""
    return f"CAT{first:03d} ({ASTERIX_CATEGORIES[first]})"


def _is_text(head: bytes) -> bool:
    """UTF-8 (or Latin-1 looking) text: no NUL bytes, few control bytes."""
    sample = head[:8192]
    if b"\x00" in sample:
        return False
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls <= len(sample) // 100
