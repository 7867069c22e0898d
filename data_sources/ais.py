"""AIS messages from NMEA sentences: reassembly, checks, decoding (pyais) and cleaning.

pyais decodes every message type, but on its own it passes "not available" codes through as
numbers, decodes messages of the wrong bit length and illegal armour, leaves '@' padding in
text, collapses reserved ship-type / EPFD codes to 0, and reads type 17 and 22/23 positions in
the wrong units. This module adds what a twin needs on top (declared as tables, one routine
walks them):

* fragments reassembled per (source, channel, sequence id) or tag-block group, with a timeout;
* armour and bit-length checks per type (``EXPECTED_BITS``) -> rejected with a counted reason;
* one record per message with pyais / gpsd field names, scaled to real units, every
  not-available code as ``None`` and the raw code kept under ``raw`` (``NOT_AVAILABLE``);
* positions that are out of range (not the n/a code) reject the message: a corrupt one.
"""
from __future__ import annotations

import dataclasses
import functools
import keyword
import math
import re
from collections import OrderedDict
from dataclasses import dataclass, field

from pyais.bit_vector import int_bit_vector
from pyais.messages import (ENUM_FIELDS, MSG_CLASS, MessageType8Dac1Fid11,
                            MessageType8Dac1Fid31)

from . import nmea
from .nmea import FramingError, Sentence

# Message length in bits, per type: (minimum, maximum). From ITU-R M.1371-5 Annex 8, widened
# where real transmitters pad to a byte or slot boundary (types 16, 20, 21 — gpsd's corpus has
# all three) and, for types 1-3, down to 149 bits: everything but the trailing 19-bit radio
# (communication state) field is there, so the report is used and ``radio`` is None.
EXPECTED_BITS = {
    1: (149, 168), 2: (149, 168), 3: (149, 168), 4: (168, 168), 5: (420, 426),
    6: (88, 1008), 7: (72, 168), 8: (56, 1008), 9: (168, 168), 10: (72, 72),
    11: (168, 168), 12: (72, 1008), 13: (72, 168), 14: (40, 1008), 15: (88, 168),
    16: (96, 168), 17: (80, 816), 18: (168, 168), 19: (312, 312), 20: (72, 192),
    21: (272, 368), 22: (168, 168), 23: (160, 160), 24: (160, 168), 25: (40, 168),
    26: (60, 1064), 27: (96, 168),
}

# Field -> raw values meaning "not available" (or invalid), per message family.
_POS_1_4 = {"lon": {181.0}, "lat": {91.0}}
NOT_AVAILABLE = {
    "speed": {102.3},            # 1023 raw; 102.2 means ">= 102.2 kn" and is kept
    "course": {360.0},           # 3600 raw; values above are invalid and also dropped
    "heading": {511},
    "status": {15},
    "second": {60, 61, 62, 63},  # 60 n/a, 61 manual, 62 dead reckoning, 63 inoperative
    "imo": {0},
    "draught": {0.0},
    "shiptype": {0},
    "epfd": {0},
    "aid_type": {0},
}
NOT_AVAILABLE_BY_TYPE = {
    9: {"speed": {1023}, "alt": {4095}},
    27: {"speed": {63}, "course": {511}},
}
# Bit offsets of fields pyais collapses (reserved codes -> 0): read from the bits ourselves.
_SHIPTYPE_AT = {5: 232, 19: 263}
_EPFD_AT = {4: 134, 11: 134, 5: 270, 19: 301, 21: 249}

# The n/a rules of each message type, merged once.
_RULES = {t: {**NOT_AVAILABLE, **NOT_AVAILABLE_BY_TYPE.get(t, {}),
              **({} if t in (17, 22, 23) else _POS_1_4)} for t in range(0, 28)}
TEXT_FIELDS = ("shipname", "callsign", "destination", "name", "text", "name_ext", "vendorid")

# pyais name -> gpsd / project name
RENAME = {"msg_type": "type", "ship_type": "shiptype"}


