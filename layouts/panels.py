"""Shaping twin snapshots into small Dash components: KPI tiles, feed health, vessel card.

Pure presentation: numbers come from the twin; this only formats and translates them.
"""
from __future__ import annotations

import math
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from dash import html

from twin.vessel_types import ACTIVITIES, CATEGORIES, NAV_STATUS, ship_category

from . import theme
from .i18n import fmt_time, t


def _tile(label: str, value, css: str = "", colour=None) -> html.Div:
    style = {"borderTopColor": theme.hex_colour(colour)} if colour else None
    return html.Div(className=f"kpi {css}", style=style, children=[
        html.Div(str(value), className="kpi-value"), html.Div(label, className="kpi-label")])


def kpi_strip(counts: dict, lang: str) -> list:
    by_act, by_cat = counts["by_activity"], counts["by_category"]
    tiles = [_tile(t("kpi_vessels", lang), counts["total"], "kpi-main")]
    tiles += [_tile(t(a, lang), by_act.get(a, 0), f"kpi-{a}", theme.ACTIVITY_COLOURS[a])
              for a in ACTIVITIES if a != "unknown" or by_act.get(a)]
    chips = [html.Span([html.I(className="swatch",
                               style={"background": theme.hex_colour(theme.CATEGORY_COLOURS[c])}),
                        f"{t(c, lang)} {by_cat[c]}"], className="type-chip")
             for c in CATEGORIES if by_cat.get(c)]
    tiles.append(html.Div(className="kpi kpi-types", children=[
        html.Div(chips, className="type-chips"), html.Div(t("kpi_by_type", lang),
                                                          className="kpi-label")]))
    return tiles


def age_text(seconds: float | None, lang: str) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return t("never", lang)
    if seconds < 120:
        return t("seconds_ago", lang, s=seconds)
    return t("minutes_ago", lang, m=seconds / 60)


def feed_health(statuses: list[dict], lang: str) -> list:
    """One row per feed: its state, rate, last message and rejects; a slot with no source
    shown empty; a feed that is configured but cannot run (a file of an unknown layout, a
    berth plan that is no plan, tide stations without harmonics) in state "failed" with its
    reason written out, not only in a tooltip."""
    rows = [html.Div(t("feed_health", lang), className="panel-title")]
    for s in statuses:
        if s.get("error") and "rate_per_s" not in s:     # configured, but cannot run
            rows.append(html.Div(className="feed feed-failed feed-error", children=[
                html.Span(className="feed-dot"),
                html.Span(t(s["label"], lang), className="feed-name"),
                html.Span(t("state_error", lang), className="feed-state"),
                html.Span(s["error"], className="feed-reason", title=s["error"],
                          style={"maxWidth": "30em", "whiteSpace": "normal",
                                 "overflowWrap": "anywhere", "fontSize": "85%"})]))
            continue
        if s["state"] == "none":                 # a slot with no source: shown empty
            rows.append(html.Div(className="feed feed-none", children=[
                html.Span(className="feed-dot"),
                html.Span(t(s["label"], lang), className="feed-name"),
                html.Span(t("state_none", lang), className="feed-state")]))
            continue
        if s["state"] == "live" and "rate_per_s" not in s:    # computed, not received
            rows.append(html.Div(className="feed feed-live", children=[
                html.Span(className="feed-dot"),
                html.Span(t(s["label"], lang), className="feed-name"),
                html.Span(t("state_computed", lang), className="feed-state")]))
            continue
        state = t(f"state_{s['state']}", lang)
        if s["state"] in ("reconnecting", "failed") and s.get("connection_since"):
            state += " " + t("connection_since", lang,
                             age=age_text(max(0.0, time.time() - s["connection_since"]), lang))
        rows.append(html.Div(className=f"feed feed-{s['state']}", children=[
            html.Span(className="feed-dot"),
            html.Span(t(s["label"], lang), className="feed-name"),
            html.Span(state, className="feed-state", title=s.get("connection_error") or ""),
            html.Span(f"{s['rate_per_s']:.1f} {t('msg_per_s', lang)}", className="feed-rate"),
            html.Span(t("last_msg", lang, age=age_text(s["last_message_age_s"], lang)),
                      className="feed-age"),
            html.Span(t("rejected", lang, n=s["rejected"]), className="feed-rejects",
                      title=", ".join(f"{k}: {v}" for k, v in sorted(s["rejects"].items()))),
        ]))
    return rows


def port_time(epoch: float, tz: str) -> tuple[str, str]:
    """(date and time, time) of a moment in the port's zone with its abbreviation: every
    time on the wall is the port's (a UTC date beside a port time read as the wrong day)."""
    local = datetime.fromtimestamp(epoch, timezone.utc).astimezone(ZoneInfo(tz))
    return local.strftime("%Y-%m-%d %H:%M:%S %Z"), local.strftime("%H:%M:%S %Z")


