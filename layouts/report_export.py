"""The report as documents: PDF (reportlab) and Excel (openpyxl), the same figures and words
as the page (``layouts.reports`` formats, the one catalogue translates)."""
from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from data_sources.jsonout import formula_like, strict

from .i18n import fmt_number, fmt_percent, t
from .reports import change_text, forecast_summary, kpi_text, period_label, teu_title


class Figure(tuple):
    """A figure cell: (value, kind). The PDF prints it with the page's own formatter
    (``text``); the workbook stores the number itself with a number format (``excel``), so a
    spreadsheet computes with it: 207 arrivals, 0.8 h, 82.8 % — not the text '0.8 h'."""
    __slots__ = ()

    def __new__(cls, value, kind: str):
        return super().__new__(cls, (value, kind))

    def text(self, lang: str) -> str:
        value, kind = self
        if kind.startswith("kpi:"):
            return kpi_text(kind[4:], value, lang)
        if kind == "change":
            return change_text(value, lang)
        if kind == "percent":
            return fmt_percent(value, lang, 1)
        if kind == "decimal":
            return fmt_number(value, lang, 1)
        return fmt_number(value, lang, 0)             # counts, scores, TEU

    def excel(self, lang: str) -> tuple[object, str | None]:
        """(the cell's value, its number format); text where there is no number."""
        value, kind = self
        if value is None or (isinstance(value, float) and value != value):
            return self.text(lang), None
        hours = '0.0 "小时"' if lang == "zh" else '0.0 "h"'
        fmt = {"kpi:waiting_median_h": hours, "kpi:berth_time_median_h": hours,
               "kpi:terminal_occupancy": "0.0%", "kpi:vessels_in_port": "#,##0.0",
               "kpi:co2_t": '#,##0 "t CO₂"' if lang != "zh" else '#,##0 "吨 CO₂"',
               "change": "+0.0%;-0.0%;0.0%", "percent": "0.0%",
               "decimal": "#,##0.0"}.get(kind, "#,##0")
        return value, fmt


def _rows(report: dict, lang: str) -> dict[str, list[list]]:
    """Every table of the report as rows, header first: text cells, and ``Figure`` cells
    for the figures."""
    kpis = [[t("r_title", lang), "", t("r_vs_prev", lang), t("r_vs_yoy", lang)]]
    for k in report["kpis"]:
        kpis.append([t(f"kpi_{k['key']}", lang), Figure(k["value"], f"kpi:{k['key']}"),
                     Figure(k["vs_previous"], "change"), Figure(k["vs_year_before"], "change")])
    sc = report["scorecard"]
    score = [[t("r_scorecard", lang), "", ""],
             [t("r_score_total", lang), "", Figure(sc["total"], "score")]]
    for dim in ("capacity", "efficiency", "safety", "service"):
        score.append([t(f"r_score_{dim}", lang), t("r_weight", lang, w=sc["weights"][dim]),
                      Figure(sc["scores"][dim], "score")])
    terminals = [[t("r_col_terminal", lang), t("r_col_berths", lang), t("r_col_occupancy", lang)]]
    terminals += [[str(r["terminal"]), Figure(r["berths"], "count"),
                   Figure(r["occupancy"], "percent")] for r in report["terminals"][:15]]
    berths = [[t("r_col_berth", lang), t("r_col_visits", lang), t("r_col_occupancy", lang)]]
    berths += [[str(r.get("name") or r["berth"]), Figure(r["visits"], "count"),
                Figure(r["occupancy"], "percent")] for r in report["berths"][:15]]
    teu = [[t("r_col_month", lang), t("r_col_teu", lang), t("r_col_yoy", lang)]]
    teu += [[r["month"], Figure(r["teu"], "count"), Figure(r["yoy"], "change")]
            for r in report["teu_by_month"][-13:]]
    alerts = [[t("r_col_rule", lang), t("r_col_count", lang)]]
    alerts += [[t(f"rule_{r['rule']}", lang), Figure(r["alerts"], "count")]
               for r in report["alerts_by_rule"]]
    daily = [[t("r_col_day", lang), t("kpi_arrivals", lang), t("kpi_waiting_median_h", lang),
              t("kpi_berth_time_median_h", lang), t("kpi_terminal_occupancy", lang)]]
    daily += [[d["day"], Figure(d["arrivals"], "count"),
               Figure(d["waiting_median_h"], "kpi:waiting_median_h"),
               Figure(d["berth_time_median_h"], "kpi:berth_time_median_h"),
               Figure(d["terminal_occupancy"], "kpi:terminal_occupancy")]
              for d in report.get("daily") or []]
    forecast = [[t("r_col_hour", lang), t("r_col_expected", lang), t("r_col_band", lang),
                 t("r_col_actual", lang)]]
    tz = ZoneInfo(report["timezone"])
    forecast += [[datetime.fromtimestamp(h["start"], tz).strftime("%Y-%m-%d %H:%M"),
                  Figure(h["expected"], "decimal"),
                  f"{fmt_number(h['low'], lang, 1)}–{fmt_number(h['high'], lang, 1)}",
                  Figure(h["actual"], "count")]
                 for h in (report.get("forecast") or {}).get("hours") or []]
    return {"kpis": kpis, "scorecard": score, "terminals": terminals, "berths": berths,
            "teu": teu, "alerts": alerts, "daily": daily, "forecast": forecast}


