"""AIS ship-type groups, navigational status and the activity a vessel is in.

Definitions are documented in docs/definitions.md; keys are translated by the views.
"""
from __future__ import annotations

import math

MMSI_MAX = 999_999_999           # an MMSI has 9 digits (an IMO number 7)


def as_mmsi(value) -> int | None:
    """``value`` when it is an MMSI (an int 1 … ``MMSI_MAX``, not a bool), else None: for
    what comes back from a browser or a client."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MMSI_MAX:
        return value
    return None


# ITU-R M.1371-5 Table 53 "ship and cargo type", first digit / special second digits.
CATEGORIES = ("cargo", "tanker", "passenger", "tug", "service", "fishing", "pleasure", "hsc",
              "sar", "other", "unknown")


def ship_category(code: int | float | None, mmsi: int | None = None) -> str:
    """Ship-type group; SAR aircraft (MMSI 111MIDxxx, ITU-R M.585) are their own group."""
    if mmsi is not None and 111_000_000 <= mmsi <= 111_999_999:
        return "sar"
    return _type_group(code)


def _type_group(code: int | float | None) -> str:
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return "unknown"
    code = int(code)
    tens = code // 10
    if tens == 7:
        return "cargo"
    if tens == 8:
        return "tanker"
    if tens == 6:
        return "passenger"
    if code in (31, 32, 52):            # towing, towing long/wide, tug
        return "tug"
    if code in (33, 34, 35, 50, 51, 53, 54, 55, 58, 59):  # dredger, diving, military,
        return "service"                 # pilot, SAR, tender, anti-pollution, law, medical
    if code == 30:
        return "fishing"
    if code in (36, 37):                 # sailing, pleasure craft
        return "pleasure"
    if tens in (2, 4):                   # wing in ground, high-speed craft
        return "hsc"
    if 1 <= code <= 99:
        return "other"
    return "unknown"


# ITU-R M.1371-5 navigational status 0..14 (15 = undefined is mapped to None at the edge).
NAV_STATUS = {
    0: "under_way_engine", 1: "at_anchor", 2: "not_under_command", 3: "restricted_manoeuvrability",
    4: "constrained_by_draught", 5: "moored", 6: "aground", 7: "fishing", 8: "under_way_sailing",
    9: "reserved_hsc", 10: "reserved_wig", 11: "towing_astern", 12: "pushing_ahead",
    13: "reserved", 14: "ais_sart",
}

ACTIVITIES = ("underway", "at_anchor", "moored", "stopped", "unknown")

# Thresholds (knots); see docs/definitions.md "Vessel activity".
MOVING_KN = 0.5        # at or above: the vessel is making way
ANCHOR_MAX_KN = 3.0    # an anchored ship yaws and swings; above this it is not at anchor
MOORED_MAX_KN = 1.0    # a moored ship barely moves; above this "moored" is not believed


def activity(nav_status: int | None, sog: float | None) -> str:
    """What the vessel is doing now, from its reported status checked against its speed."""
    has_sog = sog is not None and not math.isnan(sog)
    if nav_status == 1 and (not has_sog or sog < ANCHOR_MAX_KN):
        return "at_anchor"
    if nav_status == 5 and (not has_sog or sog < MOORED_MAX_KN):
        return "moored"
    if has_sog:
        return "underway" if sog >= MOVING_KN else "stopped"
    if nav_status in (0, 3, 4, 7, 8, 11, 12):
        return "underway"
    return "unknown"