def _fmt(value, unit: str = "", digits: int = 1, lang: str = "en") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("not_available", lang)
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def _position_text(lat: float, lon: float) -> str:
    return f"{abs(lat):.5f}°{'N' if lat >= 0 else 'S'} {abs(lon):.5f}°{'E' if lon >= 0 else 'W'}"


def _ship_type_text(category: str, code, lang: str) -> str:
    """The type group, with the AIS ship-type code when there is one."""
    return t(category, lang) + (f" ({int(code)})" if code else "")


def _card_head(name: str | None, category: str, lang: str) -> list:
    """A vessel card's kicker and name, edged in its type group's colour."""
    colour = theme.CATEGORY_COLOURS.get(category, theme.CATEGORY_COLOURS["unknown"])
    return [html.Div(t("card_title", lang), className="card-kicker"),
            html.H2(name or t("unnamed", lang), className="card-name",
                    style={"borderLeftColor": theme.hex_colour(colour)})]


def vessel_card(v: dict | None, now: float, tz: str, lang: str, call: dict | None = None,
                berth_names: dict | None = None) -> list:
    if v is None:
        return [html.P(t("vessel_gone", lang), className="card-empty")]
    ns = v.get("nav_status")
    ns_key = "ns_none" if ns is None else f"ns_{NAV_STATUS.get(int(ns), 'reserved')}"
    dims = (f"{_fmt(v['length'], ' m', 0, lang)} × {_fmt(v['width'], ' m', 0, lang)}"
            if v.get("length") else t("not_available", lang))
    position = _position_text(v["lat"], v["lon"])
    eta = fmt_time(v["eta"], tz, lang) if v.get("eta") else t("not_available", lang)
    ship_type = _ship_type_text(v["category"], v.get("ship_type"), lang)
    rows = [
        ("mmsi", str(v["mmsi"])),
        ("imo", _fmt(None if v.get("imo") is None else int(v["imo"]), lang=lang)),
        ("callsign", _fmt(v.get("callsign"), lang=lang)),
        ("ship_type", ship_type),
        ("nav_status", t(ns_key, lang)),
        ("activity", t(v["activity"], lang)),
        ("sog", _fmt(v.get("sog"), " kn", 1, lang)),
        ("cog", _fmt(v.get("cog"), "°", 1, lang)),
        ("heading", _fmt(v.get("heading"), "°", 0, lang)),
        ("position", position),
        ("dimensions", dims),
        ("draught", _fmt(v.get("draught"), " m", 1, lang)),
        ("destination", _fmt(v.get("destination"), lang=lang)),
        ("eta", eta),
        ("ais_class", _fmt(v.get("ais_class"), lang=lang)),
        ("last_seen", age_text(now - v["last_seen"], lang)),
        ("source", v.get("source") or ""),
    ]
    return [
        *_card_head(v.get("name"), v["category"], lang),
        html.Dl([el for key, value in rows
                 for el in (html.Dt(t(key, lang)), html.Dd(value, className=f"field-{key}"))],
                className="card-fields"),
        *port_call_rows(call, tz, lang, berth_names or {}),
    ]


def source_banner(source, lang: str, tz: str = "UTC") -> list:
    """What the map is showing and from where: the replay's recording time (in the port's
    zone, as every time on the wall), pass and speed."""
    label = t(getattr(source, "label", source.source_id), lang)
    position = getattr(source, "position", None)
    if position is None:
        return [html.Span(label, className="source-label")]
    p = position()
    when, _ = port_time(p["recording_time"], tz)
    return [
        html.Span(label, className="source-label"),
        html.Span(when, className="source-time"),
        html.Span(t("replay_speed", lang, speed=p["speed"]), className="source-speed"),
        html.Span(t("replay_pass", lang, n=p["pass"]), className="source-pass"),
    ]


def clock(epoch: float, tz: str, lang: str) -> list:
    day_time, local = port_time(epoch, tz)
    return [html.Span(local, className="clock-local"),
            html.Span(f"{day_time[:10]} · {t('port_time', lang)}", className="clock-label")]


def hours_text(seconds, lang: str) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return t("not_available", lang)
    return t("hours", lang, h=seconds / 3600)


