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
    return [
        col("name", "v_col_name", flex=2, minWidth=150),
        col("mmsi", "mmsi", width=115),
        col("imo", "imo", width=100),
        col("callsign", "callsign", width=100),
        col("type", "ship_type", width=120),
        col("stage", "stage", width=170),
        col("place", "v_col_place", flex=2, minWidth=150),
        col("waiting", "waiting_so_far", width=110),
        col("destination", "destination", width=130),
        col("eta", "eta", width=170),
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
                                            "localeText": grid_locale(lang, "v_none")},
                           style={"height": "100%"}),
            ]),
            html.Aside(className="vessel-status", children=[
                html.Div(DeckGL(
                    id=ids.V_MAP,
                    layers=map_layers.static_layers(port) + map_layers.track_layers(),
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