# DAC 1 FI 31 meteorological and hydrological data (IMO SN.1/Circ.289): the valid range of each
# field in the units pyais gives (°C, hPa, m, kn, degrees, %, s, ‰). Anything outside — the
# not-available codes (air temp -102.4, pressure 1310, water level 30.01, wind 127 …) and reserved
# values — becomes None with the raw value kept.
FI31_VALID = {
    "lon": (-180, 180), "lat": (-90, 90), "day": (1, 31), "hour": (0, 23), "minute": (0, 59),
    "wspeed": (0, 126), "wgust": (0, 126), "wdir": (0, 359), "wgustdir": (0, 359),
    "airtemp": (-60.0, 60.0), "humidity": (0, 100), "dewpoint": (-20.0, 50.0),
    "pressure": (799, 1201), "pressuretend": (0, 2), "visibility": (0.0, 12.6),
    "waterlevel": (-10.0, 30.0), "leveltrend": (0, 2),
    "cspeed": (0.0, 25.1), "cdir": (0, 359), "cspeed2": (0.0, 25.1), "cdir2": (0, 359),
    "cdepth2": (0, 30), "cspeed3": (0.0, 25.1), "cdir3": (0, 359), "cdepth3": (0, 30),
    "waveheight": (0.0, 25.1), "waveperiod": (0, 60), "wavedir": (0, 359),
    "swellheight": (0.0, 25.1), "swellperiod": (0, 60), "swelldir": (0, 359),
    "seastate": (0, 12), "watertemp": (-10.0, 50.0), "preciptype": (0, 6),
    "salinity": (0.0, 50.0), "ice": (0, 1),
}


# DAC 1 FI 11, the met-hydro message FI 31 superseded (IMO SN/Circ.236), still transmitted:
# the same fields and ranges except these (its n/a codes differ too: air temp 144.7, pressure 1311,
# water level 41.1, directions 511 …, all outside the ranges).
FI11_VALID = {**FI31_VALID, "pressure": (800, 1200), "visibility": (0.0, 25.0),
              "cspeed": (0.0, 25.0), "cspeed2": (0.0, 25.0), "cspeed3": (0.0, 25.0),
              "waveheight": (0.0, 25.0), "swellheight": (0.0, 25.0)}
# FI -> (pyais class, valid ranges) for the DAC 1 met-hydro messages; both are 352 bits.
MET_HYDRO = {31: (MessageType8Dac1Fid31, FI31_VALID), 11: (MessageType8Dac1Fid11, FI11_VALID)}


def _decode_met_hydro(bv, fi: int) -> dict:
    """A DAC 1 FI 31 / FI 11 met-hydro report, cleaned; ``timestamp`` 'DDTHH:MMZ' (day of
    month, UTC)."""
    cls, valid = MET_HYDRO[fi]
    msg = cls.from_vector(bv)
    rec = {ours: getattr(msg, name) for name, ours in _fields(cls)}
    raw = {}
    for name, (lo, hi) in valid.items():
        value = rec.get(name)
        if value is not None and not lo <= value <= hi:
            raw[name], rec[name] = value, None
    day, hour, minute = rec.get("day"), rec.get("hour"), rec.get("minute")
    rec["timestamp"] = (f"{day:02d}T{hour:02d}:{minute:02d}Z"
                        if None not in (day, hour, minute) else None)
    if raw:
        rec["raw"] = raw
    return rec


def _minutes_pos(bv, lon_at: int, lat_at: int) -> tuple:
    """Signed lon (18 bits) / lat (17 bits) in 1/10 minute, as degrees (type 17, 22, 23)."""
    lon = bv.get_num(lon_at, 18, signed=True) / 600.0
    lat = bv.get_num(lat_at, 17, signed=True) / 600.0
    return round(lon, 6), round(lat, 6)


def _rate_of_turn(raw: int) -> float | None:
    """ITU-R M.1371 ROT indicator -> degrees per minute (None for n/a and 'no turn indicator')."""
    if raw in (-128, 127, -127):
        return None
    return math.copysign((raw / 4.733) ** 2, raw)


# Type-specific repairs, run before the n/a rules: fields pyais reads in the wrong units or
# collapses, read again from the bits. Each takes (record, raw codes, bit vector, length in bits).
def _fix_position_report(rec, raw, bv, bits):           # types 1, 2, 3
    raw["turn"] = bv.get_num(42, 8, signed=True)
    rec["turn"] = _rate_of_turn(raw["turn"])
    if bits < 168:
        rec["radio"] = None                             # truncated communication state


_fix_position_report.sets = ("turn", "radio")           # what a repair sets (else: any field)


def _fix_type17(rec, raw, bv, bits):
    rec["lon"], rec["lat"] = _minutes_pos(bv, 40, 58)


