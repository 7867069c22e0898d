"""The app in this process on the bundled NY scenario (engine stepped by hand), for the API."""
import pytest


@pytest.fixture(scope="package")
def api_app(tmp_path_factory):
    import app as porttwin
    from twin.config import Config

    db = tmp_path_factory.mktemp("api") / "porttwin.sqlite"
    config = Config.load(history_url=f"sqlite:///{db}", start_engine=False, warmup_s=1800,
                         history_alerts=False, env={})
    dash_app = porttwin.create_app(config)
    engine = dash_app.server.config["PORTTWIN"]["engine"]
    for source in engine.sources:
        if hasattr(source, "start"):
            source.start()
    engine.step()                        # half an hour of the NY replay applied at once
    return dash_app


@pytest.fixture
def client(api_app):
    """A client signed in as the command centre's supervisor (sees every vessel)."""
    from tests.auth import sign_in
    return sign_in(api_app.server.test_client(), "api-supervisor", "supervisor")