def port_panel(live: dict | None, history: dict | None, tz: str, lang: str,
               berth_names: dict | None = None, vessel_names: dict | None = None) -> list:
    """Port now (from the live port calls) and the loaded history's KPIs."""
    out = [html.Div(t("port_now", lang), className="panel-title")]
    if live is not None:
        queue = live["queue"]
        longest = ""
        if len(queue):
            first = queue.iloc[0]
            who = _vessel_label(int(first["mmsi"]), vessel_names or {})
            at_least = "≥ " if first.get("at_least") else ""
            longest = t("queue_longest", lang, who=f"{who} @ {first['anchorage']}",
                        h=f"{at_least}{first['waiting_s'] / 3600:.1f}")
        out.append(html.Div(className="port-now", children=[
            _tile(t("in_port", lang), live["in_port"]),
            _tile(t("at_berth_now", lang), live["at_berth"]),
            _tile(t("waiting_now", lang), live["at_anchor"], colour=theme.QUEUE),
            _tile(t("berths_occupied", lang), f"{live['at_berth']}/{live['berths_total']}"),
        ]))
        if longest:
            out.append(html.Div(longest, className="queue-note"))
    if history is None:
        out.append(html.Div(t("no_history", lang), className="panel-note"))
        return out
    k = history["kpis"]
    start = datetime.fromtimestamp(history["start"], ZoneInfo(tz)).strftime("%Y-%m-%d")
    end = datetime.fromtimestamp(history["end"], ZoneInfo(tz)).strftime("%Y-%m-%d")
    name = history["source"].split(":", 1)[-1]
    rows = [
        ("kpi_calls", str(k["calls"])),
        ("kpi_arrivals_day", _fmt(k["arrivals_per_day"], "", 1, lang)),
        ("kpi_wait_median", _hours_h(k["waiting_median_h"], lang)),
        ("kpi_wait_p90", _hours_h(k["waiting_p90_h"], lang)),
        ("kpi_berth_median", _hours_h(k["berth_time_median_h"], lang)),
        ("kpi_ship_days", t("days", lang, d=k["ship_days_per_call"])
         if k.get("ship_days_per_call") is not None else t("not_available", lang)),
    ]
    out += [
        html.Div(t("history_title", lang, start=start, end=end), className="panel-title history"),
        html.Dl([el for key, value in rows
                 for el in (html.Dt(t(key, lang)), html.Dd(value, className=f"field-{key}"))],
                className="card-fields port-kpis"),
        html.Div(t("top_occupancy", lang), className="panel-subtitle"),
        html.Ol([html.Li([html.Span(b["name"] or b["berth"], className="berth-name",
                                    title=b["name"] or b["berth"]),
                          html.Span(f"{b['occupancy']:.0%}", className="berth-occ")])
                 for b in history["top_berths"]], className="top-berths"),
        html.Div(t("history_source", lang, name=name), className="panel-note"),
    ]
    return out


def _hours_h(hours, lang: str) -> str:
    return t("not_available", lang) if hours is None else t("hours", lang, h=hours)


def port_call_rows(call: dict | None, tz: str, lang: str, berth_names: dict) -> list:
    """The vessel card's port-call section: stage, S-211 arrival, where and for how long."""
    if call is None:
        return [html.Div(t("not_in_port", lang), className="card-call-none")]
    arrived = port_time(call["arrival_port_area"], tz)[1]
    if not call["arrival_observed"]:
        arrived = t("arrival_not_seen", lang, t=arrived)
    rows = [("stage", t(f"stage_{call['stage']}", lang)), ("arrived_port_area", arrived)]
    if call.get("place_kind") == "berth":
        rows.append(("place_berth", berth_names.get(call["place"], call["place"])))
    elif call.get("place_kind") == "anchorage":
        rows.append(("place_anchorage", call["place"]))
    if call.get("place_s") is not None:
        rows.append(("time_here", hours_text(call["place_s"], lang)))
    if call.get("waiting_s") is not None:
        rows.append(("waiting_so_far", hours_text(call["waiting_s"], lang)))
    rows.append(("in_port_so_far", hours_text(call["in_port_s"], lang)))
    return [html.Div(t("port_call", lang), className="card-kicker card-call"),
            html.Dl([el for key, value in rows
                     for el in (html.Dt(t(key, lang)), html.Dd(value, className=f"field-{key}"))],
                    className="card-fields")]


# ---- hydro-met -----------------------------------------------------------------------------
def hydromet_panel(stations: list[dict], curve: dict | None, now: float, lang: str) -> list:
    """Water and weather at each station now, and the tide curve of the first station:
    predicted (line) and observed (dots). Empty slots stay empty: no source, no value."""
    rows = [html.Div(t("hydromet_title", lang), className="panel-title")]
    table = []
    for s in stations:
        level, kind = (s["observed_m"], "obs") if s["observed_m"] is not None else \
            (s["predicted_m"], "pred")
        table.append(html.Li(className="hm-row", children=[
            html.Span(s["name"], className="berth-name", title=s["name"]),
            html.Span(t("hm_level", lang, v=level, k=t(f"hm_{kind}", lang))
                      if level is not None else "—", className="hm-level"),
            html.Span(t("hm_wind", lang, v=s["wspeed_kn"]) if s["wspeed_kn"] is not None
                      else t("hm_wind_none", lang), className="hm-wind"),
            html.Span(t("hm_vis", lang, v=s["visibility_nm"]) if s["visibility_nm"] is not None
                      else t("hm_vis_none", lang), className="hm-vis"),
        ]))
    rows.append(html.Ul(table, className="top-berths hm-list"))
    if curve and curve.get("predicted"):
        rows.append(html.Img(src=tide_curve_svg(curve, now), className="tide-curve",
                             alt=t("hm_curve", lang, name=curve["name"])))
        rows.append(html.Div(t("hm_curve", lang, name=curve["name"]), className="panel-note"))
    return rows


