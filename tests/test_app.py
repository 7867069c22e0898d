"""The app as served: layout per language, language remembered, every script from this server."""
import json
import re

import pytest

from app import create_app
from tests.auth import sign_in
from tests.conftest import routed_page
from twin.config import Config


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = tmp_path_factory.mktemp("history") / "h.sqlite"
    app = create_app(Config.load(start_engine=False, env={}, history_url=f"sqlite:///{db}",
                                 history_autoload=False))
    return sign_in(app.server.test_client())


def test_page_scripts_are_all_served_locally(client):
    html = client.get("/").get_data(as_text=True)
    srcs = re.findall(r'<script[^>]+src="([^"]+)"', html) + re.findall(r'href="([^"]+)"', html)
    assert srcs and all(s.startswith("/") for s in srcs), srcs
    assert any("deckgl_dash" in s for s in srcs)


def shell_language(client, query: str = "") -> str:
    """The language the served shell carries (its ``lang`` store)."""
    layout = json.loads(client.get("/_dash-layout" + query).get_data(as_text=True))
    store = next(c for c in layout["props"]["children"] if c["props"].get("id") == "lang")
    return store["props"]["data"]


def page(client, path: str, lang: str) -> str:
    return routed_page(client, path, lang)


def test_layout_in_chinese_and_the_choice_is_remembered(client):
    resp = client.get("/_dash-layout?lang=zh")
    assert "porttwin_lang=zh" in resp.headers.get("Set-Cookie", "")
    assert shell_language(client) == "zh"           # later loads without ?lang= keep it
    text = page(client, "/", "zh")
    assert "一张图" in text and "纽约-新泽西港" in text
    for path, title in (("/vessels", "船舶查询"), ("/reports", "统计报表"),
                        ("/playback", "历史回放")):
        assert title in page(client, path, "zh"), path
    # the page says its language (screen readers, CJK glyph forms), and the grids speak it
    assert '<html lang="zh-CN">' in client.get("/?lang=zh").get_data(as_text=True)
    vessels_zh = page(client, "/vessels", "zh")
    assert "每页行数" in vessels_zh and "Page Size" not in vessels_zh
    client.get("/_dash-layout?lang=en")
    assert shell_language(client) == "en"
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    english = page(client, "/", "en")
    assert "One map" in english and "一张图" not in english


def test_unknown_language_falls_back_to_the_port_default(client):
    client.get("/_dash-layout?lang=en")
    assert shell_language(client, "?lang=xx") == "en"     # NY's port.toml: language = "en"
    assert "Port of New York and New Jersey" in page(client, "/", "en")


def test_config_from_environment_and_bad_keys():
    cfg = Config.load(env={"PORTTWIN_SPEED": "10", "PORTTWIN_LOOP": "false"})
    assert cfg.speed == 10.0 and cfg.loop is False
    with pytest.raises(ValueError, match="unknown configuration keys"):
        Config.load(env={}, colour="red")


def test_a_restarted_app_has_its_vessels_and_open_calls_back(tmp_path):
    from app import build_engine, build_store
    from tests.conftest import FakeClock
    from twin.port import Port
    cfg = Config.load(env={}, history_url=f"sqlite:///{tmp_path / 'h.sqlite'}",
                      history_autoload=False)
    port = Port.load(cfg.port_dir)
    first = build_engine(cfg, port, build_store(cfg))
    clock = FakeClock()
    first.primary.clock = clock
    first.primary.start()
    for _ in range(20):                        # 20 minutes of the replay, committed each round
        clock.advance(60)
        first.step()
    open_before = {c.call_id: c.to_row() for c in first.activity.tracker.open_calls()}
    assert len(first.state.vessels) > 200 and len(open_before) > 100

    # a new process, the first one killed: every open call is back at once with its stages;
    # a vessel's state is checkpointed every 30 s (or when its call changes), so its last
    # fix may be older — the first round hands out again what came after the resume point
    second = build_engine(cfg, port, build_store(cfg))
    assert set(second.state.vessels) == set(first.state.vessels)

    so_far = {"last_seen", "waiting_s", "berth_s", "port_time_s"}   # up to its last fix

    def stages(rows: dict) -> dict:
        return {k: {n: v for n, v in row.items() if n not in so_far} for k, row in rows.items()}

    assert stages({c.call_id: c.to_row() for c in second.activity.tracker.open_calls()}) == \
        stages(open_before)
    assert second.activity.resume_from < first.activity.watermark
    second.primary.clock = FakeClock()         # no time passes: the replay at the watermark
    second.step()
    assert second.primary.data_time() == first.activity.watermark  # it goes on from there
    assert {c.call_id: c.to_row() for c in second.activity.tracker.open_calls()} == open_before
    # stopped cleanly, every state is written: a third process has them all before a round
    second.stop()
    third = build_engine(cfg, port, build_store(cfg))
    assert {c.call_id: c.to_row() for c in third.activity.tracker.open_calls()} == open_before
    assert third.activity.resume_from == third.activity.watermark == first.activity.watermark


