"""Callbacks of the wall page: live vessel layers, KPI strip, feed health, vessel card."""
from __future__ import annotations

import hashlib
import logging
import threading
import weakref
from collections import OrderedDict

from dash import Input, Output, State, ctx, no_update
from plotly.io.json import to_json_plotly

from callbacks import access
from callbacks import alerts as alert_callbacks
from layouts import ids, map_layers, panels
from layouts.map_layers import (ALERT_RINGS, DARK_TARGETS, SELECTION, VesselLayers, alert_layer,
                                build_vessel_layers, port_activity_layers, selection_layer)
from layouts.panels import port_panel
from twin.kpis import history_summary
from twin.store_guard import StoreUnavailable
from twin.vessel_types import as_mmsi
from layouts.wall import legend


log = logging.getLogger(__name__)


class Memo:
    """The last ``keep`` results by key, in this process: what every wall of one moment asks
    (the panels of a snapshot in a language, the port layers of a second) is computed once
    and handed to all (measured: 50 walls asked for the same panels 50 times a second)."""

    def __init__(self, keep: int = 32):
        self.keep = keep
        self._lock = threading.Lock()
        self._values: OrderedDict = OrderedDict()
        self._computing: dict = {}

    def get(self, key, compute):
        with self._lock:
            if key in self._values:
                return self._values[key]
            wait = self._computing.get(key)
            if wait is None:
                self._computing[key] = threading.Event()
        if wait is not None:               # another wall's request is computing it: wait
            wait.wait(30)                  # (sixteen threads computing one moment at once,
            with self._lock:               # under one GIL, each took sixteen times as long)
                if key in self._values:
                    return self._values[key]
        try:
            value = compute()
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.keep:
                    self._values.popitem(last=False)
        finally:
            if wait is None:
                with self._lock:
                    self._computing.pop(key).set()
        return value


class SharedLayers:
    """The vessel layers of the last few snapshots, built once per snapshot and colour mode
    and shared by every request and wall of this process (a ``Memo``: a request that finds
    them being built waits for them). The layers are kept for the last ``keep`` tokens (at
    50,000 vessels one set is megabytes); the MMSI order a click resolves against for the last
    ``keep_orders`` (a click's token is the one its browser drew, a second or two old).
    Nothing here is pickled: a hit is a lookup."""

    def __init__(self, keep: int = 4, keep_orders: int = 64):
        self.keep_orders = keep_orders
        self._layers = Memo(keep)
        self._lock = threading.Lock()
        self._orders: OrderedDict[str, dict] = OrderedDict()

    def order(self, token: str) -> dict | None:
        with self._lock:
            return self._orders.get(token)

    def get_or_build(self, token: str, build) -> VesselLayers:
        def built() -> VesselLayers:
            layers = build()
            with self._lock:
                self._orders[token] = layers.order
                while len(self._orders) > self.keep_orders:
                    self._orders.popitem(last=False)
            return layers
        return self._layers.get(token, built)


_shared: "weakref.WeakKeyDictionary[object, SharedLayers]" = weakref.WeakKeyDictionary()
_shared_lock = threading.Lock()


def shared_layers(cache) -> SharedLayers:
    """The layer store of an app (one per views' cache, so two apps never mix tokens)."""
    with _shared_lock:
        store = _shared.get(cache)
        if store is None:
            store = _shared[cache] = SharedLayers()
        return store


def live_layers(snap, cache, mode: str, shared: bool = False) -> tuple[str, VesselLayers]:
    """The vessel layers for the current snapshot, built once and shared by every screen.

    The token doubles as the one a browser sends back with a click, so the click's index
    is resolved against exactly the vessel order that browser was drawing. ``shared``: the
    views' cache is the web workers' common one (Redis): the first worker to need a version's
    layers builds them and the others read them there.
    """
    token = f"layers:{snap.version}:{snap.time:.1f}:{mode}"

    def build():
        if shared:
            got = cache.get(token)
            if got is not None:
                return got
        trails = (snap.trail_lonlat, snap.trail_starts, snap.trail_mmsi)
        layers = build_vessel_layers(snap.vessels, trails, mode, snap.stations)
        if shared:
            cache.set(token, layers, timeout=30)
        return layers
    return token, shared_layers(cache).get_or_build(token, build)


# A click resolved by index must land this close to that vessel, else the vessel order changed
# under the click and the nearest vessel to the clicked point is taken instead.
CLICK_CHECK_M = 600.0
CLICK_NEAREST_M = 250.0