def tide_curve_svg(curve: dict, now: float, width: int = 320, height: int = 90) -> str:
    """The tide curve as a small SVG (a data URI: no script, nothing fetched)."""
    import base64
    times, pred = curve["times"], curve["predicted"]
    obs_t, obs = curve.get("observed_times", []), curve.get("observed", [])
    lo = min(pred + obs) - 0.1
    hi = max(pred + obs) + 0.1
    t0, t1 = times[0], times[-1]

    def x(tv):
        return 4 + (tv - t0) / (t1 - t0) * (width - 8)

    def y(v):
        return height - 12 - (v - lo) / (hi - lo) * (height - 20)
    path = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(times, pred))
    dots = "".join(f'<circle cx="{x(a):.1f}" cy="{y(b):.1f}" r="1.6" fill="#ffd740"/>'
                   for a, b in zip(obs_t, obs))
    zero = f'<line x1="4" x2="{width - 4}" y1="{y(0):.1f}" y2="{y(0):.1f}" ' \
           'stroke="#3d5166" stroke-dasharray="3,3"/>' if lo < 0 < hi else ""
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
           f'{zero}<polyline points="{path}" fill="none" stroke="#40c4ff" stroke-width="2"/>'
           f'{dots}<line x1="{x(now):.1f}" x2="{x(now):.1f}" y1="2" y2="{height - 10}" '
           f'stroke="#ffffff" stroke-width="1"/>'
           f'<text x="4" y="{height - 1}" fill="#8aa1b5" font-size="9">−12 h</text>'
           f'<text x="{width - 30}" y="{height - 1}" fill="#8aa1b5" font-size="9">+12 h</text>'
           f'<text x="{x(now) + 3:.1f}" y="10" fill="#ffffff" font-size="9">'
           f'{pred[len(pred) // 2]:.2f} m</text></svg>')
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


# ---- alerts ------------------------------------------------------------------------------
SILENCE_MINUTES = 30


def _subject_label(a, names: dict) -> str:
    """Who or what an alert is about: a vessel, else its station, radar track or plan."""
    if a.mmsi is not None:
        return _vessel_label(a.mmsi, names)
    d = a.details
    if d.get("station_name"):
        return d["station_name"]
    if d.get("target"):
        return f"radar {d['target']}"
    if d.get("plan_id"):
        return f"{d.get('vessel') or ''} ({d['plan_id']})".strip()
    return a.subject()


def _vessel_label(mmsi: int, names: dict) -> str:
    name = names.get(mmsi)
    return f"{name} ({mmsi})" if name else str(mmsi)


def alert_summary(a, lang: str, tz: str, names: dict, berths: dict | None = None) -> str:
    """One line: what the rule found, with the figures that matter to an operator — ships
    and berths by name (an operator does not read "0Y7Y occupied by 367353660")."""
    d = a.details
    berths = berths or {}
    berth = d.get("berth")
    berth = (berths.get(berth) or berth) if berth is not None else None
    occupant = d.get("occupant")
    if isinstance(occupant, int):
        occupant = _vessel_label(occupant, names)
    parts = []
    if a.other_mmsi is not None:
        parts.append(t("alert_with", lang, other=_vessel_label(a.other_mmsi, names)))
    if a.rule == "collision_risk":
        parts.append(t("alert_cpa", lang, cpa=d.get("cpa_m"), tcpa=_minutes(d.get("tcpa_s"))))
    elif a.rule == "close_quarters":
        parts.append(t("alert_distance", lang, d=d.get("distance_m")))
    elif a.rule in ("zone_entry", "zone_speed"):
        parts.append(d.get("zone_name") or d.get("zone") or "")
        if a.rule == "zone_speed":
            parts.append(t("alert_speed", lang, sog=_fmt(d.get("sog")), limit=d.get("limit_kn")))
    elif a.rule == "ais_gap":
        parts.append(t("alert_silent", lang, t=port_time(d["last_report"], tz)[1]
                       if d.get("last_report") else "—"))
    elif a.rule == "position_jump":
        parts.append(t("alert_jump", lang, d=f"{(d.get('distance_m') or 0) / 1000:.1f}",
                       s=d.get("dt_s")))
    elif a.rule == "anchor_drag":
        parts.append(t("alert_drag", lang, d=d.get("distance_m"), r=d.get("radius_m")))
    elif a.rule == "identity":
        parts.append(t("alert_invalid_mmsi", lang) if d.get("reason") == "invalid_mmsi" else
                     t("alert_two_positions", lang,
                       d=f"{(d.get('distance_m') or 0) / 1000:.1f}"))
    elif a.rule == "unauthorised_anchoring":
        parts.append(t("alert_stopped_since", lang, t=port_time(a.start, tz)[1]))
    elif a.rule == "distress":
        parts.append(t("ns_ais_sart", lang))
    elif a.rule == "unidentified_track":
        parts.append(t("alert_dark", lang, zone=d.get("zone_name") or d.get("zone"),
                       sim=t("simulated", lang) if d.get("simulated") else ""))
    elif a.rule == "ukc":
        parts.append(t("alert_ukc", lang, ukc=d.get("ukc_m"), limit=d.get("limit_m"),
                       draught=d.get("draught_m"), level=d.get("water_level_m"),
                       k=t(f"hm_{'obs' if d.get('level_kind') == 'observed' else 'pred'}",
                           lang)))
    elif a.rule == "wind_limit":
        parts.append(t("alert_wind", lang, v=d.get("wind_kn"), limit=d.get("limit_kn")))
    elif a.rule == "low_visibility":
        parts.append(t("alert_vis", lang, v=d.get("visibility_nm"), limit=d.get("limit_nm")))
    elif a.rule == "extreme_water":
        parts.append(t("alert_water", lang, v=d.get("water_level_m")))
    elif a.rule in ("late_arrival", "early_arrival", "overstay", "berth_conflict"):
        parts.append(t(f"alert_{a.rule}" if a.rule != "berth_conflict"
                       else f"alert_{d.get('kind')}", lang, berth=berth,
                       late=d.get("late_min"), early=d.get("early_min"),
                       over=d.get("over_min"), other=d.get("other_vessel") or
                       d.get("other_plan"), occupant=occupant))
        if d.get("sample"):
            parts.append(t("plan_sample", lang))
    return " · ".join(p for p in parts if p)


