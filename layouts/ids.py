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
ALERT_TICKER = "alert-ticker"        # the most urgent alert to acknowledge
ALERT_LIST = "alert-list"
ALERT_OPERATOR = "alert-operator"    # Input: who acknowledges (remembered in the browser)
ALERT_COMMENT = "alert-comment"
ALERT_STATUS = "alert-status"        # what the last acknowledge / silence did
ALERT_SECTORS = "alert-sectors"      # Dropdown: the sectors this operator watches
ALERT_SIG = "alert-signature"        # dcc.Store: what the list shows (redrawn on change only)
# pattern-matching ids of the buttons in each alert row: {"type": ..., "index": alert id}
ALERT_ACK, ALERT_SILENCE, ALERT_GO = "alert-ack", "alert-silence", "alert-go"
