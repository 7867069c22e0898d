"""``python app.py`` with another port's package shows nothing of New York (issue 15): no NY
recording on the wall, no NY week in its history store, no NY TEU, labels of that port, its
own store file; and the package's own tide harmonics are used, a station without any does not
stop the app."""
import json

import pytest

from app import create_app
from tests.auth import sign_in
from layouts import panels
from tests.conftest import routed_page
from tests.port_fixture import LOST_STATION, OWN_STATION, make_port, write_traj
from twin.config import ROOT, Config
from twin.port import Port

NY_WORDS = ("New York", "纽约", "NYHarbor", "USNYC", "2020-06-30", "Port Authority",
            "MarineCadastre AIS")


@pytest.fixture(scope="module")
def other(tmp_path_factory):
    folder = tmp_path_factory.mktemp("testhaven")
    port_dir = make_port(folder / "testhaven")
    db = folder / "h.sqlite"
    app = create_app(Config.load(env={}, port_dir=port_dir, history_url=f"sqlite:///{db}",
                                 start_engine=False))
    return app, port_dir


def routed(app, path: str, lang: str = "en") -> str:
    return routed_page(sign_in(app.server.test_client()), path, lang)


def test_nothing_of_new_york_is_loaded(other):
    app, _ = other
    ctx = app.server.config["PORTTWIN"]
    store, engine, config = ctx["store"], ctx["engine"], ctx["config"]
    assert store.sources() == [] or all("NYHarbor" not in s for s in store.sources())
    assert store.monthly_teu("XXTHV").empty and store.monthly_teu("USNYC").empty
    assert str(config.history_file) in ("", ".")          # the package names no history
    assert str(config.throughput_monthly) in ("", ".")
    assert engine.primary.source_id == "ais" and engine.primary.poll() == []
    health = engine.feed_health()
    assert health[0]["state"] == "none" and health[0]["label"] == "ais_none"
    text = json.dumps(health)
    assert not any(w in text for w in NY_WORDS), text


def test_the_wall_is_that_ports(other):
    app, _ = other
    for lang in ("en", "zh"):
        page = routed(app, "/", lang)
        assert ("Port of Testhaven" if lang == "en" else "测试港") in page
        assert "XXTHV" in page
        assert not any(w in page for w in NY_WORDS), [w for w in NY_WORDS if w in page]
    engine = app.server.config["PORTTWIN"]["engine"]
    shown = json.dumps([c.to_plotly_json() if hasattr(c, "to_plotly_json") else c
                        for c in panels.feed_health(engine.feed_health(), "en")], default=str)
    banner = json.dumps(panels.source_banner(engine.primary, "en"), default=str)
    assert "no feed or recording" in banner and not any(w in shown + banner for w in NY_WORDS)


def test_the_packages_own_harmonics_are_used_and_a_station_without_any_is_reported(other):
    app, _ = other
    feeds = app.server.config["PORTTWIN"]["engine"].feeds
    assert list(feeds.hydromet.stations) == [OWN_STATION]
    assert feeds.hydromet.stations[OWN_STATION].name == "Testhaven Pegel"
    assert LOST_STATION in feeds.hydromet.missing_harmonics
    row = next(s for s in feeds.slots if s["source"] == "tide-harmonics")
    assert row["state"] == "failed" and LOST_STATION in row["error"]
    text = json.dumps([c.to_plotly_json() for c in panels.feed_health([row], "en")],
                      default=str)
    assert LOST_STATION in text and "cannot run" in text
    assert panels.stale_banner([row], "en") is None      # a file problem, not a link down


def test_the_default_store_is_the_ports_own_file(other):
    _, port_dir = other
    port = Port.load(port_dir)
    assert Config.load(env={}).for_port(port).history_url == \
        f"sqlite:///{ROOT / 'var' / 'XXTHV.sqlite'}"
    ny = Port.load(Config.port_dir)
    assert Config.load(env={}).for_port(ny).history_url.endswith("/var/USNYC.sqlite")
    given = Config.load(env={"PORTTWIN_HISTORY_URL": "sqlite:////tmp/elsewhere.sqlite"})
    assert given.for_port(port).history_url == "sqlite:////tmp/elsewhere.sqlite"