def _minutes(seconds) -> str:
    if seconds is None:
        return "—"
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def alert_ticker(alerts: list, lang: str, tz: str, names: dict,
                 berths: dict | None = None) -> list:
    """The most urgent alert still to be acknowledged, large, and how many more wait."""
    if not alerts:
        return [html.Span(t("alerts_none", lang), className="ticker-calm")]
    a = alerts[0]
    more = f" +{len(alerts) - 1}" if len(alerts) > 1 else ""
    return [html.Span(t(a.severity, lang), className=f"sev sev-{a.severity}"),
            html.Span(port_time(a.start, tz)[1][:5], className="ticker-time"),
            html.Span(t(f"rule_{a.rule}", lang), className="ticker-rule"),
            html.Span(_subject_label(a, names), className="ticker-vessel"),
            html.Span(alert_summary(a, lang, tz, names, berths), className="ticker-detail"),
            html.Span(more, className="ticker-more")]


def alert_list(alerts: list, silenced: set, lang: str, tz: str, names: dict,
               can_act: bool = True, berths: dict | None = None) -> list:
    """Open alerts, most severe and newest first, each with acknowledge / silence / show
    (acknowledge and silence only for a role that may: not on a wall screen's login)."""
    acked = sum(a.acked for a in alerts)
    rows = [html.Div(t("alerts_open", lang, n=len(alerts), u=len(alerts) - acked),
                     className="panel-subtitle")]
    for a in alerts:
        state = []
        if a.acked:
            state.append(t("alert_acked", lang, who=a.acked_by))
        if a.alert_id in silenced:
            state.append(t("alert_silenced", lang))
        rows.append(html.Li(key=a.alert_id,          # React keeps each row's element
                            className=f"alert-row sev-{a.severity}"
                            + (" acked" if a.acked else ""), children=[
            html.Div(className="alert-head", children=[
                html.Span(port_time(a.start, tz)[1][:5], className="alert-time"),
                html.Span(t(f"rule_{a.rule}", lang), className="alert-rule"),
                html.Span(t("alert_repeats", lang, n=a.occurrences) if a.occurrences > 1
                          else "", className="alert-repeats"),
            ]),
            html.Button(_subject_label(a, names), className="alert-vessel",
                        title=t("alert_go", lang), n_clicks=0,
                        id={"type": "alert-go", "index": a.alert_id}),
            html.Div(alert_summary(a, lang, tz, names, berths), className="alert-detail"),
            html.Div(" · ".join(state), className="alert-state"),
            html.Div(className="alert-actions", children=[
                html.Button(t("alert_ack", lang), n_clicks=0, disabled=a.acked,
                            id={"type": "alert-ack", "index": a.alert_id}),
                html.Button(t("alert_silence", lang, m=SILENCE_MINUTES), n_clicks=0,
                            id={"type": "alert-silence", "index": a.alert_id}),
            ] if can_act else []),
        ]))
    return [html.Ul(rows, className="alert-rows")]


# ---- the vessels page's status card --------------------------------------------------------
S211_EVENTS = (("arrival_port_area", "s211_ata_port"), ("anchorage_arrival", "s211_ata_anch"),
               ("anchorage_departure", "s211_atd_anch"), ("berth_arrival", "s211_atb"),
               ("berth_departure", "s211_atd_berth"), ("port_area_departure", "s211_atd_port"))


def _dl(rows: list[tuple[str, str, str]]) -> html.Dl:
    """(css key, label, value) rows as a definition list."""
    return html.Dl([el for key, label, value in rows
                    for el in (html.Dt(label), html.Dd(value, className=f"field-{key}"))],
                   className="card-fields")


