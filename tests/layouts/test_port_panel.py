"""The wall's port panel, berth layers and the vessel card's port-call section, from real
port calls (the NY hour through the live path; the NY hour loaded as history)."""
import pytest

from data_sources import marinecadastre
from layouts import map_layers, panels
from tests.conftest import NY_HOUR, ROOT
from twin.activity import PortActivity
from twin.history import HistoryStore
from twin.history_cli import load_history
from twin.kpis import history_summary
from twin.port import Port


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    port = Port.load(ROOT / "data" / "ports" / "nynj")
    activity = PortActivity(port.geometry)
    reports = marinecadastre.load_file(NY_HOUR)
    activity.apply(sorted(reports, key=lambda r: r.ts))
    now = max(r.ts for r in reports)
    store = HistoryStore(f"sqlite:///{tmp_path_factory.mktemp('h') / 'h.sqlite'}")
    result = load_history(store, NY_HOUR, port)
    return port, activity, now, store, result


def _text(component) -> str:
    """All text in a component tree, each piece quoted."""
    if isinstance(component, (list, tuple)):
        return " ".join(_text(c) for c in component)
    if isinstance(component, str):
        return f'"{component}"'
    if component is None or isinstance(component, (int, float)):
        return f'"{component}"'
    return _text(getattr(component, "children", None))


def test_port_panel_shows_live_counts_and_history_kpis(setup):
    port, activity, now, store, result = setup
    live = activity.live_summary(now)
    assert live["at_berth"] > 20 and live["in_port"] > live["at_berth"]
    summary = history_summary(store, port.geometry.berth_info, result["source"])
    text = _text(panels.port_panel(live, summary, port.timezone, "en"))
    assert f'"{live["at_berth"]}/{live["berths_total"]}"' in text
    assert "Median at berth" in text and "Busiest berths" in text
    assert summary["top_berths"][0]["name"] in text
    zh = _text(panels.port_panel(live, summary, port.timezone, "zh"))
    assert "在泊时间中位数" in zh and "Median at berth" not in zh


def test_occupied_berths_are_drawn_in_the_occupants_colour(setup):
    port, activity, now, *_ = setup
    live = activity.live_summary(now)
    data = map_layers.port_activity_layers(map_layers.berth_paths(port), live["berth_status"],
                                           live["categories"], live["queue_by_anchorage"],
                                           map_layers.anchorage_centres(port))
    occupied = data[map_layers.BERTHS_OCCUPIED]
    assert len(occupied) == live["at_berth"]
    assert all(len(o["path"]) >= 2 and len(o["color"]) == 4 for o in occupied)
    assert sum(int(label["text"].strip("[]")) for label in data[map_layers.ANCHORAGE_QUEUE]) == \
        live["at_anchor"]


def test_vessel_card_shows_the_port_call_stage(setup):
    port, activity, now, *_ = setup
    berth_status = activity.berth_status(now)
    berth, (mmsi, since) = next(iter(berth_status.items()))
    call = activity.status(mmsi, now)
    assert call["stage"] == "at_berth" and call["place"] == berth
    names = {b: i["name"] for b, i in port.geometry.berth_info.items()}
    text = _text(panels.port_call_rows(call, port.timezone, "en", names))
    assert "At berth" in text and names[berth] in text
    assert f"{(now - since) / 3600:.1f} h" in text


def test_every_port_call_stage_is_translated():
    from layouts.i18n import CATALOGUE
    from twin.portcalls import CALL_STAGES
    for stage in CALL_STAGES:
        en, zh = CATALOGUE[f"stage_{stage}"]
        assert en and zh and en != zh


def _alert(alert_id, rule, start, last, severity="warning", mmsi=None, **details):
    from twin.alerts.model import Alert
    return Alert(alert_id=alert_id, rule=rule, kind="state", severity=severity, mmsi=mmsi,
                 other_mmsi=None, start=start, last=last, lon=-74.0, lat=40.6,
                 details=details, holding=["x"])


def test_alerts_name_the_berth_and_the_ship_not_their_codes(setup):
    port = setup[0]
    berth_id, info = next((b, i) for b, i in port.geometry.berth_info.items() if i.get("name"))
    a = _alert("a1", "berth_conflict", 100.0, 100.0, mmsi=366000001, kind="other_occupant",
               berth=berth_id, occupant=367353660, plan_id="P-1", vessel="PLANNED SHIP")
    names = {367353660: "MIRIAM MORAN"}
    berths = {b: i.get("name") for b, i in port.geometry.berth_info.items()}
    for lang in ("en", "zh"):
        line = panels.alert_summary(a, lang, port.timezone, names, berths)
        assert info["name"] in line and "MIRIAM MORAN" in line, line
    rows = _text(panels.alert_list([a], set(), "en", port.timezone, names, True, berths))
    assert info["name"] in rows and f"{berth_id} occupied" not in rows


def test_the_alert_list_is_in_the_time_order_it_shows_and_rows_keep_their_place():
    from twin.alerts.model import list_order
    old_busy = _alert("old", "zone_speed", start=100.0, last=900.0)   # recurs: last moves
    new = _alert("new", "zone_speed", start=500.0, last=500.0)
    alarm = _alert("alarm", "collision_risk", start=50.0, last=60.0, severity="alarm")
    assert [a.alert_id for a in list_order([old_busy, new, alarm])] == ["alarm", "new", "old"]
    old_busy.last = 2000.0                                            # it recurs again
    assert [a.alert_id for a in list_order([new, old_busy, alarm])] == ["alarm", "new", "old"]
    rows = panels.alert_list([new, old_busy], set(), "en", "America/New_York", {})
    keys = [li.key for li in rows[0].children if getattr(li, "key", None)]
    assert keys == ["new", "old"]                    # React updates each row in place


def test_wall_times_are_the_ports_with_its_zone_and_date():
    t0 = 1593476000.0                                   # 2020-06-30 00:13:20 UTC
    for lang in ("en", "zh"):
        shown = _text(panels.clock(t0, "America/New_York", lang))
        assert "20:13:20 EDT" in shown and "2020-06-29" in shown and "UTC" not in shown
    assert panels.port_time(t0, "America/Los_Angeles")[0] == "2020-06-29 17:13:20 PDT"
