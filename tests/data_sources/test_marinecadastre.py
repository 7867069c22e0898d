"""MarineCadastre CSV: not-available codes become None at the edge; bad rows are counted."""
import csv
import gzip
from collections import Counter

import pytest

from data_sources import marinecadastre
from data_sources.marinecadastre import clean_cog, imo_is_valid, parse_lines
from tests.conftest import HEADER

GOOD = ("2020-06-30T00:00:00,-74.02433,40.54291,366999618,19.0,-61.8,349.0,CG SHRIKE@@@,"
        "IMO9074729,NPBG,90.0,0.0,26.0,5.0,,,B,2020-06-30T19:40:00")


def parse(*rows):
    rejects = Counter()
    reports = list(parse_lines([HEADER, *rows], on_reject=lambda r, d: rejects.update([r])))
    return reports, rejects


def row(**changes):
    fields = dict(zip(HEADER.split(","), next(csv.reader([GOOD]))))
    fields.update(changes)
    return ",".join(fields[c] for c in HEADER.split(","))


def test_good_row_is_cleaned_into_units_and_none():
    (r,), rejects = parse(GOOD)
    assert not rejects
    assert (r.mmsi, r.lon, r.lat, r.sog) == (366999618, -74.02433, 40.54291, 19.0)
    assert r.ts == 1593475200.0                      # 2020-06-30T00:00:00Z
    assert r.cog == pytest.approx(347.8)             # -61.8 is the signed 12-bit wrap of 347.8
    assert r.heading == 349.0
    assert r.name == "CG SHRIKE"                     # '@' padding cut
    assert r.imo == 9074729
    assert r.draught is None                         # blank
    assert r.nav_status == 0 and r.ship_type == 90 and r.ais_class == "B"
    assert r.eta == 1593546000.0


@pytest.mark.parametrize("raw, expected", [
    ("0.0", 0.0), ("204.7", 204.7), ("-204.8", 204.8), ("-60.6", 349.0), ("-0.1", None),
    ("-49.6", None),                                 # raw 3600: not available
    ("360.0", None), ("", None),
])
def test_cog_wrap_and_not_available(raw, expected):
    (r,), _ = parse(row(COG=raw))
    assert r.cog == (pytest.approx(expected) if expected is not None else None)
    assert clean_cog(None) is None


@pytest.mark.parametrize("field, raw, attr", [
    ("Heading", "511.0", "heading"), ("SOG", "102.3", "sog"), ("Status", "15.0", "nav_status"),
    ("VesselType", "0.0", "ship_type"), ("Length", "0.0", "length"), ("Width", "", "width"),
    ("Draft", "0.0", "draught"), ("VesselName", "@@@@", "name"), ("IMO", "IMO9074720", "imo"),
    ("ETA", "", "eta"),
])
def test_not_available_codes_become_none(field, raw, attr):
    (r,), rejects = parse(row(**{field: raw}))
    assert getattr(r, attr) is None
    assert not rejects


@pytest.mark.parametrize("changes, reason", [
    ({"LON": "181.0"}, "position_not_available"),
    ({"LAT": "91.0"}, "position_not_available"),
    ({"LAT": "95.5"}, "position_out_of_range"),
    ({"MMSI": "0"}, "invalid_mmsi"),
    ({"MMSI": "36699961x"}, "invalid_mmsi"),
    ({"MMSI": "1234567890"}, "invalid_mmsi"),
    ({"BaseDateTime": "yesterday"}, "bad_time"),
    ({"SOG": "fast"}, "bad_number"),
])
def test_bad_rows_are_rejected_counted_and_the_feed_goes_on(changes, reason):
    reports, rejects = parse(row(**changes), GOOD)
    assert rejects == Counter({reason: 1})
    assert len(reports) == 1 and reports[0].mmsi == 366999618   # the next row still arrives


def test_wrong_column_count_and_blank_lines():
    reports, rejects = parse("2020-06-30T00:00:00,-74.0,40.5", "", GOOD)
    assert rejects == Counter({"bad_column_count": 1})
    assert len(reports) == 1


def test_columns_in_another_order_are_read_by_name():
    cols = HEADER.split(",")
    values = dict(zip(cols, next(csv.reader([GOOD]))))
    shuffled = list(reversed(cols))
    reports = list(parse_lines([",".join(shuffled), ",".join(values[c] for c in shuffled)]))
    assert reports[0].mmsi == 366999618 and reports[0].name == "CG SHRIKE"


def test_not_a_marinecadastre_file_is_a_clear_error():
    with pytest.raises(ValueError, match="missing columns"):
        list(parse_lines(["time,lon,lat", "1,2,3"]))


def test_imo_check_digit():
    assert imo_is_valid(9074729) and imo_is_valid(7702774)
    assert not imo_is_valid(9074720) and not imo_is_valid(123)


def test_real_ny_hour_loads_whole_and_in_time_order(ny_reports):
    reports, rejects = ny_reports
    assert len(reports) == 8689 and rejects == []
    assert len({r.mmsi for r in reports}) == 295
    assert all(a.ts <= b.ts for a, b in zip(reports, reports[1:]))
    # every not-available code in the real file became None, none travels as a number
    assert sum(r.heading is None for r in reports) == 3606          # heading 511 rows
    assert all(r.heading is None or 0 <= r.heading < 360 for r in reports)
    assert all(r.cog is None or 0 <= r.cog < 360 for r in reports)
    assert sum(r.cog is None for r in reports) == 777                 # raw 3600 (-49.6)
    assert all(r.draught is None or r.draught > 0 for r in reports)
    assert not any(r.name and "@" in r.name for r in reports)


def test_recovered_cog_agrees_with_heading_on_real_data(ny_reports):
    """The wrap rule is checked against the ships' own compasses, not assumed."""
    reports, _ = ny_reports
    diffs = [abs((r.cog - r.heading + 180) % 360 - 180) for r in reports
             if r.cog is not None and r.heading is not None and r.sog and r.sog >= 3]
    wrapped = [d for d, r in zip(diffs, [r for r in reports if r.cog is not None and
               r.heading is not None and r.sog and r.sog >= 3]) if r.cog >= 204.8]
    assert len(wrapped) > 300
    assert sorted(wrapped)[len(wrapped) // 2] < 5.0          # median within 5 degrees


def test_gzip_files_are_read(tmp_path):
    gz = tmp_path / "hour.csv.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write(HEADER + "\n" + GOOD + "\n")
    assert [r.mmsi for r in marinecadastre.load_file(gz)] == [366999618]


def test_undecodable_bytes_reject_one_row_only(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_bytes((HEADER + "\n").encode() + b"\xff\xfe,garbage\n" + (GOOD + "\n").encode())
    rejects = Counter()
    reports = marinecadastre.load_file(f, on_reject=lambda r, d: rejects.update([r]))
    assert len(reports) == 1 and sum(rejects.values()) == 1
