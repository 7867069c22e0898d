"""Callbacks of the playback page. The server answers one question — the history of a
window — when the browser's play head enters it; the animation itself is clientside
(``assets/playback.js``), with no round trip per frame."""
from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State, no_update

from data_sources.timecheck import plausible_epoch
from layouts import ids, theme
from layouts.playback import TRAIL_S, WINDOW_S


def window_start(head, index) -> float | None:
    """Start of window ``index`` of the play head's recording, or None for values the page's
    script never sends (a forged request must not raise or read history of year 10 000): a
    head without a text source and a number ``t0``, an index that is not a whole number, a
    window outside 1980–2100."""
    if not isinstance(head, dict) or not isinstance(head.get("source"), str) \
            or len(head["source"]) > 200:
        return None
    t0 = head.get("t0")
    if isinstance(t0, bool) or not isinstance(t0, (int, float)):
        return None
    try:
        start = t0 + int(index) * WINDOW_S
    except (TypeError, ValueError, OverflowError):
        return None
    return start if plausible_epoch(start) else None


def window_data(query, source: str, t0: float, index: int) -> dict:
    """History of window ``index`` (from ``t0``), with the trail before it; timestamps are
    seconds from the window's start (float32-safe in the browser)."""
    start = t0 + index * WINDOW_S
    data = query.playback(source, start - TRAIL_S, start + WINDOW_S)
    shift = TRAIL_S               # query.playback counts from its own start
    for trip in data["trips"]:
        trip["timestamps"] = [round(x - shift, 1) for x in trip["timestamps"]]
        trip["color"] = [*theme.CATEGORY_COLOURS.get(trip["category"],
                                                     theme.CATEGORY_COLOURS["unknown"]), 255]
    for row in data["stays"] + data["alerts"]:
        row["from"] -= shift
        row["to"] -= shift
    return {"index": index, "start": start, "trips": data["trips"], "stays": data["stays"],
            "alerts": data["alerts"]}


def register(app, query, port) -> None:
    @app.callback(Output(ids.P_DATA, "data"), Input(ids.P_WINDOW, "data"),
                  State(ids.P_HEAD, "data"), prevent_initial_call=True)
    def load_window(index, head):
        if index is None or not isinstance(head, dict) or not head.get("source"):
            return None
        if window_start(head, index) is None:
            return no_update
        return window_data(query, head["source"], head["t0"], int(index))

    app.clientside_callback(
        ClientsideFunction("porttwin", "playbackAdvance"),
        Output(ids.P_HEAD, "data"), Output(ids.P_SLIDER, "value"), Output(ids.P_WINDOW, "data"),
        Output(ids.P_PLAY, "children"),
        Input(ids.P_TICK, "n_intervals"), Input(ids.P_SLIDER, "value"),
        Input(ids.P_PLAY, "n_clicks"), Input(ids.P_SPEED, "value"),
        State(ids.P_HEAD, "data"), State(ids.P_WINDOW, "data"))

    app.clientside_callback(
        ClientsideFunction("porttwin", "playbackWindowData"),
        Output(ids.P_MAP, "layerData"), Input(ids.P_DATA, "data"), prevent_initial_call=True)

    app.clientside_callback(
        ClientsideFunction("porttwin", "playbackRender"),
        Output(ids.P_MAP, "layers"), Output(ids.P_CLOCK, "children"),
        Output(ids.P_STATE, "children"),
        Input(ids.P_HEAD, "data"), Input(ids.P_DATA, "data"), State(ids.P_BASE, "data"))
