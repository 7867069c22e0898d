"""Hostile NMEA: real bundled lines, mutated the ways real links and real attackers break them.

``mutations(lines, n, seed)`` yields ``n`` lines. About a third are the real line unchanged
(so the twin has a real picture to protect); the rest each get one mutation, drawn at random:

* ``bitflip``      one to three bits flipped anywhere in the line;
* ``truncate``     cut at a random place;
* ``random``       a line of random bytes (printable or not);
* ``repeat``       the line sent again (a duplicate from a second receiver);
* ``insert``       random bytes inserted at a random place;
* ``tag_checksum`` a tag block whose checksum is wrong (its fields must not be believed);
* ``tag_time``     a tag block with a good checksum and an absurd time: ``nan``, ``inf``,
  ``-inf``, ``1e17``, ``0``, ``9999999999`` (2286), ``1e93475727`` (a two-bit flip of a real
  time), a time a year ahead or behind, a non-ASCII digit;
* ``uscg_time``    a USCG trailer with an absurd or non-ASCII time (``1²72415370``);
* ``payload``      a good checksum over a payload of random armour characters (random MMSIs,
  random positions: what a corrupt receiver emits with its checksum recomputed);
* ``long``         a line of 10-100 kB without a line end in it.

Every line leaves as text; ``encode`` turns it into the bytes a TCP feed carries.
"""
from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from data_sources import nmea
from data_sources.transport import file_lines

ROOT = Path(__file__).resolve().parent.parent
NY_NMEA = ROOT / "data" / "ais" / "NYHarbor_2020_06_30_first_hour.nmea"
CORPORA = [NY_NMEA, ROOT / "data" / "ais" / "conformance" / "kystverket" / "Ais1000Lines.nm4",
           ROOT / "data" / "ais" / "conformance" / "gpsd" / "ais-nmea-type6-fid55.log",
           ROOT / "data" / "ais" / "conformance" / "gpsd" / "sample.aivdm"]

ABSURD_TIMES = ["nan", "inf", "-inf", "1e17", "0", "9999999999", "1e93475727", "-1",
                "1593475200e9", "1²72415370", "¹²³4567890", "0x5EFA8180", ""]
ARMOUR = [chr(c) for c in list(range(48, 88)) + list(range(96, 120))]
KINDS = ("bitflip", "truncate", "random", "repeat", "insert", "tag_checksum", "tag_time",
         "uscg_time", "payload", "long")


def real_lines(paths=None) -> list[str]:
    """The real NMEA lines of the bundled corpora (comments and blank lines left out)."""
    out = []
    for path in paths or CORPORA:
        out.extend(line for line in file_lines(path, encoding="latin-1")
                   if line.strip() and not line.startswith("#"))
    return out


def _sentence(line: str) -> tuple[str, str]:
    """(tag-block prefix, the rest) of a line."""
    if line.startswith("\\"):
        end = line.find("\\", 1)
        if end > 0:
            return line[:end + 1], line[end + 1:]
    return "", line


def _tag(fields: str, good: bool = True) -> str:
    cs = nmea.checksum(fields)
    return f"\\{fields}*{(cs if good else cs ^ 0x5A):02X}\\"


def mutate(line: str, kind: str, rng: random.Random, now: float | None = None) -> str:
    _, sentence = _sentence(line)
    if kind == "bitflip":
        b = bytearray(line.encode("latin-1"))
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
        return b.decode("latin-1").replace("\n", " ").replace("\r", " ")
    if kind == "truncate":
        return line[:rng.randrange(len(line))]
    if kind == "random":
        n = rng.randint(1, 120)
        return "".join(chr(rng.randrange(1, 256)) for _ in range(n)).replace("\n", " ") \
            .replace("\r", " ")
    if kind == "repeat":
        return line
    if kind == "insert":
        i = rng.randrange(len(line) + 1)
        junk = "".join(chr(rng.randrange(32, 256)) for _ in range(rng.randint(1, 8)))
        return line[:i] + junk + line[i:]
    if kind == "tag_checksum":
        t = int(now if now is not None else 1593475200) + rng.randint(-10**6, 10**6)
        return _tag(f"s:fuzz,c:{t}", good=False) + sentence
    if kind == "tag_time":
        base = now if now is not None else 1593475200.0
        t = rng.choice(ABSURD_TIMES + [f"{base + 366 * 86400:.0f}", f"{base - 366 * 86400:.0f}"])
        return _tag(f"c:{t}") + sentence
    if kind == "uscg_time":
        t = rng.choice(ABSURD_TIMES)
        return f"{sentence},rFUZZ,{t}"
    if kind == "payload":
        n = rng.randint(1, 80)
        body = f"AIVDM,1,1,,A,{''.join(rng.choice(ARMOUR) for _ in range(n))},0"
        return f"!{body}*{nmea.checksum(body):02X}"
    if kind == "long":
        return "!AIVDM," + "A" * rng.randint(10_000, 100_000)
    raise ValueError(kind)


def mutations(lines: list[str], n: int, seed: int = 1, keep_share: float = 1 / 3,
              now=None, counts: Counter | None = None):
    """``n`` lines: real ones and mutated ones (``counts`` gets how many of each kind).
    ``now``: a callable giving the time to stamp real lines with (a live feed); None keeps
    their recorded times."""
    rng = random.Random(seed)
    counts = counts if counts is not None else Counter()
    weights = [1, 1, 1, 1, 1, 1, 1, 1, 1, 0.02]
    for i in range(n):
        line = lines[i % len(lines)]
        t = now() if now is not None else None
        if t is not None:
            from data_sources.feed_emulator import stamp
            line = stamp(line, t)
        if rng.random() < keep_share:
            counts["unchanged"] += 1
            yield line
            continue
        kind = rng.choices(KINDS, weights)[0]
        counts[kind] += 1
        yield mutate(line, kind, rng, t)


def encode(line: str) -> bytes:
    return (line + "\r\n").encode("latin-1", errors="replace")