def test_the_ny_package_keeps_todays_data(tmp_path):
    """The NY package names its recording, week and TEU table in port.toml: the defaults
    resolve to the same files as before."""
    ny = Port.load(Config.port_dir)
    cfg = Config.load(env={}).for_port(ny)
    assert cfg.ais_replay == ROOT / "data" / "ais" / "NYHarbor_2020_06_30_first_hour.csv"
    assert cfg.ais_source_id == "ais-marinecadastre"
    assert cfg.ais_label_key == "replay_marinecadastre"
    assert cfg.history_file == ROOT / "data" / "ais" / "NYHarbor_2020_12_first_week.traj.gz"
    assert cfg.throughput_monthly == ROOT / "data" / "throughput" / "port_ny_teu.csv"
    assert cfg.for_port(ny) == cfg                        # resolving twice changes nothing


def test_a_traj_drives_the_wall_of_another_port(tmp_path):
    """``--replay FILE.traj`` (or the older ``--ais-csv``): position-only reports replayed,
    vessels on the wall, the replay named after its file."""
    from app import build_engine
    port_dir = make_port(tmp_path / "testhaven", tide_stations=())
    traj = write_traj(tmp_path / "Testhaven_2021_03_01.traj")
    for key in ("ais_replay", "ais_csv"):
        cfg = Config.load(env={}, port_dir=port_dir, history_url="none", warmup_s=600,
                          **{key: traj})
        engine = build_engine(cfg, Port.load(port_dir), None)
        engine.primary.start()
        engine.step()
        assert engine.primary.label == "Replay: Testhaven_2021_03_01.traj"
        assert set(engine.state.vessels) == {211000001, 211000002}
        assert engine.feed_health()[0]["rejected"] == 0


def test_a_package_names_its_own_recording(tmp_path):
    from app import build_ais_source
    port_dir = make_port(tmp_path / "testhaven", tide_stations=(), extra_toml="""
[replay]
file = "rec/day.traj"
label = "Testhaven AIS, one day"
source_id = "ais-testhaven"
""")
    (port_dir / "rec").mkdir()
    write_traj(port_dir / "rec" / "day.traj")
    source = build_ais_source(Config.load(env={}, port_dir=port_dir), Port.load(port_dir))
    assert (source.source_id, source.label) == ("ais-testhaven", "Testhaven AIS, one day")
    assert len(source.events) == 60


def test_a_binary_replay_is_one_clear_error(tmp_path):
    from app import build_ais_source, main
    from twin.config import ConfigError
    port_dir = make_port(tmp_path / "testhaven", tide_stations=())
    pcap = tmp_path / "radar.csv"
    pcap.write_bytes(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
    with pytest.raises(ConfigError, match="looks like a pcap network capture"):
        build_ais_source(Config.load(env={}, port_dir=port_dir, ais_replay=pcap))
    with pytest.raises(ConfigError, match="cannot be read"):
        build_ais_source(Config.load(env={}, port_dir=port_dir,
                                     ais_replay=tmp_path / "absent.traj"))
    assert main(["--ais", str(pcap)]) == 2                 # one line on stderr, no traceback


PUGET = ROOT / "data" / "ports" / "pugetsound"


@pytest.mark.skipif(not (PUGET / "port.toml").is_file(), reason="no Puget Sound package")
def test_the_puget_sound_package_shows_nothing_of_new_york(tmp_path):
    """The second real port: its wall, store and feeds carry nothing of New York; its
    terminals are named and extruded only on its land."""
    import shapely
    from layouts import map_layers
    from twin.port import is_osm_id_name
    app = create_app(Config.load(env={}, port_dir=PUGET, start_engine=False,
                                 history_url=f"sqlite:///{tmp_path / 'h.sqlite'}"))
    ctx = app.server.config["PORTTWIN"]
    assert not any("NYHarbor" in s for s in ctx["store"].sources())
    assert ctx["store"].monthly_teu("USNYC").empty
    page = routed(app, "/")
    assert "Puget Sound" in page and not any(w in page for w in NY_WORDS)
    assert not any(w in json.dumps(ctx["engine"].feed_health()) for w in NY_WORDS)
    port = ctx["port"]
    assert not any(is_osm_id_name(n) for n in port.layer("terminals")["name"])
    on_land, _ = map_layers.terminal_parts(port)
    land = shapely.union_all(port.layer("land").geometry.values)
    assert all(g.difference(land).area < 1e-8 for g in on_land.geometry)