def _text_rows(rows: list[list], lang: str) -> list[list[str]]:
    return [[c.text(lang) if isinstance(c, Figure) else c for c in row] for row in rows]


_CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+")


def pdf_markup(text: str, font: str) -> str:
    """Text as reportlab paragraph markup: escaped; the subscript two of CO₂ (in no base-14
    font: it printed as a box) as a subscript 2; Chinese runs in the CID font when the
    document's font is a Latin one."""
    from xml.sax.saxutils import escape
    out = escape(text).replace("₂", "<sub>2</sub>")
    if font != "STSong-Light":
        out = _CJK.sub(lambda m: f'<font name="STSong-Light">{m.group()}</font>', out)
    return out


def daily_chart(days: list[dict], lang: str, font: str):
    """The PDF's day-by-day chart (reportlab graphics): arrivals as bars; median waiting and
    time at berth (hours) as lines beside them."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.units import mm

    labels = [d["day"][5:] for d in days]
    drawing = Drawing(178 * mm, 55 * mm)

    def frame(chart, x, title):
        chart.x, chart.y, chart.width, chart.height = x, 12 * mm, 75 * mm, 34 * mm
        chart.categoryAxis.categoryNames = labels
        chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = "Helvetica"
        chart.categoryAxis.labels.fontSize = chart.valueAxis.labels.fontSize = 7
        chart.valueAxis.valueMin = 0
        drawing.add(chart)
        drawing.add(String(x, 49 * mm, title, fontName=font, fontSize=8))
    bars = VerticalBarChart()
    bars.data = [[d["arrivals"] or 0 for d in days]]
    bars.bars[0].fillColor = colors.HexColor("#40a0c8")
    frame(bars, 10 * mm, t("kpi_arrivals", lang))
    lines = HorizontalLineChart()
    lines.data = [[d["waiting_median_h"] or 0 for d in days],
                  [d["berth_time_median_h"] or 0 for d in days]]
    lines.lines[0].strokeColor = colors.HexColor("#f2a23a")
    lines.lines[1].strokeColor = colors.HexColor("#43a06a")
    frame(lines, 100 * mm, t("r_daily", lang) + " (h)")
    legend = Legend()
    legend.x, legend.y, legend.fontName, legend.fontSize = 100 * mm, 4 * mm, font, 7
    legend.columnMaximum, legend.dx, legend.dy = 1, 6, 6
    legend.colorNamePairs = [(colors.HexColor("#f2a23a"), t("kpi_waiting_median_h", lang)),
                             (colors.HexColor("#43a06a"), t("kpi_berth_time_median_h", lang))]
    drawing.add(legend)
    return drawing


def pdf(report: dict, port, lang: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "Helvetica"
    # Adobe's CID font: Chinese text without embedding a file — the whole Chinese document,
    # and any Chinese words in the English one (Helvetica has no CJK glyph: they were boxes)
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    if lang == "zh":
        font = "STSong-Light"
    styles = getSampleStyleSheet()
    for s in styles.byName.values():
        s.fontName = font
    cell_style = styles["Normal"].clone("cell", fontSize=9, leading=11)
    head_style = cell_style.clone("head", fontName=font if lang == "zh" else "Helvetica-Bold")
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm,
                            title=f"{t('r_title', lang)} {port.locode}", author="PortTwin")
    port_name = port.name_zh if lang == "zh" else port.name
    tables = {k: _text_rows(v, lang) for k, v in _rows(report, lang).items()}
    f = report["figures"]

    def para(text: str, style) -> Paragraph:
        return Paragraph(pdf_markup(text, font), style)
    story = [para(f"{t('r_title', lang)} — {port_name} ({port.locode})", styles["Title"]),
             para(period_label(report, lang), styles["Heading3"])]

    def table(rows, widths=None, title=None):
        if title:
            story.append(para(title, styles["Heading3"]))
        # every cell a paragraph: long names wrap in their column instead of being cut
        cells = [[para(str(c), head_style if i == 0 else cell_style) for c in row]
                 for i, row in enumerate(rows)]
        tbl = Table(cells, colWidths=widths, hAlign="LEFT")
        tbl.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6ee")),
                                 ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
                                 ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.extend([tbl, Spacer(1, 5 * mm)])

    if report.get("partial"):
        c = report["coverage"]["current"]
        days = (report["end"] - report["start"]) / 86400
        story.append(para(t("r_partial", lang, pct=fmt_percent(c, lang, 0), have=c * days,
                            days=days), styles["Normal"]))
        story.append(Spacer(1, 3 * mm))
    table(tables["kpis"], [70 * mm, 45 * mm, 30 * mm, 30 * mm])
    story.append(para(t("r_co2_note", lang, n=f["co2_calls"], m=f["calls_counted"]) + " "
                      + t("estimate_label", lang), styles["Normal"]))
    story.append(Spacer(1, 4 * mm))
    table(tables["scorecard"], [70 * mm, 45 * mm, 30 * mm])
    story.append(para(t("r_scorecard_note", lang), styles["Normal"]))
    story.append(Spacer(1, 4 * mm))
    if report.get("daily"):
        story.append(para(t("r_daily", lang), styles["Heading3"]))
        story.append(daily_chart(report["daily"], lang, font))
        table(tables["daily"], [28 * mm, 28 * mm, 40 * mm, 40 * mm, 40 * mm])
    table(tables["terminals"], [100 * mm, 25 * mm, 30 * mm], t("r_occupancy_terminal", lang))
    table(tables["berths"], [100 * mm, 25 * mm, 30 * mm], t("r_occupancy_berth", lang))
    table(tables["teu"], [40 * mm, 40 * mm, 30 * mm], teu_title(report, lang))
    table(tables["alerts"], [100 * mm, 30 * mm], t("r_alerts_by_rule", lang))
    story.append(para(f"{t('r_forecast', lang)} ({t('forecast_tag', lang)})",
                      styles["Heading3"]))
    for line in forecast_summary(report.get("forecast"), lang):
        story.append(para(line, styles["Normal"]))
    story.append(Spacer(1, 3 * mm))
    if len(tables["forecast"]) > 1:
        table(tables["forecast"], [45 * mm, 30 * mm, 35 * mm, 30 * mm])
    doc.build(story)
    return buf.getvalue()


def _append(ws, row, lang: str = "en") -> None:
    """One row of cells. Figures are numbers with their number format (``Figure.excel``).
    Text stays text even when a spreadsheet would take it for a formula (a berth named
    ``=HYPERLINK(…)``; openpyxl writes a string starting with ``=`` as a formula): a string
    cell with Excel's quote prefix, shown as written and never run. NaN and infinities,
    which no XLSX reader accepts, are left empty."""
    typed = [c.excel(lang) if isinstance(c, Figure) else (c, None) for c in row]
    ws.append(strict([v for v, _ in typed]))
    for cell, (_, fmt) in zip(ws[ws.max_row], typed):
        if fmt and cell.data_type == "n":
            cell.number_format = fmt
        if formula_like(cell.value):
            cell.data_type = "s"
            cell.quotePrefix = True


def _daily_charts(ws, n_days: int, lang: str) -> None:
    """Excel's own charts over the day-by-day cells (rows 3…): arrivals, and the two
    medians in hours."""
    if n_days <= 0:
        return
    from openpyxl.chart import BarChart, LineChart, Reference
    days = Reference(ws, min_col=1, min_row=3, max_row=2 + n_days)
    bars = BarChart()
    bars.title = t("kpi_arrivals", lang)
    bars.add_data(Reference(ws, min_col=2, min_row=2, max_row=2 + n_days), titles_from_data=True)
    bars.set_categories(days)
    ws.add_chart(bars, f"G2")
    lines = LineChart()
    lines.title, lines.y_axis.title = t("r_daily", lang), "h"
    lines.add_data(Reference(ws, min_col=3, max_col=4, min_row=2, max_row=2 + n_days),
                   titles_from_data=True)
    lines.set_categories(days)
    ws.add_chart(lines, "G18")


def xlsx(report: dict, port, lang: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    tables = _rows(report, lang)
    sheets = (("kpis", "r_title"), ("daily", "r_daily"), ("scorecard", "r_score_total"),
              ("terminals", "r_col_terminal"), ("berths", "r_col_berth"),
              ("teu", "r_col_teu"), ("alerts", "kpi_alerts"), ("forecast", "r_forecast"))
    for key, title in sheets:
        ws = wb.create_sheet(t(title, lang)[:31])
        _append(ws, [period_label(report, lang)])
        for row in tables[key]:
            _append(ws, row, lang)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        ws.column_dimensions["A"].width = 48
        for col in "BCD":
            ws.column_dimensions[col].width = 18
    _daily_charts(wb[t("r_daily", lang)[:31]], len(tables["daily"]) - 1, lang)
    # the raw figures too, for people who compute further
    raw = wb.create_sheet("data")
    _append(raw, ["key", "value", "previous", "year_before"])
    for k in report["kpis"]:
        _append(raw, [k["key"], k["value"], k["previous"], k["year_before"]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
