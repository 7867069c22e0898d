"""Callbacks of the reports page: build the period's report (twin.reports, cached per
parameters) and export it as PDF or Excel, with a progress indicator while it is built."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dash import Input, Output, State, ctx, dcc, no_update

from data_sources.timecheck import plausible_epoch
from callbacks import access
from layouts import ids, report_export, reports
from twin.reports import PERIODS, build_report


def report_anchor(source, period, date, tz) -> float | None:
    """Noon (port time) of the picked day as epoch seconds, or None when the parameters are
    none the page's own controls send — a forged request must not raise or start a report
    over year 1: a period not in PERIODS, a source that is not short text, a date that is not
    an ISO date between 1980 and 2100."""
    if period not in PERIODS or not (source is None or isinstance(source, str)
                                     and len(source) <= 200):
        return None
    if not isinstance(date, str) or len(date) > 40:
        return None
    try:
        anchor = datetime.fromisoformat(date).replace(hour=12, tzinfo=tz).timestamp()
    except (ValueError, OverflowError, OSError):
        return None
    return anchor if plausible_epoch(anchor) else None


def register(app, query, port) -> None:
    tz = ZoneInfo(port.timezone)
    cache: dict = {}

    def report(source, period, date, anchor) -> dict:
        weights = getattr(port, "scorecard_weights", None)
        if not (source or "").startswith("history"):     # the live twin moves on: no cache
            return build_report(query, source, period, anchor, weights)
        key = (source, period, date)
        if key not in cache:          # loaded history does not change under a report
            if len(cache) > 32:
                cache.clear()
            cache[key] = build_report(query, source, period, anchor, weights)
        return cache[key]

    @app.callback(Output(ids.R_BODY, "children"), Input(ids.R_SOURCE, "value"),
                  Input(ids.R_PERIOD, "value"), Input(ids.R_DATE, "date"),
                  State(ids.LANG, "data"))
    def update_report(source, period, date, lang):
        if not date:
            return []
        period = period or "week"
        anchor = report_anchor(source, period, date, tz)
        if anchor is None:
            return no_update
        return reports.body(report(source, period, date, anchor), lang)

    @app.callback(
        Output(ids.R_DOWNLOAD, "data"),
        Input(ids.R_PDF, "n_clicks"), Input(ids.R_XLSX, "n_clicks"),
        State(ids.R_SOURCE, "value"), State(ids.R_PERIOD, "value"), State(ids.R_DATE, "date"),
        State(ids.LANG, "data"),
        running=[(Output(ids.R_PROGRESS, "hidden"), False, True),
                 (Output(ids.R_PDF, "disabled"), True, False),
                 (Output(ids.R_XLSX, "disabled"), True, False)],
        prevent_initial_call=True,
    )
    def export(_pdf, _xlsx, source, period, date, lang):
        if not date or not ctx.triggered_id:
            return no_update
        period = period or "week"
        anchor = report_anchor(source, period, date, tz)
        if anchor is None:
            return no_update
        r = report(source, period, date, anchor)
        name = f"porttwin-{port.locode}-{period}-{date}"
        access.audit("export", ok=True, target=name,
                     format="pdf" if ctx.triggered_id == ids.R_PDF else "xlsx", source=source)
        if ctx.triggered_id == ids.R_PDF:
            return dcc.send_bytes(report_export.pdf(r, port, lang), f"{name}.pdf")
        return dcc.send_bytes(report_export.xlsx(r, port, lang), f"{name}.xlsx")
