"""The audit page (admin): the audit trail, newest first — logins, acknowledgements,
silences, exports, token use, refusals and account changes (twin/accounts.py)."""
from __future__ import annotations

import json

import dash_ag_grid as dag
from dash import html

from .common import page_header
from .i18n import fmt_time

SHOWN = 2000          # the page shows the latest; `python app.py audit` reads them all


def rows(records: list[dict], tz: str, lang: str) -> list[dict]:
    return [{"time": fmt_time(r["time"], tz, lang), "ok": "✓" if r["ok"] else "✗",
             "action": r["action"], "user": r["user_name"] or "", "role": r["role"] or "",
             "target": r["target"] or "", "address": r["address"] or "",
             "detail": json.dumps(r["detail"], ensure_ascii=False) if r["detail"] else ""}
            for r in records]


def layout(port, lang: str, accounts) -> html.Div:
    records = accounts.audit_rows(limit=SHOWN) if accounts is not None else []
    columns = [{"field": "time", "width": 190}, {"field": "ok", "width": 70},
               {"field": "action", "width": 150, "filter": True},
               {"field": "user", "width": 140, "filter": True},
               {"field": "role", "width": 120}, {"field": "target", "flex": 1},
               {"field": "address", "width": 130}, {"field": "detail", "flex": 1}]
    return html.Div(className="page audit-page", children=[
        page_header(port, lang, "/audit", "audit_title"),
        html.Main(className="audit-main", children=[
            dag.AgGrid(id="audit-grid", columnDefs=columns,
                       rowData=rows(records, port.timezone, lang), className="audit-grid",
                       dashGridOptions={"animateRows": False},
                       style={"height": "calc(100vh - 120px)"}),
        ]),
    ])
