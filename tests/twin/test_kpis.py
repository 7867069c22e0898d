"""Occupancy and KPI definitions on hand-made stays (docs/definitions.md)."""
import pandas as pd
import pytest

from twin.kpis import berth_occupancy, port_kpis, terminal_occupancy
from twin.portcalls import PortCall, PortCallRules, Visit

H = 3600.0
INFO = {"B1": {"name": "Quay 1", "terminal": "T", "length_m": 300.0},
        "B2": {"name": "Quay 2", "terminal": "T", "length_m": 200.0}}


def visits(rows):
    return pd.DataFrame(rows, columns=["call_id", "mmsi", "kind", "place", "arrival",
                                       "departure"])


def test_occupancy_is_the_union_of_stays_and_utilisation_weighs_ship_length():
    v = visits([("a", 1, "berth", "B1", 0 * H, 10 * H),
                ("b", 2, "berth", "B1", 5 * H, 15 * H),     # overlaps: counted once
                ("c", 3, "berth", "B1", 20 * H, None),      # still there at 'now' = 24 h
                ("d", 4, "anchorage", "21-B", 0, 24 * H)])
    occ = berth_occupancy(v, INFO, 0, 24 * H, 24 * H, loa={1: 100.0, 2: 100.0})
    row = occ.set_index("berth").loc["B1"]
    assert row["occupied_h"] == pytest.approx(19.0)            # 0-15 h and 20-24 h
    assert row["occupancy"] == pytest.approx(19 / 24)
    # (100 m × 1.1 × 10 h) × 2 ships over 300 m × 24 h; ship 3's length unknown
    assert row["utilisation"] == pytest.approx(2 * 110 * 10 / (300 * 24))
    assert row["visits_loa_unknown"] == 1
    term = terminal_occupancy(occ, INFO, 24.0).set_index("terminal").loc["T"]
    # the terminal's 500 m of quay over 24 h: ships 1 and 2 took 110 m for 10 h each, ship 3
    # (length unknown) its whole 300 m berth for 4 h; B2 idle
    assert term["berths"] == 2 and term["quay_m"] == 500.0
    assert term["occupancy"] == pytest.approx((110 * 10 * 2 + 300 * 4) / (500 * 24))
    # a terminal without quay lengths: occupied berth-hours over its berths
    bare = {b: {**i, "length_m": None} for b, i in INFO.items()}
    occ_bare = berth_occupancy(v, bare, 0, 24 * H, 24 * H, loa={1: 100.0, 2: 100.0})
    assert terminal_occupancy(occ_bare, bare, 24.0).set_index("terminal").loc[
        "T", "occupancy"] == pytest.approx(19 / 48)


def _call(i, waited_h, berth_h, category="cargo"):
    c = PortCall(call_id=str(i), mmsi=i, arrival_port_area=i * H, arrival_observed=True,
                 category=category)
    t = i * H
    if waited_h:
        c.visits.append(Visit("anchorage", "21-B", t, t + waited_h * H))
        t += waited_h * H
    c.visits.append(Visit("berth", "B1", t, t + berth_h * H))
    c.port_area_departure = t + berth_h * H + H
    c.ended_by, c.stage = "departure", "departed"
    return c.to_row()


def test_kpis_use_medians_and_leave_out_service_craft():
    rows = [_call(1, 1, 10), _call(2, 2, 10), _call(3, 100, 10),    # one ship waits 100 h
            _call(4, 0, 10), _call(5, 5, 50, category="tug")]
    k = port_kpis(pd.DataFrame(rows), 0, 400 * H, 400 * H)
    assert k["calls"] == 4                                       # the tug is not counted
    assert k["waiting_median_h"] == pytest.approx(2.0)           # median of 1, 2, 100
    assert k["waits"] == 3
    assert k["berth_time_median_h"] == pytest.approx(10.0)
    assert k["arrivals_per_day"] == pytest.approx(4 / (400 / 24))
    # ship-days per call is a mean by definition: port time arrival -> berth departure
    assert k["ship_days_per_call"] == pytest.approx((11 + 12 + 110 + 10) / 4 / 24)
    counted_tugs = port_kpis(pd.DataFrame(rows), 0, 400 * H, 400 * H,
                             PortCallRules(count_service_craft=True))
    assert counted_tugs["calls"] == 5


def test_a_ship_at_anchor_when_the_data_began_waits_at_least_not_exactly():
    from twin.kpis import anchorage_queue
    seen_arriving = PortCall(call_id="a", mmsi=1, arrival_port_area=0.0, arrival_observed=True)
    seen_arriving.visits.append(Visit("anchorage", "21-B", 1 * H, None))
    already_there = PortCall(call_id="b", mmsi=2, arrival_port_area=0.0, arrival_observed=False)
    already_there.visits.append(Visit("anchorage", "21-B", 0.0, None))
    q = anchorage_queue([seen_arriving, already_there], 3 * H).set_index("mmsi")
    assert not q.loc[1, "at_least"] and q.loc[1, "waiting_s"] == 2 * H
    assert q.loc[2, "at_least"] and q.loc[2, "waiting_s"] == 3 * H
    from layouts import panels
    rows = [{"mmsi": 2, "name": "X", "anchorage": "21-B", "waiting_s": 3 * H, "at_least": True}]
    assert "≥ 3.0 h" in str(panels.queue_panel(rows, "en"))
