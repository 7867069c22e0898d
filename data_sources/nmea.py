"""NMEA 0183 framing for AIS: one line of outside text -> one checked ``Sentence``.

Framings read (any talker — AI, AB, BS, WS …; VDM and VDO):

* plain ``!AIVDM,1,1,,A,<payload>,0*hh``, with any junk before the ``!``;
* IEC 62320-1 tag blocks ``\\c:<epoch>,s:<station>,g:<n>-<m>-<id>*hh\\!AIVDM…``;
* a leading epoch column ``1452468552.123 !AIVDM…``;
* the USCG trailer ``…*hh,rSTATION,epoch`` (with the optional d/S/t/T fields before it).

Receive time comes from the framing when it has one (tag block ``c:``, leading epoch, USCG
trailer), else from the arrival time the caller passes. Problems raise ``FramingError`` with a
reason the feed counts; they never stop it. A tag block whose checksum fails is not believed:
its time, station and group are ignored (``Sentence.tag_checksum_ok`` is False and the decoder
counts it), the sentence itself — which has its own checksum — is still used. Times that are not
plausible epoch seconds (``nan``, ``inf``, ``1e93475727``, 0) are no time at all.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache, reduce
from operator import xor
from typing import NamedTuple

from .timecheck import plausible_epoch

_SENTENCE = re.compile(r"[!$](?P<talker>[A-Z]{2})(?P<fmt>VD[MO]),")
_EPOCH = re.compile(r"^\s*(?P<t>\d{9,10}(?:\.\d+)?)[\s,;]")


class FramingError(ValueError):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class Sentence(NamedTuple):
    """One checked sentence (a NamedTuple: immutable, and cheap to build for every line)."""

    talker: str              # AI, AB, BS, …
    own: bool                # VDO: our own ship
    frag_count: int
    frag_num: int
    seq_id: str              # '' when absent
    channel: str             # 'A', 'B', '1', '2' or ''
    payload: str
    fill_bits: int
    rx_time: float | None    # epoch seconds from the framing, else None; NaN: implausible
    station: str | None      # receiver / source id from the framing
    group: str | None        # tag-block group id of a multi-sentence message
    tag_checksum_ok: bool = True  # False: the tag block's own checksum did not match


_DIGITS = {str(d): d for d in range(10)}   # fragment count/number and fill bits: one digit


def checksum(body: str) -> int:
    """NMEA checksum: XOR of the characters between '!' (or '$') and '*'."""
    return reduce(xor, body.encode("latin-1"), 0)


def _tag_block(body: str) -> tuple[dict, bool]:
    """``c:1565218798,s:rORBCOMM008,g:1-2-1604*37`` -> (fields, checksum matches).

    Only a tag block whose checksum matches is believed: one flipped bit in ``c:`` would
    otherwise move the twin's clock by centuries. A tag block without a checksum (some
    loggers write none) is read as it is.
    """
    ok = True
    fields = body
    if "*" in body:
        fields, _, cs = body.rpartition("*")
        try:
            ok = len(cs) == 2 and checksum(fields) == int(cs, 16)
        except ValueError:
            ok = False
        if not ok:
            return {}, False
    out = {}
    for item in fields.split(","):
        key, sep, value = item.partition(":")
        if sep:
            out[key] = value
    return out, ok


def _unix_time(text: str | None) -> float | None:
    """Epoch seconds (or milliseconds) from the framing: None when there is none, NaN when
    there is one that is no plausible time (1980-2100) — the decoder counts those."""
    if not text:
        return None
    if len(text) > 20 or not text.isascii():
        return math.nan
    try:
        t = float(text)
    except ValueError:
        return math.nan
    if t > 1e11:          # some feeds write milliseconds
        t /= 1000.0
    return t if plausible_epoch(t) else math.nan


@lru_cache(maxsize=4096)
def _read_tag_block(body: str) -> tuple:
    """(receive time, station, group id, checksum ok) of a tag block's text. One receiver
    stamps every sentence of a second alike (``c:…,s:…*hh``): the tag blocks read lately are
    remembered, so such a repeat is one lookup (77 % of the NY hour's lines) instead of a
    checksum and a parse."""
    fields, ok = _tag_block(body)
    g = fields.get("g")
    return (_unix_time(fields.get("c")), fields.get("s"),
            None if g is None else g.split("-")[-1] if g.count("-") == 2 else g, ok)


def parse(line: str) -> Sentence:
    """Frame one line. Raises ``FramingError(reason)`` for lines that carry no usable AIS."""
    start = line.find("!")
    if start >= 0 and line[start + 3:start + 7] in ("VDM,", "VDO,"):   # the common case
        talker, fmt = line[start + 1:start + 3], line[start + 3:start + 6]
    else:
        m = _SENTENCE.search(line)
        if m is None:
            raise FramingError("not_ais", line[:40])
        start, talker, fmt = m.start(), m.group("talker"), m.group("fmt")
    prefix = line[:start]
    rx_time, station, group, tag_ok = None, None, None, True

    # a tag block: from the first backslash to the next
    tag_at = prefix.find("\\")
    tag_end = prefix.find("\\", tag_at + 1) if tag_at >= 0 else -1
    if tag_end > 0:
        rx_time, station, group, tag_ok = _read_tag_block(prefix[tag_at + 1:tag_end])
    elif prefix and (epoch := _EPOCH.match(prefix)) is not None:
        rx_time = _unix_time(epoch.group("t"))

    star = line.find("*", start)
    if star < 0 or len(line) < star + 3:
        raise FramingError("no_checksum", line[start:start + 40])
    body = line[start + 1:star]
    try:
        expected = int(line[star + 1:star + 3], 16)
    except ValueError:
        raise FramingError("no_checksum", line[start:start + 40]) from None
    if checksum(body) != expected:
        raise FramingError("bad_checksum", line[start:start + 60])

    if len(line) > star + 3 and line[star + 3] == ",":   # USCG: ,d-109,S2105,…,r003669946,1325394060
        for item in line[star + 4:].split(","):
            if item.startswith("r") and station is None:
                station = item[1:]
            elif rx_time is None and len(item) >= 9 and item.isascii() and item.isdigit():
                rx_time = _unix_time(item)

    parts = body.split(",")
    if len(parts) != 7:
        raise FramingError("bad_field_count", line[start:start + 60])
    _, count, num, seq, channel, payload, fill = parts
    frag_count, frag_num, fill_bits = _DIGITS.get(count), _DIGITS.get(num), _DIGITS.get(fill or "0")
    if frag_count is None or frag_num is None or fill_bits is None:
        raise FramingError("bad_fragment_fields", line[start:start + 60])
    if not 1 <= frag_num <= frag_count or fill_bits > 5:
        raise FramingError("bad_fragment_fields", line[start:start + 60])
    # positional: a third cheaper than keywords, and this runs for every line
    return Sentence(talker, fmt == "VDO", frag_count, frag_num, seq, channel, payload,
                    fill_bits, rx_time, station, group, tag_ok)
