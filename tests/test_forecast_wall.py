"""The wall's panels and vessel card on a second port: the next 24 h panel (expected arrivals
per hour, congestion windows), the card's FORECAST section and the card of a ship not in the
live picture, served through the real Dash callbacks of an app replaying the Puget Sound day
with that day as its history."""
import json
import time

import pytest

from tests.auth import sign_in
from tests.conftest import ROOT
from twin.config import Config

PS_DAY = ROOT / "data/sources/pugetsound/PugetSound_2020_06_30.traj"


@pytest.fixture(scope="module")
def ps_app(tmp_path_factory):
    import app as porttwin
    tmp = tmp_path_factory.mktemp("fcwall")
    cfg = Config.load(env={}, port_dir=ROOT / "data/ports/pugetsound", ais_replay=PS_DAY,
                      history_file=PS_DAY, history_url=f"sqlite:///{tmp / 'h.sqlite'}",
                      history_alerts=False, radar="none", forecast_model=tmp / "ps.joblib")
    dash_app = porttwin.create_app(cfg)
    wired = dash_app.server.config["PORTTWIN"]
    fc = wired["query"].forecast_model
    deadline = time.monotonic() + 180
    while fc.status == "learning" and time.monotonic() < deadline:   # first start: learnt
        time.sleep(0.5)
    assert fc.status == "ready"
    yield dash_app, wired
    wired["engine"].stop()


def _post(client, dash_app, output: str, inputs: list, state: list, changed: str):
    key = next(k for k in dash_app.callback_map if output in k)
    resp = client.post("/_dash-update-component", json={
        "output": key, "outputs": [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]}
                                   for o in key.strip(".").split("...")],
        "inputs": inputs, "state": state, "changedPropIds": [changed]})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return resp.get_json()["response"]


def _texts(node) -> list[str]:
    """Every string in a Dash component tree (as JSON)."""
    out = []
    if isinstance(node, str):
        out.append(node)
    elif isinstance(node, list):
        for n in node:
            out += _texts(n)
    elif isinstance(node, dict):
        for k, v in node.items():
            if k in ("children", "props", "title"):
                out += _texts(v)
    return out


def _classes(node) -> list[str]:
    return [m for m in json.dumps(node).split('"className": "')[1:]]


def _card(client, dash_app, mmsi: int, lang: str = "en") -> dict:
    """The wall's one refresh callback with a vessel selected (as an alert row's button or a
    map click selects it): the card's hidden flag and body."""
    out = _post(client, dash_app, "vessel-card.hidden",
                [{"id": "tick", "property": "n_intervals", "value": 1},
                 {"id": "colour-mode", "property": "value", "value": "type"},
                 {"id": "selected-vessel", "property": "data", "value": mmsi},
                 {"id": "alert-sectors", "property": "value", "value": None}],
                [{"id": "lang", "property": "data", "value": lang},
                 {"id": "alert-signature", "property": "data", "value": None},
                 {"id": "panel-signature", "property": "data", "value": None}],
                "selected-vessel.data")
    return out["vessel-card"]["hidden"], out["vessel-card-body"]["children"]


def test_the_wall_shows_the_next_24_hours_of_arrivals(ps_app):
    dash_app, wired = ps_app
    client = sign_in(dash_app.server.test_client(), "ops-fc", "operator")
    out = _post(client, dash_app, "forecast-panel.children",
                [{"id": "slow-tick", "property": "n_intervals", "value": 1}],
                [{"id": "lang", "property": "data", "value": "en"}], "slow-tick.n_intervals")
    panel = out["forecast-panel"]["children"]
    text = " ".join(_texts(panel))
    assert "Next 24 h" in text and "FORECAST" in text and "arrivals expected" in text
    assert sum(c.startswith("fc-bar\"") for c in _classes(panel)) == 24
    view = wired["query"].forecast()
    total = sum(h["expected"] for h in view["hours"])
    assert f"≈ {total:.0f} arrivals" in text
    # each congestion window the forecast found is on the wall (at most three)
    for w in view["windows"][:3]:
        assert any(w["name"] in s and "expected busy" in s for s in _texts(panel))
    zh = _post(client, dash_app, "forecast-panel.children",
               [{"id": "slow-tick", "property": "n_intervals", "value": 2}],
               [{"id": "lang", "property": "data", "value": "zh"}], "slow-tick.n_intervals")
    assert "预测" in " ".join(_texts(zh["forecast-panel"]["children"]))


