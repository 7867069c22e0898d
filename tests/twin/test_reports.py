"""Reports and emissions: periods in the port's zone, the scorecard's documented bands, and
the CO2 estimate's method."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from twin.emissions import call_hours, estimate_call, ship_class
from twin.reports import period_bounds, previous_period, scorecard, year_before

NY = "America/New_York"


def local(ts):
    return datetime.fromtimestamp(ts, ZoneInfo(NY))


def test_periods_are_calendar_periods_in_the_port_time_zone():
    anchor = datetime(2020, 12, 3, 15, tzinfo=ZoneInfo(NY)).timestamp()     # a Thursday
    start, end = period_bounds("week", anchor, NY)
    assert local(start) == datetime(2020, 11, 30, tzinfo=ZoneInfo(NY))      # ISO Monday
    assert (end - start) == 7 * 86400
    start, end = period_bounds("month", anchor, NY)
    assert local(start).day == 1 and local(end) == datetime(2021, 1, 1, tzinfo=ZoneInfo(NY))
    # a day over the DST change is 25 hours long
    s, e = period_bounds("day", datetime(2020, 11, 1, 12, tzinfo=ZoneInfo(NY)).timestamp(), NY)
    assert e - s == 25 * 3600
    prev = previous_period("week", period_bounds("week", anchor, NY)[0], NY)
    assert local(prev[0]) == datetime(2020, 11, 23, tzinfo=ZoneInfo(NY))
    yoy = year_before("week", period_bounds("week", anchor, NY)[0], NY)
    assert local(yoy[0]).isocalendar()[:2] == (2019, 49)
    with pytest.raises(ValueError):
        period_bounds("year", anchor, NY)


def test_scorecard_scores_by_the_documented_bands_and_rescales_missing_dimensions():
    good = {"terminal_occupancy": 0.70, "waiting_median_h": 1.0, "berth_time_median_h": 20.0,
            "arrivals": 100, "alarms_warnings": 0,
            "calls_waited_over_2h": {"berthed": 100, "over": 0}}
    sc = scorecard(good)
    assert sc["scores"] == {"capacity": 100.0, "efficiency": 100.0, "safety": 100.0,
                            "service": 100.0}
    assert sc["total"] == pytest.approx(100.0)
    poor = {**good, "terminal_occupancy": 1.0, "waiting_median_h": 24.0,
            "alarms_warnings": 100, "calls_waited_over_2h": {"berthed": 10, "over": 5}}
    sc = scorecard(poor)
    assert sc["scores"]["capacity"] == 0 and sc["scores"]["safety"] == 0
    assert sc["scores"]["service"] == 0
    # no occupancy known: the other three carry the total, weights rescaled
    sc = scorecard({**good, "terminal_occupancy": None}, {"efficiency": 1.0})
    assert sc["scores"]["capacity"] is None and sc["total"] == pytest.approx(100.0)


def test_co2_estimate_follows_the_activity_method():
    # a 300 m container ship: 10 h at berth, 5 h at anchor, 2 h manoeuvring at 6 kn
    e = estimate_call({"berth": 10, "anchorage": 5, "manoeuvring": 2}, "cargo", 300.0, 6.0)
    cls = ship_class("cargo", 300.0)
    main_kwh = cls.main_kw * (6.0 / cls.design_kn) ** 3 * 2
    fuel_t = (main_kwh * 185 + (cls.aux_kw["berth"] * 10 + cls.aux_kw["anchorage"] * 5
                                + cls.aux_kw["manoeuvring"] * 2) * 205
              + (cls.boiler_kw["berth"] * 10 + cls.boiler_kw["anchorage"] * 5) * 300) / 1e6
    assert e["fuel_t"] == pytest.approx(fuel_t)
    assert e["co2_t"] == pytest.approx(fuel_t * 3.206)
    assert e["estimate"] is True and sum(e["by_mode"].values()) == pytest.approx(e["co2_t"])
    # twice as long at berth: more CO2; unknown type or size: no estimate, said why
    assert estimate_call({"berth": 20}, "cargo", 300.0, None)["co2_t"] > \
        estimate_call({"berth": 10}, "cargo", 300.0, None)["co2_t"]
    assert estimate_call({"berth": 10}, "unknown", 300.0, None)["co2_t"] is None
    assert estimate_call({"berth": 10}, "tanker", None, None)["why"]


def test_call_hours_split_a_call_into_modes():
    row = {"arrival_port_area": 0.0, "port_area_departure": 20 * 3600.0, "open": False}
    visits = [("anchorage", 3600.0, 5 * 3600.0), ("berth", 6 * 3600.0, 18 * 3600.0)]
    h = call_hours(row, 30 * 3600.0, visits)
    assert h == {"anchorage": 4.0, "berth": 12.0, "manoeuvring": 4.0}
    open_row = {"arrival_port_area": 0.0, "open": True}
    assert call_hours(open_row, 10 * 3600.0, [("berth", 3600.0, None)])["berth"] == 9.0