def clicked_mmsi(cache, click: dict | None, token: str | None, snap=None) -> int | None:
    """MMSI of the vessel under a map click, or None when the click hit no vessel."""
    if not click or not click.get("picked"):
        return None
    orders = shared_layers(cache).order(token) if token else None
    order = orders.get(click.get("layerId")) if orders else None
    index = click.get("index")
    mmsi = int(order[index]) if order is not None and index is not None and \
        0 <= index < len(order) else None
    coordinate = click.get("coordinate")
    if snap is None or not coordinate:
        return mmsi
    lon, lat = coordinate[:2]
    distance = snap.distance_m(mmsi, lon, lat) if mmsi is not None else None
    if distance is not None and distance <= CLICK_CHECK_M:
        return mmsi
    return snap.nearest(lon, lat, CLICK_NEAREST_M)


def register(app, engine, port, cache, query=None, history_source: str | None = None) -> None:
    """``history_source``: the loaded history the port panel shows — the deployment's
    configured one, never whichever ``history load`` stored last (None: the first by name)."""
    shared = bool(app.server.config.get("PORTTWIN", {}).get("shared_cache"))

    def vessel_layers(n, mode, selected):
        """The map's live layers (one layer_data update: vessels, rings, the port's layers)
        and the token a click is resolved against."""
        snap = engine.snapshot()            # one moment for the layers and the ring
        token, layers = live_layers(snap, cache, mode or "type", shared)
        ring = selection_layer(snap.vessels, selected)
        return {**layers.data, SELECTION: ring, ALERT_RINGS: alert_rings(snap),
                **port_layers(snap.time), **other_feed_layers(snap.time, n)}, token

    @app.callback(Output(ids.LEGEND, "children"), Input(ids.COLOUR_MODE, "value"),
                  State(ids.LANG, "data"))
    def update_legend(mode, lang):
        return legend(mode or "type", lang)

    activity = engine.activity
    alerts = activity.alerts if activity is not None else None
    alert_view = alert_callbacks.register(app, engine, port)
    memo = Memo()            # one moment's shared answers (panels, rings, port layers, tide)

    def alert_rings(snap) -> dict:
        return memo.get(("rings", snap.version, snap.time), lambda: alert_layer(
            snap.vessels, alerts.highlighted(snap.time) if alerts else {}))

    paths = map_layers.berth_paths(port)
    centres = map_layers.anchorage_centres(port)
    berth_names = port.geometry.berth_names
    store = app.server.config["PORTTWIN"].get("store")

    feeds = engine.feeds

    def hydromet_now(now: float) -> tuple[list, dict | None]:
        """Stations now and the first station's tide curve, computed once a minute."""
        if feeds is None or feeds.hydromet is None:
            return [], None
        key = f"hydromet:{now // 60:.0f}"
        return memo.get(key, lambda: _hydromet(key, now))

    def _hydromet(key, now):
        got = cache.get(key)
        if got is None:
            hm = feeds.hydromet
            stations = hm.snapshot(now)
            station = next(iter(hm.stations), None)       # the first one with harmonics
            curve = hm.tide_curve(station, now) if station is not None else None
            got = (stations, curve)
            cache.set(key, got, timeout=120)
        return got

    def other_feed_layers(now: float, n: int | None) -> dict:
        """Dark targets every refresh; the tide stations (they change once a minute) on a
        page's first refreshes and every 30th after — the map keeps a layer's last data."""
        if feeds is None:
            return {}
        dark = feeds.fusion.dark_targets(now) if feeds.fusion is not None else []
        layers = map_layers.feed_layers(dark, hydromet_now(now)[0])
        if n is not None and n > 2 and n % 30:
            layers = {DARK_TARGETS: layers[DARK_TARGETS]}
        return layers

    def history():
        """The loaded history's KPIs (they change only when history is loaded again)."""
        if store is None:
            return None
        cached = cache.get("history-summary")       # a list: "no history" is cached too
        if cached is None:
            try:
                cached = [history_summary(store, port.geometry.berth_info, history_source)]
            except StoreUnavailable:                # the panel goes on without them, and
                cache.set("history-summary", [None], timeout=30)   # asks again in 30 s
                return None
            cache.set("history-summary", cached, timeout=300)
        return cached[0]

    def port_layers(now: float) -> dict:
        """Occupied berths and anchorage queues, built once per moment for every screen."""
        if activity is None:
            return {}
        key = f"port-layers:{now:.0f}"

        def build():
            data = cache.get(key)
            if data is None:
                live = activity.live_summary(now)
                data = port_activity_layers(paths, live["berth_status"], live["categories"],
                                            live["queue_by_anchorage"], centres)
                cache.set(key, data, timeout=60)
            return data
        return memo.get(key, build)

    panel_outputs = 11
    OWN_SIGNATURE = {5, 6, 7}        # alert ticker, alert list, alert signature (ALERT_SIG)

    @app.callback(
        Output(ids.MAP, "layerData"),
        Output(ids.LAYER_VERSION, "data"),
        Output(ids.KPI_STRIP, "children"),
        Output(ids.FEED_HEALTH, "children"),
        Output(ids.SOURCE_BANNER, "children"),
        Output(ids.CLOCK, "children"),
        Output(ids.PORT_PANEL, "children"),
        Output(ids.ALERT_TICKER, "children"),
        Output(ids.ALERT_LIST, "children"),
        Output(ids.ALERT_SIG, "data"),
        Output(ids.STALE_BANNER, "children"),
        Output(ids.STALE_BANNER, "hidden"),
        Output(ids.HYDROMET_PANEL, "children"),
        Output(ids.CARD, "hidden"),
        Output(ids.CARD_BODY, "children"),
        Output(ids.PANEL_SIG, "data"),
        Input(ids.TICK, "n_intervals"),
        Input(ids.COLOUR_MODE, "value"),
        Input(ids.SELECTED, "data"),
        Input(ids.ALERT_SECTORS, "value"),
        State(ids.LANG, "data"),
        State(ids.ALERT_SIG, "data"),
        State(ids.PANEL_SIG, "data"),
    )
    def refresh(n, mode, selected, sectors, lang, alert_sig, panel_sig):
        """The wall's one round trip a second: the map's layers, the HTML panels that changed
        and the vessel card (three round trips a second cost a wall three times the server's
        dispatch and, under software WebGL, left no quiet moment for a click — measured).
        A colour-mode change or a click redraws the map and the card, not the panels."""
        # every input that changed (a click and a tick can arrive in one request)
        changed = {t["prop_id"].split(".")[0] for t in ctx.triggered}
        selected = as_mmsi(selected)     # the page's store says what it likes
        layers, token = vessel_layers(n, mode, selected)
        if changed <= {ids.COLOUR_MODE, ids.SELECTED}:
            panels_out, new_sig = (no_update,) * panel_outputs, no_update
        else:
            panels_out, new_sig = update_panels(sectors, lang, alert_sig, panel_sig,
                                                access.may("acknowledge"))
        return (layers, token, *panels_out, *update_card(selected, changed, lang), new_sig)

    def update_panels(sectors, lang, alert_sig, shown, can_act=True):
        """The HTML panels, computed once per moment and language for every wall; a panel
        whose content is what this wall already shows (its digest in ``shown``) is not sent
        again (most seconds only the feed health and a count change)."""
        snap = engine.snapshot()
        key = ("panels", snap.version, snap.time, lang, tuple(sectors or ()), alert_sig,
               can_act)
        values, digests = memo.get(key, lambda: _digested(
            _panels(snap, sectors, lang, alert_sig, can_act)))
        shown = shown if isinstance(shown, dict) else {}
        out = tuple(no_update if d is not None and shown.get(str(i)) == d else v
                    for i, (v, d) in enumerate(zip(values, digests)))
        return out, {str(i): d for i, d in enumerate(digests) if d is not None}

    def _digested(values):
        """(values, digest of each: its JSON, as Dash would send it; None for no_update and
        for the outputs with their own signature — the alert ticker, list and signature)."""
        digests = []
        for i, v in enumerate(values):
            if v is no_update or i in OWN_SIGNATURE:
                digests.append(None)
            else:
                digests.append(hashlib.sha1(to_json_plotly(v).encode()).hexdigest()[:16])
        return values, digests

    def _queue_names(snap, live) -> dict:
        """The name of the ship waiting longest (the port panel names it)."""
        if live is None or not len(live["queue"]):
            return {}
        mmsi = int(live["queue"].iloc[0]["mmsi"])
        v = snap.vessel(mmsi)
        return {mmsi: v.get("name")} if v and v.get("name") else {}

    def _panels(snap, sectors, lang, alert_sig, can_act):
        health = engine.feed_health()
        stale = panels.stale_banner(health, lang)   # a feed that should be live and is not
        live = activity.live_summary(snap.time) if activity is not None else None
        alerts_out = (alert_view(sectors, lang, alert_sig, can_act) if alert_view else
                      (no_update, no_update, no_update))
        return (panels.kpi_strip(snap.counts(), lang),
                panels.feed_health(health, lang),
                panels.source_banner(engine.primary, lang, port.timezone),
                panels.clock(engine.display_time(), port.timezone, lang),
                port_panel(live, history(), port.timezone, lang, berth_names,
                           _queue_names(snap, live)),
                *alerts_out, stale or "", stale is None,
                # the tide curve's "now" moves once a minute: the same image until then
                panels.hydromet_panel(*hydromet_now(snap.time), snap.time // 60 * 60, lang))

    @app.callback(Output(ids.BERTH_TIMELINE, "children"), Output(ids.QUEUE_PANEL, "children"),
                  Output(ids.FORECAST_PANEL, "children"),
                  Input("slow-tick", "n_intervals"), State(ids.LANG, "data"))
    def update_timeline(_n, lang):
        """Berth timeline, anchorage queue and the next 24 h forecast: they change by the
        minute, drawn every 10 s."""
        if query is None:
            return [], [], []
        return (panels.berth_timeline(query.berth_timeline(top=10), port.timezone, lang),
                panels.queue_panel(query.anchorage_queue(), lang),
                panels.forecast_panel(query.forecast(), port.timezone, lang))

    # a wall bigger than 1080p shows the port's view at its own scale, once on load: the
    # same water, ships and labels as large on the screen (at 4K, the 1080p view made
    # ships specks). Smaller screens keep the package's view. (Clientside, no server.)
    app.clientside_callback(
        """function(n, view) {
            const k = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
            if (!n || !view || k < 1.05) { return window.dash_clientside.no_update; }
            return Object.assign({}, view, {zoom: view.zoom + Math.log2(k)});
        }""",
        Output(ids.MAP, "initialViewState", allow_duplicate=True),
        Input("fit-tick", "n_intervals"), State(ids.MAP, "initialViewState"),
        prevent_initial_call=True)

    # the optional camera tour: the next preset view every tour_s (clientside, no server)
    app.clientside_callback(
        """function(n, views) {
            if (!views || !views.length || !n) { return window.dash_clientside.no_update; }
            const v = views[n % views.length];
            return {longitude: v.longitude, latitude: v.latitude, zoom: v.zoom,
                    pitch: v.pitch || 45, bearing: v.bearing || 0,
                    transitionDuration: 8000};
        }""",
        Output(ids.MAP, "initialViewState", allow_duplicate=True),
        Input(ids.TOUR_TICK, "n_intervals"),
        State("tour-views", "data"), prevent_initial_call=True)

    @app.callback(
        Output(ids.SELECTED, "data"),
        Input(ids.MAP, "clickInfo"),
        Input(ids.CARD_CLOSE, "n_clicks"),
        State(ids.LAYER_VERSION, "data"),
        prevent_initial_call=True,
    )
    def select_vessel(click, _close, token):
        if ctx.triggered_id == ids.CARD_CLOSE:
            return None
        mmsi = clicked_mmsi(cache, click, token, engine.snapshot())
        log.debug("map click layer=%s index=%s -> MMSI %s", (click or {}).get("layerId"),
                 (click or {}).get("index"), mmsi)
        return mmsi

    def update_card(mmsi, changed, lang):
        if mmsi is None:            # hidden; emptied when it was just closed
            return True, [] if ids.SELECTED in changed else no_update
        snap = engine.snapshot()
        forecast = query.vessel_forecast(mmsi) if query is not None else None
        vessel = snap.vessel(mmsi)
        if vessel is None:
            # an alert's ship that has not arrived yet (a late arrival) or went quiet: what
            # the store and the berth plan know of it, not an empty card
            known = query.not_live(mmsi) if query is not None else None
            body = (panels.not_live_card(known, port.timezone, lang) if known is not None
                    else panels.vessel_card(None, snap.time, port.timezone, lang))
            return False, body + panels.forecast_rows(forecast, port.timezone, lang)
        call = activity.status(mmsi, snap.time) if activity is not None else None
        return False, panels.vessel_card(vessel, snap.time, port.timezone, lang,
                                         call, berth_names) + \
            panels.forecast_rows(forecast, port.timezone, lang)
