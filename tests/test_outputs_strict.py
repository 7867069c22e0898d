"""Every output holds whatever arrived from outside: JSON stays JSON (no NaN, no Infinity) and a
vessel name that looks like a spreadsheet formula is written as text (OWASP CSV injection)."""
import csv
import io
import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from data_sources.jsonout import dumps, formula_like, safe_cell, strict
from tests.auth import sign_in
from data_sources.nmea import checksum

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)",
           "\tTAB", "\r=1", "＝1+1"]


def strict_loads(text: str):
    """json.loads that refuses what only Python writes (NaN, Infinity, -Infinity)."""
    def refuse(name):
        raise ValueError(f"not JSON: {name}")
    return json.loads(text, parse_constant=refuse)


# ---- JSON -----------------------------------------------------------------------------------
def test_strict_json_of_what_records_can_hold():
    record = {"lat": float("nan"), "speeds": [float("inf"), -float("inf"), 1.5],
              "f32": np.float32(2.5), "i64": np.int64(7), "flag": np.bool_(True),
              "arr": np.array([1.0, np.nan]), "data": b"\x01\xff", 9: {"x": np.float64("nan")},
              "name": "北京"}
    text = dumps(record)
    assert strict_loads(text) == {"lat": None, "speeds": [None, None, 1.5], "f32": 2.5,
                                  "i64": 7, "flag": True, "arr": [1.0, None], "data": "01ff",
                                  "9": {"x": None}, "name": "北京"}
    assert "北京" in text and " " not in text            # UTF-8 as is, compact
    assert strict([(1, float("nan"))]) == [[1, None]]


def run_app(*args, check=True):
    return subprocess.run([sys.executable, str(ROOT / "app.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, check=check, timeout=120)


def test_decode_of_the_gpsd_sample_is_strict_json_lines():
    out = run_app("decode", str(ROOT / "data/ais/conformance/gpsd/sample.aivdm"))
    lines = out.stdout.splitlines()
    assert len(lines) > 50
    records = [strict_loads(line) for line in lines]
    assert all("type" in r for r in records)


def tagged(body: str, sentence: str) -> str:
    """A sentence behind a tag block whose checksum is right."""
    return f"\\{body}*{checksum(body):02X}\\{sentence}"


def test_decode_of_junk_and_non_finite_times_is_strict_json_lines(tmp_path):
    rng = random.Random(14)
    alphabet = "!$\\*,.:;0123456789ABCDEFabcdefVDMO@`w<>=+-\t nainf"
    lines = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90)))
             for _ in range(400)]
    lines += ["".join(chr(rng.randint(0, 0x2FFF)) for _ in range(40)) for _ in range(50)]
    # good sentences (distinct: a repeat is a duplicate) with times no clock can hold, in
    # tag blocks whose checksums are right (so the block is believed) and leading epochs
    sample = (ROOT / "data/ais/conformance/gpsd/sample.aivdm").read_text().splitlines()
    good = [s for s in sample if s.startswith("!AIVDM,1,1,")][:7]
    times = ("nan", "inf", "-inf", "1e400", "99999999999999999999")
    lines += [tagged(f"c:{t}", s) for t, s in zip(times, good)]
    lines += ["nan " + good[5], "inf " + good[6]]
    path = tmp_path / "junk.nmea"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    out = run_app("decode", str(path))
    records = [strict_loads(line) for line in out.stdout.splitlines()]
    assert len(records) >= 7                         # the good sentences still decode
    assert all(r["ts"] is None or isinstance(r["ts"], float) for r in records)
    assert "rejected:" in out.stderr


