"""Emissions of a port call: an activity-based ESTIMATE after the IMO Fourth GHG Study (2020).

The study's bottom-up method, per ship and operating mode:

    energy (kWh) = Σ_modes hours × (P_main × load + P_aux(mode) + P_boiler(mode))
    fuel (g)     = energy × SFC (g/kWh, per engine kind)
    CO₂ (g)      = fuel × C_f (g CO₂ / g fuel)

with the main-engine load from the propeller law, load = (v / v_design)³ (below 2 % the main
engine is taken as off, as in the study's low-load treatment). What we know from AIS and the
port-call tracker: the time at berth and at anchor (the call's visits), the time under way in
the port area (the rest), the speed under way (mean SOG of the call's stored fixes above 1 kn),
and the ship's type and length. What we do **not** know is each ship's installed power and
design speed (the study takes them from IHS registers): ``INSTALLED`` gives representative
values by type and length class, so a figure here is an order-of-magnitude estimate for a
port's carbon footprint, not a ship's verified emissions. Every output carries
``estimate: True`` and the views say so.

Fuel: the North American Emission Control Area (NY/NJ is inside it) requires 0.1 % S fuel,
so marine gas oil is assumed in every mode (C_f 3.206; HFO would be 3.114). SFC: 4th GHG base
values for MGO — slow-speed main engines 185 g/kWh, medium-speed auxiliaries 205 g/kWh,
boilers 300 g/kWh (rounded).
Auxiliary and boiler powers by mode follow the pattern of the study's tables (auxiliaries
highest when manoeuvring, boilers working at berth and anchor, tanker boilers heavy at berth
for cargo pumps) with round representative kW by class — documented here, used nowhere else.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

CF_MGO = 3.206          # t CO₂ per t fuel (IMO MEPC.308(73), diesel/gas oil)
SFC_MAIN = 185.0        # g/kWh, slow-speed diesel on MGO
SFC_AUX = 205.0         # g/kWh, medium-speed auxiliaries on MGO
SFC_BOILER = 300.0      # g/kWh, auxiliary boiler
MAIN_OFF_LOAD = 0.02    # below this propeller-law load the main engine is off
MODES = ("berth", "anchorage", "manoeuvring")


@dataclass(frozen=True)
class ShipClass:
    """Representative installed power for a ship-type group and length class."""
    main_kw: float
    design_kn: float
    aux_kw: dict          # mode -> kW
    boiler_kw: dict       # mode -> kW


def _aux(berth, anchor, manoeuvre) -> dict:
    return {"berth": berth, "anchorage": anchor, "manoeuvring": manoeuvre}


# (group, max length m) -> class. The first row whose length bound holds is taken.
INSTALLED: dict[str, list[tuple[float, ShipClass]]] = {
    "cargo": [      # general cargo / bulk / container by length
        (120, ShipClass(3_000, 13, _aux(250, 180, 400), _aux(100, 100, 0))),
        (200, ShipClass(9_000, 15, _aux(600, 400, 900), _aux(250, 250, 0))),
        (300, ShipClass(30_000, 21, _aux(1_500, 900, 2_300), _aux(450, 400, 0))),
        (math.inf, ShipClass(55_000, 22, _aux(2_400, 1_400, 3_500), _aux(550, 500, 0))),
    ],
    "tanker": [
        (120, ShipClass(3_000, 12, _aux(300, 200, 450), _aux(500, 150, 0))),
        (200, ShipClass(8_000, 14, _aux(700, 500, 900), _aux(2_000, 400, 0))),
        (math.inf, ShipClass(16_000, 15, _aux(900, 650, 1_200), _aux(3_500, 600, 0))),
    ],
    "passenger": [
        (100, ShipClass(2_500, 14, _aux(250, 200, 350), _aux(50, 50, 0))),
        (math.inf, ShipClass(40_000, 21, _aux(7_000, 6_000, 9_000), _aux(1_000, 1_000, 0))),
    ],
    "tug": [(math.inf, ShipClass(3_000, 12, _aux(50, 50, 100), _aux(0, 0, 0)))],
    "other": [(math.inf, ShipClass(2_000, 12, _aux(150, 120, 250), _aux(0, 0, 0)))],
}
SIZED = {"cargo", "tanker", "passenger", "tug"}   # groups with their own rows


def ship_class(category: str | None, length_m: float | None) -> ShipClass | None:
    """The representative class of a ship, or None when its type is unknown, or its size for a
    group whose power depends on size (that would be a guess, not an estimate)."""
    if category in (None, "unknown"):
        return None                       # no type: nothing to base an estimate on
    group = category if category in SIZED else "other"
    rows = INSTALLED[group]
    if length_m is None or (isinstance(length_m, float) and math.isnan(length_m)) \
            or length_m <= 0:
        if group in ("cargo", "tanker", "passenger"):
            return None
        return rows[0][1]
    return next(c for bound, c in rows if length_m <= bound)


def estimate_call(hours: dict, category: str | None, length_m: float | None,
                  manoeuvring_kn: float | None) -> dict:
    """Fuel and CO₂ of one port call by mode. ``hours``: mode -> hours spent in it.
    Returns {"estimate": True, "co2_t", "fuel_t", "by_mode": {mode: co2_t}, "basis"} or, when
    the ship's size is unknown, {"estimate": True, "co2_t": None, "why": "size unknown"}."""
    cls = ship_class(category, length_m)
    if cls is None:
        return {"estimate": True, "co2_t": None, "fuel_t": None, "by_mode": {},
                "why": "ship type or size unknown"}
    by_mode, fuel_total = {}, 0.0
    for mode in MODES:
        h = max(0.0, float(hours.get(mode) or 0.0))
        main_kwh = 0.0
        if mode == "manoeuvring":
            v = manoeuvring_kn if manoeuvring_kn and manoeuvring_kn > 0 else 6.0
            load = min(1.0, (v / cls.design_kn) ** 3)
            if load >= MAIN_OFF_LOAD:
                main_kwh = cls.main_kw * load * h
        fuel_g = (main_kwh * SFC_MAIN + cls.aux_kw[mode] * h * SFC_AUX
                  + cls.boiler_kw[mode] * h * SFC_BOILER)
        fuel_t = fuel_g / 1e6
        fuel_total += fuel_t
        by_mode[mode] = fuel_t * CF_MGO
    return {"estimate": True, "co2_t": fuel_total * CF_MGO, "fuel_t": fuel_total,
            "by_mode": by_mode, "hours": {m: float(hours.get(m) or 0.0) for m in MODES},
            "basis": {"main_kw": cls.main_kw, "design_kn": cls.design_kn,
                      "manoeuvring_kn": manoeuvring_kn}}


def call_hours(row: dict, now: float, visits=()) -> dict:
    """Hours by mode of a port-call row (``PortCall.to_row``) and its visits (kind, arrival,
    departure): berth and anchorage from the stays (an open stay counts up to ``now``),
    manoeuvring = the rest of the call's time in the port area."""
    start = row.get("arrival_port_area")
    end = now if row.get("open") else (row.get("port_area_departure") or row.get("last_seen")
                                       or now)
    total = max(0.0, (end - start) / 3600.0) if start is not None else 0.0
    stays = {"berth": 0.0, "anchorage": 0.0}
    for kind, arrival, departure in visits:
        if departure is None or departure != departure:        # open (None or NaN)
            departure = now
        stays[kind] = stays.get(kind, 0.0) + max(0.0, departure - arrival) / 3600.0
    return {**stays, "manoeuvring": max(0.0, total - stays["berth"] - stays["anchorage"])}