def test_a_vessel_card_shows_its_forecast_berthing_time_with_the_interval(ps_app):
    dash_app, wired = ps_app
    query = wired["query"]
    ves = query.forecast()["vessels"]
    assert ves, "no vessel under way in the replay to forecast"
    f = max(ves, key=lambda r: r["p_berth"])
    client = sign_in(dash_app.server.test_client(), "ops-fc2", "operator")
    card = " ".join(_texts(_card(client, dash_app, f["mmsi"])[1]))
    assert "FORECAST" in card and "Berthing" in card and "80 % interval" in card
    from layouts.i18n import fmt_time
    tz = wired["port"].timezone
    now = query.vessel_forecast(f["mmsi"])
    assert fmt_time(now["eta"], tz, "en") in card
    assert f"{fmt_time(now['eta_low'], tz, 'en', with_date=False)}–" in card
    # and the API says the same
    api = client.get(f"/api/v1/vessels/{f['mmsi']}").get_json()
    assert api["forecast"]["eta"] == pytest.approx(now["eta"])
    fc = client.get("/api/v1/forecast").get_json()
    assert fc["status"] == "ready" and len(fc["hours"]) == 24


def test_the_card_of_a_ship_not_in_the_live_picture_says_so_and_shows_what_is_known(ps_app):
    """A late-arrival alert is about a ship that is not here yet; a quiet ship leaves the live
    picture while its alert stays open. Its card (the alert row's button opens it) shows what
    the store and the berth plan know, and says that it is not live — not an empty card."""
    dash_app, wired = ps_app
    query, engine, store = wired["query"], wired["engine"], wired["query"].store
    client = sign_in(dash_app.server.test_client(), "ops-card", "operator")
    live = set(engine.snapshot().vessels["mmsi"].astype(int))

    # a ship of the day that went quiet 40 minutes ago (its last report, as the live writer
    # stores one), with its name stored; it is not in the live picture now
    from sqlalchemy import select
    from twin.history import positions
    now = engine.snapshot().time
    with store.engine.connect() as conn:
        later = set(conn.execute(select(positions.c.mmsi).where(positions.c.ts > now)
                                 .distinct()).scalars())
    gone = min(int(m) for m in later if int(m) not in live)
    store.write_round("live:test", fixes=[(gone, now - 2400, -122.40, 47.60, 0.1, 180.0,
                                           None, 1)],
                      static={gone: {"name": "QUIET ONE", "ship_type": 70}}, now=now - 2400)
    hidden, body = _card(client, dash_app, gone)
    text = " ".join(_texts(body))
    assert hidden is False
    assert "Not in the live picture" in text and str(gone) in text
    assert "field-mmsi" in json.dumps(body)
    assert "QUIET ONE" in text and "Cargo" in text
    last = store.last_position(gone, now)
    from layouts.i18n import fmt_time
    assert fmt_time(last["ts"], wired["port"].timezone, "en") in text
    assert f"{abs(last['lat']):.5f}°" in text
    zh = " ".join(_texts(_card(client, dash_app, gone, "zh")[1]))
    assert "不在实时画面中" in zh and str(gone) in zh

    # a planned ship that has not arrived (late: the plan said an hour ago), as a berth plan
    # feed delivers it: its planned berth and ETA are on the card
    from data_sources.berth_plan import PlanReplaced
    from data_sources.events import PlannedCall
    plan = query.plan
    expected = max(int(m) for m in later if int(m) not in live and int(m) != gone)
    berth_id, info = next(iter(query.berth_info.items()))
    plan.apply([PlannedCall(ts=now, issued=now, source="test-plan", plan_id="test-late",
                            berth=berth_id, eta=now - 3600, etb=now - 1800, etd=now + 7200,
                            mmsi=expected)])
    try:
        text = " ".join(_texts(_card(client, dash_app, expected)[1]))
    finally:
        plan.apply([PlanReplaced(now, "test-plan")])
    assert "Not in the live picture" in text and "Berth plan" in text
    assert (info.get("name") or berth_id) in text
    assert fmt_time(now - 3600, wired["port"].timezone, "en") in text

    # a ship the twin has never heard of: its MMSI, and no position
    hidden, body = _card(client, dash_app, 369_999_991)
    text = " ".join(_texts(body))
    assert hidden is False and "369999991" in text and "no position stored" in text
    # the API's view of a vessel not in the live picture reads the same store
    api = client.get(f"/api/v1/vessels/{gone}").get_json()
    assert api["vessel"]["live"] is False and api["vessel"]["mmsi"] == gone


def test_a_selection_the_page_forged_opens_no_card_and_breaks_nothing(ps_app):
    """The selected vessel comes back from the browser: whatever it says, the refresh answers
    (no card for what is no MMSI), and the API's vessel lookup answers a client error for
    what is none."""
    dash_app, _ = ps_app
    client = sign_in(dash_app.server.test_client(), "ops-forged", "operator")
    for forged in ("366032000", [1, 2], {"a": 1}, True, 10 ** 30, -5):
        hidden, _ = _card(client, dash_app, forged)
        assert hidden is True, forged
    for key in ("99999999999999999999999", "-1", "0", "abc"):
        assert client.get(f"/api/v1/vessels/{key}").status_code in (400, 404), key
