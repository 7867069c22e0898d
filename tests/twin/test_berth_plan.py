"""Berth plan vs actual with injected fixes at a real NY berth; the plan's formats and its live
HTTP transport; the bundled sample plan is marked a sample; throughput KPIs and a live
terminal feed over TCP; an old store's alerts table is upgraded with its rows kept."""
import http.server
import socket
import sqlite3
import threading

import pytest

from data_sources.berth_plan import PlanPoller, load_file, parse_text
from data_sources.events import StaticReport, VesselReport
from data_sources.throughput import CargoFeed, load_monthly_teu
from tests.conftest import ROOT
from tests.data_sources.test_live_feeds import wait_for
from twin.alerts import AlertEngine
from twin.berth_plan import BerthPlan
from twin.history import HistoryStore
from twin.port import Port
from twin.throughput import Throughput, month_on_year, yearly

NY = ROOT / "data" / "ports" / "nynj"
T0 = 1593475200.0
BERTH = "0Y8W"


@pytest.fixture(scope="module")
def port():
    return Port.load(NY)


def at(port, berth):
    b = port.layer("berths")
    p = b[b["id"] == berth].geometry.iloc[0].representative_point()
    return p.x, p.y


def plan_csv(rows):
    head = "plan_id,berth,eta,etb,etd,mmsi,imo,name,cargo,company\n"
    return head + "\n".join(rows) + "\n"


def iso(ts):
    from datetime import datetime, timezone
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def engine(port, calls):
    plan = BerthPlan(port.layer("berths"))
    plan.apply(calls)
    alerts = AlertEngine(port, source="test")
    alerts.ctx.plan = plan
    return alerts


def rules(alerts, open_only=True):
    got = alerts.open_alerts() if open_only else alerts.all_alerts()
    return {(a.rule, a.details.get("plan_id"), a.details.get("kind")) for a in got}


def test_plan_rows_are_checked_and_bad_ones_counted():
    rejects = []
    calls = parse_text(plan_csv([
        f"P1,{BERTH},2020-06-30T01:00Z,2020-06-30T02:00Z,2020-06-30T10:00Z,477266900,,COSCO,,",
        f"P2,{BERTH},2020-06-30T03:00Z,2020-06-30T02:00Z,,1,,X,,",        # ETA after ETB
        "P3,,2020-06-30T01:00Z,,,1,,X,,",                                  # no berth
        f"P4,{BERTH},,,,,,,,",                                             # no vessel
        f"P5,{BERTH},soon,,,1,,X,,"]), "plan", T0,
        on_reject=lambda r, d=None: rejects.append(r))
    assert [c.plan_id for c in calls] == ["P1"]
    assert sorted(rejects) == ["bad_field", "missing_field", "no_vessel", "times_out_of_order"]


def test_late_then_arrived_early_arrival_and_overstay(port):
    lon, lat = at(port, BERTH)
    calls = parse_text(plan_csv([
        f"LATE,{BERTH},{iso(T0)},{iso(T0 + 3600)},{iso(T0 + 8 * 3600)},111111111,,A,,",
        f"EARLY,0Y5T,{iso(T0 + 5 * 3600)},{iso(T0 + 6 * 3600)},{iso(T0 + 9 * 3600)},"
        "222222222,,B,,",
        f"OVER,0Y9C,{iso(T0 - 9 * 3600)},{iso(T0 - 8 * 3600)},{iso(T0 - 3600)},333333333,,C,,"]),
        "plan", T0 - 86400)
    alerts = engine(port, calls)
    olon, olat = at(port, "0Y9C")
    alerts.update([VesselReport(T0, "t", 333333333, olon, olat, 0.0, None)])
    alerts.tick(T0 + 31 * 60)
    assert ("late_arrival", "LATE", None) in rules(alerts)         # 31 min past ETA, not here
    assert ("overstay", "OVER", None) in rules(alerts)             # 1 h past ETD, still there
    alerts.update([VesselReport(T0 + 40 * 60, "t", 111111111, lon, lat, 8.0, 90.0)])
    alerts.tick(T0 + 40 * 60)
    alerts.tick(T0 + 42 * 60)
    assert not [a for a in alerts.open_alerts() if a.rule == "late_arrival"]   # it came
    elon, elat = at(port, "0Y5T")
    alerts.update([VesselReport(T0 + 3600, "t", 222222222, elon, elat, 6.0, 0.0)])
    [early] = [a for a in alerts.open_alerts() if a.rule == "early_arrival"]
    assert early.mmsi == 222222222 and early.details["early_min"] == 240
    # the overstaying ship leaves: its alert clears
    alerts.update([VesselReport(T0 + 2 * 3600, "t", 333333333, -74.05, 40.55, 10.0, 180.0)])
    alerts.tick(T0 + 2 * 3600 + 120)
    assert not [a for a in alerts.open_alerts() if a.rule == "overstay"]


