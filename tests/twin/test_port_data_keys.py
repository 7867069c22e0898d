"""What a port shows besides its geometry is named by its package (port.toml ``[replay]``,
``[history]``, ``[throughput]``), relative to the package; the deployment can override each."""
from pathlib import Path

import pytest

from tests.port_fixture import LOST_STATION, make_port
from twin.config import Config
from twin.hydromet import HydroMet
from twin.port import Port, PortPackageError


def test_files_are_relative_to_the_package(tmp_path):
    folder = make_port(tmp_path / "pkg", tide_stations=(), extra_toml="""
[history]
file = "../shared/week.traj.gz"

[throughput]
monthly = "stats/teu.xlsx"
sheet = "Monthly"
source = "Testhaven Port Authority"
columns = { month = "Month", teu = "TEU" }
""")
    port = Port.load(folder)
    assert port.history_file == tmp_path / "shared" / "week.traj.gz"      # absent: not an error
    assert port.throughput == {"monthly": folder / "stats" / "teu.xlsx", "sheet": "Monthly",
                               "source": "Testhaven Port Authority",
                               "columns": {"month": "Month", "teu": "TEU"}}
    assert port.replay == {}
    cfg = Config.load(env={}).for_port(port)
    assert cfg.history_file == port.history_file
    assert cfg.throughput_monthly == port.throughput["monthly"]
    assert str(cfg.ais_replay) in ("", ".") and cfg.ais_label_key == "ais_none"


def test_the_deployment_wins_over_the_package(tmp_path):
    ny = Port.load(Config.port_dir)
    cfg = Config.load(env={"PORTTWIN_HISTORY_FILE": "/data/other_week.traj",
                           "PORTTWIN_THROUGHPUT_MONTHLY": "/data/teu.xlsx",
                           "PORTTWIN_AIS_REPLAY": "/data/day.traj"}).for_port(ny)
    assert cfg.history_file == Path("/data/other_week.traj")
    assert cfg.throughput_monthly == Path("/data/teu.xlsx")
    assert cfg.ais_replay == Path("/data/day.traj")
    assert (cfg.ais_label_key, cfg.ais_source_id) == ("Replay: day.traj", "ais-replay")


@pytest.mark.parametrize("table, why", [
    ('[history]\nfile = 3\n', "history.file must be text"),
    ('[throughput]\nmonthly = "t.csv"\ncolumns = "Month"\n', "throughput.columns must be"),
    ('history = "week.traj"\n', r"\[history\] must be a table"),
    ('[replay]\nfile = ""\n', "replay.file must be text"),
])
def test_bad_keys_name_themselves(tmp_path, table, why):
    top_level = not table.startswith("[")       # a top-level key must come before the tables
    folder = make_port(tmp_path / "pkg", tide_stations=(), extra_toml="" if top_level else table)
    if top_level:
        toml = folder / "port.toml"
        toml.write_text(table + toml.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(PortPackageError, match=why):
        Port.load(folder)


def test_a_station_without_harmonics_loads_and_is_named(tmp_path, caplog):
    folder = make_port(tmp_path / "pkg")
    port = Port.load(folder)                   # port check calls it an error; the app runs
    assert LOST_STATION in port.tide_stations
    hm = HydroMet(port.tide_stations, port_dir=port.path)
    assert LOST_STATION not in hm.stations and "noaa_7654321.json" in \
        hm.missing_harmonics[LOST_STATION]
    assert hm.water_level(10.1, 50.05, 1.6e9)[2] != LOST_STATION
    bad = folder / "harmonics" / f"noaa_{LOST_STATION}.json"
    bad.write_text("{}", encoding="utf-8")     # there, but not harmonic constants
    hm = HydroMet(port.tide_stations, port_dir=port.path)
    assert "not a NOAA harmonic-constants file" in hm.missing_harmonics[LOST_STATION]