def status_card(detail: dict | None, tz: str, lang: str, track_points: int = 0) -> list:
    """Where a ship is in its port call: AIS data, stage with its S-211 timestamps, berth,
    waiting, destination/ETA, UKC with the tide and wind at the berth, the CO₂ estimate."""
    from .i18n import fmt_number, fmt_time
    if detail is None:
        return [html.P(t("vessel_gone", lang), className="card-empty")]
    v, call, cond = detail["vessel"], detail["port_call"], detail["conditions"]
    na = t("not_available", lang)
    ns = v.get("nav_status")
    ns_key = "ns_none" if ns is None else f"ns_{NAV_STATUS.get(int(ns), 'reserved')}"
    category = v.get("category") or ship_category(v.get("ship_type"), v["mmsi"])
    ident = [("mmsi", t("mmsi", lang), str(v["mmsi"])),
             ("imo", t("imo", lang), str(v["imo"]) if v.get("imo") else na),
             ("callsign", t("callsign", lang), v.get("callsign") or na),
             ("ship_type", t("ship_type", lang), t(category, lang)),
             ("nav_status", t("nav_status", lang), t(ns_key, lang)),
             ("sog", t("sog", lang), _fmt(v.get("sog"), " kn", 1, lang)),
             ("destination", t("destination", lang), v.get("destination") or na),
             ("eta", t("eta", lang), fmt_time(v.get("eta"), tz, lang)),
             ("last_seen", t("last_seen", lang), fmt_time(v.get("last_seen"), tz, lang))]
    out = [*_card_head(v.get("name"), category, lang),
           *([html.P(t("not_live", lang), className="card-not-live")]
             if v.get("live") is False else []),
           _dl(ident)]
    # the port call
    if call is None:
        out.append(html.Div(t("not_in_port", lang), className="card-call-none"))
    else:
        stage = [("stage", t("stage", lang), t(f"stage_{call['stage']}", lang))]
        if call.get("place_kind") == "berth":
            stage.append(("place_berth", t("place_berth", lang),
                          call.get("berth_name") or call["place"]))
        elif call.get("place_kind") == "anchorage":
            stage.append(("place_anchorage", t("place_anchorage", lang), call["place"]))
        if call.get("waiting_s"):
            stage.append(("waiting_so_far", t("waiting_so_far", lang),
                          hours_text(call["waiting_s"], lang)))
        if call.get("place_s") is not None:
            stage.append(("time_here", t("time_here", lang), hours_text(call["place_s"], lang)))
        events = [(key, t(label, lang), fmt_time(call.get(key), tz, lang)
                   + ("" if key != "arrival_port_area" or call.get("arrival_observed")
                      else " " + t("already_there", lang)))
                  for key, label in S211_EVENTS if call.get(key) is not None]
        out += [html.Div(t("port_call", lang), className="card-kicker card-call"), _dl(stage),
                html.Div(t("s211_title", lang), className="card-subtitle"),
                _dl(events)]
        e = call.get("emissions") or {}
        co2 = (t("co2_value", lang, v=fmt_number(e["co2_t"], lang, 1))
               if e.get("co2_t") is not None else t("co2_unknown", lang))
        out += [html.Div(t("co2_title", lang), className="card-subtitle"),
                html.Div([html.Span(co2, className="field-co2"),
                          html.Span(t("estimate_label", lang), className="estimate-badge")],
                         className="co2-line")]
    # water and weather at the berth
    plan = detail.get("plan")
    water = cond.get("water_level_m")
    kind = t("hm_obs" if cond.get("water_level_kind") == "observed" else "hm_pred", lang)
    level = f"{fmt_number(water, lang, 2)} m ({kind})" if water is not None else na
    env = [("depth", t("berth_depth", lang),
            f"{fmt_number(cond['depth_m'], lang, 1)} m" if cond.get("depth_m") else na),
           ("draught", t("draught", lang),
            f"{fmt_number(cond['draught_m'], lang, 1)} m" if cond.get("draught_m") else na),
           ("water", t("water_level", lang), level),
           ("ukc", t("ukc", lang),
            f"{fmt_number(cond['ukc_m'], lang, 2)} m" if cond.get("ukc_m") is not None else na),
           ("wind", t("wind", lang),
            f"{fmt_number(cond['wind_kn'], lang, 0)} kn" if cond.get("wind_kn") is not None
            else t("no_observation", lang))]
    out += [html.Div(t("at_berth_conditions", lang), className="card-subtitle"), _dl(env)]
    out += plan_rows(plan, tz, lang)
    out.append(html.Div(t("track_note", lang, n=track_points), className="panel-note"))
    return out