def test_plans_overlapping_a_berth_and_an_occupant_other_than_planned(port):
    lon, lat = at(port, BERTH)
    calls = parse_text(plan_csv([
        f"A,{BERTH},{iso(T0 - 7200)},{iso(T0 - 3600)},{iso(T0 + 6 * 3600)},111111111,,A,,",
        f"B,{BERTH},{iso(T0 + 3600)},{iso(T0 + 2 * 3600)},{iso(T0 + 9 * 3600)},,,BRAVO,,"]),
        "plan", T0 - 86400)
    alerts = engine(port, calls)
    alerts.update([StaticReport(T0, "t", 444444444, name="INTRUDER")])
    alerts.update([VesselReport(T0 + 60, "t", 444444444, lon, lat, 0.1, None)])
    alerts.tick(T0 + 60)
    got = rules(alerts)
    assert ("berth_conflict", "A", "plans_overlap") in got
    assert ("berth_conflict", "A", "other_occupant") in got
    occ = [a for a in alerts.open_alerts() if a.details.get("kind") == "other_occupant"][0]
    assert occ.mmsi == 444444444
    # the planned ship, known by name only, at its berth is no conflict
    calls2 = parse_text(plan_csv([f"C,{BERTH},{iso(T0)},{iso(T0)},{iso(T0 + 3600)},,,BRAVO,,"]),
                        "plan", T0 - 86400)
    alerts2 = engine(port, calls2)
    alerts2.update([StaticReport(T0, "t", 555555555, name="Bravo")])
    alerts2.update([VesselReport(T0 + 60, "t", 555555555, lon, lat, 0.1, None)])
    alerts2.tick(T0 + 60)
    assert not [a for a in alerts2.open_alerts() if a.rule == "berth_conflict"]


def test_the_bundled_ny_plan_is_a_sample_and_resolves_to_real_berths(port):
    rejects = []
    calls = load_file(NY / "berth_plan_sample.csv", on_reject=lambda r, d=None: rejects.append(r))
    assert calls and rejects == [] and all(c.sample for c in calls)
    plan = BerthPlan(port.layer("berths"))
    plan.apply(calls)
    assert plan.unknown_berth == 0 and plan.samples


def test_plan_over_http_replaces_the_previous_plan():
    body = {"v": plan_csv([f"P1,{BERTH},2020-06-30T01:00Z,,,1,,X,,"])}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body["v"].encode())

        def log_message(self, *a):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        poller = PlanPoller(f"http://127.0.0.1:{server.server_port}/lineup.csv")
        plan = BerthPlan()
        assert poller.fetch() == 1
        plan.apply(poller.poll())
        body["v"] = plan_csv([f"P2,{BERTH},2020-06-30T05:00Z,,,2,,Y,,"])
        poller.fetch()
        plan.apply(poller.poll())
        assert list(plan.plans) == ["P2"]
    finally:
        server.shutdown()


