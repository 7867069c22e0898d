"""The report as documents: PDF (reportlab) and Excel (openpyxl), the same figures and words
as the page (``layouts.reports`` formats, the one catalogue translates)."""
from __future__ import annotations

import io

from data_sources.jsonout import formula_like, strict

from .i18n import fmt_number, fmt_percent, t
from .reports import change_text, kpi_text, period_label, teu_title


def _rows(report: dict, lang: str) -> dict[str, list[list]]:
    """Every table of the report as rows of text, header first."""
    kpis = [[t("r_title", lang), "", t("r_vs_prev", lang), t("r_vs_yoy", lang)]]
    for k in report["kpis"]:
        kpis.append([t(f"kpi_{k['key']}", lang), kpi_text(k["key"], k["value"], lang),
                     change_text(k["vs_previous"], lang), change_text(k["vs_year_before"], lang)])
    sc = report["scorecard"]
    score = [[t("r_scorecard", lang), "", ""],
             [t("r_score_total", lang), "", fmt_number(sc["total"], lang, 0)
              if sc["total"] is not None else "—"]]
    for dim in ("capacity", "efficiency", "safety", "service"):
        v = sc["scores"][dim]
        score.append([t(f"r_score_{dim}", lang), t("r_weight", lang, w=sc["weights"][dim]),
                      fmt_number(v, lang, 0) if v is not None else "—"])
    terminals = [[t("r_col_terminal", lang), t("r_col_berths", lang), t("r_col_occupancy", lang)]]
    terminals += [[str(r["terminal"]), str(r["berths"]), fmt_percent(r["occupancy"], lang, 1)]
                  for r in report["terminals"][:15]]
    berths = [[t("r_col_berth", lang), t("r_col_visits", lang), t("r_col_occupancy", lang)]]
    berths += [[str(r.get("name") or r["berth"])[:60], str(r["visits"]),
                fmt_percent(r["occupancy"], lang, 1)] for r in report["berths"][:15]]
    teu = [[t("r_col_month", lang), t("r_col_teu", lang), t("r_col_yoy", lang)]]
    teu += [[r["month"], fmt_number(r["teu"], lang, 0), change_text(r["yoy"], lang)]
            for r in report["teu_by_month"][-13:]]
    alerts = [[t("r_col_rule", lang), t("r_col_count", lang)]]
    alerts += [[t(f"rule_{r['rule']}", lang), str(r["alerts"])] for r in report["alerts_by_rule"]]
    return {"kpis": kpis, "scorecard": score, "terminals": terminals, "berths": berths,
            "teu": teu, "alerts": alerts}


def pdf(report: dict, port, lang: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "Helvetica"
    if lang == "zh":                  # Adobe's CID font: Chinese text without embedding a file
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        font = "STSong-Light"
    styles = getSampleStyleSheet()
    for s in styles.byName.values():
        s.fontName = font
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm,
                            title=f"{t('r_title', lang)} {port.locode}", author="PortTwin")
    port_name = port.name_zh if lang == "zh" else port.name
    tables = _rows(report, lang)
    f = report["figures"]
    story = [Paragraph(f"{t('r_title', lang)} — {port_name} ({port.locode})", styles["Title"]),
             Paragraph(period_label(report, lang), styles["Heading3"])]

    def table(rows, widths=None, title=None):
        if title:
            story.append(Paragraph(title, styles["Heading3"]))
        tbl = Table(rows, colWidths=widths, hAlign="LEFT")
        tbl.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font),
                                 ("FONTSIZE", (0, 0), (-1, -1), 9),
                                 ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6ee")),
                                 ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
                                 ("ALIGN", (1, 0), (-1, -1), "RIGHT")]))
        story.extend([tbl, Spacer(1, 5 * mm)])

    table(tables["kpis"], [70 * mm, 45 * mm, 30 * mm, 30 * mm])
    story.append(Paragraph(t("r_co2_note", lang, n=f["co2_calls"], m=f["calls_counted"]) + " "
                           + t("estimate_label", lang), styles["Normal"]))
    story.append(Spacer(1, 4 * mm))
    table(tables["scorecard"], [70 * mm, 45 * mm, 30 * mm])
    story.append(Paragraph(t("r_scorecard_note", lang), styles["Normal"]))
    story.append(Spacer(1, 4 * mm))
    table(tables["terminals"], [100 * mm, 25 * mm, 30 * mm], t("r_occupancy_terminal", lang))
    table(tables["berths"], [100 * mm, 25 * mm, 30 * mm], t("r_occupancy_berth", lang))
    table(tables["teu"], [40 * mm, 40 * mm, 30 * mm], teu_title(report, lang))
    table(tables["alerts"], [100 * mm, 30 * mm], t("r_alerts_by_rule", lang))
    doc.build(story)
    return buf.getvalue()


def _append(ws, row) -> None:
    """One row of cells. Text stays text even when a spreadsheet would take it for a formula
    (a berth named ``=HYPERLINK(…)``; openpyxl writes a string starting with ``=`` as a
    formula): a string cell with Excel's quote prefix, shown as written and never run.
    Numbers stay numbers; NaN and infinities, which no XLSX reader accepts, are left empty."""
    ws.append(strict(list(row)))
    for cell in ws[ws.max_row]:
        if formula_like(cell.value):
            cell.data_type = "s"
            cell.quotePrefix = True


def xlsx(report: dict, port, lang: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    tables = _rows(report, lang)
    sheets = (("kpis", "r_title"), ("scorecard", "r_score_total"),
              ("terminals", "r_col_terminal"), ("berths", "r_col_berth"),
              ("teu", "r_col_teu"), ("alerts", "kpi_alerts"))
    for key, title in sheets:
        ws = wb.create_sheet(t(title, lang)[:31])
        _append(ws, [period_label(report, lang)])
        for row in tables[key]:
            _append(ws, row)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        ws.column_dimensions["A"].width = 48
        for col in "BCD":
            ws.column_dimensions[col].width = 18
    # the raw figures too, for people who compute further
    raw = wb.create_sheet("data")
    _append(raw, ["key", "value", "previous", "year_before"])
    for k in report["kpis"]:
        _append(raw, [k["key"], k["value"], k["previous"], k["year_before"]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
