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
HYDROMET_PANEL = "hydromet-panel"    # water levels, wind, visibility, the tide curve
PORT_LAYERS = "port-layers-tick"
ALERT_TICKER = "alert-ticker"        # the most urgent alert to acknowledge
ALERT_LIST = "alert-list"
ALERT_OPERATOR = "alert-operator"    # Input: who acknowledges (remembered in the browser)
ALERT_COMMENT = "alert-comment"
ALERT_STATUS = "alert-status"        # what the last acknowledge / silence did
ALERT_SECTORS = "alert-sectors"      # Dropdown: the sectors this operator watches
ALERT_SIG = "alert-signature"        # dcc.Store: what the list shows (redrawn on change only)
PANEL_SIG = "panel-signature"        # dcc.Store: digests of the panels this wall shows
# pattern-matching ids of the buttons in each alert row: {"type": ..., "index": alert id}
ALERT_ACK, ALERT_SILENCE, ALERT_GO = "alert-ack", "alert-silence", "alert-go"

# ---- the app shell and its pages ---------------------------------------------------------
URL = "url"                          # dcc.Location
PAGE = "page"                        # the routed page's container
# vessels page (shipping companies)
V_SEARCH, V_STATUS, V_GRID = "v-search", "v-status", "v-grid"
V_SELECTED = "v-selected"            # dcc.Store: MMSI of the vessel whose card is shown
V_CARD, V_MAP, V_TICK = "v-card", "v-map", "v-tick"
V_EXPORT_CSV, V_EXPORT_GEOJSON = "v-export-csv", "v-export-geojson"
# reports page (leadership)
R_SOURCE, R_PERIOD, R_DATE, R_BODY = "r-source", "r-period", "r-date", "r-body"
R_PDF, R_XLSX, R_DOWNLOAD, R_PROGRESS = "r-pdf", "r-xlsx", "r-download", "r-progress"
# playback page
P_BASE, P_MAP, P_SLIDER, P_PLAY, P_SPEED = "p-base", "p-map", "p-slider", "p-play", "p-speed"
P_WINDOW = "p-window"                # dcc.Store: the window start the browser is playing
P_DATA = "p-data"                    # dcc.Store: that window's trips, stays and alerts
P_HEAD = "p-head"                    # dcc.Store: play head (s into the history), playing, speed
P_TICK, P_CLOCK, P_STATE = "p-tick", "p-clock", "p-state"
# wall extras
BERTH_TIMELINE, QUEUE_PANEL, STALE_BANNER = "berth-timeline", "queue-panel", "stale-banner"
FORECAST_PANEL = "forecast-panel"
TOUR_TICK = "tour-tick"
