"""Re-encode MarineCadastre positions as NMEA AIS (pyais's encoder) to make a demo feed.

    python -m data_sources.reencode data/ais/NYHarbor_2020_06_30_first_hour.csv OUT.nmea

Each CSV row becomes a type 1 (class A) or type 18 (class B) position report with an IEC 62320
tag block carrying the original time (``c:``) and source (``s:marinecadastre``). Static data
goes out as type 5 (class A) or type 24 A+B (class B) at a vessel's first report and every six
minutes after, as transponders do. Not-available values are written as the AIS codes.
The file says it is re-encoded: it is not a receiver capture.
"""
from __future__ import annotations

import sys
from datetime import datetime, timezone

from pyais.encode import encode_dict

from . import marinecadastre, nmea

STATIC_EVERY_S = 360


def _tag(ts: float) -> str:
    body = f"s:marinecadastre,c:{int(ts)}"
    return f"\\{body}*{nmea.checksum(body):02X}\\"


def _position(r) -> dict:
    msg = {"type": 1 if r.ais_class == "A" else 18, "mmsi": r.mmsi, "lon": r.lon, "lat": r.lat,
           "speed": 102.3 if r.sog is None else r.sog,
           "course": 360.0 if r.cog is None else r.cog,
           "heading": 511 if r.heading is None else int(r.heading),
           "second": int(r.ts) % 60}
    if msg["type"] == 1:
        msg.update(status=15 if r.nav_status is None else r.nav_status, turn=-128)
    return msg


def _statics(r) -> list[dict]:
    half_l = int(round((r.length or 0) / 2))
    half_w = int(round((r.width or 0) / 2))
    dims = {"to_bow": half_l, "to_stern": half_l, "to_port": half_w, "to_starboard": half_w}
    if r.ais_class == "A":
        eta = datetime.fromtimestamp(r.eta, timezone.utc) if r.eta else None
        return [{"type": 5, "mmsi": r.mmsi, "shipname": r.name or "", "callsign": r.callsign or "",
                 "imo": r.imo or 0, "ship_type": r.ship_type or 0, "draught": r.draught or 0,
                 "destination": "", "epfd": 1, "ais_version": 0,
                 "month": eta.month if eta else 0, "day": eta.day if eta else 0,
                 "hour": eta.hour if eta else 24, "minute": eta.minute if eta else 60, **dims}]
    return [{"type": 24, "mmsi": r.mmsi, "partno": 0, "shipname": r.name or ""},
            {"type": 24, "mmsi": r.mmsi, "partno": 1, "ship_type": r.ship_type or 0,
             "callsign": r.callsign or "", **dims}]


def nmea_lines(reports):
    """NMEA lines for position reports: each a type 1/18 behind a tag block of its time,
    static data (type 5 / 24) at a vessel's first report and every ``STATIC_EVERY_S`` where
    the report carries it."""
    last_static: dict[int, float] = {}
    seq = 0
    for r in reports:
        messages = [_position(r)]
        if r.static and r.ts - last_static.get(r.mmsi, -1e18) >= STATIC_EVERY_S:
            messages += _statics(r)
            last_static[r.mmsi] = r.ts
        for msg in messages:
            seq_id = None
            if msg["type"] == 5:                 # the one two-sentence message here
                seq = seq % 9 + 1
                seq_id = seq
            for s in encode_dict(msg, talker_id="AI", sentence_type="VDM", seq_id=seq_id):
                yield _tag(r.ts) + s


def reencode(csv_path, out) -> int:
    out.write("# Re-encoded from MarineCadastre positions (NOAA/BOEM AIS, New York harbour, "
              "2020-06-30 00:00-01:00 UTC) with pyais's encoder: a demo feed, not a receiver "
              "capture. See data/SOURCES.md.\n")
    lines = 0
    for line in nmea_lines(marinecadastre.load_file(csv_path)):
        out.write(line + "\n")
        lines += 1
    return lines


if __name__ == "__main__":
    with open(sys.argv[2], "w") as fh:
        print(f"{reencode(sys.argv[1], fh)} sentences written to {sys.argv[2]}")
