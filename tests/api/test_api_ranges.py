"""Out-of-range parameters are the client's mistake: a 400 naming the parameter, never a 500
(year 1 and year 9999 overflow the calendar arithmetic behind a report; a century-long period
is unbounded work). The pages' callbacks refuse forged values the same way."""
import json

import pytest

from callbacks.playback import window_start
from callbacks.reports import report_anchor


def strict_json(resp):
    def refuse(name):
        raise ValueError(f"not JSON: {name}")
    return json.loads(resp.get_data(as_text=True), parse_constant=refuse)


@pytest.mark.parametrize("url, name", [
    ("/api/v1/kpis?date=0001-01-01", "date"),
    ("/api/v1/kpis?date=9999-12-31T23:59:59Z", "date"),
    ("/api/v1/kpis?date=1970-01-01&period=month", "date"),
    ("/api/v1/port-calls?start=0001-01-01", "start"),
    ("/api/v1/port-calls?end=9999-12-31", "end"),
    ("/api/v1/port-calls?start=2020-12-05&end=2020-12-01", "end"),
    ("/api/v1/port-calls?start=2020-12-01&end=2020-12-01", "end"),
    ("/api/v1/berth-occupancy?start=2020-12-05T00:00:00Z&end=2020-12-01T00:00:00Z", "end"),
    ("/api/v1/berth-occupancy?start=1980-01-01&end=2099-12-31", "end"),   # > 400 days
    ("/api/v1/berth-occupancy?start=9999-01-01", "start"),
    ("/api/v1/alerts?state=all&since=0001-01-01", "since"),
    ("/api/v1/vessels/367000140/track?hours=1e308", "hours"),
    ("/api/v1/vessels/367000140/track?hours=inf", "hours"),
    ("/api/v1/vessels/367000140/track?hours=-1", "hours"),
    ("/api/v1/vessels/99999999999999999999999999", "id"),
    ("/api/v1/vessels/99999999999999999999999999/track", "id"),
    ("/api/v1/port-calls?mmsi=99999999999999999999999999", "mmsi"),
    ("/api/v1/vessels?limit=1e308", "limit"),
    ("/api/v1/vessels?limit=99999999999999999999", "limit"),
])
def test_out_of_range_is_a_400_naming_the_parameter(client, url, name):
    resp = client.get(url)
    assert resp.status_code == 400, (url, resp.status_code, resp.get_data(as_text=True)[:200])
    error = strict_json(resp)["error"]
    assert error.startswith(name), (url, error)


@pytest.mark.parametrize("url", [
    "/api/v1/kpis?date=1980-01-01&period=month",
    "/api/v1/kpis?date=2100-01-01T00:00:00Z&period=day",
    "/api/v1/port-calls?start=2020-12-01&end=2020-12-08",
    "/api/v1/port-calls?start=2020-01-01&end=2021-02-04&limit=5",          # 400 days
    "/api/v1/berth-occupancy?start=2020-12-01T00:00:00Z",
    "/api/v1/alerts?state=all&since=2020-12-01",
])
def test_the_edges_of_the_ranges_are_answered(client, url):
    resp = client.get(url)
    assert resp.status_code == 200, (url, resp.get_data(as_text=True)[:200])
    strict_json(resp)                                # and the answer is strict JSON


def test_the_openapi_document_states_the_ranges(client):
    doc = client.get("/api/v1/openapi.json").json
    params = {(path, p["name"]): p for path, item in doc["paths"].items()
              for p in item["get"]["parameters"]}
    assert params[("/vessels/{id}", "id")]["schema"]["maximum"] == 999_999_999
    assert params[("/port-calls", "mmsi")]["schema"]["maximum"] == 999_999_999
    assert params[("/vessels/{id}/track", "hours")]["schema"]["maximum"] == 168
    for key in (("/port-calls", "start"), ("/kpis", "date"), ("/alerts", "since")):
        assert "1980-01-01" in params[key]["description"] and \
            "2100-01-01" in params[key]["description"], key
    assert "400 days" in params[("/berth-occupancy", "end")]["description"]


# ---- the pages' callbacks, sent forged values ------------------------------------------------
def post_callback(client, output: str, inputs: list, state: list):
    cid, prop = output.split(".")
    return client.post("/_dash-update-component", json={
        "output": output, "outputs": {"id": cid, "property": prop},
        "inputs": inputs, "state": state, "changedPropIds": [
            f"{inputs[0]['id']}.{inputs[0]['property']}"]})


def unchanged(resp) -> bool:
    """Dash's answer to a callback that returned no_update (no error, nothing to update)."""
    return resp.status_code == 204 or (resp.status_code == 200 and resp.json["response"] == {})


def report_request(client, source, period, date):
    return post_callback(
        client, "r-body.children",
        [{"id": "r-source", "property": "value", "value": source},
         {"id": "r-period", "property": "value", "value": period},
         {"id": "r-date", "property": "date", "value": date}],
        [{"id": "lang", "property": "data", "value": "en"}])


def test_a_forged_report_request_changes_nothing(client):
    source = next(s["source"] for s in client.get("/api/v1/sources").json["sources"]
                  if s["kind"] == "history")
    good = report_request(client, source, "week", "2020-12-03")
    assert good.status_code == 200 and good.json["response"]["r-body"]["children"]
    for forged in [(source, "week", "0001-01-01"), (source, "week", "9999-12-31"),
                   (source, "week", "not a date"), (source, "week", 20201203),
                   (source, "decade", "2020-12-03"), ({"a": 1}, "week", "2020-12-03"),
                   (source, ["week"], "2020-12-03")]:
        resp = report_request(client, *forged)
        assert unchanged(resp), (forged, resp.status_code, resp.get_data(as_text=True)[:200])


def test_report_anchor_accepts_what_the_date_picker_sends():
    from zoneinfo import ZoneInfo
    tz = ZoneInfo("America/New_York")
    assert report_anchor(None, "week", "2020-12-03", tz) == 1607014800.0      # noon, EST
    assert report_anchor("history:x", "day", "1980-01-02", tz) is not None
    assert report_anchor(None, "week", "2100-06-01", tz) is None
    assert report_anchor("x" * 500, "week", "2020-12-03", tz) is None


def window_request(client, index, head):
    return post_callback(client, "p-data.data",
                         [{"id": "p-window", "property": "data", "value": index}],
                         [{"id": "p-head", "property": "data", "value": head}])


def test_a_forged_playback_window_changes_nothing(client):
    source = next(s for s in client.get("/api/v1/sources").json["sources"]
                  if s["kind"] == "history")
    head = {"source": source["source"], "t0": source["start"], "t": 0, "playing": False}
    ok = window_request(client, 1, head)
    assert ok.status_code == 200 and ok.json["response"]["p-data"]["data"]["index"] == 1
    for index, forged in [(10 ** 30, head), (-10 ** 9, head), ("abc", head),
                          (1, {**head, "t0": "x"}), (1, {**head, "t0": 1e300}),
                          (1, {**head, "t0": True}), (1, {**head, "source": ["a"]})]:
        resp = window_request(client, index, forged)
        assert unchanged(resp), (index, forged, resp.status_code)
    assert window_start(head, 0) == source["start"]
    assert window_start("not a head", 0) is None