def plan_rows(plan: dict | None, tz: str, lang: str) -> list:
    """A card's berth-plan section (nothing when the vessel has no plan entry)."""
    if plan is None:
        return []
    na = t("not_available", lang)
    return [html.Div(t("plan_title", lang) + (f" ({t('plan_sample', lang)})"
                                              if plan.get("sample") else ""),
                     className="card-subtitle"),
            _dl([("plan_berth", t("place_berth", lang), plan.get("berth_name")
                  or plan.get("berth") or na),
                 ("plan_eta", t("eta", lang), fmt_time(plan.get("eta"), tz, lang)),
                 ("plan_etd", t("etd", lang), fmt_time(plan.get("etd"), tz, lang))])]


def not_live_card(detail: dict, tz: str, lang: str) -> list:
    """The wall's card of a vessel that is not in the live picture — an alert's ship that
    has not arrived yet (a late arrival) or has gone quiet: what the store and the berth plan
    know of it, said to be that (``TwinQuery.not_live``)."""
    v, last = detail["vessel"], detail.get("last_position")
    na = t("not_available", lang)
    category = ship_category(v.get("ship_type"), v["mmsi"])
    rows = [("mmsi", t("mmsi", lang), str(v["mmsi"])),
            ("imo", t("imo", lang), str(v["imo"]) if v.get("imo") else na),
            ("callsign", t("callsign", lang), v.get("callsign") or na),
            ("ship_type", t("ship_type", lang),
             _ship_type_text(category, v.get("ship_type"), lang)),
            ("destination", t("destination", lang), v.get("destination") or na)]
    if last is not None:
        rows += [("last_position", t("last_position", lang),
                  _position_text(last["lat"], last["lon"])),
                 ("last_seen", t("last_seen", lang), fmt_time(last["ts"], tz, lang))]
    else:
        rows.append(("last_seen", t("last_seen", lang), t("never_seen", lang)))
    return [*_card_head(v.get("name"), category, lang),
            html.P(t("not_live", lang), className="card-not-live"),
            _dl(rows), *plan_rows(detail.get("plan"), tz, lang)]


# ---- the wall's berth timeline and anchorage queue -------------------------------------------
def berth_timeline(tl: dict, tz: str, lang: str) -> list:
    """Per berth, a bar row over [now − 12 h, now + 24 h]: occupied (solid, actual stays) and
    planned (outline, the berth plan; dashed for the sample plan); a line at now. HTML, not an
    image: it is drawn in the page's own font (an image cannot use it: Chinese names were
    boxes on a screen without a system CJK font) and scales with the wall's type."""
    from .i18n import fmt_time
    span = tl["end"] - tl["start"]

    def pct(ts) -> float:
        return max(0.0, min(100.0, (ts - tl["start"]) / span * 100))

    def bar(kind: str, frm, to, who) -> html.Span:
        left = pct(frm)
        return html.Span(className=f"tl-bar tl-{kind}", title=str(who),
                         style={"left": f"{left:.2f}%",
                                "width": f"{max(0.6, pct(to) - left):.2f}%"})
    ticks = [html.Span(fmt_time(tl["now"] + h * 3600, tz, lang, with_date=False),
                       className="tl-tick", style={"left": f"{pct(tl['now'] + h * 3600):.2f}%"})
             for h in range(-12, 25, 12)]
    now_line = html.Span(className="tl-now", style={"left": f"{pct(tl['now']):.2f}%"})
    rows = [html.Div(className="tl-row tl-head", children=[
        html.Span(className="tl-label"), html.Div(ticks, className="tl-track")])]
    for b in tl["berths"]:
        name = b["name"] or b["berth"]
        rows.append(html.Div(className="tl-row", children=[
            html.Span(name, className="tl-label", title=name),
            html.Div(className="tl-track", children=[
                *[bar("planned-sample" if p["sample"] else "planned", p["from"], p["to"],
                      p["vessel"]) for p in b["planned"]],
                *[bar("actual", a["from"], a["to"], a["vessel"]) for a in b["actual"]],
                now_line])]))
    return [html.Div(t("berth_timeline", lang), className="panel-title"),
            html.Div(rows, className="timeline", role="img",
                     **{"aria-label": t("berth_timeline", lang)})]


def queue_panel(rows: list[dict], lang: str) -> list:
    out = [html.Div(t("anchorage_queue", lang), className="panel-title")]
    if not rows:
        return out + [html.Div(t("queue_empty", lang), className="panel-note")]
    out.append(html.Ol([html.Li([html.Span(r["name"] or str(r["mmsi"]), className="q-name",
                                           title=r["name"] or str(r["mmsi"])),
                                 html.Span(r["anchorage"], className="q-anch"),
                                 html.Span(("≥ " if r.get("at_least") else "")
                                           + hours_text(r["waiting_s"], lang), className="q-wait",
                                           title=t("wait_at_least", lang)
                                           if r.get("at_least") else None)])
                        for r in rows[:8]], className="queue-list"))
    return out


