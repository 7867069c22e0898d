"""Callbacks of the alert ticker and list on the wall: read the alert engine, acknowledge,
silence, fly the camera to the vessel. The alerts themselves are computed in the engine
thread (twin.alerts), whether or not a browser is open."""
from __future__ import annotations

import hashlib
import logging

from dash import ALL, Input, Output, State, ctx, no_update

from callbacks import access
from layouts import ids, panels
from layouts.i18n import t

FLY_ZOOM = 14.5
log = logging.getLogger(__name__)


def register(app, engine, port):
    """The acknowledge / silence / fly-to callbacks; returns ``alert_view`` for the panels
    callback (None when the twin has no alert engine)."""
    activity = engine.activity
    alerts = activity.alerts if activity is not None else None
    if alerts is None:
        return None

    berths = port.geometry.berth_names

    def occupant(a) -> int | None:
        """The berth-plan rule's other ship at the berth (an MMSI), when there is one."""
        o = a.details.get("occupant") if isinstance(a.details, dict) else None
        return o if isinstance(o, int) else None

    def names(items) -> dict:
        snap = engine.snapshot()
        wanted = {m for a in items for m in a.vessels()}
        wanted |= {o for o in map(occupant, items) if o is not None}
        rows = snap.vessels[snap.vessels["mmsi"].isin(list(wanted))]
        return {int(m): n for m, n in zip(rows["mmsi"], rows["name"]) if n}

    def clicked() -> bool:
        """A row button was clicked (not merely drawn)."""
        return bool(ctx.triggered_id) and bool(ctx.triggered[0]["value"])

    def clicked_alert():
        """The alert whose row button was clicked (None: a row was drawn, not clicked, or
        the alert is gone)."""
        if not clicked():
            return None
        return alerts.by_id.get(ctx.triggered_id["index"])

    def alert_view(sectors, lang, signature, can_act=True):
        """(ticker, list, signature) for the wall's one panels callback; both stay as they
        are (no_update) while the alerts they show have not changed — the rows keep their
        buttons, and the browser does no work for an unchanged list."""
        now = engine.now()
        items = alerts.open_alerts(now, sectors or None)
        attention = alerts.attention(now, sectors or None)
        silenced = {a.alert_id for a in items if alerts.is_silenced(a, now)}
        known = names(items)
        # what the list shows, as a short digest: it rides every refresh as State (the
        # list itself was up to 17 kB there)
        new_sig = hashlib.sha1(repr(
            [lang, sectors, can_act, [(a.alert_id, a.acked, a.occurrences, a.alert_id in silenced,
                              known.get(a.mmsi), known.get(a.other_mmsi),
                              known.get(occupant(a)))
                             for a in items]]).encode()).hexdigest()
        if new_sig == signature:
            return no_update, no_update, no_update
        return (panels.alert_ticker(attention, lang, port.timezone, known, berths),
                panels.alert_list(items, silenced, lang, port.timezone, known, can_act, berths),
                new_sig)

    @app.callback(
        Output(ids.ALERT_STATUS, "children"),
        Output(ids.ALERT_SIG, "data", allow_duplicate=True),
        Input({"type": ids.ALERT_ACK, "index": ALL}, "n_clicks"),
        Input({"type": ids.ALERT_SILENCE, "index": ALL}, "n_clicks"),
        State(ids.ALERT_COMMENT, "value"),
        State(ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def act(_acks, _silences, comment, lang):
        # the gate (callbacks/access.py) lets only roles that may acknowledge reach this
        ident = access.current_identity()
        alert = clicked_alert()
        if alert is None:
            if clicked():       # closed since the row was drawn: say so, and redraw the list
                log.info("acknowledge / silence of %s: no longer open", ctx.triggered_id)
                return t("alert_gone", lang), None
            return no_update, no_update
        if ident is None or not ident.may("acknowledge"):
            return t("alert_not_permitted", lang), no_update
        operator, comment = ident.name, (comment or "")[:500]
        # committed to the history store before the screen says it is done
        try:
            if ctx.triggered_id["type"] == ids.ALERT_ACK:
                activity.acknowledge(alert.alert_id, operator, comment)
                access.audit("acknowledge", ok=True, target=alert.alert_id, rule=alert.rule,
                             mmsi=alert.mmsi, comment=comment)
                return t("alert_done_ack", lang, what=t(f"rule_{alert.rule}", lang)), None
            activity.silence(alert.vessels(), panels.SILENCE_MINUTES, operator, comment)
            access.audit("silence", ok=True, target=alert.alert_id, mmsis=alert.vessels(),
                         minutes=panels.SILENCE_MINUTES, comment=comment)
        except Exception:
            log.exception("acknowledgement / silence not stored")
            access.audit("acknowledge", ok=False, target=alert.alert_id,
                         reason="not stored")
            return t("alert_not_stored", lang), no_update
        return t("alert_done_silence", lang, vessel=alert.mmsi,
                 m=panels.SILENCE_MINUTES), None

    @app.callback(
        Output(ids.MAP, "initialViewState"),
        Output(ids.SELECTED, "data", allow_duplicate=True),
        Input({"type": ids.ALERT_GO, "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def fly_to(_clicks):
        alert = clicked_alert()
        if alert is None:
            return no_update, no_update
        vessel = engine.snapshot().vessel(alert.mmsi)
        lon, lat = (vessel["lon"], vessel["lat"]) if vessel else (alert.lon, alert.lat)
        return ({"longitude": lon, "latitude": lat, "zoom": FLY_ZOOM, "pitch": 45,
                 "bearing": port.view.get("bearing", 0), "transitionDuration": 1500},
                alert.mmsi)

    return alert_view
