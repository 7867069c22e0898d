"""Build the UI's bundled font: Noto Sans CJK SC (SIL Open Font License 1.1), cut to the
characters PortTwin shows, as WOFF2 the app serves itself (an isolated network's screens may
have no Chinese font: Debian's fonts-noto-cjk is on some machines and not others).

    apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb noto
    python -m layouts.fonts noto/usr/share/fonts/opentype/noto     (writes assets/fonts/)

Kept: ASCII and Latin-1, general and CJK punctuation, full-width forms, arrows and the
symbols the panels use, GB 2312 level 1 (the 3,755 most common hanzi), and every
character of the UI catalogue (layouts/i18n.py) and of the port packages (data/ports/*).
"""
from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "assets" / "fonts"
FACES = {"Regular": "PortTwinSans-Regular.woff2", "Bold": "PortTwinSans-Bold.woff2"}


def gb2312() -> set[str]:
    """GB 2312 level-1 hanzi: rows 0xB0-0xD7 (level 2, D8-F7, is rare characters sorted by
    radical: 3,008 more, doubling the files; a port's own names are kept from its package)."""
    out = set()
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def wanted() -> set[str]:
    chars = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xA0, 0x100)}
    for lo, hi in ((0x2000, 0x206F), (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2500, 0x25FF),
                   (0x2600, 0x26FF), (0x3000, 0x303F), (0xFF00, 0xFFEF), (0x00B0, 0x00B7),
                   (0x2070, 0x209F), (0x2100, 0x214F)):
        chars |= {chr(c) for c in range(lo, hi + 1)}
    chars |= gb2312()
    sys.path.insert(0, str(ROOT))
    from layouts.i18n import CATALOGUE
    for en, zh in CATALOGUE.values():
        chars |= set(en) | set(zh)
    for path in (ROOT / "data" / "ports").rglob("*"):
        if path.suffix in (".toml", ".csv", ".geojson", ".json") and path.is_file():
            chars |= {c for c in path.read_text(encoding="utf-8", errors="ignore")
                      if ord(c) > 0x7F}
    return chars


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else Path("/usr/share/fonts/opentype/noto")
    text = "".join(sorted(wanted()))
    for weight, out in FACES.items():
        ttc = TTCollection(str(source / f"NotoSansCJK-{weight}.ttc"))
        font = next(f for f in ttc.fonts
                    if f["name"].getDebugName(1).startswith("Noto Sans CJK SC"))
        opts = subset.Options()
        opts.flavor = "woff2"
        opts.layout_features = ["*"]
        opts.name_IDs = ["*"]
        opts.notdef_outline = True
        sub = subset.Subsetter(opts)
        sub.populate(text=text)
        sub.subset(font)
        font.flavor = "woff2"
        font.save(str(HERE / out))
        print(f"{out}: {(HERE / out).stat().st_size / 1e6:.2f} MB, {len(text)} characters")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
