"""Colours of the dark wall theme, shared by the map layers, legend and CSS."""

WATER = (8, 24, 42)
LAND = (38, 44, 52)
LAND_EDGE = (72, 86, 102)
TERMINAL = (78, 98, 126)
ANCHORAGE = (64, 160, 200)
DOCK = (120, 138, 156)
TRAIL = (200, 215, 230)
BERTH_FREE = (120, 200, 170)     # a quay with no ship at it
QUEUE = (255, 167, 38)           # ships waiting at an anchorage
TIDE_STATION = (64, 196, 255)    # hydro-met stations and the tide curve
DARK_TARGET = (224, 64, 251)     # radar tracks with no AIS

# Vessel colours by ship-type group (saturated, to stand out on the dark map).
CATEGORY_COLOURS = {
    "cargo": (76, 175, 80),
    "tanker": (229, 57, 53),
    "passenger": (33, 150, 243),
    "tug": (0, 188, 212),
    "service": (255, 193, 7),
    "fishing": (255, 112, 67),
    "pleasure": (186, 104, 200),
    "hsc": (255, 235, 59),
    "sar": (255, 64, 129),      # hot pink: apart from tanker red on a wall screen
    "other": (158, 158, 158),
    "unknown": (207, 216, 220),
}

# Vessel colours by activity (nav status checked against speed).
ACTIVITY_COLOURS = {
    "underway": (102, 187, 106),
    "at_anchor": (255, 167, 38),
    "moored": (66, 165, 245),
    "stopped": (171, 71, 188),
    "unknown": (144, 164, 174),
}

SELECTED = (255, 255, 255)
# Alert severities (IMO bridge alert management): rings on the map, ticker and list.
ALERT_COLOURS = {"alarm": (255, 23, 68), "warning": (255, 145, 0), "caution": (238, 255, 65)}
ATON = (255, 214, 0)          # aids to navigation (IALA yellow)
ATON_OFF = (255, 61, 0)       # a floating aid that reports itself off position
BASE_STATION = (200, 200, 255)


def hex_colour(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb[:3])
