"""Small helpers every row-based format shares (CSV rows, JSON objects): times, numbers, and
columns that go by several names."""
from __future__ import annotations

import math
from datetime import datetime, timezone

from .timecheck import plausible_epoch


def parse_time(value) -> float:
    """Epoch seconds from a number or an ISO 8601 text (UTC unless it carries an offset;
    ``Z`` accepted). Raises ValueError for anything else, and for a time that is not a
    plausible one (``nan``, ``1e400``, year 1 or 9999: see ``timecheck``)."""
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, (int, float)):
        t = float(value)
    else:
        text = str(value).strip()[:64]
        try:
            t = float(text)
        except ValueError:
            d = datetime.fromisoformat(text.replace("Z", "+00:00"))
            t = (d if d.tzinfo else d.replace(tzinfo=timezone.utc)).timestamp()
    if not plausible_epoch(t):
        raise ValueError(f"implausible time {value!r}")
    return t


def number(value) -> float | None:
    """A finite float, or None for an empty field; raises ValueError for text."""
    if value in (None, ""):
        return None
    if isinstance(value, (bool, list, dict)):
        raise ValueError(f"not a number: {str(value)[:40]}")
    v = float(value)
    return v if math.isfinite(v) else None


def lowered(row: dict) -> dict:
    """The row with its keys stripped and lower-cased."""
    return {str(k).strip().lower(): v for k, v in row.items()}


def first(low: dict, names) -> object | None:
    """The first non-empty value among the columns ``names`` (a row's aliases)."""
    for name in names:
        if low.get(name) not in (None, ""):
            return low[name]
    return None


def parse_objects(items, parse, on_reject=None) -> list:
    """``parse`` each JSON object of ``items``; anything that is not an object is counted as
    ``bad_json``, and rows ``parse`` refuses (None) are left out."""
    out = []
    for item in items:
        if not isinstance(item, dict):
            if on_reject:
                on_reject("bad_json", "not an object")
            continue
        got = parse(item)
        if got is not None:
            out.append(got)
    return out
