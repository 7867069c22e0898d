"""The forecast on the live twin (twin/forecast_live.py), learnt from the real Puget Sound day:
a ship under way gets its next stay with an interval, ships in a stay or long silent don't,
the next 24 h of arrivals add the ships in sight to what the history says, and a crowded
anchorage is a congestion window."""
import numpy as np
import pytest

from data_sources.events import VesselReport
from tests.conftest import ROOT
from twin.state import FleetState

PS_DAY = ROOT / "data/sources/pugetsound/PugetSound_2020_06_30.traj"


@pytest.fixture(scope="module")
def learnt(puget_store):
    from twin.forecast import train_from_store
    port, store, source = puget_store
    model, ex = train_from_store(store, source, port)
    return port, store, model, ex


class Places:
    """The read side of port activity the forecast uses: who is in a stay, where they came
    from (``ActivityReading.places`` / ``last_stays``)."""

    def __init__(self, places=None, last=None):
        self._places, self._last = places or {}, last or {}

    def places(self):
        return dict(self._places)

    def last_stays(self):
        return dict(self._last)


def _fleet(reports, now):
    s = FleetState()
    s.apply(reports)
    return s.snapshot(now)


def test_the_model_knows_the_port(learnt):
    port, _, model, ex = learnt
    prof = model.profile
    assert len(prof["arrivals"]) == 24 and sum(prof["arrivals"]) > 0
    assert prof["seen"][0] >= prof["seen"][6] >= prof["seen"][24] == 0.0   # a share, falling
    assert set(model.kinds) >= {"berth", "none"}        # it learnt "not coming" too
    assert (ex["stay_kind"] == "none").any() and ex.loc[ex["stay_kind"] == "none",
                                                         "target_h"].isna().all()


def test_a_ship_under_way_gets_its_next_stay_with_an_interval(learnt):
    from twin.forecast_live import LiveForecast
    port, _, model, ex = learnt
    # a real moment of the history: a ship under way some hours before it berthed
    row = ex[(ex["stay_kind"] == "berth") & (ex["sog"] > 3)].iloc[0]
    now = float(row["ts"])
    snap = _fleet([VesselReport(ts=now, source="t", mmsi=int(row["mmsi"]), lon=row["lon"],
                                lat=row["lat"], sog=row["sog"], cog=row["cog"])], now)
    live = LiveForecast(port, model)
    fc = live.vessels(snap, Places())
    assert list(fc["mmsi"]) == [int(row["mmsi"])]
    f = fc.iloc[0]
    assert f["eta_low"] <= f["eta"] <= f["eta_high"]
    assert now <= f["eta_low"] and f["eta_high"] <= now + 12 * 3600
    assert f["p_none"] + f["p_berth"] + f["p_anchorage"] == pytest.approx(1.0)


def test_ships_in_a_stay_or_silent_are_not_forecast(learnt):
    from twin.forecast_live import FRESH_S, LiveForecast
    port, _, model, ex = learnt
    now = float(ex["ts"].median())
    a, b = ex.iloc[0], ex.iloc[1]
    snap = _fleet([VesselReport(ts=now, source="t", mmsi=1, lon=a["lon"], lat=a["lat"], sog=8.0,
                                cog=90.0),
                   VesselReport(ts=now - FRESH_S - 60, source="t", mmsi=2, lon=b["lon"],
                                lat=b["lat"], sog=8.0, cog=90.0)], now)
    live = LiveForecast(port, model)
    assert list(live.vessels(snap, Places())["mmsi"]) == [1]            # 2: not heard lately
    assert live.vessels(snap, Places({1: ("berth", "x", now - 60)})).empty   # 1: at a berth
    assert live.why_not(snap, 2) == "silent"          # the card says why there is none

    # stopped at a real berth, its stay not yet begun: not coming, and the card says so
    lon, lat = port.layer("berths").geometry.iloc[0].representative_point().coords[0]
    snap = _fleet([VesselReport(ts=now, source="t", mmsi=3, lon=lon, lat=lat, sog=0.1,
                                cog=90.0)], now)
    assert live.vessels(snap, Places()).empty
    assert live.why_not(snap, 3) == "stopped"


