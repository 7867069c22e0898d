"""Identity conflicts: one MMSI reporting from two places at once (two transmitters configured
with the same number — the position-plausibility heads alternate), or an MMSI that no ship
station can have. Event-based.

A ship station's MMSI is 9 digits M I D x x x x x x with a Maritime Identification Digit
2xx–7xx (ITU-R M.585 Annex 1, MIDs 201–775); also valid on position reports: SAR aircraft
111MIDxxx, AIS-SART / MOB / EPIRB 970/972/974xxyyy, craft associated with a parent ship
98MIDxxxx and handheld VHF 8MIDxxxxx. Everything else (coast-station and group numbers, the
factory default 123456789, fewer than 9 digits) is invalid on a vessel.
"""
from __future__ import annotations

from functools import lru_cache

from .model import EVENT
from .position_jump import SECOND
from .rule import Rule


def valid_vessel_mmsi(mmsi: int) -> bool:
    if not 100_000_000 <= mmsi <= 999_999_999:
        return False
    s = str(mmsi)
    if s[0] in "234567":
        return 201 <= int(s[:3]) <= 775
    if s.startswith("111"):
        return 201 <= int(s[3:6]) <= 775
    if s[:3] in ("970", "972", "974"):
        return True
    if s.startswith("98"):
        return 201 <= int(s[2:5]) <= 775
    if s[0] == "8":
        return 201 <= int(s[1:4]) <= 775
    return False


_valid = lru_cache(maxsize=65536)(valid_vessel_mmsi)     # asked of every report


class IdentityConflict(Rule):
    name = "identity"
    sees_rejected = True
    kind = EVENT
    default_severity = "warning"
    repeat_s = 600.0             # an invalid MMSI is said again at most this often

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._invalid_said: dict[int, float] = {}

    def on_fixes(self, items, ctx):
        for fix, vessel in items:           # a second position, or a number no ship has
            if fix.check == SECOND or not _valid(fix.mmsi):
                yield from self.on_fix(fix, vessel, ctx)

    def on_fix(self, fix, vessel, ctx):
        out = []
        if fix.check == SECOND:
            out.append(self.condition(fix, details={"reason": "two_positions",
                                                    **fix.check_details}))
        said = self._invalid_said.get(fix.mmsi)
        if (said is None or fix.ts - said >= self.repeat_s) and not valid_vessel_mmsi(fix.mmsi):
            self._invalid_said[fix.mmsi] = fix.ts
            out.append(self.condition(fix, details={"reason": "invalid_mmsi"}))
        return out
