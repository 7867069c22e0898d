"""VTS radar tracks: TTM/TLL sentences (public examples), exports, the CLI, a live TCP feed."""
import json
import socket
import subprocess
import sys
import threading
from datetime import date

import pytest
from pyproj import Geod

from data_sources.vts import VtsDecoder, VtsSource, load_tracks
from tests.conftest import ROOT
from tests.data_sources.test_live_feeds import wait_for

SITE = (-74.0555, 40.6045)
# Public examples: the OpenCPN ARPA wiki / go-nmea, the Rust nmea crate's tests, gonmea's ZDA
TTM_WIKI = "$RATTM,02,1.43,170.5,T,0.16,264.4,T,1.42,36.9,N,,T,,,M*2A"
TTM_TIMED = "$RATTM,01,0.2,190.8,T,12.1,109.7,T,0.1,0.5,N,TGT01,T,,100021.00,A*79"
ZDA = "$GPZDA,153415,10,12,2015,0,0*4B"
TLL = "$RATLL,01,4916.50,N,12311.20,W,TGT01,100021.00,T,*70"


def decoder(**kw):
    rejects = []
    d = VtsDecoder("vts", on_reject=lambda r, x=None: rejects.append(r), **kw)
    return d, rejects


def test_ttm_position_is_range_and_bearing_from_the_site():
    d, rejects = decoder(site=SITE, day=date(2015, 12, 10))
    [r] = d.feed(TTM_TIMED)
    lon, lat, _ = Geod(ellps="WGS84").fwd(SITE[0], SITE[1], 190.8, 0.2 * 1852)
    assert (r.lon, r.lat) == pytest.approx((lon, lat), abs=1e-9)
    assert r.target == "vts:1" and r.status == "tracking" and r.name == "TGT01"
    assert r.speed == pytest.approx(12.1) and r.course == pytest.approx(109.7)
    assert r.cpa_m == pytest.approx(185.2) and r.tcpa_s == pytest.approx(30)
    assert r.ts == pytest.approx(1449741621.0)          # 2015-12-10 10:00:21 UTC
    assert rejects == []


def test_time_comes_from_zda_or_rmc_and_the_site_from_rmc():
    d, rejects = decoder(site=SITE)
    d.feed(ZDA)
    [r] = d.feed(TTM_WIKI)                 # no time of day in the sentence: the ZDA clock
    assert r.ts == pytest.approx(1449761655.0) and r.speed == pytest.approx(0.16)
    rmc = "$GPRMC,225446.33,A,4916.45,N,12311.12,W,000.5,054.7,191194,020.3,E,A*2B"
    d.feed(rmc)
    [r2] = d.feed(TTM_TIMED)
    assert r2.ts == pytest.approx(785239221.0)          # 1994-11-19 10:00:21 (RMC date)
    assert 49.2 < r2.lat < 49.3 and -123.2 < r2.lon < -123.1      # from the ship's position
    [t] = d.feed(TLL)
    assert (t.lat, t.lon) == pytest.approx((49 + 16.5 / 60, -(123 + 11.2 / 60)))
    assert t.speed == pytest.approx(12.1)               # with its TTM of the same time
    assert rejects == []


def test_bad_input_is_counted_by_reason_and_skipped():
    d, rejects = decoder(site=None)
    assert d.feed(TTM_WIKI[:-1] + "B") == []           # checksum
    assert d.feed("garbage") == []
    assert d.feed(TTM_TIMED) == []                     # no date yet
    d.day = date(2020, 6, 30)
    assert d.feed(TTM_TIMED) == []                     # no site
    d.site = SITE
    rel = "$RATTM,03,0.800,270.0,R,8.0,090.0,T,0.10,0.50,N,TGT03,T,,100021.00,A"
    assert d.feed(rel) == []                           # relative bearing, no heading
    assert len(d.feed(TTM_TIMED)) == 1
    assert rejects == ["checksum", "not_nmea", "no_date", "no_site", "relative_bearing"]


def test_vts_cli_prints_one_json_object_per_report(tmp_path):
    log = tmp_path / "radar.nmea"
    log.write_text("\n".join([ZDA, TTM_WIKI, TTM_TIMED, "junk", TLL]) + "\n")
    out = subprocess.run([sys.executable, "app.py", "vts", str(log), "--site=-74.0555,40.6045"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 3
    assert set(rows[0]) >= {"target", "time", "lat", "lon", "speed", "course", "status",
                            "source"}
    assert rows[0]["time"].endswith("Z") and "1 rejected" in out.stderr


def test_csv_and_json_exports(tmp_path):
    csv_file = tmp_path / "tracks.csv"
    csv_file.write_text("track_id,time,lat,lon,sog,cog,status\n"
                        "17,2020-06-30T00:00:02Z,40.60,-74.04,10.5,45,T\n"
                        "17,2020-06-30T00:00:04.5Z,40.601,-74.039,10.4,46,tracking\n"
                        "18,not-a-time,40.6,-74.0,1,1,T\n"
                        "19,2020-06-30T00:00:04Z,95,-74.0,1,1,T\n")
    rejects = []
    tracks = load_tracks(csv_file, on_reject=lambda r, d=None: rejects.append(r))
    assert [t.target for t in tracks] == ["17", "17"] and tracks[1].speed == 10.4
    assert rejects == ["bad_field", "bad_position"]
    js = tmp_path / "tracks.json"
    js.write_text(json.dumps({"tracks": [{"id": "A", "ts": 1593475200, "latitude": 40.6,
                                          "longitude": -74.0, "speed": 3}]}))
    assert load_tracks(js)[0].ts == 1593475200


def test_live_radar_feed_over_tcp():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def serve():
        conn, _ = server.accept()
        with conn:
            for line in [ZDA, TTM_WIKI, "bad*00", TTM_TIMED]:
                conn.sendall((line + "\r\n").encode())
            threading.Event().wait(1.0)
    threading.Thread(target=serve, daemon=True).start()
    source = VtsSource(f"tcp://127.0.0.1:{port}", site=SITE)
    source.start()
    try:
        assert wait_for(lambda: source.health.messages >= 2)
        reports = source.poll()
        assert {r.target for r in reports} == {"vts:1", "vts:2"}
        assert source.health.status()["rejected"] == 1
    finally:
        source.stop()
        server.close()
