"""Fixtures of the twin's tests shared by several modules."""
import pytest

from tests.conftest import ROOT

PS_DAY = ROOT / "data/sources/pugetsound/PugetSound_2020_06_30.traj"


@pytest.fixture(scope="session")
def puget_store(tmp_path_factory):
    """The real Puget Sound day loaded into a history store, as ``history load`` does:
    (port, store, its source)."""
    from twin.history import HistoryStore
    from twin.history_cli import history_source, load_history
    from twin.port import Port
    port = Port.load(ROOT / "data/ports/pugetsound")
    store = HistoryStore(f"sqlite:///{tmp_path_factory.mktemp('ps') / 'h.sqlite'}")
    load_history(store, PS_DAY, port)
    return port, store, history_source(PS_DAY)