def test_the_ny_scenario_runs_every_feed_from_its_bundled_file(tmp_path):
    """Radar (simulated over the AIS hour), berth plan (the sample), the predicted tide, and
    the monthly TEU into the history store — each with its health on the feed panel, and the
    slot with no source (observed water level, wind, visibility) shown empty."""
    from app import build_engine, build_store
    from twin.port import Port

    cfg = Config.load(env={}, history_url=f"sqlite:///{tmp_path / 'h.sqlite'}",
                      history_autoload=False, start_engine=False)
    port = Port.load(cfg.port_dir)
    store = build_store(cfg)
    engine = build_engine(cfg, port, store)
    for s in engine.sources:
        s.start()
    engine.step()
    health = {h["label"]: h for h in engine.feed_health()}
    assert health["radar_simulated"]["messages"] > 1000
    assert health["berth_plan_sample"]["messages"] > 10
    assert health["hydromet_none"]["state"] == "none"
    assert health["tide_predicted"]["state"] == "live"
    assert all(h.get("rejected", 0) == 0 for h in health.values())
    feeds = engine.feeds
    assert feeds.fusion.status()["paired"] > 100 and feeds.fusion.dark_targets()
    assert feeds.plan.samples and len(feeds.plan.plans) >= 10
    levels = feeds.hydromet.snapshot(engine.now())
    assert len(levels) == 4 and all(r["predicted_m"] is not None for r in levels)
    assert len(store.monthly_teu(port.locode)) == 59


def test_loading_another_history_does_not_switch_the_walls_history_panel(tmp_path):
    """The port panel shows the deployment's configured history, not whichever file
    ``history load`` stored last (it silently became "Arrivals / day 1344.4")."""
    import json

    import app as porttwin
    from tests.auth import sign_in
    from tests.conftest import NY_HOUR
    from twin.history_cli import load_history
    cfg = Config.load(env={}, history_url=f"sqlite:///{tmp_path / 'h.sqlite'}",
                      start_engine=False, history_alerts=False)
    dash_app = porttwin.create_app(cfg)
    wired = dash_app.server.config["PORTTWIN"]
    load_history(wired["store"], NY_HOUR, wired["port"])            # an operator loads another
    assert len([s for s in wired["store"].sources() if s.startswith("history:")]) == 2
    client = sign_in(dash_app.server.test_client(), "ops-sup", "supervisor")
    key = next(k for k in dash_app.callback_map if "port-panel.children" in k)
    resp = client.post("/_dash-update-component", json={
        "output": key, "outputs": [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]}
                                   for o in key.strip(".").split("...")],
        "inputs": [{"id": "tick", "property": "n_intervals", "value": 1},
                   {"id": "colour-mode", "property": "value", "value": "type"},
                   {"id": "selected-vessel", "property": "data", "value": None},
                   {"id": "alert-sectors", "property": "value", "value": None}],
        "state": [{"id": "lang", "property": "data", "value": "en"},
                  {"id": "alert-signature", "property": "data", "value": None},
                  {"id": "panel-signature", "property": "data", "value": None}],
        "changedPropIds": ["tick.n_intervals"]})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    panel = json.dumps(resp.get_json()["response"]["port-panel"]["children"])
    assert cfg.for_port(wired["port"]).history_file.name in panel
    assert NY_HOUR.name not in panel


@pytest.mark.parametrize("path", ["/", "/vessels"])
def test_the_maps_port_geometry_is_fetched_once_compressed_and_kept(client, path):
    """The wall's and the vessels page's map carry the port's large layers as URLs; a signed-in
    browser gets each compressed, with a validator, cacheable for good (304 when it has it);
    anyone else gets 401, a URL the package did not make 404."""
    import gzip

    from layouts.map_layers import MAP_DATA_PATH
    text = page(client, path, "en")
    urls = sorted(set(re.findall(re.escape(MAP_DATA_PATH) + r'/[0-9a-f]+/[\w-]+\.json', text)))
    assert len(urls) >= 2, urls
    for url in urls:
        resp = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert resp.status_code == 200 and resp.headers["Content-Encoding"] == "gzip"
        assert "immutable" in resp.headers["Cache-Control"]
        data = json.loads(gzip.decompress(resp.get_data()))
        assert data                                    # features, paths
        again = client.get(url, headers={"If-None-Match": resp.headers["ETag"]})
        assert again.status_code == 304 and not again.get_data()
        assert client.application.test_client().get(url).status_code == 401
    digest_free = urls[0].rsplit("/", 2)[0] + "/" + "0" * 20 + "/land.json"
    assert client.get(digest_free).status_code == 404