def _fix_type22(rec, raw, bv, bits):
    if not rec.get("addressed"):
        rec["ne_lon"], rec["ne_lat"] = _minutes_pos(bv, 69, 87)
        rec["sw_lon"], rec["sw_lat"] = _minutes_pos(bv, 104, 122)


def _fix_type23(rec, raw, bv, bits):
    rec["ne_lon"], rec["ne_lat"] = _minutes_pos(bv, 40, 58)
    rec["sw_lon"], rec["sw_lat"] = _minutes_pos(bv, 75, 93)


def _fix_type24(rec, raw, bv, bits):
    if rec.get("partno") == 1:
        rec["shiptype"] = bv.get_num(40, 8)


def _bits_at(field_name: str, at: int, width: int):
    def fix(rec, raw, bv, bits):
        # always from the bits: pyais maps codes its enums lack to 0 (ship type 100-255) or
        # to a neighbour (ship type 66, a reserved passenger code, comes back as 65)
        rec[field_name] = bv.get_num(at, width)
    fix.sets = (field_name,)
    return fix


def _hex_data(rec, raw, bv, bits):
    """Binary application data (``data``, and pyais's DAC/FI-specific ``area_data``,
    ``target_data``, ``reports_data`` …) as hex text: a record must print as JSON."""
    for name, value in rec.items():
        if isinstance(value, bytes):
            rec[name] = value.hex()


_FIXES = {1: [_fix_position_report], 2: [_fix_position_report], 3: [_fix_position_report],
          17: [_fix_type17, _hex_data], 22: [_fix_type22], 23: [_fix_type23], 24: [_fix_type24],
          6: [_hex_data], 8: [_hex_data], 25: [_hex_data], 26: [_hex_data]}
for _t, _at in _SHIPTYPE_AT.items():
    _FIXES.setdefault(_t, []).append(_bits_at("shiptype", _at, 8))
for _t, _at in _EPFD_AT.items():
    _FIXES.setdefault(_t, []).append(_bits_at("epfd", _at, 4))


# Repairs after the n/a rules: derived fields.
def _join_name_ext(rec, raw):                           # type 21, as gpsd: one full name
    if rec.get("name_ext"):
        rec["name"] = (rec.get("name") or "") + rec["name_ext"]


def _set_eta(rec, raw):
    rec["eta"] = _eta(rec, raw)


def _set_utc_timestamp(rec, raw):
    rec["timestamp"] = _utc_timestamp(rec)


_FINISH = {21: [_join_name_ext], 5: [_set_eta], 4: [_set_utc_timestamp],
           11: [_set_utc_timestamp]}


@dataclass(frozen=True)
class _Plan:
    """What to do with one pyais message class, worked out once instead of per message:
    its non-spare fields under our names (and which are enums), which not-available rules,
    angle checks, text fields and repairs apply to it — and ``clean``, the same steps written
    out as one function for that class (``_compile``)."""

    plain: tuple             # (pyais name, our name) of fields taken as they are
    enums: tuple             # (pyais name, our name) of enum fields, given as their codes
    fixes: tuple             # repairs from the bits, before the n/a rules
    rules: tuple             # (our name, n/a codes)
    angles: tuple            # course / heading: valid only in [0, 360)
    texts: tuple             # our names of 6-bit text fields
    finish: tuple            # derived fields, after the n/a rules
    has_position: bool       # lon / lat to range-check
    clean: object = None     # (message, bit vector, bits) -> the cleaned record


# (pyais class, the fields asked for or None) -> plan; a pyais class is of one message type
_PLANS: dict[tuple, _Plan] = {}


@functools.cache
def _fields(cls) -> tuple:
    """(pyais name, our name) of a pyais message class's fields, spare bits left out."""
    meta = cls.field_dict()
    return tuple((name, RENAME.get(name, name)) for name in cls.__slots__
                 if not (name in meta and meta[name].metadata.get("is_spare")))


