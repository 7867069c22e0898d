"""Every component id in one place."""
MAP = "map"
TICK = "tick"                       # dcc.Interval driving live updates
LANG = "lang"                       # dcc.Store: current language
COLOUR_MODE = "colour-mode"         # RadioItems: colour vessels by type or nav status
LAYER_VERSION = "layer-version"     # dcc.Store: which vessel order the map is showing
SELECTED = "selected-vessel"        # dcc.Store: MMSI of the vessel whose card is open
CARD = "vessel-card"
CARD_BODY = "vessel-card-body"
CARD_CLOSE = "vessel-card-close"
KPI_STRIP = "kpi-strip"
FEED_HEALTH = "feed-health"
SOURCE_BANNER = "source-banner"
CLOCK = "clock"
LEGEND = "legend"
PORT_PANEL = "port-panel"            # port now + history KPIs
PORT_LAYERS = "port-layers-tick"