def test_monthly_teu_kpis_from_the_real_panynj_series():
    monthly = load_monthly_teu(ROOT / "data" / "throughput" / "port_ny_teu.csv")
    assert len(monthly) == 59
    years = yearly(monthly).set_index("year")
    assert years.loc[2022, "teu"] == 9_493_664
    assert years.loc[2023, "yoy"] == pytest.approx(7_809_842 / 9_493_664 - 1)
    assert years.loc[2025, "partial"] and years.loc[2025, "months"] == 11
    m = month_on_year(monthly).set_index("month")
    assert m["yoy"].iloc[:12].isna().all() and m["yoy"].iloc[12:].notna().all()
    store = HistoryStore("sqlite://")
    store.write_monthly_teu("USNYC", monthly, "port_ny_teu.csv")
    store.write_monthly_teu("USNYC", monthly, "port_ny_teu.csv")      # reloading: no doubles
    assert len(store.monthly_teu("USNYC")) == 59


def test_terminal_feed_over_tcp_and_moves_per_berth_hour():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.sendall(b'{"time": "2020-06-30T01:00:00Z", "terminal": "PNCT", "berth": "0Y8W",'
                         b' "vessel": "COSCO VIETNAM", "moves": 120, "teu": 190}\n'
                         b'{"time": "2020-06-30T02:00:00Z", "terminal": "PNCT", "berth": "0Y8W",'
                         b' "moves": 100, "teu": 160}\n'
                         b'{"time": "2020-06-30T02:00:00Z", "terminal": "PNCT", "moves": -5}\n'
                         b'not json\n')
            threading.Event().wait(1.0)
    threading.Thread(target=serve, daemon=True).start()
    feed = CargoFeed(f"tcp://127.0.0.1:{server.getsockname()[1]}")
    feed.start()
    try:
        assert wait_for(lambda: feed.health.messages >= 2)
        assert feed.health.status()["rejected"] == 2
        model = Throughput()
        model.apply(feed.poll())
        teu = model.teu_by_terminal_month()
        assert teu["teu"].tolist() == [350.0] and teu["terminal"].tolist() == ["PNCT"]
        import pandas as pd
        stays = pd.DataFrame({"place": ["0Y8W"], "arrival": [T0], "departure": [T0 + 4 * 3600]})
        rate = model.moves_per_berth_hour(stays, T0, T0 + 86400)
        assert rate["moves_per_berth_hour"].tolist() == [55.0]
    finally:
        feed.stop()
        server.close()


def test_an_old_stores_alerts_table_is_upgraded_with_its_rows(tmp_path):
    db = tmp_path / "old.sqlite"
    con = sqlite3.connect(db)
    con.execute('CREATE TABLE alerts (source VARCHAR(80) NOT NULL, alert_id VARCHAR(160) NOT '
                'NULL, rule VARCHAR(40) NOT NULL, kind VARCHAR(8) NOT NULL, severity '
                'VARCHAR(10) NOT NULL, mmsi INTEGER NOT NULL, other_mmsi INTEGER, start FLOAT '
                'NOT NULL, last FLOAT NOT NULL, "end" FLOAT, open BOOLEAN, lon FLOAT, lat FLOAT, '
                'sector VARCHAR(40), details JSON, holding JSON, occurrences INTEGER, acked_at '
                'FLOAT, acked_by VARCHAR(80), ack_comment VARCHAR(400), PRIMARY KEY (source, '
                'alert_id))')
    con.execute("INSERT INTO alerts VALUES ('live','zone_entry:1:5','zone_entry','state',"
                "'warning',366000001,NULL,5,6,NULL,1,-74,40.5,NULL,'{}','[\"Z\"]',1,7,'ann',"
                "'seen')")
    con.commit()
    con.close()
    store = HistoryStore(f"sqlite:///{db}")
    [row] = store.alerts("live")
    assert row["acked_by"] == "ann" and row["mmsi"] == 366000001
    store.write_alerts("live", [{**row, "alert_id": "wind_limit:station:X:9", "mmsi": None,
                                 "subject_id": "station:X", "rule": "wind_limit"}])
    assert len(store.alerts("live")) == 2
