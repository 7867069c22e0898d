"""Callbacks of the vessels page: the list (search, status filter, exports), the chosen
ship's status card and its small map. Data from the query layer only."""
from __future__ import annotations

from urllib.parse import urlencode

from dash import Input, Output, State, ctx, no_update

from layouts import ids, map_layers, panels
from layouts.i18n import fmt_time, t


def grid_rows(rows: list[dict], tz: str, lang: str) -> list[dict]:
    """Query rows shaped for the grid: translated stage and type, port-time ETA."""
    out = []
    for r in rows:
        place = r.get("berth_name") or r.get("place") or ""
        if r.get("place_kind") == "anchorage":
            place = f"{t('place_anchorage', lang)} {r['place']}"
        stage = r.get("stage")
        out.append({
            "mmsi_key": str(r.get("mmsi") or r.get("plan_id")),
            "mmsi": r.get("mmsi"), "imo": r.get("imo"), "callsign": r.get("callsign"),
            "name": r.get("name") or t("unnamed", lang),
            "type": t(r.get("category") or "unknown", lang),
            "stage": (t("stage_expected_late", lang, m=int(r["late_s"] // 60))
                      if stage == "expected" and r.get("late_s") else
                      t(f"stage_{stage}", lang) if stage else t("not_in_port", lang)),
            "place": place,
            "waiting": (("≥ " if r.get("waiting_at_least") else "")
                        + panels.hours_text(r.get("waiting_s"), lang))
            if r.get("waiting_s") else "",
            "destination": r.get("destination") or "",
            "eta": fmt_time(r.get("eta"), tz, lang) if r.get("eta") else "",
        })
    return out


def register(app, query, port) -> None:
    tz = port.timezone

    @app.callback(
        Output(ids.V_GRID, "rowData"),
        Output(ids.V_EXPORT_CSV, "href"),
        Output(ids.V_EXPORT_GEOJSON, "href"),
        Output(ids.V_SELECTED, "data", allow_duplicate=True),
        Input(ids.V_SEARCH, "value"),
        Input(ids.V_STATUS, "value"),
        Input(ids.V_TICK, "n_intervals"),
        State(ids.LANG, "data"),
        State(ids.V_SELECTED, "data"),
        prevent_initial_call="initial_duplicate",
    )
    def update_list(search, status, _n, lang, selected):
        rows = query.vessels(status or "all", search or None)
        args = {"status": status or "all", **({"q": search} if search else {})}
        # one match for a search: that is the ship meant — show its card at once
        pick = no_update
        if search and ctx.triggered_id == ids.V_SEARCH and len(rows) == 1 and rows[0]["mmsi"]:
            pick = rows[0]["mmsi"]
        return (grid_rows(rows, tz, lang),
                "/api/v1/vessels?" + urlencode({**args, "format": "csv"}),
                "/api/v1/positions?" + urlencode(args), pick)

    @app.callback(
        Output(ids.V_SELECTED, "data"),
        Input(ids.V_GRID, "cellClicked"),
        State(ids.V_GRID, "rowData"),
        prevent_initial_call=True,
    )
    def pick_vessel(cell, rows):
        if not cell:
            return no_update
        row = next((r for r in rows or [] if isinstance(r, dict)
                    and r.get("mmsi_key") == cell.get("rowId")), None)
        if not row or not row.get("mmsi"):
            return no_update
        # the grid's rows come back from the browser: only a ship this user may see
        mmsi = query.find(row["mmsi"])
        return mmsi if mmsi is not None else no_update

    @app.callback(
        Output(ids.V_CARD, "children"),
        Output(ids.V_MAP, "layerData"),
        Output(ids.V_MAP, "viewState"),
        Input(ids.V_SELECTED, "data"),
        Input(ids.V_TICK, "n_intervals"),
        State(ids.LANG, "data"),
    )
    def update_card(mmsi, _n, lang):
        if mmsi is None:
            return no_update, no_update, no_update
        detail = query.vessel(mmsi)
        if detail is None:
            return panels.status_card(None, tz, lang), {}, no_update
        v = detail["vessel"]
        track = query.track(mmsi, 24)
        data = map_layers.track_data(track, v.get("category") or "unknown")
        view = no_update
        if ctx.triggered_id == ids.V_SELECTED and v.get("lon") is not None:
            view = {"longitude": v["lon"], "latitude": v["lat"], "zoom": 13, "pitch": 0,
                    "bearing": 0}
        return panels.status_card(detail, tz, lang, len(track)), data, view