def _plan(cls, msg_type: int, only: frozenset | None = None) -> _Plan:
    """The plan of a pyais class; with ``only``, of those of its fields only (and the
    repairs that set one of them), for a caller that reads no others."""
    plan = _PLANS.get((cls, only))
    if plan is None:
        fields = tuple(f for f in _fields(cls) if only is None or f[1] in only)
        ours = {f[1] for f in fields}
        fixes = [fix for fix in _FIXES.get(msg_type, ())
                 if only is None or not hasattr(fix, "sets") or ours.intersection(fix.sets)]
        plan = _Plan(
            plain=tuple(f for f in fields if f[0] not in ENUM_FIELDS),
            enums=tuple(f for f in fields if f[0] in ENUM_FIELDS),
            fixes=tuple(fixes),
            rules=tuple((n, c) for n, c in _RULES[msg_type].items() if n in ours),
            angles=tuple(n for n in ("course", "heading") if n in ours),
            texts=tuple(n for n in TEXT_FIELDS if n in ours),
            finish=tuple(_FINISH.get(msg_type, ())),
            has_position="lon" in ours or "lat" in ours)
        plan = _PLANS[(cls, only)] = dataclasses.replace(plan, clean=_compile(plan, msg_type))
    return plan


def _compile(plan: _Plan, msg_type: int):
    """The plan's steps for one message as the body of one function — what a loop over the
    plan's tables would do for each message, without the loops (a decoder's per-message
    cost: every position report goes through it). The steps, in order: fields, enum codes,
    repairs, not-available codes -> None (raw kept), angles, text padding, derived fields,
    the position's range. Names in the code are pyais's attribute names (identifiers) and
    our names as string literals; the tables it reads are passed in, never written out."""
    env = {"AisError": AisError}

    def attr(name: str) -> str:      # an attribute no identifier names (none today): getattr
        ok = name.isidentifier() and not keyword.iskeyword(name)
        return f"msg.{name}" if ok else f"getattr(msg, {name!r})"

    body = ["def clean(msg, bv, bits):"]
    fields = ", ".join(f"{ours!r}: {attr(name)}" for name, ours in plan.plain)
    body.append(f"    rec = {{{fields}}}")
    for name, ours in plan.enums:
        body += [f"    v = {attr(name)}", f"    rec[{ours!r}] = None if v is None else int(v)"]
    body.append("    raw = {}")
    for i, fix in enumerate(plan.fixes):
        env[f"fix{i}"] = fix
        body.append(f"    fix{i}(rec, raw, bv, bits)")
    for i, (name, codes) in enumerate(plan.rules):
        env[f"codes{i}"] = codes
        body += [f"    v = rec[{name!r}]",
                 f"    if v is not None and v in codes{i}:",
                 f"        raw[{name!r}] = v",
                 f"        rec[{name!r}] = None"]
    for name in plan.angles:             # course 360.1-409.5, heading 360-510: invalid
        body += [f"    v = rec[{name!r}]",
                 "    if v is not None and not 0 <= v < 360:",
                 f"        raw[{name!r}] = v",
                 f"        rec[{name!r}] = None"]
    for name in plan.texts:
        body += [f"    v = rec[{name!r}]",
                 "    if isinstance(v, str):",
                 f"        rec[{name!r}] = v.split('@', 1)[0].strip() or None"]
    for i, finish in enumerate(plan.finish):
        env[f"finish{i}"] = finish
        body.append(f"    finish{i}(rec, raw)")
    if plan.has_position:
        body += ["    lon, lat = rec.get('lon'), rec.get('lat')",
                 "    if ((lon is not None and not -180 <= lon <= 180)",
                 "            or (lat is not None and not -90 <= lat <= 90)):",
                 f"        raise AisError('position_out_of_range', "
                 f"f'type {msg_type} lon={{lon}} lat={{lat}}')"]
    body += ["    if raw:", "        rec['raw'] = raw", "    return rec"]
    exec("\n".join(body), env)                # noqa: S102 — our own tables, no outside text
    return env["clean"]


class AisError(ValueError):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


MAX_LINE = 1024      # characters: an NMEA sentence is at most 82, a tag block adds a few dozen
_ARMOUR_OK = frozenset(chr(c) for c in list(range(48, 88)) + list(range(96, 120)))
_ARMOUR = re.compile(r"[0-W`-w]+")      # the same characters: one C scan per payload


