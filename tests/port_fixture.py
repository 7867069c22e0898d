"""A tiny port package of a port that is not New York ("Testhaven", XXTHV, on the Rhine at
10°E 50°N), generated in a temporary folder: land on the west half, a quay at 10.1°E, one
anchorage, two terminals (one an unnamed OSM polygon half over water, one named only by its
operator), and a tide station whose harmonics the package carries itself. It names no
recording, history or statistics unless asked: what another port's first deployment looks like.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_HARMONICS = ROOT / "data" / "hydromet" / "harmonics" / "noaa_9447130.json"
OWN_STATION = "1234567"          # harmonics only in the package's own harmonics/ folder
LOST_STATION = "7654321"         # listed, no harmonics anywhere

BOUNDS = (10.0, 50.0, 10.2, 50.1)
QUAY_LON = 10.1


def _fc(features) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features]}


def _box(w, s, e, n) -> dict:
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def make_port(folder: Path, *, extra_toml: str = "", tide_stations=(OWN_STATION, LOST_STATION)
              ) -> Path:
    """Write the package to ``folder`` and return it; ``extra_toml`` is appended to port.toml
    (e.g. a ``[throughput]`` table)."""
    folder.mkdir(parents=True, exist_ok=True)
    layers = {
        "land": _fc([({"id": "L1"}, _box(10.0, 50.0, QUAY_LON, 50.1))]),
        "port_limits": _fc([({"id": "P1"}, _box(10.02, 50.01, 10.18, 50.09))]),
        "terminals": _fc([
            # an unnamed OSM port polygon reaching 0.01° out over the water
            ({"id": "way/1167695558", "name": "Terminal way/1167695558", "operator": None},
             _box(10.09, 50.04, 10.11, 50.05)),
            ({"id": "way/42", "name": "way/42", "operator": "Acme Stevedores"},
             _box(10.06, 50.06, 10.08, 50.07)),
        ]),
        "berths": _fc([
            ({"id": "B1", "name": "Quay 1", "length_m": 715.0,
              "terminal": "Terminal way/1167695558"},
             {"type": "LineString", "coordinates": [[QUAY_LON, 50.041], [QUAY_LON, 50.0474]]}),
            ({"id": "B2", "name": "Quay 2", "length_m": 555.0},
             {"type": "LineString", "coordinates": [[QUAY_LON, 50.06], [QUAY_LON, 50.065]]}),
        ]),
        "anchorages": _fc([({"id": "A1", "name": "Roads"}, _box(10.15, 50.02, 10.17, 50.03))]),
    }
    for name, doc in layers.items():
        (folder / f"{name}.geojson").write_text(json.dumps(doc), encoding="utf-8")
    own = json.loads(BUNDLED_HARMONICS.read_text(encoding="utf-8"))
    own["source"]["id"] = OWN_STATION
    own["name"], own["longitude"], own["latitude"] = "Testhaven Pegel", 10.11, 50.05
    (folder / "harmonics").mkdir(exist_ok=True)
    (folder / "harmonics" / f"noaa_{OWN_STATION}.json").write_text(json.dumps(own),
                                                                     encoding="utf-8")
    (folder / "port.toml").write_text(f"""
name = "Port of Testhaven"
name_zh = "测试港"
locode = "XXTHV"
timezone = "Europe/Berlin"
language = "en"
bounds = {list(BOUNDS)}
tide_stations = {json.dumps(list(tide_stations))}

[view]
longitude = 10.1
latitude = 50.05
zoom = 12
pitch = 45
bearing = 0

[layers]
{chr(10).join(f'{n} = "{n}.geojson"' for n in layers)}
{extra_toml}
""", encoding="utf-8")
    return folder


def write_traj(path: Path, vessels: int = 2, points: int = 30, start: str = "2021-03-01") -> Path:
    """A tracktable .traj of ``vessels`` ships steaming north along 10.15°E inside the port,
    one fix a minute."""
    t0 = datetime.fromisoformat(start).replace(tzinfo=timezone.utc)
    lines = []
    for v in range(vessels):
        mmsi = 211000001 + v
        pts = []
        for i in range(points):
            when = (t0 + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:%S")
            pts += [str(mmsi), when, f"{10.15 + 0.005 * v:.5f}", f"{50.02 + 0.0005 * i:.5f}"]
        lines.append(",".join(["*T*", f"uuid-{v}", "terrestrial", str(points), "0", "*P*",
                               "terrestrial", "2", "1", "1", "0", *pts]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
