"""The app as served: layout per language, language remembered, every script from this server."""
import re

import pytest

from app import create_app
from twin.config import Config


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = tmp_path_factory.mktemp("history") / "h.sqlite"
    app = create_app(Config.load(start_engine=False, env={}, history_url=f"sqlite:///{db}",
                                 history_autoload=False))
    return app.server.test_client()


def test_page_scripts_are_all_served_locally(client):
    html = client.get("/").get_data(as_text=True)
    srcs = re.findall(r'<script[^>]+src="([^"]+)"', html) + re.findall(r'href="([^"]+)"', html)
    assert srcs and all(s.startswith("/") for s in srcs), srcs
    assert any("deckgl_dash" in s for s in srcs)


def test_layout_in_chinese_and_the_choice_is_remembered(client):
    resp = client.get("/_dash-layout?lang=zh")
    text = resp.get_data(as_text=True)
    assert "一张图" in text and "纽约-新泽西港" in text
    assert "porttwin_lang=zh" in resp.headers.get("Set-Cookie", "")
    # later page loads without ?lang= use the cookie
    assert "一张图" in client.get("/_dash-layout").get_data(as_text=True)
    client.get("/_dash-layout?lang=en")
    english = client.get("/_dash-layout").get_data(as_text=True)
    assert "One map" in english and "一张图" not in english


def test_unknown_language_falls_back_to_the_port_default(client):
    text = client.get("/_dash-layout?lang=xx").get_data(as_text=True)
    assert "Port of New York and New Jersey" in text


def test_config_from_environment_and_bad_keys():
    cfg = Config.load(env={"PORTTWIN_SPEED": "10", "PORTTWIN_LOOP": "false"})
    assert cfg.speed == 10.0 and cfg.loop is False
    with pytest.raises(ValueError, match="unknown configuration keys"):
        Config.load(env={}, colour="red")