def _check_payload(payload: str, fill_bits: int) -> tuple[int, int]:
    """Armour and length checks -> (message type, length in bits)."""
    if _ARMOUR.fullmatch(payload) is None:
        bad = set(payload) - _ARMOUR_OK
        raise AisError("bad_armour", f"illegal characters {''.join(sorted(bad))!r}")
    msg_type = ord(payload[0]) - 48
    msg_type -= 8 if msg_type > 40 else 0
    bits = len(payload) * 6 - fill_bits
    lo, hi = EXPECTED_BITS.get(msg_type, (0, -1))
    if not lo <= bits <= hi:
        raise AisError("bad_length", f"type {msg_type}: {bits} bits, expected {lo}-{hi}")
    return msg_type, bits


def decode_payload(payload: str, fill_bits: int = 0, only: dict | None = None) -> dict:
    """One complete AIS payload -> a cleaned record. Raises ``AisError`` with a reason.
    ``only``: message type -> the fields a caller reads of it (its record has those only,
    cleaned the same way); types not in it have all their fields."""
    msg_type, bits = _check_payload(payload, fill_bits)
    bv = int_bit_vector(payload.encode("ascii"), fill_bits)
    if msg_type == 8 and bv.get_num(40, 10) == 1 and (fi := bv.get_num(50, 6)) in MET_HYDRO:
        if bits < 352:
            raise AisError("bad_length", f"type 8 DAC 1 FI {fi}: shorter than 352 bits")
        return _check_mmsi(_decode_met_hydro(bv, fi))
    try:
        msg = MSG_CLASS[msg_type].from_vector(bv)
    except Exception as exc:  # pyais raises assorted errors on malformed content
        raise AisError("undecodable", f"type {msg_type}: {exc}") from None
    fields = only.get(msg_type) if only else None
    plan = _PLANS.get((type(msg), fields)) or _plan(type(msg), msg_type, fields)
    # The message as a dict — what pyais's asdict(enum_as_int=True) gives, under our names —
    # cleaned: n/a codes -> None with the raw code kept, repairs, range checks (``_compile``).
    return _check_mmsi(plan.clean(msg, bv, bits))


def _check_mmsi(rec: dict) -> dict:
    mmsi = rec.get("mmsi")
    if not mmsi or mmsi > 999_999_999:
        raise AisError("invalid_mmsi", str(mmsi))
    return rec


_ETA_VALID = (("month", 1, 12), ("day", 1, 31), ("hour", 0, 23), ("minute", 0, 59))


def _eta(rec: dict, raw: dict) -> str | None:
    """ETA 'MM-DDTHH:MMZ' (no year in AIS); n/a parts (month 0, day 0, hour 24, minute 60)."""
    for key, lo, hi in _ETA_VALID:
        value = rec.get(key)
        if value is None or not lo <= value <= hi:
            raw[key] = value
            rec[key] = None
    if rec["month"] is None or rec["day"] is None:
        return None
    h = rec["hour"] if rec["hour"] is not None else 0
    m = rec["minute"] if rec["minute"] is not None else 0
    return f"{rec['month']:02d}-{rec['day']:02d}T{h:02d}:{m:02d}Z"


def _utc_timestamp(rec: dict) -> str | None:
    y, mo, d = rec.get("year"), rec.get("month"), rec.get("day")
    h, mi, s = rec.get("hour"), rec.get("minute"), rec.get("second")
    if not (y and 1 <= (mo or 0) <= 12 and 1 <= (d or 0) <= 31 and h is not None and h < 24
            and mi is not None and mi < 60 and s is not None and s < 60):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z"


# First armour character of the message types that repeat unchanged (5, 6, 7, 8, 20, 21, 24):
# their records are worth remembering; position reports change every time (time stamp, radio).
_REPEATING = frozenset(chr(t + 48 if t < 40 else t + 56) for t in (5, 6, 7, 8, 20, 21, 24))


@dataclass
class _Pending:
    first_seen: float
    count: int
    parts: dict = field(default_factory=dict)   # frag_num -> Sentence
    items: dict = field(default_factory=dict)   # frag_num -> what the caller keeps (a line)


