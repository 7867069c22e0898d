"""The wall page: one full-screen 3D map with the KPI strip, feed health and a vessel card."""
from __future__ import annotations

from dash import dcc, html
from deckgl_dash import DeckGL

from . import ids, map_layers, theme
from .common import lang_switch, nav
from .i18n import t


def legend(mode: str, lang: str) -> list:
    palette = theme.ACTIVITY_COLOURS if mode == "status" else theme.CATEGORY_COLOURS
    return [html.Span([html.I(className="swatch", style={"background": theme.hex_colour(rgb)}),
                       t(key, lang)], className="legend-item")
            for key, rgb in palette.items()]


def alert_panel(port, lang: str) -> html.Aside:
    """The alert list with who acknowledges, the sectors watched, and the rows."""
    sectors = (port.alerts or {}).get("sectors", ())
    return html.Aside(className="alert-panel", children=[
        html.Div(t("alerts", lang), className="panel-title"),
        # who acknowledges is the signed-in user (callbacks/access.py), not a typed name
        html.Div(className="alert-who", children=[
            # no debounce: read only as State, so typing sends nothing, and the comment is in
            # the page's state the moment it is typed
            dcc.Input(id=ids.ALERT_COMMENT, placeholder=t("alert_comment", lang), type="text",
                      maxLength=500),
        ]),
        dcc.Dropdown(id=ids.ALERT_SECTORS, multi=True, persistence=True,
                     persistence_type="local", placeholder=t("all_sectors", lang),
                     options=[{"label": s.get("name_zh" if lang == "zh" else "name", s["id"]),
                               "value": s["id"]} for s in sectors]),
        html.Div(id=ids.ALERT_STATUS, className="alert-status"),
        dcc.Store(id=ids.ALERT_SIG),
        dcc.Store(id=ids.PANEL_SIG),
        html.Div(id=ids.ALERT_LIST, className="alert-list"),
    ])


def layout(port, config, lang: str, initial_layers: dict | None = None,
           layer_token: str | None = None) -> html.Div:
    view = {k: port.view[k] for k in ("longitude", "latitude", "zoom", "pitch", "bearing")}
    deck = DeckGL(
        id=ids.MAP,
        layers=(map_layers.static_layers_by_url(port) + map_layers.port_activity_layer_specs()
                + map_layers.vessel_layers()),
        layer_data=initial_layers or {},
        initial_view_state={**view, "maxPitch": 75},
        controller=True,
        enable_events=["click"],
        style={"width": "100%", "height": "100%", "background": theme.hex_colour(theme.WATER)},
    )
    port_name = port.name_zh if lang == "zh" else port.name
    return html.Div(className="wall", lang="zh-CN" if lang == "zh" else "en", children=[
        dcc.Store(id=ids.LAYER_VERSION, data=layer_token),
        dcc.Store(id=ids.SELECTED),
        dcc.Interval(id=ids.TICK, interval=config.refresh_ms),
        html.Div(deck, className="map-wrap"),
        html.Header(className="topbar", children=[
            html.Div(className="brand", children=[
                html.Span(t("app_title", lang), className="brand-name"),
                html.Span(f"{port_name} · {port.locode}", className="port-name"),
                html.Span(t("one_map", lang), className="one-map"),
            ]),
            html.Div(id=ids.SOURCE_BANNER, className="source-banner"),
            nav(lang, "/", admin_links=False),
            html.Div(id=ids.CLOCK, className="clock"),
            lang_switch(lang),
        ]),
        html.Div(id=ids.STALE_BANNER, className="stale-banner", hidden=True),
        dcc.Interval(id=ids.TOUR_TICK, interval=max(1.0, config.tour_s) * 1000,
                     disabled=not (config.tour_s and port.tour)),
        dcc.Store(id="tour-views", data=port.tour),
        dcc.Interval(id="fit-tick", interval=300, max_intervals=1),
        dcc.Interval(id="slow-tick", interval=10_000),
        html.Section(id=ids.KPI_STRIP, className="kpi-strip"),
        html.Section(className="map-controls", children=[
            html.Span(t("colour_by", lang), className="control-label"),
            dcc.RadioItems(
                id=ids.COLOUR_MODE, value="type", inline=True,
                options=[{"label": t("by_type", lang), "value": "type"},
                         {"label": t("by_status", lang), "value": "status"}]),
            html.Div(id=ids.LEGEND, className="legend", children=legend("type", lang)),
            html.Div(t("map_note", lang), className="map-note"),
        ]),
        html.Div(className="left-column", children=[
            html.Section(id=ids.PORT_PANEL, className="port-panel"),
            html.Div(id=ids.QUEUE_PANEL, className="queue-panel"),
            html.Section(id=ids.FORECAST_PANEL, className="forecast-panel"),
            html.Div(id=ids.BERTH_TIMELINE, className="berth-timeline"),
        ]),
        html.Div(className="right-column", children=[
            alert_panel(port, lang),
            html.Section(id=ids.HYDROMET_PANEL, className="hydromet-panel"),
            html.Section(id=ids.FEED_HEALTH, className="feed-health"),
        ]),
        html.Section(id=ids.ALERT_TICKER, className="alert-ticker"),
        html.Aside(id=ids.CARD, className="vessel-card", hidden=True, children=[
            html.Button("×", id=ids.CARD_CLOSE, className="card-close", title=t("close", lang),
                        n_clicks=0),
            html.Div(id=ids.CARD_BODY),
        ]),
    ])
