"""One definition per figure: the same week gives the same numbers on the reports page, in
the API, in the PDF's text and in the Excel workbook's cells (numbers, not text)."""
import base64
import io
import json
import subprocess

import pytest

from layouts.reports import change_text, kpi_text

WEEK_DAY = "2020-12-03"          # inside the bundled NY week (MarineCadastre, 2020-12-01…07)


def _callback(client, output: str, inputs: list, state: list) -> dict:
    cid, prop = output.split(".")
    resp = client.post("/_dash-update-component", json={
        "output": output, "outputs": {"id": cid, "property": prop}, "inputs": inputs,
        "state": state, "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    # parsed and written back unescaped (Dash escapes non-ASCII unless orjson is there)
    return json.loads(json.dumps(resp.get_json(), ensure_ascii=False))["response"][cid][prop]


def _by_class(tree, prefix: str, out: dict) -> dict:
    """className -> the component, for every component whose class starts with prefix."""
    if isinstance(tree, list):
        for c in tree:
            _by_class(c, prefix, out)
    elif isinstance(tree, dict) and "props" in tree:
        for cls in str(tree["props"].get("className") or "").split():
            if cls.startswith(prefix):
                out[cls] = tree
        _by_class(tree["props"].get("children"), prefix, out)
    return out


def _text(tree) -> str:
    if isinstance(tree, list):
        return "".join(_text(c) for c in tree)
    if isinstance(tree, dict):
        return _text(tree.get("props", {}).get("children"))
    return "" if tree is None else str(tree)


def _export(client, button: str, source: str, lang: str) -> bytes:
    cid = "r-download"
    resp = client.post("/_dash-update-component", json={
        "output": f"{cid}.data", "outputs": {"id": cid, "property": "data"},
        "inputs": [{"id": "r-pdf", "property": "n_clicks",
                    "value": 1 if button == "r-pdf" else None},
                   {"id": "r-xlsx", "property": "n_clicks",
                    "value": 1 if button == "r-xlsx" else None}],
        "state": [{"id": "r-source", "property": "value", "value": source},
                  {"id": "r-period", "property": "value", "value": "week"},
                  {"id": "r-date", "property": "date", "value": WEEK_DAY},
                  {"id": "lang", "property": "data", "value": lang}],
        "changedPropIds": [f"{button}.n_clicks"]})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return base64.b64decode(resp.get_json()["response"][cid]["data"]["content"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_same_week_gives_the_same_figures_on_the_page_api_pdf_and_excel(client, lang):
    from openpyxl import load_workbook

    source = next(s["source"] for s in client.get("/api/v1/sources").json["sources"]
                  if s["kind"] == "history")
    api = client.get(f"/api/v1/kpis?source={source}&period=week&date={WEEK_DAY}T12:00:00"
                     ).get_json()
    kpis = {k["key"]: k for k in api["kpis"]}
    assert api["has_data"] and kpis["arrivals"]["value"] > 100

    # the reports page, as its callback sends it
    body = _callback(client, "r-body.children",
                     [{"id": "r-source", "property": "value", "value": source},
                      {"id": "r-period", "property": "value", "value": "week"},
                      {"id": "r-date", "property": "date", "value": WEEK_DAY}],
                     [{"id": "lang", "property": "data", "value": lang}])
    cards = _by_class(body, "kpi-", {})
    # the TEU chart (2021 on) says the 2020 week is outside it, not drawn as if it belonged
    assert _by_class(body, "report-teu-outside", {}), "no note that the week is outside the TEU"
    pdf = _export(client, "r-pdf", source, lang)
    pdf_text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf,
                              capture_output=True, check=True).stdout.decode()
    book = load_workbook(io.BytesIO(_export(client, "r-xlsx", source, lang)))
    sheet = book.worksheets[0]                                  # the KPI table
    cells = {r[0].value: r for r in sheet.iter_rows(min_row=3) if r[0].value}
    from layouts.i18n import t
    for key, k in kpis.items():
        shown = kpi_text(key, k["value"], lang)                 # the one formatter
        # page: the KPI card's value and its two changes
        card = _text(cards[f"kpi-{key}"])
        assert shown in card, (key, shown, card)
        for change in ("vs_previous", "vs_year_before"):
            assert change_text(k[change], lang) in card, (key, change, card)
        # PDF: the row of the KPI table (label, value, changes)
        # (CO₂'s subscript two is printed as a subscript 2: the text reads "CO2")
        label, shown_pdf = (x.replace("₂", "2") for x in (t(f"kpi_{key}", lang), shown))
        row = next(line for line in pdf_text.splitlines() if line.strip().startswith(label))
        assert shown_pdf in row, (key, shown_pdf, row)
        for change in ("vs_previous", "vs_year_before"):
            assert change_text(k[change], lang) in row, (key, change, row)
        # Excel: the number itself, typed, with its changes as fractions
        value, prev, yoy = (c.value for c in cells[t(f"kpi_{key}", lang)][1:4])
        if k["value"] is None:
            assert value == t("r_no_data", lang)
        else:
            assert isinstance(value, (int, float)) and value == pytest.approx(k["value"]), key
        for got, want in ((prev, k["vs_previous"]), (yoy, k["vs_year_before"])):
            if want is None:
                assert got in ("—", None)
            else:
                assert got == pytest.approx(want), (key, got, want)
    # day by day, by the same definitions: the days' arrivals add up to the week's, and the
    # workbook's day sheet holds the API's numbers
    daily = api["daily"]
    assert len(daily) == 7 and sum(d["arrivals"] or 0 for d in daily) == \
        kpis["arrivals"]["value"]
    day_sheet = book.worksheets[1]
    got = [r[1].value for r in day_sheet.iter_rows(min_row=3) if r[0].value]
    assert got == [d["arrivals"] if d["arrivals"] is not None else "—" for d in daily]
    assert day_sheet._charts, "the day sheet has its charts"
    assert t("r_daily", lang).replace("₂", "2") in pdf_text
    # the figure formats make the numbers read as the page reads them
    row = cells[t("kpi_waiting_median_h", lang)]
    assert "0.0" in row[1].number_format
    assert all(c.number_format.startswith("+0.0%") for c in row[2:4]
               if isinstance(c.value, float))
    assert cells[t("kpi_terminal_occupancy", lang)][1].number_format == "0.0%"


def test_a_week_with_one_day_of_data_says_so_and_claims_no_change(client):
    """The week after the loaded one holds its last day only: flagged partial, how much has
    data said, no "−95 %" against the whole week before it."""
    source = next(s["source"] for s in client.get("/api/v1/sources").json["sources"]
                  if s["kind"] == "history")
    api = client.get(f"/api/v1/kpis?source={source}&period=week&date=2020-12-08T12:00:00"
                     ).get_json()
    assert api["partial"] and 0 < api["coverage"]["current"] < 0.3
    assert api["coverage"]["previous"] > 0.8
    assert all(k["vs_previous"] is None for k in api["kpis"])
    days = [d for d in api["daily"] if d["coverage"] > 0]
    assert 1 <= len(days) <= 2
    body = _callback(client, "r-body.children",
                     [{"id": "r-source", "property": "value", "value": source},
                      {"id": "r-period", "property": "value", "value": "week"},
                      {"id": "r-date", "property": "date", "value": "2020-12-08"}],
                     [{"id": "lang", "property": "data", "value": "en"}])
    note = _text(_by_class(body, "report-partial", {})["report-partial"])
    assert "its figures are partial" in note
    cards = _by_class(body, "kpi-", {})
    assert all("partial" in cards[f"kpi-{k['key']}"]["props"]["className"].split()
               for k in api["kpis"])