class Reassembler:
    """Joins multi-sentence messages. Keyed by tag-block group when present, else by
    (source, channel, sequence id, fragment count). Fragments may arrive out of order; an
    incomplete message older than ``timeout_s`` is dropped and its fragments counted as
    orphans; a fragment that collides with a different message under the same key (a reused
    sequence id) ends the old one as orphaned."""

    max_pending = 10_000

    def __init__(self, timeout_s: float = 10.0, on_reject=None):
        self.timeout_s = timeout_s
        self.on_reject = on_reject or (lambda reason, detail: None)
        # oldest first; an OrderedDict: a flood of first fragments takes the oldest out for
        # every new one (see AisDecoder._seen)
        self._pending: OrderedDict[tuple, _Pending] = OrderedDict()
        self._next_expiry = float("-inf")

    def _orphan(self, key, pending: _Pending, why: str) -> None:
        self.on_reject("orphan_fragment", f"{why}: {len(pending.parts)} of {pending.count} "
                                          f"fragments, key {key}")

    def add(self, s: Sentence, now: float) -> tuple[str, int, Sentence] | None:
        """Feed one sentence; returns (payload, fill bits, first sentence) when complete."""
        if self._pending and now >= self._next_expiry:      # look at most once a second
            self.expire(now)
            self._next_expiry = now + 1.0
        if s.frag_count == 1:
            return s.payload, s.fill_bits, s
        parts = self._add_fragment(s, now, None)
        if parts is None:
            return None
        return "".join(p.payload for p, _ in parts), parts[-1][0].fill_bits, parts[0][0]

    def add_item(self, s: Sentence, item, now: float) -> list | None:
        """As ``add``, keeping ``item`` (the sentence's line, say) with each fragment: returns
        the items of the complete message in fragment order, else None."""
        if self._pending and now >= self._next_expiry:
            self.expire(now)
            self._next_expiry = now + 1.0
        if s.frag_count == 1:
            return [item]
        parts = self._add_fragment(s, now, item)
        return None if parts is None else [i for _, i in parts]

    def _add_fragment(self, s: Sentence, now: float, item) -> list | None:
        """One fragment of a multi-sentence message; (sentence, item) of every fragment in
        order once the message is complete."""
        key = (s.station, s.group) if s.group else (s.station, s.channel, s.seq_id, s.frag_count)
        pending = self._pending.get(key)
        if pending is not None and (pending.count != s.frag_count or s.frag_num in pending.parts):
            self._orphan(key, pending, "sequence id reused")
            pending = None
        if pending is None:
            if len(self._pending) >= self.max_pending:     # a flood of first fragments
                old = next(iter(self._pending))
                self._orphan(old, self._pending.pop(old), "too many incomplete messages")
            pending = self._pending[key] = _Pending(first_seen=now, count=s.frag_count)
        pending.parts[s.frag_num] = s
        pending.items[s.frag_num] = item
        if len(pending.parts) < pending.count:
            return None
        del self._pending[key]
        return [(pending.parts[i], pending.items[i]) for i in range(1, pending.count + 1)]

    def expire(self, now: float) -> None:
        for key in [k for k, p in self._pending.items() if now - p.first_seen > self.timeout_s]:
            self._orphan(key, self._pending.pop(key), "timed out")

    def flush(self) -> None:
        """End of input: whatever is still incomplete is an orphan."""
        for key in list(self._pending):
            self._orphan(key, self._pending.pop(key), "input ended")


