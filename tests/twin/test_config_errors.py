"""A bad deployment value fails with one line naming where it came from (the TOML file or the
environment variable), the key and what was expected — not a bare ValueError or a traceback."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from twin.config import Config, ConfigError

ROOT = Path(__file__).resolve().parents[2]


def toml(tmp_path, text: str) -> Path:
    path = tmp_path / "porttwin.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, message", [
    ('speed = "fast"', "speed: expected a number, got 'fast'"),
    ("speed = inf", "speed: expected a number, got inf"),
    ("port = 70000", "port: expected a number from 1 to 65535, got 70000"),
    ("port = 80.5", "port: expected a whole number, got 80.5"),
    ('refresh_ms = "often"', "refresh_ms: expected a whole number, got 'often'"),
    ("loop = 2", "loop: expected true or false, got 2"),
    ('loop = "ture"', "loop: expected true or false, got 'ture'"),
    ("host = 8050", "host: expected text, got 8050"),
    ("port_dir = 3", "port_dir: expected a path (text), got 3"),
    ("warmup_s = -5", "warmup_s: expected a number from 0, got -5"),
    # a web request waits this long for a history read: 0 would refuse every one
    ("history_read_timeout_s = 0",
     "history_read_timeout_s: expected a number from 1 to 3600, got 0"),
    ("colour = 'red'", "unknown configuration keys: ['colour']"),
    ("speed = [", "not valid TOML"),
])
def test_a_bad_toml_value_names_the_file_and_the_key(tmp_path, text, message):
    path = toml(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        Config.load(path, env={})
    assert str(err.value).startswith(f"{path}: "), str(err.value)
    assert message in str(err.value)
    assert isinstance(err.value, ValueError)          # callers catching ValueError still do


def test_a_bad_environment_value_names_the_variable():
    with pytest.raises(ConfigError, match=r"^PORTTWIN_SPEED: expected a number, got 'fast'$"):
        Config.load(env={"PORTTWIN_SPEED": "fast"})
    with pytest.raises(ConfigError, match=r"^PORTTWIN_LOOP: expected true or false"):
        Config.load(env={"PORTTWIN_LOOP": "maybe"})
    with pytest.raises(ConfigError, match=r"^PORTTWIN_SPEED: expected a number, got 'nan'$"):
        Config.load(env={"PORTTWIN_SPEED": "nan"})


def test_good_values_of_every_kind_still_load(tmp_path):
    path = toml(tmp_path, 'speed = 4\nport = 8051\nloop = false\nhost = "0.0.0.0"\n'
                          'port_dir = "data/ports/nynj"\nwarmup_s = 0\n')
    cfg = Config.load(path, env={"PORTTWIN_TOUR_S": " 30 ", "PORTTWIN_START_ENGINE": "No",
                                 "PORTTWIN_REFRESH_MS": "2000"})
    assert (cfg.speed, cfg.port, cfg.loop, cfg.host) == (4.0, 8051, False, "0.0.0.0")
    assert isinstance(cfg.speed, float) and cfg.port_dir == Path("data/ports/nynj")
    assert (cfg.tour_s, cfg.start_engine, cfg.refresh_ms) == (30.0, False, 2000)
    with pytest.raises(ConfigError, match="unknown configuration keys"):
        Config.load(env={}, colour="red")             # an argument names the key alone


def test_the_app_says_which_value_is_bad_and_exits_2(tmp_path):
    path = toml(tmp_path, 'speed = "fast"\n')
    out = subprocess.run([sys.executable, str(ROOT / "app.py"), "--config", str(path)],
                         capture_output=True, text=True, timeout=120,
                         env={k: v for k, v in os.environ.items() if not k.startswith("PORTTWIN_")})
    assert out.returncode == 2
    assert out.stderr.strip() == f"app.py: {path}: speed: expected a number, got 'fast'"
    assert "Traceback" not in out.stderr