# ---- CSV / XLSX -----------------------------------------------------------------------------
def test_safe_cell_escapes_formulas_only():
    for text in HOSTILE:
        assert formula_like(text) and safe_cell(text) == "'" + text
    for value in (-74.01, 3, None, "-74.01", "+1.5e3", "PLAIN", "A=B", "", "'=quoted"):
        assert safe_cell(value) == value


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    """The app replaying a MarineCadastre file whose vessel names and a call sign are
    formulas (AIS static data is free text typed on board)."""
    from app import create_app
    from tests.conftest import HEADER
    from twin.config import Config

    path = tmp_path_factory.mktemp("hostile") / "hostile.csv"
    rows = [HEADER.split(",")]
    for i, name in enumerate(HOSTILE + ["PLAIN"]):
        for minute in (0, 1):
            rows.append([f"2020-06-30T00:0{minute}:00", f"{-74.01 - i / 100 + minute / 1000:.5f}",
                         "40.65", str(366000001 + i), "5.0", "90.0", "90.0", name, "",
                         "CALL", "70", "0", "100", "20", "5", "", "A", ""])
    rows[1][9] = rows[2][9] = "=1+1"                 # a call sign too
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    app = create_app(Config.load(env={}, ais_csv=path, history_url="none", start_engine=False,
                                 accounts_url=f"sqlite:///{path.parent / 'accounts.sqlite'}",
                                 radar="none", berth_plan="none", warmup_s=120))
    engine = app.server.config["PORTTWIN"]["engine"]
    engine.snapshot_max_age_s = 0                   # see this round's vessels at once
    for source in engine.sources:
        if hasattr(source, "start"):
            source.start()
    engine.step()
    return app


def test_api_csv_export_writes_formula_names_as_text(hostile_app):
    client = sign_in(hostile_app.server.test_client())
    names = {v["mmsi"]: v["name"] for v in client.get("/api/v1/vessels").json["vessels"]}
    assert names[366000001] == HOSTILE[0]            # JSON carries the name as it is
    resp = client.get("/api/v1/vessels?format=csv")  # the vessels page's CSV link
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    by_mmsi = {int(r["mmsi"]): r for r in rows}
    assert by_mmsi[366000001]["name"] == "'" + HOSTILE[0]
    assert by_mmsi[366000002]["name"] == "'" + HOSTILE[1]
    assert by_mmsi[366000003]["name"] == "'-2+3"
    assert by_mmsi[366000008]["name"] == "PLAIN"
    assert by_mmsi[366000001]["callsign"] == "'=1+1"
    for r in rows:
        assert not any(formula_like(v) for v in r.values())
        assert float(r["lon"]) < -74                # numbers stay numbers, sign and all
        assert r["lon"].startswith("-")


def test_vts_csv_writes_formula_targets_as_text(tmp_path):
    tracks = tmp_path / "tracks.csv"
    link = '"=HYPERLINK(""http://x"",""y"")"'          # CSV-quoted
    tracks.write_text("track_id,time,lat,lon,sog,cog,status\n"
                      f"{link},2020-06-30T00:00:02Z,40.60,-74.04,10.5,45,T\n"
                      "+17,2020-06-30T00:00:03Z,40.60,-74.04,10.5,45,T\n")
    out = run_app("vts", str(tracks), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows and all(not formula_like(v) for r in rows for v in r.values())
    assert rows[0]["target"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert rows[0]["lon"] == "-74.04"
    jsonl = run_app("vts", str(tracks))
    assert [strict_loads(line)["target"] for line in jsonl.stdout.splitlines()][0] == \
        '=HYPERLINK("http://x","y")'


def test_xlsx_report_keeps_text_as_text_and_numbers_as_numbers(hostile_app):
    from openpyxl import load_workbook

    from layouts.report_export import xlsx
    from twin.reports import build_report

    config = hostile_app.server.config["PORTTWIN"]
    report = build_report(config["query"], None, "day", config["engine"].now())
    report["terminals"][0]["terminal"] = HOSTILE[0]          # as a port package may name it
    report["kpis"][0]["value"], report["kpis"][1]["value"] = 12.5, float("nan")
    book = load_workbook(io.BytesIO(xlsx(report, config["port"], "en")))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row
             if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula was written"
    hostile = next(c for c in cells if c.value == HOSTILE[0])
    assert hostile.data_type == "s" and hostile.quotePrefix   # shown as typed, never run
    data = book["data"]
    values = {r[0].value: r[1] for r in data.iter_rows(min_row=2)}
    first, second = report["kpis"][0]["key"], report["kpis"][1]["key"]
    assert values[first].value == 12.5 and values[first].data_type == "n"
    assert values[second].value is None                       # NaN: an empty cell