class AisDecoder:
    """Lines in, cleaned records out. Rejects go to ``on_reject(reason, detail)``; anomalies in
    messages that are still used (a tag block with a wrong checksum) and merged duplicates go to
    ``on_warning``.

    Duplicates: one transmission heard by several receivers arrives as the same payload with
    (nearly) the same time. Identical payloads within ``dedup_window_s`` of message time are
    merged: the first is kept, the rest counted. 0 turns merging off (a decoder test corpus).

    Repeats: static and voyage data (types 5, 24), aids to navigation (21) and binary messages
    are sent again unchanged every few minutes; their decoded records are remembered by payload
    (``cache_size`` of them) and a repeat gets a copy instead of a second decode. In the
    re-encoded NY hour 86 % of type 24 are such repeats.
    """

    def __init__(self, on_reject=None, timeout_s: float = 10.0, on_warning=None,
                 dedup_window_s: float = 3.0, dedup_memory: int = 50_000,
                 cache_size: int = 20_000, time_check=None, only: dict | None = None):
        self.time_check = time_check                  # timecheck.LiveTimeCheck for live feeds
        self.only = only                              # type -> fields read (decode_payload)
        self.on_reject = on_reject or (lambda reason, detail: None)
        self.on_warning = on_warning or (lambda reason, detail: None)
        self.reassembler = Reassembler(timeout_s, self.on_reject)
        self.dedup_window_s = dedup_window_s
        self.dedup_memory = dedup_memory
        self.duplicates = 0
        # (payload, fill) -> message time, in two generations: what was heard since the last
        # turn, and in the span before it (``_is_duplicate``)
        self._seen: dict[tuple, float] = {}
        self._seen_before: dict[tuple, float] = {}
        self._turn_at = float("-inf")
        self.cache_size = cache_size
        self.cache_hits = 0
        self._decoded: dict[tuple, dict] = {}        # (payload, fill) -> record (repeat types)
        self.last_payload: tuple | None = None       # (payload, fill) of the last record

    def _decode(self, payload: str, fill: int) -> dict:
        if payload[:1] not in _REPEATING or self.cache_size <= 0:
            return decode_payload(payload, fill, self.only)
        key = (payload, fill)
        cached = self._decoded.get(key)
        if cached is not None:
            self.cache_hits += 1
            record = dict(cached)
            if "raw" in record:
                record["raw"] = dict(record["raw"])
            return record
        record = decode_payload(payload, fill, self.only)   # rejects raise: never cached
        if len(self._decoded) >= self.cache_size:    # forget the oldest half
            for old in list(self._decoded)[: self.cache_size // 2]:
                del self._decoded[old]
        self._decoded[key] = dict(record, raw=dict(record["raw"])) if "raw" in record \
            else dict(record)
        return record

    def _is_duplicate(self, payload: str, fill: int, t: float) -> bool:
        """Whether this payload was heard within ``dedup_window_s`` of ``t`` (counted). The
        payloads heard are kept in two generations that turn every ``max(60, 20 × window)``
        seconds of message time, or when the newer holds ``dedup_memory``: the older is
        forgotten, so memory follows the last minutes' traffic and no single payload is
        looked after on its own."""
        key = (payload, fill)
        last = self._seen.get(key)
        if last is None:
            last = self._seen_before.get(key)
        if last is not None and abs(t - last) <= self.dedup_window_s:
            self.duplicates += 1
            return True
        if t >= self._turn_at or len(self._seen) >= self.dedup_memory:
            self._seen_before, self._seen = self._seen, {}
            self._turn_at = t + max(60.0, 20 * self.dedup_window_s)
        self._seen[key] = t
        return False

    def feed(self, line: str, arrival: float) -> dict | None:
        """One line of outside text -> a record, or None (rejected and counted, or a fragment
        of a message still incomplete). Never raises: whatever a line makes the decoder raise
        is a counted ``internal_error``.

        With a ``time_check`` (a live feed) the framing's time is used only when it is
        plausible against the arrival time; otherwise the arrival time is, and the reason is
        counted as a note (the message itself is still good)."""
        if len(line) > MAX_LINE:
            self.on_reject("line_too_long", f"{len(line)} characters")
            return None
        line = line.strip()
        if not line or line.startswith("#"):
            return None
        try:
            sentence = nmea.parse(line)
            if not sentence.tag_checksum_ok:
                self.on_warning("bad_tagblock_checksum", line[:80])
            # Fragment timeouts run on arrival time: receive times of different stations in one
            # feed are not one clock.
            done = self.reassembler.add(sentence, arrival)
            if done is None:
                return None
            payload, fill, first = done
            t = first.rx_time
            if self.time_check is not None:
                t, why = self.time_check.check(t, arrival)
                if why:
                    self.on_warning(why, f"{first.rx_time!r} vs receive time {arrival:.0f}")
            elif t is None:
                t = arrival
            elif t != t:                               # NaN: a time that is no time
                self.on_warning("time_implausible", line[:80])
                t = arrival
            if self.dedup_window_s > 0 and self._is_duplicate(payload, fill, t):
                self.on_warning("duplicate", f"{payload[:20]}… from {first.station or '?'}")
                return None
            record = self._decode(payload, fill)
            self.last_payload = (payload, fill)
        except (FramingError, AisError) as err:
            self.on_reject(err.reason, err.detail)
            return None
        except Exception as exc:          # a line no check foresaw: counted, never fatal
            self.on_reject("internal_error", f"{type(exc).__name__}: {exc}: {line[:60]}")
            return None
        record["ts"] = t
        if first.station:
            record["station"] = first.station
        record["channel"] = first.channel or None
        record["own"] = first.own
        return record

    def finish(self) -> None:
        self.reassembler.flush()
