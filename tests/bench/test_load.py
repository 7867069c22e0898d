"""`bench load` against a real server on a socket: walls and users replay what browsers send,
and the last line carries the figures others read."""
import re
import threading

import pytest
from werkzeug.serving import make_server

from app import create_app
from bench import load
from twin.config import Config


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    db = tmp_path_factory.mktemp("history") / "h.sqlite"
    app = create_app(Config.load(env={}, history_url=f"sqlite:///{db}", history_autoload=False))
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.server.config["PORTTWIN"]["engine"].stop()


def test_walls_replay_the_refresh_and_the_last_line_has_the_figures(url, capsys):
    assert load.main(["--url", url, "--walls", "2", "--users", "1", "--seconds", "4",
                      "--warmup", "1"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    m = re.fullmatch(r"p50_ms=(\d+) p95_ms=(\d+) p99_ms=(\d+) errors=(\d+) requests=(\d+)",
                     out[-1])
    assert m, out[-1]
    assert int(m.group(4)) == 0
    # two walls, each sent its map, panels and card callbacks (a tick a second for 4 s: more
    # on a quiet machine; how many is the figure, not a pass mark)
    wall = next(line for line in out if line.strip().startswith("wall "))
    assert int(wall.split()[1]) >= 2 * 3
    assert any(line.strip().startswith("api ") for line in out)
