"""The playback page: a time slider over stored history that shows the twin at that time —
vessels with trails, berth states, alerts — animated in the browser.

The server sends one window of history (an hour, plus the trail before it) when the play head
enters it; the browser animates within it (``assets/playback.js``): a deck.gl TripsLayer whose
timestamps are seconds from the window's start, vessel positions interpolated between fixes,
berths and alerts as they were at the play head."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dash import dcc, html
from deckgl_dash import DeckGL

from . import ids, map_layers, theme
from .common import page_header
from .i18n import t

WINDOW_S = 3600.0          # one window of history per server round trip
TRAIL_S = 1200.0           # trail drawn behind each vessel (20 min)
TICK_MS = 100              # the browser's animation step
SPEEDS = (10, 60)


def static_map(port) -> tuple[list, dict]:
    """The base layers as (specs without data, layer_data): the data goes to the map once,
    the browser re-sends only the small specs as it animates."""
    specs, data = [], {}
    for spec in map_layers.static_layers(port):
        spec = dict(spec)
        data[spec["id"]] = spec.pop("data", [])
        specs.append(spec)
    return specs, data


def layout(port, config, lang: str, query) -> html.Div:
    sources = [s for s in query.sources() if s["kind"] == "history"] or query.sources()
    src = sources[0] if sources else None
    duration = (src["end"] - src["start"]) if src else 0.0
    specs, data = static_map(port)
    tz = ZoneInfo(port.timezone)
    marks = {}
    if src:
        day = 86400
        first = datetime.fromtimestamp(src["start"], tz).replace(hour=0, minute=0, second=0)
        k = first.timestamp() + day
        while k < src["end"]:
            marks[int(k - src["start"])] = datetime.fromtimestamp(k, tz).strftime("%m-%d")
            k += day
    view = {k: port.view[k] for k in ("longitude", "latitude", "zoom", "pitch", "bearing")}
    # start in the middle of the history (its busiest stretch, not the first ships seen)
    middle = float(int(duration / 2 // WINDOW_S) * WINDOW_S)
    head = {"t": middle, "playing": False, "speed": SPEEDS[1], "t0": src["start"] if src else 0,
            "duration": duration, "window_s": WINDOW_S, "trail_s": TRAIL_S,
            "tz": port.timezone, "lang": lang, "source": src["source"] if src else None,
            "labels": {"play": t("p_play", lang), "pause": t("p_pause", lang),
                       "state": t("p_state", lang, vessels="{vessels}", berths="{berths}",
                                  alerts="{alerts}")},
            "rules": {k[5:]: t(k, lang) for k in _rule_keys()},
            "colours": {"alarm": list(theme.ALERT_COLOURS["alarm"]),
                        "warning": list(theme.ALERT_COLOURS["warning"]),
                        "caution": list(theme.ALERT_COLOURS["caution"])}}
    return html.Div(className="page playback-page", children=[
        page_header(port, lang, "/playback", "nav_playback"),
        dcc.Store(id=ids.P_HEAD, data=head),
        dcc.Store(id=ids.P_WINDOW, data=None),
        dcc.Store(id=ids.P_DATA, data=None),
        dcc.Store(id=ids.P_BASE, data={"specs": specs,
                                         "berths": map_layers.berth_paths(port)}),
        dcc.Interval(id=ids.P_TICK, interval=TICK_MS),
        html.Div(DeckGL(id=ids.P_MAP, layers=specs, layer_data=data,
                        initial_view_state={**view, "maxPitch": 75}, controller=True,
                        style={"width": "100%", "height": "100%",
                               "background": theme.hex_colour(theme.WATER)}),
                 className="playback-map"),
        html.Section(className="playback-controls", children=[
            html.Div(className="p-row", children=[
                html.Button(t("p_play", lang), id=ids.P_PLAY, n_clicks=0, className="p-play"),
                html.Span(t("p_speed", lang), className="control-label"),
                dcc.RadioItems(id=ids.P_SPEED, value=SPEEDS[1], inline=True,
                               options=[{"label": f"×{s}", "value": s} for s in SPEEDS]),
                html.Div(id=ids.P_CLOCK, className="p-clock")]),
            html.Div(dcc.Slider(id=ids.P_SLIDER, min=0, max=max(duration, 1), step=60, value=0,
                                marks=marks, updatemode="drag"), className="p-slider"),
            html.Div(id=ids.P_STATE, className="p-state"),
            html.Div(t("p_note", lang), className="panel-note"),
        ]),
    ])


def _rule_keys():
    from .i18n import CATALOGUE
    return [k for k in CATALOGUE if k.startswith("rule_")]
