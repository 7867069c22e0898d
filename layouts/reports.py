"""The reports page (leadership): one period's KPIs against the previous period and the year
before, occupancy, TEU by month, alerts by rule, the scorecard; PDF and Excel exports.
Figures come from ``twin.reports.build_report``; here they are only formatted."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dash_ag_grid as dag
import plotly.graph_objects as go
from dash import dcc, html

from twin.reports import default_anchor

from . import ids
from .common import page_header
from .i18n import fmt_date, fmt_number, fmt_percent, grid_locale, t

HOURS_KPIS = ("waiting_median_h", "berth_time_median_h")
# a rise is good news for these, bad news for the others
RISE_IS_GOOD = {"arrivals", "vessels_in_port", "terminal_occupancy"}


def kpi_text(key: str, value, lang: str) -> str:
    if value is None:
        return t("r_no_data", lang)
    if key in HOURS_KPIS:
        return t("hours", lang, h=value)
    if key == "terminal_occupancy":
        return fmt_percent(value, lang, 1)
    if key == "vessels_in_port":
        return fmt_number(value, lang, 1)
    if key == "co2_t":
        return t("co2_value", lang, v=fmt_number(value, lang, 0))
    return fmt_number(value, lang, 0)


def change_text(change, lang: str) -> str:
    if change is None:
        return "—"
    return ("+" if change >= 0 else "") + fmt_percent(change, lang, 1)


def source_label(source: dict, lang: str) -> str:
    if source["kind"] == "history":
        return t("r_source_history", lang, name=source["source"].split(":", 1)[-1])
    return t("r_source_live", lang)


def teu_title(report: dict, lang: str) -> str:
    """The TEU chart's title, naming the port's own publisher (never another port's)."""
    source = (report.get("teu_source") or {}).get(lang)
    return t("r_teu_by", lang, source=source) if source else t("r_teu_plain", lang)


def period_label(report: dict, lang: str) -> str:
    tz = report["timezone"]
    return t("r_period_label", lang, start=fmt_date(report["start"], tz, lang),
             end=fmt_date(report["end"] - 1, tz, lang), tz=tz)


def layout(port, config, lang: str, query) -> html.Div:
    sources = query.sources()
    default = sources[0] if sources else None
    tz = ZoneInfo(port.timezone)
    date = (datetime.fromtimestamp(default_anchor(query, default["source"]), tz).date()
            .isoformat() if default else None)
    return html.Div(className="page reports-page", children=[
        page_header(port, lang, "/reports", "nav_reports"),
        html.Section(className="report-controls", children=[
            html.Label([t("r_source", lang), dcc.Dropdown(
                id=ids.R_SOURCE, clearable=False, value=default["source"] if default else None,
                options=[{"label": source_label(s, lang), "value": s["source"]}
                         for s in sources])], className="control"),
            html.Label([t("r_period", lang), dcc.RadioItems(
                id=ids.R_PERIOD, value="week", inline=True,
                options=[{"label": t(f"r_{p}", lang), "value": p}
                         for p in ("day", "week", "month")])], className="control"),
            html.Label([t("r_date", lang), dcc.DatePickerSingle(
                id=ids.R_DATE, date=date, display_format="YYYY-MM-DD",
                placeholder=t("r_pick_date", lang),
                first_day_of_week=1)], className="control"),
            html.Div(className="report-exports", children=[
                html.Button(t("r_export_pdf", lang), id=ids.R_PDF, n_clicks=0),
                html.Button(t("r_export_xlsx", lang), id=ids.R_XLSX, n_clicks=0),
                html.Span([html.I(className="spinner"), t("r_building", lang)],
                          id=ids.R_PROGRESS, className="report-progress", hidden=True),
                dcc.Download(id=ids.R_DOWNLOAD),
            ]),
        ]),
        dcc.Loading(html.Main(id=ids.R_BODY, className="report-body"), type="dot",
                    color="#40a0c8"),
    ])


def body(report: dict, lang: str) -> list:
    cards = []
    for k in report["kpis"]:
        trend = []
        for label, key in (("r_vs_prev", "vs_previous"), ("r_vs_yoy", "vs_year_before")):
            c = k[key]
            good = None if c is None else (c >= 0) == (k["key"] in RISE_IS_GOOD)
            trend.append(html.Div([html.Span(t(label, lang) + " "),
                                   html.Span(change_text(c, lang),
                                             className="trend " + ("" if good is None else
                                                                   "good" if good else "bad"))]))
        cards.append(html.Div(className=f"report-kpi kpi-{k['key']}"
                              + (" partial" if report.get("partial") else ""), children=[
            html.Div(t(f"kpi_{k['key']}", lang), className="kpi-label"),
            html.Div(kpi_text(k["key"], k["value"], lang), className="kpi-value"),
            *trend]))
    f = report["figures"]
    sc = report["scorecard"]
    score_rows = [html.Div(className="score score-total", children=[
        html.Span(t("r_score_total", lang)),
        html.Span(fmt_number(sc["total"], lang, 0) if sc["total"] is not None else "—",
                  className="score-value")])]
    for dim in ("capacity", "efficiency", "safety", "service"):
        v = sc["scores"][dim]
        score_rows.append(html.Div(className=f"score score-{dim}", children=[
            html.Span(t(f"r_score_{dim}", lang)),
            html.Span(t("r_weight", lang, w=sc["weights"][dim]), className="score-weight"),
            html.Div(html.Div(style={"width": f"{v or 0:.0f}%"}, className="bar-fill"),
                     className="bar"),
            html.Span(fmt_number(v, lang, 0) if v is not None else "—",
                      className="score-value")]))
    terminals = [{"terminal": r["terminal"], "berths": r["berths"],
                  "occupancy": fmt_percent(r["occupancy"], lang, 1)}
                 for r in report["terminals"][:15]]
    berths = [{"berth": r.get("name") or r["berth"], "visits": r["visits"],
               "occupancy": fmt_percent(r["occupancy"], lang, 1)}
              for r in report["berths"][:15]]
    alerts = [{"rule": t(f"rule_{r['rule']}", lang), "alerts": r["alerts"]}
              for r in report["alerts_by_rule"]]
    partial = []
    if report.get("partial"):
        c = report["coverage"]["current"]
        days = (report["end"] - report["start"]) / 86400
        partial = [html.Div(t("r_partial", lang, pct=fmt_percent(c, lang, 0), have=c * days,
                              days=days), className="report-partial", role="status")]
    return [
        html.H2(period_label(report, lang), className="report-period"),
        *partial,
        html.Section(cards, className="report-kpis"),
        html.Div(t("r_co2_note", lang, n=f["co2_calls"], m=f["calls_counted"]) + " "
                 + t("estimate_label", lang), className="panel-note"),
        html.Section(className="report-grid", children=[
            html.Div(className="report-card scorecard", children=[
                html.H3(t("r_scorecard", lang)), *score_rows,
                html.Div(t("r_scorecard_note", lang), className="panel-note")]),
            html.Div(className="report-card report-daily", children=[
                html.H3(t("r_daily", lang)),
                dcc.Graph(figure=daily_figure(report.get("daily") or [], lang),
                          config={"displayModeBar": False}, style={"height": "320px"}),
                html.Div(t("r_day_partial", lang), className="panel-note")]),
            html.Div(className="report-card report-forecast", children=[
                html.H3([t("r_forecast", lang), " ",
                         html.Span(t("forecast_tag", lang), className="fc-tag")]),
                *([dcc.Graph(figure=forecast_figure(report.get("forecast"),
                                                    report["timezone"], lang),
                             config={"displayModeBar": False}, style={"height": "260px"})]
                  if (report.get("forecast") or {}).get("n") else []),
                *[html.Div(line, className="panel-note") for line in
                  forecast_summary(report.get("forecast"), lang)]]),
            html.Div(className="report-card", children=[
                html.H3(teu_title(report, lang)),
                *teu_note(report, lang),
                dcc.Graph(figure=teu_figure(report["teu_by_month"], lang),
                          config={"displayModeBar": False}, style={"height": "260px"})]),
            html.Div(className="report-card", children=[
                html.H3(t("r_occupancy_terminal", lang)),
                _grid("r-grid-terminals", terminals, [("terminal", "r_col_terminal", 2),
                                                      ("berths", "r_col_berths", 1),
                                                      ("occupancy", "r_col_occupancy", 1)],
                      lang)]),
            html.Div(className="report-card", children=[
                html.H3(t("r_occupancy_berth", lang)),
                _grid("r-grid-berths", berths, [("berth", "r_col_berth", 3),
                                                ("visits", "r_col_visits", 1),
                                                ("occupancy", "r_col_occupancy", 1)], lang)]),
            html.Div(className="report-card", children=[
                html.H3(t("r_alerts_by_rule", lang)),
                _grid("r-grid-alerts", alerts, [("rule", "r_col_rule", 3),
                                                ("alerts", "r_col_count", 1)], lang)]),
        ]),
    ]


def _grid(grid_id, rows, cols, lang):
    return dag.AgGrid(id=grid_id, rowData=rows, className="report-table",
                      columnDefs=[{"field": f, "headerName": t(k, lang), "flex": w}
                                  for f, k, w in cols],
                      dashGridOptions={"domLayout": "autoHeight",
                                       "localeText": grid_locale(lang, "r_no_data")})


DAILY_SERIES = (("arrivals", "kpi_arrivals", "bar"),
                ("waiting_median_h", "kpi_waiting_median_h", "line"),
                ("berth_time_median_h", "kpi_berth_time_median_h", "line"),
                ("terminal_occupancy", "kpi_terminal_occupancy", "line"))


def daily_figure(days: list[dict], lang: str) -> go.Figure:
    """The period day by day (``twin.reports.daily_figures``): four small charts, a day
    with partial data drawn lighter."""
    from plotly.subplots import make_subplots
    fig = make_subplots(rows=2, cols=2, subplot_titles=[t(k, lang) for _, k, _ in DAILY_SERIES],
                        vertical_spacing=0.3, horizontal_spacing=0.1)
    x = [d["day"][5:] if len(days) > 1 else d["day"] for d in days]      # MM-DD
    opacity = [1.0 if d["coverage"] >= 0.999 else 0.4 for d in days]
    for i, (key, label, kind) in enumerate(DAILY_SERIES):
        y = [d[key] for d in days]
        if key == "terminal_occupancy":
            y = [None if v is None else v * 100 for v in y]
        trace = (go.Bar(x=x, y=y, marker=dict(color="#40a0c8", opacity=opacity))
                 if kind == "bar" else
                 go.Scatter(x=x, y=y, mode="lines+markers", connectgaps=False,
                            line=dict(color="#43d17a"), marker=dict(opacity=opacity)))
        trace.name = t(label, lang)
        fig.add_trace(trace, row=i // 2 + 1, col=i % 2 + 1)
    fig.update_layout(template="plotly_dark", paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)", showlegend=False,
                      margin=dict(l=40, r=10, t=30, b=30), font=dict(size=11))
    fig.update_yaxes(title_text="h", row=1, col=2)
    fig.update_yaxes(title_text="h", row=2, col=1)
    fig.update_yaxes(title_text="%", row=2, col=2)
    fig.update_xaxes(type="category", tickangle=0, tickfont=dict(size=9), nticks=8)
    fig.update_annotations(font_size=12)
    return fig


def forecast_summary(fc: dict | None, lang: str) -> list[str]:
    """The forecast-against-outcome figures in words (page and PDF): the summary and how
    each hour's forecast was chosen; or that none was recorded."""
    if not fc or not fc.get("n"):
        return [t("r_forecast_none", lang)]
    lead = sum(h["lead_min"] for h in fc["hours"]) / fc["n"]
    return [t("r_forecast_summary", lang, n=fc["n"], expected=fmt_number(fc["expected"], lang, 0),
              actual=fmt_number(fc["actual"], lang, 0),
              mae=fmt_number(fc["mae_per_hour"], lang, 1),
              held=fmt_percent(fc["coverage"], lang, 0)),
            t("r_forecast_note", lang, lead=fmt_number(lead, lang, 0))]


def forecast_figure(fc: dict | None, tz: str, lang: str) -> go.Figure:
    """Hour by hour: the stays that began (bars) against the forecast (line) and its 80 %
    band (shaded)."""
    hours = (fc or {}).get("hours") or []
    zone = ZoneInfo(tz)
    x = [datetime.fromtimestamp(h["start"], zone).strftime("%m-%d %H:%M") for h in hours]
    fig = go.Figure([
        go.Scatter(x=x, y=[h["high"] for h in hours], mode="lines", line=dict(width=0),
                   showlegend=False, hoverinfo="skip"),
        go.Scatter(x=x, y=[h["low"] for h in hours], mode="lines", line=dict(width=0),
                   fill="tonexty", fillcolor="rgba(64,160,200,0.25)",
                   name=t("r_col_band", lang)),
        go.Bar(x=x, y=[h["actual"] for h in hours], marker_color="#43d17a",
               name=t("r_col_actual", lang)),
        go.Scatter(x=x, y=[h["expected"] for h in hours], mode="lines",
                   line=dict(color="#40a0c8", width=2), name=t("r_col_expected", lang))])
    fig.update_layout(template="plotly_dark", paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)", margin=dict(l=40, r=10, t=10, b=30),
                      font=dict(size=11), legend=dict(orientation="h", y=1.12))
    fig.update_xaxes(type="category", nticks=8, tickfont=dict(size=9))
    return fig


def teu_note(report: dict, lang: str) -> list:
    """Says so when the report's period is outside the months the TEU figures cover (a 2020
    week beside a chart of 2021–2025 read as if they belonged together)."""
    rows = report["teu_by_month"]
    if not rows:
        return []
    month = datetime.fromtimestamp(report["start"], ZoneInfo(report["timezone"])).strftime("%Y-%m")
    if rows[0]["month"] <= month <= rows[-1]["month"]:
        return []
    return [html.Div(t("r_teu_outside", lang, first=rows[0]["month"], last=rows[-1]["month"],
                       month=month), className="panel-note report-teu-outside")]


def teu_figure(rows: list[dict], lang: str) -> go.Figure:
    fig = go.Figure(go.Bar(x=[r["month"] for r in rows], y=[r["teu"] for r in rows],
                           marker_color="#40a0c8", name=t("r_col_teu", lang)))
    fig.update_layout(template="plotly_dark", paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)", margin=dict(l=40, r=10, t=10, b=30),
                      font=dict(size=12), yaxis=dict(title=t("r_col_teu", lang)))
    return fig
