"""Berth plans (line-ups): CSV or JSON rows of planned calls -> ``PlannedCall`` events.

Columns / keys (case-insensitive; a JSON file is a list of objects or ``{"calls": [...]}``):
``plan_id`` (or ``id``), ``berth`` (id or name in the port package), ``eta``, ``etb``,
``etd`` (ISO times; UTC unless they carry an offset), ``mmsi``, ``imo``, ``name`` (at least
one of the three), ``cargo``, ``company`` (or ``agent``), ``sample`` (true for a derived
sample). A row without an id, berth, vessel or any time, or with times out of order
(ETA ≤ ETB ≤ ETD), is counted by reason and skipped.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from .events import PlannedCall
from .live import HttpFeed
from .rows import first, lowered, parse_objects, parse_time

KEYS = {"plan_id": ("plan_id", "id", "call_id"), "berth": ("berth", "berth_id"),
        "eta": ("eta",), "etb": ("etb",), "etd": ("etd",), "mmsi": ("mmsi",),
        "imo": ("imo",), "name": ("name", "vessel", "vessel_name"), "cargo": ("cargo",),
        "company": ("company", "agent", "line")}


def _time(value) -> float | None:
    return None if value in (None, "") else parse_time(value)


def parse_row(row: dict, source: str, received: float, on_reject=None) -> PlannedCall | None:
    reject = on_reject or (lambda reason, detail=None: None)
    low = lowered(row)

    def get(name):
        return first(low, KEYS[name])
    plan_id, berth = get("plan_id"), get("berth")
    if plan_id is None or berth is None:
        reject("missing_field", f"needs plan_id and berth: {str(row)[:80]}")
        return None
    try:
        eta, etb, etd = _time(get("eta")), _time(get("etb")), _time(get("etd"))
        mmsi = int(get("mmsi")) if get("mmsi") is not None else None
        imo = int(get("imo")) if get("imo") is not None else None
    except (ValueError, TypeError, OverflowError) as exc:
        reject("bad_field", f"{plan_id}: {exc}")
        return None
    name = get("name")
    if mmsi is None and imo is None and not name:
        reject("no_vessel", f"{plan_id}: no MMSI, IMO or name")
        return None
    if etb is None and eta is None:
        reject("no_time", f"{plan_id}: no ETA or ETB")
        return None
    times = [t for t in (eta, etb, etd) if t is not None]
    if times != sorted(times):
        reject("times_out_of_order", f"{plan_id}: ETA ≤ ETB ≤ ETD does not hold")
        return None
    sample = str(low.get("sample", "")).strip().lower() in ("1", "true", "yes")
    return PlannedCall(ts=received, source=source, plan_id=str(plan_id), berth=str(berth),
                       eta=eta, etb=etb, etd=etd, mmsi=mmsi, imo=imo,
                       name=str(name).strip() if name else None,
                       cargo=get("cargo"), company=get("company"), sample=sample,
                       issued=received)


def parse_text(text: str, source: str, received: float, fmt: str | None = None,
               on_reject=None) -> list[PlannedCall] | None:
    """The calls of one plan document; None (counted) when the document is no plan at all —
    not JSON, or JSON that is neither a list of calls nor ``{"calls": [...]}`` — so that a
    broken fetch never replaces a good plan with an empty one."""
    text = "\n".join(line for line in text.lstrip("\ufeff").splitlines()
                     if not line.lstrip().startswith("#"))          # comment lines
    if fmt == "csv" or (fmt is None and not text.lstrip().startswith(("[", "{"))):
        reader = csv.DictReader(io.StringIO(text))
        header = {str(h).strip().lower() for h in reader.fieldnames or ()}
        if not (header & set(KEYS["plan_id"]) and header & set(KEYS["berth"])):
            if on_reject:
                on_reject("bad_document", f"no plan_id and berth columns in {sorted(header)[:8]}")
            return None
        rows = list(reader)
    else:
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            if on_reject:
                on_reject("bad_json", str(exc)[:200])
            return None
        rows = doc.get("calls") if isinstance(doc, dict) else doc
        if not isinstance(rows, list):
            if on_reject:
                on_reject("bad_document", "neither a list of calls nor {\"calls\": [...]}")
            return None
    return parse_objects(rows, lambda row: parse_row(row, source, received, on_reject),
                         on_reject)


class PlanFileError(ValueError):
    """A plan file that holds no plan: binary (a workbook, an archive …) or a document without
    plan columns / calls. The message says which file and why; the feed panel shows it."""


def load_file(path, source: str = "berth-plan", received: float | None = None,
              on_reject=None) -> list[PlannedCall]:
    """A plan file; ``received`` = when the plan was issued (default: its earliest ETA/ETB
    less a day, so a replay hands it out before the first call).

    Raises ``OSError`` for a file that cannot be read and ``PlanFileError`` for one that is no
    plan (binary, or no plan_id/berth columns, or not a list of calls), so that a broken plan
    is shown as broken rather than silently absent. Bad rows are counted and skipped."""
    from .sniff import sniff
    path = Path(path)
    what = sniff(path)
    if what.binary:
        raise PlanFileError(f"{path}: expected a CSV or JSON berth plan; this looks like "
                            f"{what.description}")
    reasons: list[str] = []

    def reject(reason, detail=None):
        if reason in ("bad_document", "bad_json"):
            reasons.append(f"{reason}: {detail}" if detail else reason)
        if on_reject:
            on_reject(reason, detail)
    calls = parse_text(path.read_text(encoding="utf-8", errors="replace"), source, 0.0,
                       "csv" if path.suffix.lower() == ".csv" else "json", reject)
    if calls is None:
        raise PlanFileError(f"{path}: not a berth plan ({'; '.join(reasons) or 'no calls'})")
    if received is None and calls:
        received = min(min(t for t in (c.eta, c.etb) if t is not None) for c in calls) - 86400
    for c in calls:
        c.ts = c.issued = received or 0.0
    return calls


class PlanPoller(HttpFeed):
    """A berth plan published at an HTTP URL (the terminal's line-up), fetched every
    ``interval_s``; each fetch replaces the plan (calls gone from it are cancelled)."""

    def __init__(self, url: str, interval_s: float = 300.0, source_id: str = "berth-plan",
                 label: str | None = None, stale_after_s: float = 3600.0):
        super().__init__(url, interval_s, source_id, label, stale_after_s)

    def handle(self, body: bytes, now: float) -> int:
        fmt = "csv" if self.url.lower().endswith(".csv") else None
        calls = parse_text(body.decode("utf-8", errors="replace"), self.source_id, now, fmt,
                           self.health.record_reject)
        if calls is None:                     # no plan in it: the last good plan stays
            return 0
        self.push([PlanReplaced(now, self.source_id), *calls], messages=len(calls))
        return len(calls)


class PlanReplaced:
    """Marks a whole new plan from one source (the calls that follow replace the old ones)."""

    __slots__ = ("ts", "source")

    def __init__(self, ts: float, source: str):
        self.ts, self.source = ts, source
