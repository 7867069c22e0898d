"""Monthly throughput of any port (issue 15): CSV or XLSX with a column mapping from port.toml;
an unknown layout or an unreadable file is a clear error (a feed-panel row), never a crash at
start-up (it was ``KeyError: 'month'`` and, for XLSX, ``UnicodeDecodeError``)."""
import datetime as dt

import pytest
from openpyxl import Workbook

from data_sources.replay import NoSource
from data_sources.throughput import ThroughputFormatError, load_monthly_teu
from tests.port_fixture import make_port
from twin.config import ROOT, Config
from twin.feeds import build_feeds
from twin.history import HistoryStore
from twin.port import Port

NY_TEU = ROOT / "data" / "throughput" / "port_ny_teu.csv"


def workbook(path, rows, title_rows=()):
    book = Workbook()
    sheet = book.active
    sheet.title = "TEU"
    for r in title_rows:
        sheet.append(r)
    for r in rows:
        sheet.append(r)
    book.save(path)
    return path


def test_the_panynj_table_reads_as_before():
    got = load_monthly_teu(NY_TEU)
    assert len(got) == 59 and got["month"].iloc[0].strftime("%Y-%m") == "2021-01"
    first = got.iloc[0]
    assert [first[k] for k in ("teu", "loaded", "empty", "import_loads", "export_loads")] == \
        [721284.0, 480130.0, 241154.0, 371392.0, 108378.0]


def test_an_xlsx_with_title_rows_and_date_cells(tmp_path):
    f = workbook(tmp_path / "nwsa.xlsx",
                 [["Month", "Total TEUs", "Loaded"],
                  [dt.datetime(2024, 1, 1), 265000, 200000],
                  [dt.datetime(2024, 2, 1), "251,300", None],
                  [None, None, None],
                  ["Total", 516300, None]],
                 title_rows=[["The Northwest Seaport Alliance — monthly container volumes"],
                             []])
    rejects = []
    got = load_monthly_teu(f, columns={"month": "Month", "teu": "Total TEUs",
                                       "loaded": "Loaded"},
                           on_reject=lambda reason, detail=None: rejects.append(detail))
    assert [m.strftime("%Y-%m") for m in got["month"]] == ["2024-01", "2024-02"]
    assert list(got["teu"]) == [265000.0, 251300.0]
    assert got["loaded"].iloc[1] is None and got["empty"].iloc[0] is None
    assert len(rejects) == 1 and "nwsa.xlsx:7" in rejects[0]           # the "Total" row


def test_a_csv_with_month_numbers_and_a_year_column(tmp_path):
    f = tmp_path / "teu.csv"
    f.write_text("Jahr;Monat;TEU\n", encoding="utf-8")                 # not comma-separated
    with pytest.raises(ThroughputFormatError, match="unknown layout"):
        load_monthly_teu(f, columns={"month": "Monat", "year": "Jahr", "teu": "TEU"})
    f.write_text("Year,Month No,TEU total\n2023,12,90\n2024,1,100\n", encoding="cp1252")
    got = load_monthly_teu(f, columns={"month": "Month No", "year": "Year", "teu": "TEU total"})
    assert [m.strftime("%Y-%m") for m in got["month"]] == ["2023-12", "2024-01"]


