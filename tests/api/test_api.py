"""The REST API on the NY scenario: what another system gets back, and that it matches the
twin (the same answers the pages show)."""
import csv
import io
import re

from tests.browser.test_wall import ny_vessels
from twin.query import Scope


def get(client, url, status=200):
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True)[:300])
    return r


def test_vessels_filter_by_stage_and_search_by_name_mmsi_imo_callsign(client):
    truth = ny_vessels()
    at_berth = get(client, "/api/v1/vessels?status=at_berth").json["vessels"]
    assert len(at_berth) > 20
    assert all(v["stage"] == "at_berth" and v["place_kind"] == "berth" and v["place"]
               for v in at_berth)
    assert all(v["mmsi"] in truth for v in at_berth)
    anchored = get(client, "/api/v1/vessels?status=at_anchor").json["vessels"]
    assert anchored and all(v["stage"] == "at_anchorage" for v in anchored)
    everyone = get(client, "/api/v1/vessels").json
    assert everyone["count"] >= len(at_berth) + len(anchored)

    ship = next(v for v in at_berth if v["imo"] and v["callsign"] and v["name"])
    for q in (ship["name"][:6].lower(), str(ship["mmsi"]), str(ship["imo"]), ship["callsign"]):
        found = get(client, f"/api/v1/vessels?q={q}").json["vessels"]
        assert ship["mmsi"] in [v["mmsi"] for v in found], q


def test_one_vessel_by_mmsi_or_imo_with_its_port_call(client):
    ship = next(v for v in get(client, "/api/v1/vessels?status=at_berth").json["vessels"]
                if v["imo"])
    by_mmsi = get(client, f"/api/v1/vessels/{ship['mmsi']}").json
    by_imo = get(client, f"/api/v1/vessels/{ship['imo']}").json
    assert by_mmsi["vessel"]["mmsi"] == by_imo["vessel"]["mmsi"] == ship["mmsi"]
    call = by_mmsi["port_call"]
    assert call["stage"] == "at_berth" and call["place"] == ship["place"]
    assert call["berth_arrival"] <= by_mmsi["time"]
    assert call["emissions"]["estimate"] is True
    track = get(client, f"/api/v1/vessels/{ship['mmsi']}/track?hours=24")
    assert track.mimetype == "application/geo+json"
    assert track.json["properties"]["mmsi"] == ship["mmsi"]

    assert get(client, "/api/v1/vessels/123", 404).json["error"].startswith("no vessel")
    assert "id" in get(client, "/api/v1/vessels/abc", 400).json["error"]


def test_positions_are_geojson_and_exports_are_csv(client):
    fc = get(client, "/api/v1/positions").json
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) > 150
    lon, lat = fc["features"][0]["geometry"]["coordinates"]
    assert -74.5 < lon < -73.5 and 40.3 < lat < 41.0           # NY harbour, lon first
    rows = list(csv.DictReader(io.StringIO(get(
        client, "/api/v1/vessels?status=at_berth&format=csv").get_data(as_text=True))))
    assert rows and all(r["stage"] == "at_berth" for r in rows)
    calls = get(client, "/api/v1/port-calls?format=csv").get_data(as_text=True)
    assert calls.startswith("call_id,")


def test_berths_occupancy_alerts_kpis_and_sources(client):
    berths = get(client, "/api/v1/berths").json["berths"]
    occupied = [b for b in berths if b["occupied"]]
    assert len(occupied) > 20 and all(b["mmsi"] for b in occupied)
    sources = get(client, "/api/v1/sources").json["sources"]
    history = next(s["source"] for s in sources if s["kind"] == "history")
    occ = get(client, f"/api/v1/berth-occupancy?source={history}").json
    assert occ["berths"] and all(0 <= (b["occupancy"] or 0) <= 1 for b in occ["berths"])
    report = get(client, f"/api/v1/kpis?source={history}&period=week").json
    figures = {k["key"]: k["value"] for k in report["kpis"]}
    assert figures["arrivals"] > 100                 # the real NY week: ~200 arrivals
    assert 0 < figures["waiting_median_h"] < 24
    assert report["teu_by_month"][0]["month"] == "2021-01"
    assert get(client, "/api/v1/kpis?period=year", 400).json["error"].startswith("period")
    alerts = get(client, "/api/v1/alerts?state=all").json
    assert alerts["count"] == len(alerts["alerts"])


def test_openapi_and_docs_are_served_locally(client):
    doc = get(client, "/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.") and "/vessels/{id}" in doc["paths"]
    page = get(client, "/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/vessels" in page
    assert not re.search(r"(src|href)=['\"]https?://", page), "the docs page loads from outside"


def test_one_scope_filters_every_answer(api_app):
    query = api_app.server.config["PORTTWIN"]["query"]
    mine = query.vessels("at_berth")[:2]
    fleet = frozenset(v["mmsi"] for v in mine)
    company = query.scoped(Scope(fleet, "a shipping company"))
    assert {v["mmsi"] for v in company.vessels()} == fleet
    assert {f["id"] for f in company.positions_geojson()["features"]} == fleet
    other = next(v["mmsi"] for v in query.vessels() if v["mmsi"] not in fleet)
    assert company.vessel(other) is None and company.track(other) == []
    assert set(company.port_calls()["mmsi"]) <= fleet
    named = {b["mmsi"] for b in company.berths_now() if b["mmsi"]}
    assert named <= fleet
    assert all(a.get("mmsi") in (None, *fleet) for a in company.alerts("all"))
