"""The forecast on the screens, on a second port: the wall's next 24 h panel (expected arrivals
per hour, congestion windows) and the vessel card's FORECAST section, served through the real
Dash callbacks of an app replaying the Puget Sound day with that day as its history."""
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
    out = _post(client, dash_app, "vessel-card.hidden",
                [{"id": "tick", "property": "n_intervals", "value": 1},
                 {"id": "colour-mode", "property": "value", "value": "type"},
                 {"id": "selected-vessel", "property": "data", "value": f["mmsi"]},
                 {"id": "alert-sectors", "property": "value", "value": None}],
                [{"id": "lang", "property": "data", "value": "en"},
                 {"id": "alert-signature", "property": "data", "value": None},
                 {"id": "panel-signature", "property": "data", "value": None}],
                "selected-vessel.data")
    card = " ".join(_texts(out["vessel-card-body"]["children"]))
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
