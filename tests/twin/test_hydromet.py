"""Hydro-met: CO-OPS JSON, CSV and MQTT/HTTP observations (a real Mosquitto and a real HTTP
server), the water level for UKC, and the UKC / wind / visibility / extreme-water rules with
injected conditions."""
import http.server
import json
import shutil
import socket
import subprocess
import threading
import time

import pytest

from data_sources.events import MetHydroObservation, StaticReport, VesselReport
from data_sources.hydromet import HttpPoller, MqttSource, load_file, parse_coops
from tests.conftest import ROOT
from tests.data_sources.test_live_feeds import wait_for
from twin.alerts import AlertEngine
from twin.hydromet import HydroMet
from twin.port import Port

COOPS = ROOT / "data" / "hydromet" / "coops"
NY = ROOT / "data" / "ports" / "nynj"
T0 = 1593475200.0                                   # 2020-06-30 00:00 UTC


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_coops_json_water_level_and_wind():
    rejects = []
    wl = load_file(COOPS / "9447130_water_level_20150101_20150102.json",
                   on_reject=lambda r, d=None: rejects.append(r))
    assert len(wl) >= 240 and wl[0].station == "9447130"
    assert wl[0].values == {"waterlevel": 1.798} and (wl[0].lon, wl[0].lat) == (-122.3393, 47.6026)
    wind = load_file(COOPS / "9447130_wind_20150101_20150102.json")
    assert wind[0].values["wspeed"] == pytest.approx(3.2 * 3600 / 1852, abs=0.01)   # m/s -> kn
    assert wind[0].values["wdir"] == 313.0
    bad = parse_coops({"error": {"message": "No data was found"}}, "x",
                      on_reject=lambda r, d=None: rejects.append(r))
    assert bad == [] and "api_error" in rejects


def test_csv_observations_count_bad_rows(tmp_path):
    f = tmp_path / "obs.csv"
    f.write_text("time,station,lon,lat,wind_speed_kn,visibility_nm,water_level_m\n"
                 "2020-06-30T00:00Z,PIER9,-74.0,40.6,12,4.0,1.1\n"
                 "2020-06-30T00:06Z,PIER9,-74.0,40.6,-3,,\n"
                 "bad,PIER9,,,1,,\n")
    rejects = []
    obs = load_file(f, on_reject=lambda r, d=None: rejects.append(r))
    assert len(obs) == 1 and obs[0].values == {"wspeed": 12.0, "visibility": 4.0,
                                               "waterlevel": 1.1}
    assert sorted(rejects) == ["bad_field", "out_of_range"]


def test_http_polling_hands_on_only_new_observations():
    body = (COOPS / "9447130_water_level_20150101_20150102.json").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/missing"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/api?product=water_level"
        poller = HttpPoller(url, interval_s=3600)
        assert poller.fetch() >= 240
        assert poller.fetch() == 0                       # the same data again: nothing new
        assert len(poller.poll()) >= 240
        gone = HttpPoller(f"http://127.0.0.1:{server.server_port}/missing")
        assert gone.fetch() == 0 and gone.health.status()["rejects"] == {"http_error": 1}
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def mosquitto(tmp_path_factory):
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = _free_port()
    conf = tmp_path_factory.mktemp("mqtt") / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    assert wait_for(lambda: _connects(port), 10), "mosquitto did not start"
    yield port
    proc.terminate()
    proc.wait(5)


