"""The vessels page (shipping companies): find a ship by name, MMSI, IMO or call sign, see
where it is in its port call, and export the list."""
from __future__ import annotations

import dash_ag_grid as dag
from dash import dcc, html
from deckgl_dash import DeckGL

from . import ids, map_layers, theme
from .common import page_header
from .i18n import grid_locale, t

STATUSES = ("all", "in_port", "at_anchor", "at_berth", "expected")


def grid_columns(lang: str) -> list[dict]:
    def col(field, key, **kw):
        return {"field": field, "headerName": t(key, lang), **kw}
    # every column on screen at 1920 px: they share the width (flex) down to a minimum, a
    # cut name or place shows whole on hover, headers wrap instead of being cut
    return [
        col("name", "v_col_name", flex=2.2, minWidth=150, tooltipField="name"),
        col("mmsi", "mmsi", flex=1.1, minWidth=96),
        col("imo", "imo", flex=0.9, minWidth=80),
        col("callsign", "callsign", flex=0.9, minWidth=78),
        col("type", "ship_type", flex=1.2, minWidth=96, tooltipField="type"),
        col("stage", "stage", flex=1.7, minWidth=130, tooltipField="stage"),
        col("place", "v_col_place", flex=2.2, minWidth=140, tooltipField="place"),
        col("waiting", "waiting_so_far", flex=1, minWidth=78),
        col("destination", "destination", flex=1.2, minWidth=90, tooltipField="destination"),
        col("eta", "eta", flex=1.6, minWidth=132),
    ]


def layout(port, config, lang: str) -> html.Div:
    view = {k: port.view[k] for k in ("longitude", "latitude")}
    return html.Div(className="page vessels-page", children=[
        page_header(port, lang, "/vessels", "nav_vessels"),
        dcc.Interval(id=ids.V_TICK, interval=5000),
        dcc.Store(id=ids.V_SELECTED),
        html.Main(className="vessels-main", children=[
            html.Section(className="vessels-list", children=[
                html.Div(className="vessels-controls", children=[
                    dcc.Input(id=ids.V_SEARCH, type="search", debounce=0.4, autoFocus=True,
                              placeholder=t("v_search", lang), className="v-search"),
                    dcc.RadioItems(id=ids.V_STATUS, value="all", inline=True,
                                   options=[{"label": t(f"v_status_{s}", lang), "value": s}
                                            for s in STATUSES]),
                    html.Div(className="exports", children=[
                        html.A(t("export_csv", lang), id=ids.V_EXPORT_CSV, href="",
                               download="vessels.csv"),
                        html.A(t("export_geojson", lang), id=ids.V_EXPORT_GEOJSON, href="",
                               download="vessels.geojson"),
                    ]),
                ]),
                dag.AgGrid(id=ids.V_GRID, columnDefs=grid_columns(lang), rowData=[],
                           getRowId="params.data.mmsi_key", className="vessel-grid",
                           dashGridOptions={"rowSelection": {"mode": "singleRow",
                                                             "checkboxes": False,
                                                             "enableClickSelection": True},
                                            "animateRows": False,
                                            "tooltipShowDelay": 300,
                                            "defaultColDef": {"wrapHeaderText": True,
                                                              "autoHeaderHeight": True,
                                                              "resizable": True},
                                            "localeText": grid_locale(lang, "v_none")},
                           style={"height": "100%"}),
            ]),
            html.Aside(className="vessel-status", children=[
                html.Div(DeckGL(
                    id=ids.V_MAP,
                    layers=map_layers.static_layers_by_url(port) + map_layers.track_layers(),
                    initial_view_state={**view, "zoom": 12, "pitch": 0, "bearing": 0},
                    controller=True,
                    style={"width": "100%", "height": "100%",
                           "background": theme.hex_colour(theme.WATER)}),
                    className="v-map-wrap"),
                html.Div(id=ids.V_CARD, className="v-card",
                         children=html.P(t("v_pick", lang), className="card-empty")),
            ]),
        ]),
    ])
