"""What the product writes for other programs: strict JSON and spreadsheet-safe cells.

Records carry what arrived from outside, so an output must hold whatever a record holds:

* ``dumps``/``strict``: JSON as RFC 8259 defines it. Python's ``json`` writes ``NaN`` and
  ``Infinity`` by default, which no other JSON reader accepts; a non-finite number is written
  as ``null`` (no value), NumPy scalars as plain numbers, bytes as hex text (as the AIS
  decoder writes binary payloads).
* ``safe_cell``: a CSV cell a spreadsheet cannot take for a formula (OWASP "CSV Injection"):
  a vessel name ``=HYPERLINK(…)`` or ``+cmd|' /C calc'!A0`` is text, not a command.
"""
from __future__ import annotations

import json
import math
import re
import sys
from datetime import date, datetime
from pathlib import PurePath

import numpy as np


def strict(obj):
    """``obj`` with every value JSON can hold as it is: non-finite floats (and pandas' NA,
    NaT) -> None, NumPy scalars and arrays -> Python numbers and lists, bytes -> hex text,
    datetimes -> ISO 8601 text, paths -> text, mapping keys -> text."""
    if obj is None or isinstance(obj, (str, bool, int)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [strict(v) for v in obj]
    if isinstance(obj, (np.generic, np.ndarray)):
        return strict(obj.tolist())
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return bytes(obj).hex()
    pd = sys.modules.get("pandas")             # NA and NaT exist only once pandas is loaded
    if pd is not None and (obj is pd.NA or obj is pd.NaT):
        return None
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, PurePath):
        return str(obj)
    return obj                                 # anything else: json.dumps says what it is


def dumps(obj, **kw) -> str:
    """Strict, compact JSON text of ``obj`` (UTF-8 text kept as it is)."""
    options = {"allow_nan": False, "ensure_ascii": False, "separators": (",", ":"), **kw}
    return json.dumps(strict(obj), **options)


# A spreadsheet reads a cell starting with one of these as a formula (OWASP); the full-width
# forms too, in East Asian locales of Excel.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def formula_like(value) -> bool:
    """Whether a spreadsheet would take ``value`` for a formula: text starting with ``= + -
    @``, tab or carriage return — unless it is a plain number such as ``-74.01``."""
    return (isinstance(value, str) and value.startswith(FORMULA_START)
            and _PLAIN_NUMBER.fullmatch(value) is None)


def safe_cell(value):
    """A CSV cell value: formula-like text gets a leading ``'`` (shown as text by Excel and
    LibreOffice); numbers, plain-number text and other text are unchanged."""
    return "'" + value if formula_like(value) else value