def test_the_next_24_hours_add_the_ships_in_sight_to_the_history(learnt):
    from twin.forecast import PREV_KINDS
    from twin.forecast_live import HOURS, LiveForecast
    port, _, model, ex = learnt
    now = float(ex["ts"].min()) + 3600
    live = LiveForecast(port, model)
    empty = live.port_view(_fleet([], now), Places())
    assert empty["status"] == "ready" and len(empty["hours"]) == HOURS
    for h in empty["hours"]:
        assert 0 <= h["low"] <= h["expected"] <= h["high"]
        assert h["from_fleet"] == 0
    # the real half hour with most ships that reached a stay within 3 h: each where it was
    # then, with where it came from
    soon = ex[(ex["stay_kind"] != "none") & (ex["target_h"] < 3)]
    slot = (soon["ts"] // 1800).value_counts().index[0]
    approaching = soon[soon["ts"] // 1800 == slot].drop_duplicates("mmsi")
    now = float(approaching["ts"].max())
    reports = [VesselReport(ts=r.ts, source="t", mmsi=int(r.mmsi), lon=r.lon, lat=r.lat,
                            sog=r.sog, cog=r.cog) for r in approaching.itertuples()]
    kinds = {code: kind for kind, code in PREV_KINDS.items()}
    came_from = {int(r.mmsi): (kinds[int(r.prev_kind)], r.ts - r.since_stay_h * 3600,
                               r.prev_lon, r.prev_lat)
                 for r in approaching.itertuples() if int(r.prev_kind)}
    busy = LiveForecast(port, model).port_view(_fleet(reports, now),
                                               Places(last=came_from))
    fleet = sum(h["from_fleet"] for h in busy["hours"])
    assert fleet > 0.5 * len(reports)                       # most of them are coming
    assert sum(h["from_fleet"] for h in busy["hours"][:6]) >= \
        sum(h["from_fleet"] for h in busy["hours"][6:])     # and soon rather than late
    assert len(busy["vessels"]) == len(reports)


def test_the_hours_are_the_ports_clock_hours_in_any_zone(learnt):
    """The next 24 h are hours of the port's own clock — also where the zone is 30 or 45 min
    off UTC (a port in India or Nepal would otherwise see 13:30–14:30 bars)."""
    import dataclasses
    from datetime import datetime
    from zoneinfo import ZoneInfo
    from twin.forecast_live import LiveForecast
    port, _, model, ex = learnt
    now = float(ex["ts"].median())
    for zone in (port.timezone, "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns"):
        there = dataclasses.replace(port, timezone=zone)
        hours = LiveForecast(there, model).port_view(_fleet([], now), Places())["hours"]
        starts = [datetime.fromtimestamp(h["start"], ZoneInfo(zone)) for h in hours]
        assert all(t.minute == 0 and t.second == 0 for t in starts), (zone, starts[:2])
        assert hours[0]["start"] <= now < hours[0]["end"]


def test_a_crowded_anchorage_is_a_congestion_window(learnt):
    from twin.forecast_live import LiveForecast
    port, _, model, ex = learnt
    now = float(ex["ts"].min()) + 3600
    anchorage = str(port.geometry.anchorage_ids[0])
    crowd = {100 + i: ("anchorage", anchorage, now - 600) for i in range(12)}
    view = LiveForecast(port, model).port_view(_fleet([], now), Places(crowd))
    mine = [w for w in view["windows"] if w["group"] == f"anchorage:{anchorage}"]
    assert mine, view["windows"]
    w = mine[0]
    assert w["start"] == pytest.approx(np.floor(now / 3600) * 3600)   # from this hour
    assert w["peak"] > w["usual"] and w["end"] > w["start"]


def test_no_model_says_why(learnt, tmp_path):
    from twin.forecast_live import LiveForecast
    port, store, _, _ = learnt
    live = LiveForecast.start(port, tmp_path / "none.joblib", store, "history:absent",
                              learn=True)
    assert live.status == "no_model"
    assert live.port_view(_fleet([], 0.0), Places())["hours"] == []


def test_a_web_worker_without_a_model_takes_the_one_the_twin_saves_later(learnt, tmp_path,
                                                                           monkeypatch):
    """A stateless web worker started before the twin service had learnt the model: once
    the file is there, the worker's forecast is ready without a restart."""
    from twin import forecast_live
    from twin.forecast import save_model
    port, store, model, ex = learnt
    path = tmp_path / "model.joblib"
    live = forecast_live.LiveForecast.start(port, path, store, None, learn=False)
    assert live.status == "no_model"
    monkeypatch.setattr(forecast_live, "LOOK_AGAIN_S", 0.0)
    live.look_again()
    assert live.status == "no_model"                  # nothing there yet
    save_model(model, path)                           # the twin service saves it
    now = float(ex["ts"].median())
    view = live.port_view(_fleet([], now), Places())
    assert live.status == "ready" and len(view["hours"]) == 24


def test_a_model_is_learnt_in_the_background_saved_and_loaded(learnt, tmp_path):
    import time

    from twin.forecast_live import LiveForecast
    from twin.history_cli import history_source
    port, store, _, _ = learnt
    path = tmp_path / "ps.joblib"
    live = LiveForecast.start(port, path, store, history_source(PS_DAY))
    assert live.status == "learning"
    deadline = time.monotonic() + 120
    while live.status == "learning" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert live.status == "ready" and path.is_file()
    again = LiveForecast.start(port, path, store, history_source(PS_DAY), learn=False)
    assert again.status == "ready" and again.model.trained_on["port"] == port.locode


def test_the_twin_records_its_forecast_hourly_and_a_report_sets_it_against_the_stays(
        learnt, tmp_path):
    """Six hours of the real Puget Sound day through the real engine (replay, fleet, port
    calls, a history store): the forecast is stored once an hour of twin time, and every
    whole hour after the first is compared with the stays that began in it — the last
    forecast made before the hour, the stays counted from the store."""
    from data_sources.events import VesselReport as Report
    from data_sources.positions import load_recording
    from data_sources.replay import ReplaySource
    from tests.conftest import FakeClock
    from twin.activity import PortActivity
    from twin.engine import Engine
    from twin.forecast_live import ForecastRecorder, LiveForecast, forecast_vs_actual
    from twin.history import HistoryStore
    from twin.query import TwinQuery
    from twin.reports import build_report
    from layouts import report_export
    from layouts.reports import body

    port, _, model, _ = learnt
    reports = [r for r in load_recording(PS_DAY, "ais") if isinstance(r, Report)]
    clock = FakeClock(0.0)
    replay = ReplaySource(reports, source_id="ais", label="PS day", loop=False, clock=clock)
    store = HistoryStore(f"sqlite:///{tmp_path / 'live.sqlite'}")
    activity = PortActivity(port.geometry, store=store, source="live")
    engine = Engine([replay], activity=activity)
    recorder = ForecastRecorder(LiveForecast(port, model), store, "live")
    engine.after_round.append(recorder)
    for _ in range(6 * 60):                      # six hours, a minute a round
        clock.advance(60.0)
        engine.step()
        recorder.join(30)
    first, now = reports[0].ts, engine.now()
    logged = store.forecasts("live", first - 86400, now + 86400)
    assert recorder.errors == 0
    # once an hour: one forecast made in each hour of twin time the replay went through
    made = sorted(logged["made_hour"].unique())
    assert len(made) == recorder.written >= 6
    assert np.allclose(np.diff(made), 3600.0)
    assert logged.groupby("made_hour").size().eq(24).all()

    fc = forecast_vs_actual(store, "live", first - 3600, now + 3600, until=now)
    assert fc["n"] >= 5
    visits = store.visits("live")
    began = visits[visits["kind"].isin(["berth", "anchorage"])]["arrival"].to_numpy(float)
    for h in fc["hours"]:
        assert h["start"] + 3600 <= now                      # only hours that are over
        assert ((began >= h["start"]) & (began < h["start"] + 3600)).sum() == h["actual"]
        made_before = logged[(logged["hour_start"] == h["start"])
                             & (logged["made_at"] < h["start"])]
        last = made_before.sort_values("made_at").iloc[-1]
        assert h["expected"] == pytest.approx(last["expected"])
        assert 0 < h["lead_min"] <= 60
    assert fc["actual"] == sum(h["actual"] for h in fc["hours"]) and fc["actual"] > 0
    assert fc["mae_per_hour"] == pytest.approx(np.mean([abs(h["expected"] - h["actual"])
                                                        for h in fc["hours"]]))

    # the day's report reads the same figures, and shows and exports them
    query = TwinQuery(engine, port, store)
    report = build_report(query, "live", "day", now - 3600)
    assert report["forecast"]["n"] == fc["n"]
    assert report["forecast"]["mae_per_hour"] == pytest.approx(fc["mae_per_hour"])
    text = str(body(report, "en"))
    assert "Forecast vs actual arrivals" in text and f"{fc['n']} hours forecast" in text
    from openpyxl import load_workbook
    import io
    wb = load_workbook(io.BytesIO(report_export.xlsx(report, port, "en")))
    sheet = wb["Forecast vs actual arrivals"]
    assert sheet.max_row == 2 + fc["n"]                       # the period, the header, hours
    assert [c.value for c in sheet[3]][3] == fc["hours"][0]["actual"]
    import subprocess
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(report_export.pdf(report, port, "en"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Forecast vs actual arrivals" in text and f"{fc['n']} hours forecast" in text
    store.close()


def test_a_looping_replay_keeps_only_the_hours_before_its_pass_ends(learnt, tmp_path):
    """A replay that loops starts its recording again: what a forecast says of the hours after
    that is of ships sent back to where they were, so those hours are not recorded (the
    bundled one-hour demo would otherwise be scored against its own restart)."""
    from data_sources.events import VesselReport as Report
    from data_sources.positions import load_recording
    from data_sources.replay import ReplaySource
    from tests.conftest import FakeClock
    from twin.activity import PortActivity
    from twin.engine import Engine
    from twin.forecast_live import ForecastRecorder, LiveForecast, replay_pass_end
    from twin.history import HistoryStore

    port, _, model, _ = learnt
    reports = [r for r in load_recording(PS_DAY, "ais") if isinstance(r, Report)]
    t0 = reports[0].ts
    span = (t0, t0 + 3 * 3600.0 - 1.0)                   # a three-hour recording, looped
    clock = FakeClock(0.0)
    replay = ReplaySource([r for r in reports if r.ts <= span[1]], source_id="ais",
                          label="3 h", loop=True, span=span, clock=clock)
    store = HistoryStore(f"sqlite:///{tmp_path / 'loop.sqlite'}")
    engine = Engine([replay], activity=PortActivity(port.geometry, store=store,
                                                    source="live"))
    recorder = ForecastRecorder(LiveForecast(port, model), store, "live")
    engine.after_round.append(recorder)
    for _ in range(5 * 60):                              # into the second pass
        clock.advance(60.0)
        engine.step()
        recorder.join(30)
    assert replay_pass_end(replay, t0 + 60) == t0 + 3 * 3600.0
    logged = store.forecasts("live", t0 - 86400, t0 + 3 * 86400)
    assert recorder.errors == 0 and len(logged)
    for made_at, hours in logged.groupby("made_at"):
        end = replay_pass_end(replay, made_at)
        assert (hours["hour_start"] + 3600.0 <= end).all()
    # the second pass's own forecasts are there too
    assert (logged["made_at"] >= t0 + 3 * 3600.0).any()
    store.close()


def test_a_store_that_fails_is_counted_said_once_and_tried_again_later(learnt, tmp_path,
                                                                         caplog):
    """The forecast log's table gone (a store being repaired): the round goes on, the failure
    is counted and logged once, not every round; once it is back the forecast is stored."""
    from sqlalchemy import text
    from data_sources.events import VesselReport as Report
    from data_sources.positions import load_recording
    from data_sources.replay import ReplaySource
    from tests.conftest import FakeClock
    from twin.activity import PortActivity
    from twin.engine import Engine
    from twin.forecast_live import ForecastRecorder, LiveForecast
    from twin.history import HistoryStore, forecast_log

    port, _, model, _ = learnt
    reports = [r for r in load_recording(PS_DAY, "ais") if isinstance(r, Report)][:3000]
    clock = FakeClock(0.0)
    replay = ReplaySource(reports, source_id="ais", label="PS", loop=False, clock=clock)
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite'}")
    engine = Engine([replay], activity=PortActivity(port.geometry, store=store,
                                                    source="live"))
    recorder = ForecastRecorder(LiveForecast(port, model), store, "live")
    engine.after_round.append(recorder)
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE forecast_log"))
    with caplog.at_level("ERROR", logger="twin.forecast_live"):
        for _ in range(10):
            clock.advance(30.0)
            engine.step()
            recorder.join(30)
    assert engine.errors == 0 and recorder.errors == 1 and recorder.written == 0
    assert sum("forecast not recorded" in r.getMessage() for r in caplog.records) == 1
    forecast_log.create(store.engine)                    # repaired
    recorder.RETRY_S, recorder._retry_at = 0.0, 0.0      # a minute later
    clock.advance(30.0)
    engine.step()
    recorder.join(30)
    assert recorder.written == 1 and len(store.forecasts("live", 0, 4e9)) > 0
    store.close()
