"""Every user-visible string goes through the one catalogue: each key the code asks for
exists, in English and 中文 (an unknown key would show as its raw name on a wall)."""
import re
from pathlib import Path

from layouts.i18n import CATALOGUE, fmt_number, fmt_time

ROOT = Path(__file__).resolve().parents[2]
KEY = re.compile(r"""\bt\(\s*(f?)["']([a-z0-9_{}\[\]'".]+)["']""")


def test_every_key_the_views_use_is_in_both_languages():
    missing = []
    for path in list((ROOT / "layouts").glob("*.py")) + list((ROOT / "callbacks").glob("*.py")):
        for is_f, key in KEY.findall(path.read_text(encoding="utf-8")):
            if is_f:                                      # f"stage_{...}": check the prefix
                prefix = key.split("{")[0]
                if not any(k.startswith(prefix) for k in CATALOGUE):
                    missing.append((path.name, key))
            elif key not in CATALOGUE:
                missing.append((path.name, key))
    assert not missing, missing
    for key, (en, zh) in CATALOGUE.items():
        assert en and zh, key
        assert set(re.findall(r"{(\w+)", en)) == set(re.findall(r"{(\w+)", zh)), key


def test_numbers_and_times_follow_the_language_in_the_port_time_zone():
    assert fmt_number(1234567.5, "en", 1) == "1,234,567.5"
    # 2020-12-01 16:00 UTC is 11:00 in New York (EST)
    assert fmt_time(1606838400, "America/New_York", "en").startswith("2020-12-01 11:00")
    assert fmt_time(1606838400, "America/New_York", "zh").startswith("2020年12月1日 11:00")