def _connects(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def test_mqtt_observations_from_a_real_broker(mosquitto):
    import paho.mqtt.client as mqtt
    source = MqttSource("127.0.0.1", mosquitto, ["porttwin/hydromet/#"])
    source.start()
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    pub.connect("127.0.0.1", mosquitto)
    pub.loop_start()
    try:
        assert wait_for(lambda: source.state == "connected")
        time.sleep(0.3)
        pub.publish("porttwin/hydromet/8518750",
                    json.dumps({"time": "2020-06-30T00:00:00Z", "waterlevel": 0.71,
                                "wspeed": 14.0}), qos=1)
        pub.publish("porttwin/hydromet/8518750", b"{not json", qos=1)
        pub.publish("porttwin/hydromet/PIER9",
                    json.dumps({"station": "PIER9", "time": T0, "visibility": 0.4}), qos=1)
        assert wait_for(lambda: source.health.messages >= 2)
        obs = source.poll()
        assert {o.station for o in obs} == {"8518750", "PIER9"}
        assert source.health.status()["rejects"] == {"bad_json": 1}
    finally:
        pub.loop_stop()
        source.stop()


# ---- the twin's water level and the rules ----------------------------------------------
@pytest.fixture
def port():
    return Port.load(NY)


def engine_for(port, hm):
    alerts = AlertEngine(port, source="test")
    alerts.ctx.hydromet = hm
    return alerts


def berth_fix(port, berth_id):
    b = port.layer("berths")
    geom = b[b["id"] == berth_id].geometry.iloc[0].representative_point()
    return geom.x, geom.y


def test_water_level_is_observed_when_fresh_else_predicted(port):
    hm = HydroMet(port.tide_stations)
    lon, lat = berth_fix(port, "0Y8W")
    level, kind, station = hm.water_level(lon, lat, T0)
    assert kind == "predicted" and station == "8519483"      # Bergen Point for Port Newark
    hm.apply([MetHydroObservation(T0, "test", "8519483", None, None, {"waterlevel": -0.4})])
    assert hm.water_level(lon, lat, T0 + 60)[:2] == (-0.4, "observed")
    assert hm.water_level(lon, lat, T0 + 7200)[1] == "predicted"
    # the NY scenario has no wind or visibility source: the slots stay empty
    row = next(r for r in hm.snapshot(T0) if r["id"] == "8518750")
    assert row["wspeed_kn"] is None and row["visibility_nm"] is None
    assert row["predicted_m"] is not None


def test_ukc_alarm_for_a_deep_draught_ship_at_low_water(port):
    hm = HydroMet(port.tide_stations)
    alerts = engine_for(port, hm)
    lon, lat = berth_fix(port, "0Y8W")                  # depth 15.2 m (berth_depths.csv)
    alerts.update([StaticReport(T0, "test", 477266900, name="DEEP", draught=15.0,
                                ship_type=71, length=300)])
    hm.apply([MetHydroObservation(T0, "test", "8519483", None, None, {"waterlevel": 0.8})])
    alerts.update([VesselReport(T0 + 10, "test", 477266900, lon, lat, 0.0, None)])
    alerts.tick(T0 + 10)
    assert not [a for a in alerts.open_alerts() if a.rule == "ukc"]   # UKC 1.0 m ≥ 0.6 m
    hm.apply([MetHydroObservation(T0 + 60, "test", "8519483", None, None,
                                  {"waterlevel": 0.1})])            # 15.2 + 0.1 − 15.0 = 0.3
    alerts.update([VesselReport(T0 + 70, "test", 477266900, lon, lat, 0.0, None)])
    alerts.tick(T0 + 70)
    [ukc] = [a for a in alerts.open_alerts() if a.rule == "ukc"]
    assert ukc.mmsi == 477266900 and ukc.severity == "alarm"
    assert ukc.details["ukc_m"] == pytest.approx(0.3) and ukc.details["level_kind"] == "observed"
    # a shallow-draught ship at the same berth and water: nothing
    alerts.update([StaticReport(T0, "test", 366000001, draught=5.0)])
    alerts.update([VesselReport(T0 + 80, "test", 366000001, lon, lat, 0.0, None)])
    assert not [a for a in alerts.open_alerts() if a.rule == "ukc" and a.mmsi == 366000001]


def test_wind_visibility_and_extreme_water_alerts(port):
    hm = HydroMet(port.tide_stations)
    alerts = engine_for(port, hm)
    hm.apply([MetHydroObservation(T0, "test", "8518750", None, None,
                                  {"wspeed": 22.0, "wgust": 36.0, "visibility": 0.3,
                                   "waterlevel": 3.5})])
    alerts.tick(T0 + 5)
    got = {a.rule: a for a in alerts.open_alerts()}
    assert got["wind_limit"].details["wind_kn"] == 36.0             # the gust counts
    assert got["low_visibility"].details["visibility_nm"] == 0.3
    assert got["extreme_water"].details["level_kind"] == "observed"
    assert got["wind_limit"].subject() == "station:8518750" and got["wind_limit"].mmsi is None
    hm.apply([MetHydroObservation(T0 + 60, "test", "8518750", None, None,
                                  {"wspeed": 10.0, "wgust": 12.0, "visibility": 5.0,
                                   "waterlevel": 1.0})])
    alerts.tick(T0 + 70)
    alerts.tick(T0 + 140)                                           # 60 s to clear
    assert not [a for a in alerts.open_alerts()
                if a.rule in ("wind_limit", "low_visibility", "extreme_water")]
