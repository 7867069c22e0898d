"""What operations and a browser on a slow link see of a web process: /healthz, /readyz (the
twin's id and freshness), /metrics in Prometheus text, compressed responses, a page load that
does not carry every page's layout — and every callback's ids exist on some page."""
import gzip
import json

import brotli
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from tests.auth import sign_in
from twin.config import Config


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    db = tmp_path_factory.mktemp("history") / "h.sqlite"
    return create_app(Config.load(start_engine=False, env={}, history_url=f"sqlite:///{db}",
                                  history_autoload=False))


@pytest.fixture(scope="module")
def client(app):
    return sign_in(app.server.test_client())


def _engine(app):
    return app.server.config["PORTTWIN"]["engine"]


def test_healthz_and_readyz_say_whether_the_twin_is_fresh(app, client):
    assert client.get("/healthz").status_code == 200
    engine = _engine(app)
    before = client.get("/readyz")
    if engine.last_round_wall is None:            # no round yet: up, but not ready
        assert before.status_code == 503 and before.get_json()["ready"] is False
    engine.step()
    ready = client.get("/readyz")
    body = ready.get_json()
    assert ready.status_code == 200 and body["ready"] is True
    assert body["twin_id"] == engine.twin_id and body["snapshot_age_s"] < 5
    assert body["vessels"] > 0
    # the twin's history store: what waits for it, and how long since it last committed
    assert body["history"]["rows_waiting"] == 0 and body["history"]["failing_s"] is None
    assert body["history"]["last_commit_age_s"] < 60
    # a twin whose last round is older than 5 s is not ready (a stalled engine thread)
    engine.last_round_wall -= 60
    stale = client.get("/readyz")
    assert stale.status_code == 503 and stale.get_json()["snapshot_age_s"] >= 60
    assert stale.get_json()["twin_id"] == body["twin_id"]
    engine.step()


def test_metrics_are_prometheus_text_with_the_twins_figures(app, client):
    _engine(app).step()
    client.get("/api/v1/vessels")
    client.get("/no/such/page/at/all")
    text = client.get("/metrics").get_data(as_text=True)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    messages = {s.labels["source"]: s.value for s in families["porttwin_messages"].samples
                if s.name == "porttwin_messages_total"}
    assert messages and max(messages.values()) > 0          # the replay's accepted messages
    assert "porttwin_snapshot_age_seconds" in families
    assert "porttwin_engine_rounds" in families
    # the history writer's: the round just stepped was committed, nothing waits
    commits = [s.value for s in families["porttwin_history_commits"].samples
               if s.name == "porttwin_history_commits_total"]
    assert commits and commits[0] >= 1
    assert families["porttwin_history_rows_waiting"].samples[0].value == 0
    assert "porttwin_history_positions_dropped" in families
    http = [s for s in families["porttwin_http_requests"].samples
            if s.name == "porttwin_http_requests_total"]
    routes = {(s.labels["route"], s.labels["status"]) for s in http}
    assert ("/api/v1/vessels", "200") in routes
    # an unknown path is one label value, not one per path (bounded cardinality)
    assert not any("no/such" in r for r, _ in routes)


def test_responses_are_compressed_brotli_or_gzip(app, client):
    _engine(app).step()
    br = client.get("/api/v1/vessels", headers={"Accept-Encoding": "br, gzip"})
    assert br.headers.get("Content-Encoding") == "br"
    assert json.loads(brotli.decompress(br.get_data()))
    gz = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert gz.headers.get("Content-Encoding") == "gzip"
    assert b"<html" in gzip.decompress(gz.get_data()).lower()
    plain = client.get("/")                             # a client that asks for none
    assert "Content-Encoding" not in plain.headers


def test_a_page_load_does_not_carry_every_pages_layout(client):
    html = client.get("/").get_data(as_text=True)
    assert "validation_layout" not in html
    assert len(html.encode()) < 100_000, len(html)


def _ids(component, out: set) -> set:
    """Every string id in a component tree."""
    cid = getattr(component, "id", None)
    if isinstance(cid, str):
        out.add(cid)
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if hasattr(child, "to_plotly_json"):
            _ids(child, out)
    return out


def test_every_callback_id_is_on_some_page(app):
    """What Dash checked in the browser on every load (its validation layout), checked here
    once: a callback naming an id no page has would never fire."""
    present = _ids(app.server.config["PORTTWIN"]["pages"](), set())
    missing = set()
    for spec in app.callback_map.values():
        for dep in spec["inputs"] + spec["state"]:
            if not dep["id"].startswith("{"):            # pattern ids are made by callbacks
                missing |= {dep["id"]} - present
    for key in app.callback_map:
        for part in key.strip(".").split("..."):
            cid = part.rsplit(".", 1)[0].lstrip(".")
            if cid and not cid.startswith("{"):
                missing |= {cid} - present
    assert not missing, sorted(missing)