def test_unknown_layouts_and_unreadable_files_say_what_to_do(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("Period,Containers\n2024-01,5\n", encoding="utf-8")
    with pytest.raises(ThroughputFormatError) as err:
        load_monthly_teu(other)                              # the PANYNJ mapping by default
    assert "unknown layout" in str(err.value) and "'Period'" in str(err.value)
    assert "[throughput] columns" in str(err.value)
    xlsx = workbook(tmp_path / "teu.xlsx", [["Period", "Containers"], ["2024-01", 5]])
    with pytest.raises(ThroughputFormatError, match="unknown layout"):
        load_monthly_teu(xlsx)                               # not a UnicodeDecodeError
    with pytest.raises(ThroughputFormatError, match="no sheet 'Monthly'"):
        load_monthly_teu(xlsx, columns={"month": "Period", "teu": "Containers"},
                         sheet="Monthly")
    assert load_monthly_teu(xlsx, columns={"month": "Period", "teu": "Containers"},
                            sheet="TEU")["teu"].tolist() == [5.0]
    with pytest.raises(ThroughputFormatError, match="cannot be read"):
        load_monthly_teu(tmp_path / "absent.csv")
    with pytest.raises(ThroughputFormatError, match="unknown fields.*'tonnes'"):
        load_monthly_teu(other, columns={"month": "Period", "teu": "Containers", "tonnes": "T"})
    with pytest.raises(ThroughputFormatError, match="must name 'teu'"):
        load_monthly_teu(other, columns={"month": "Period"})
    pdf = tmp_path / "report.csv"
    pdf.write_bytes(b"%PDF-1.7\n" + b"\0" * 100)
    with pytest.raises(ThroughputFormatError, match="looks like a PDF document"):
        load_monthly_teu(pdf)


def feeds_of(tmp_path, extra_toml: str):
    port_dir = make_port(tmp_path / "pkg", tide_stations=(), extra_toml=extra_toml)
    port = Port.load(port_dir)
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite'}")
    config = Config.load(env={}, port_dir=port_dir, radar="none")
    return port, store, build_feeds(config, port, NoSource(), store)


def test_the_package_table_with_its_mapping_goes_into_that_ports_store(tmp_path):
    workbook(tmp_path / "teu.xlsx", [["Month", "Total TEUs"], ["2024-01", 1000],
                                     ["2024-02", 1100]])
    (tmp_path / "pkg").mkdir()
    (tmp_path / "teu.xlsx").rename(tmp_path / "pkg" / "teu.xlsx")
    port, store, feeds = feeds_of(tmp_path, """
[throughput]
monthly = "teu.xlsx"
source = "Testhaven Port Authority"
columns = { month = "Month", teu = "Total TEUs" }
""")
    teu = store.monthly_teu("XXTHV")
    assert teu["teu"].tolist() == [1000.0, 1100.0]
    assert teu["source"].iloc[0] == "Testhaven Port Authority (teu.xlsx)"
    assert not any(s["source"] == "throughput-monthly" for s in feeds.slots)


def test_a_bad_table_is_a_feed_panel_row_not_a_crash(tmp_path):
    from layouts import panels
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "teu.csv").write_text("Period,Boxes\n2024-01,5\n", encoding="utf-8")
    _, store, feeds = feeds_of(tmp_path, '[throughput]\nmonthly = "teu.csv"\n')
    row = next(s for s in feeds.slots if s["source"] == "throughput-monthly")
    assert row["state"] == "failed" and "unknown layout" in row["error"]
    assert store.monthly_teu("XXTHV").empty
    shown = str([c.to_plotly_json() for c in panels.feed_health([row], "en")])
    assert "Monthly TEU statistics" in shown and "unknown layout" in shown


def test_a_berth_plan_that_cannot_be_parsed_shows_its_error(tmp_path):
    port_dir = make_port(tmp_path / "pkg", tide_stations=())
    port = Port.load(port_dir)
    bad = tmp_path / "plan.csv"
    bad.write_text("vessel,when\nA,2024-01-01\n", encoding="utf-8")
    broken_rows = tmp_path / "rows.csv"
    broken_rows.write_text("plan_id,berth,eta\nP1,B1,not a time\n", encoding="utf-8")
    book = tmp_path / "plan.xlsx.csv"
    workbook(book, [["plan_id", "berth"]])
    for plan, words in ((bad, "not a berth plan"), (tmp_path / "absent.csv", "cannot be read"),
                        (book, "looks like an Excel workbook"),
                        (broken_rows, "no call could be read")):
        config = Config.load(env={}, port_dir=port_dir, radar="none", berth_plan=str(plan))
        feeds = build_feeds(config, port, NoSource(), None)
        rows = [s for s in feeds.slots if s["source"] == "berth-plan"]
        assert len(rows) == 1 and rows[0]["state"] == "failed" and words in rows[0]["error"], \
            (plan, rows)
