"""Radar/AIS fusion on the simulated radar over the real NY hour, where the truth is known;
dark craft in a security zone raise "unidentified track in area"."""
import itertools

import pytest

from data_sources.radar_sim import RadarScenario, simulate
from tests.conftest import ROOT
from twin.alerts import AlertEngine
from twin.fusion import Fusion, measure
from twin.port import Port

NY = ROOT / "data" / "ports" / "nynj"


@pytest.fixture(scope="module")
def fused(ny_reports):
    reports, _ = ny_reports
    port = Port.load(NY)
    radar, truth = simulate(reports, RadarScenario.load(NY / "radar.toml"))
    fusion = Fusion(port.geometry.crs, record=True)
    alerts = AlertEngine(port, source="test")
    alerts.ctx.fusion = fusion
    events = sorted(reports + radar, key=lambda e: e.ts)
    start = events[0].ts
    for _, batch in itertools.groupby(events, key=lambda e: int(e.ts - start) // 2):
        batch = list(batch)            # engine rounds: radar + AIS of 2 s
        fusion.apply(batch)
        alerts.update(batch)
        alerts.tick(batch[-1].ts)
    return port, radar, truth, fusion, alerts


def test_the_simulated_radar_sees_the_real_traffic_as_a_radar_would(fused):
    _, radar, truth, _, _ = fused
    assert all(r.simulated for r in radar)
    scans = sorted({r.ts for r in radar})
    assert scans[1] - scans[0] == pytest.approx(2.5)
    kinds = {k for k, _ in truth.target.values()}
    assert kinds == {"ais", "dark"}
    assert sorted(w for k, w in truth.target.values() if k == "dark") == sorted(truth.dark_ids)
    assert max(r.distance_m for r in radar) <= 12 * 1852 + 100     # the radar's range
    assert {r.status for r in radar} == {"acquiring", "tracking", "lost"}


def test_association_is_right_for_98_percent_of_pairs_and_finds_every_dark_craft(fused):
    _, _, truth, fusion, _ = fused
    m = measure(fusion.log, truth)
    print(f"\nfusion on the NY hour: {m['moments']} track-scans, "
          f"correct pairs {m['correct_pair_share']:.2%} (own ship {m['own_ship_share']:.2%}), "
          f"paired {m['paired_share']:.1%}, ID swaps {m['id_swaps']} "
          f"({m['id_swaps_to_wrong_ship']} to a wrong ship), dark craft found "
          f"{m['dark_found']}, false dark {m['false_dark_share']:.3%}")
    assert m["correct_pair_share"] >= 0.98
    assert set(m["dark_found"]) == set(truth.dark_ids)
    assert all(seconds <= 60 for seconds in m["dark_found"].values())
    assert m["false_dark_share"] < 0.005


def test_a_dark_craft_in_the_earle_security_zone_is_an_unidentified_track(fused):
    _, _, truth, _, alerts = fused
    raised = [a for a in alerts.all_alerts() if a.rule == "unidentified_track"]
    assert raised
    earle = [a for a in raised if truth.target[a.details["target"]] == ("dark", "DARK-EARLE")]
    assert earle and earle[0].details["zone"].startswith("SZ-EARLE")
    assert earle[0].mmsi is None and earle[0].subject().startswith("radar:")
    # no ship with AIS is ever raised as unidentified
    assert all(truth.target[a.details["target"]][0] == "dark" for a in raised)
