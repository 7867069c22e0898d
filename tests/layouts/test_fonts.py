"""The bundled font (assets/fonts, built by layouts/fonts.py) draws every character the UI
shows: the whole Chinese catalogue and the port packages' own names — on a screen with no
Chinese font installed, a missing glyph would be a box."""
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from layouts.fonts import FACES, HERE, wanted
from layouts.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
# Noto Sans CJK has no subscript digits: "CO₂" takes its ₂ from the system's sans-serif (every
# system font has it); a Chinese character never falls back
FALLBACK = {"₂"}


@pytest.fixture(scope="module", params=sorted(FACES.values()))
def cmap(request):
    return set(TTFont(str(HERE / request.param)).getBestCmap())


def test_every_catalogue_character_has_a_glyph(cmap):
    text = {c for en, zh in CATALOGUE.values() for c in en + zh if not c.isspace()}
    missing = sorted(c for c in text - FALLBACK if ord(c) not in cmap)
    assert missing == []


def test_both_ports_names_have_glyphs(cmap):
    import tomllib
    names = []
    for toml in (ROOT / "data" / "ports").glob("*/port.toml"):
        doc = tomllib.loads(toml.read_text(encoding="utf-8"))
        names += [v for k, v in doc.items() if isinstance(v, str) and k.endswith("_zh")]
    assert len(names) >= 2                         # NY/NJ and Puget Sound
    missing = sorted({c for n in names for c in n if not c.isspace() and ord(c) not in cmap})
    assert missing == []


def test_the_files_are_served_from_assets_and_stay_small():
    css = (ROOT / "assets" / "fonts.css").read_text()
    for name in FACES.values():
        assert f"/assets/fonts/{name}" in css
        assert (HERE / name).stat().st_size < 2_000_000          # GB 2312 level 1, not all CJK
    assert len(wanted()) > 3755                                  # the common hanzi at least
