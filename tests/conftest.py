import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NY_HOUR = ROOT / "data" / "ais" / "NYHarbor_2020_06_30_first_hour.csv"
HEADER = ("BaseDateTime,LON,LAT,MMSI,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
          "Length,Width,Draft,Cargo,TranscieverClass,ETA")


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def routed_page(client, path: str, lang: str) -> str:
    """The routed page for a path, as the browser gets it (the router callback), as text with
    its characters: Dash escapes non-ASCII (\\u4e00…) unless orjson is installed, so the JSON
    is parsed and written back unescaped."""
    import json
    resp = client.post("/_dash-update-component", json={
        "output": "page.children", "outputs": {"id": "page", "property": "children"},
        "inputs": [{"id": "url", "property": "pathname", "value": path}],
        "state": [{"id": "lang", "property": "data", "value": lang}],
        "changedPropIds": ["url.pathname"]})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return json.dumps(resp.get_json(), ensure_ascii=False)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture(scope="session")
def ny_reports():
    from data_sources import marinecadastre
    rejects = []
    reports = marinecadastre.load_file(NY_HOUR, on_reject=lambda r, d: rejects.append((r, d)))
    return reports, rejects