def stale_banner(statuses: list[dict], lang: str):
    """The first feed that should be live and is stale, in words; None when all are fresh.
    A slot's error (a file that cannot be used) is a row of the feed panel, not a link down."""
    for s in statuses:
        if s.get("error") and "rate_per_s" not in s:
            continue
        if s.get("state") in ("reconnecting", "failed"):
            since = s.get("connection_since") or time.time()
            return t("link_banner", lang, what=t(s.get("label") or s.get("source_id"), lang),
                     age=age_text(max(0.0, time.time() - since), lang))
        if s.get("state") == "stale":
            return t("stale_banner", lang, what=t(s.get("label") or s.get("source_id"), lang),
                     age=age_text(s.get("last_message_age_s"), lang))
    return None


# ---- forecast ------------------------------------------------------------------------------
def forecast_panel(view: dict | None, tz: str, lang: str) -> list:
    """The next 24 h (labelled FORECAST): expected arrivals per hour with the 80 % band, and
    the congestion windows as guidance (twin/forecast_live.py)."""
    out = [html.Div([t("forecast_title", lang),
                     html.Span(t("forecast_tag", lang), className="fc-tag")],
                    className="panel-title")]
    status = (view or {}).get("status", "no_model")
    if not view or not view.get("hours"):
        return out + [html.Div(t(f"forecast_{status}", lang), className="panel-note")]
    hours = view["hours"]
    total = sum(h["expected"] for h in hours)
    var = sum(((h["high"] - h["expected"]) / 1.2816) ** 2 for h in hours)
    low, high = max(0.0, total - 1.2816 * var ** 0.5), total + 1.2816 * var ** 0.5
    out.append(html.Div(t("forecast_arrivals", lang, n=f"{total:.0f}", low=f"{low:.0f}",
                          high=f"{high:.0f}"), className="fc-total"))
    top = max(1.0, max(h["high"] for h in hours))
    bars = []
    for k, h in enumerate(hours):
        at = fmt_time(h["start"], tz, lang, with_date=False)
        bars.append(html.Div(className="fc-bar", title=t(
            "forecast_hour", lang, t=at, n=f"{h['expected']:.1f}", low=f"{h['low']:.1f}",
            high=f"{h['high']:.1f}"), children=[
                html.I(className="fc-band", style={
                    "bottom": f"{100 * h['low'] / top:.0f}%",
                    "height": f"{100 * (h['high'] - h['low']) / top:.0f}%"}),
                html.I(className="fc-mean", style={"height": f"{100 * h['expected'] / top:.0f}%"}),
                html.Span(at, className="fc-hour") if k % 6 == 0 else None]))
    out.append(html.Div(bars, className="fc-bars"))
    windows = view.get("windows") or []
    if not windows:
        out.append(html.Div(t("forecast_no_congestion", lang), className="panel-note"))
    for w in windows[:3]:
        name = w["name"] or t("berths_other", lang)
        what = t("anchorage_named" if w["kind"] == "anchorage" and not
                 str(name).lower().startswith("anchorage") else "place_named", lang, name=name)
        out.append(html.Div(t("forecast_busy", lang, what=what,
                              start=fmt_time(w["start"], tz, lang, with_date=False),
                              end=fmt_time(w["end"], tz, lang, with_date=False),
                              n=f"{w['peak']:.0f}", usual=f"{w['usual']:.0f}"),
                            className="fc-window"))
    return out


def forecast_rows(fc: dict | None, tz: str, lang: str) -> list:
    """The vessel card's FORECAST section: its next stay, when (with the 80 % interval), how
    likely; or why there is none."""
    if fc is None:
        return []
    head = html.Div([t("forecast_next_stay", lang),
                     html.Span(t("forecast_tag", lang), className="fc-tag")],
                    className="card-kicker card-forecast")
    if fc.get("status") != "ready":
        return [head, html.Div(t(f"forecast_{fc.get('status', 'no_model')}", lang),
                               className="card-call-none")]
    if fc.get("in_stay"):
        return [head, html.Div(t("forecast_in_stay", lang), className="card-call-none")]
    if fc.get("mid") is None:
        why = fc.get("why") if fc.get("why") in ("silent", "stopped") else "unknown"
        return [head, html.Div(t(f"forecast_not_now_{why}", lang), className="card-call-none")]
    come = 1.0 - fc["p_none"]
    kind_key = "forecast_berthing" if fc["kind"] == "berth" else "forecast_anchoring"
    p_kind = fc["p_berth"] if fc["kind"] == "berth" else fc["p_anchorage"]
    rows = [(kind_key, fmt_time(fc["eta"], tz, lang)),
            ("forecast_interval", f"{fmt_time(fc['eta_low'], tz, lang, with_date=False)}–"
                                  f"{fmt_time(fc['eta_high'], tz, lang, with_date=False)}"),
            ("forecast_chance", t("forecast_chance_value", lang, p=f"{100 * p_kind:.0f}",
                                  come=f"{100 * come:.0f}"))]
    return [head, html.Dl([el for key, value in rows
                           for el in (html.Dt(t(key, lang)),
                                      html.Dd(value, className=f"field-{key}"))],
                          className="card-fields")]
