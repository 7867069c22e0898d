"""The REST API ``/api/v1``: the twin for other systems (port community systems, shipping
companies' tools, BI), read-only, every answer from the one query layer (``twin.query``).

Endpoints are declared once, as data (``ENDPOINTS``): path, parameters, response schema. The
same table validates each request (a bad parameter is a 400 with a JSON error naming it) and
builds the OpenAPI 3.0 document served at ``/api/v1/openapi.json``; ``/api/v1/docs`` renders
that document as a plain HTML page from this server (no CDN, no script).
"""
from __future__ import annotations

import csv
import html
import io
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone

import flask

from callbacks import access
from data_sources.jsonout import dumps, safe_cell, strict
from data_sources.timecheck import ABS_MAX, ABS_MIN
from twin.query import VESSEL_STATUSES
from twin.reports import PERIODS, build_report, default_anchor
from twin.vessel_types import MMSI_MAX

PREFIX = "/api/v1"
FORMATS = ("json", "csv")
# times a request may name (data_sources.timecheck: the times any feed believes), and the
# longest period one request may read: a query's work grows with its period
EARLIEST, LATEST = "1980-01-01", "2100-01-01"
MAX_PERIOD_DAYS = 400


# ---- schemas (OpenAPI 3.0) ---------------------------------------------------------------
def _n(kind: str, **extra) -> dict:
    """A nullable property of a JSON type."""
    return {"type": kind, "nullable": True, **extra}


NUM, INT, STR, BOOL = _n("number"), _n("integer"), _n("string"), _n("boolean")
TIME = _n("number", description="epoch seconds UTC")

VESSEL_ROW = {"type": "object", "required": ["mmsi", "stage"], "properties": {
    "mmsi": INT, "name": STR, "imo": INT, "callsign": STR, "ship_type": INT, "category": STR,
    "activity": STR, "nav_status": INT, "lon": NUM, "lat": NUM, "sog": NUM, "cog": NUM,
    "length": NUM, "width": NUM, "draught": NUM, "destination": STR, "eta": TIME,
    "last_seen": TIME, "age_s": NUM, "stage": STR, "in_port": BOOL, "place_kind": STR,
    "place": STR, "place_since": TIME, "berth_name": STR, "waiting_s": NUM,
    "arrival_port_area": TIME}}
def LIST(item: dict, key: str) -> dict:                  # noqa: N802 (a schema, like the rest)
    """A timed list answer: {time, count, <key>: [item, …]}."""
    return {"type": "object", "required": ["time", "count", key],
            "properties": {"time": {"type": "number"}, "count": {"type": "integer"},
                           key: {"type": "array", "items": item}}}
EMISSIONS = {"type": "object", "nullable": True, "properties": {
    "estimate": {"type": "boolean"}, "co2_t": NUM, "fuel_t": NUM,
    "by_mode": {"type": "object", "additionalProperties": {"type": "number"}},
    "why": STR}}
PORT_CALL = {"type": "object", "nullable": True, "properties": {
    "call_id": {"type": "string"}, "mmsi": {"type": "integer"}, "stage": STR, "kind": STR,
    "category": STR, "open": BOOL, "arrival_port_area": TIME, "anchorage_arrival": TIME,
    "anchorage_departure": TIME, "berth_arrival": TIME, "berth_departure": TIME,
    "port_area_departure": TIME, "waiting_s": NUM, "berth_s": NUM, "port_time_s": NUM,
    "place_kind": STR, "place": STR, "berth_name": STR, "emissions": EMISSIONS}}
VESSEL_DETAIL = {"type": "object", "required": ["vessel", "port_call", "conditions"],
                 "properties": {
                     "time": {"type": "number"},
                     "vessel": {"type": "object", "required": ["mmsi"],
                                "properties": {"mmsi": {"type": "integer"}, "name": STR,
                                               "imo": INT, "callsign": STR,
                                               "live": {"type": "boolean"}}},
                     "port_call": PORT_CALL,
                     "plan": {"type": "object", "nullable": True},
                     "berth": STR,
                     "conditions": {"type": "object", "properties": {
                         "depth_m": NUM, "water_level_m": NUM, "water_level_kind": STR,
                         "tide_station": STR, "ukc_m": NUM, "draught_m": NUM,
                         "wind_kn": NUM, "visibility_nm": NUM}},
                     "forecast": {"type": "object", "nullable": True}}}
# the forecast (twin/forecast_live.py): hours from now, epoch seconds, chances 0..1
VESSEL_FORECAST = {"type": "object", "required": ["mmsi", "eta"], "properties": {
    "mmsi": {"type": "integer"}, "p_none": NUM, "p_berth": NUM, "p_anchorage": NUM,
    "low": NUM, "mid": NUM, "high": NUM, "eta_low": NUM, "eta": NUM, "eta_high": NUM,
    "kind": {"type": "string", "enum": ["berth", "anchorage"]}, "group": STR}}
FORECAST = {"type": "object", "required": ["status", "hours", "windows", "vessels"],
            "properties": {
    "status": {"type": "string", "enum": ["ready", "learning", "no_model", "no_history",
                                          "none"]},
    "time": NUM,
    "hours": {"type": "array", "items": {"type": "object", "required": [
        "start", "end", "expected", "low", "high"], "properties": {
        "start": NUM, "end": NUM, "expected": NUM, "low": NUM, "high": NUM,
        "from_fleet": NUM, "from_history": NUM}}},
    "windows": {"type": "array", "items": {"type": "object", "required": [
        "group", "start", "end", "peak", "usual"], "properties": {
        "group": {"type": "string"}, "name": STR, "kind": STR, "start": NUM, "end": NUM,
        "peak": NUM, "usual": NUM}}},
    "vessels": {"type": "array", "items": VESSEL_FORECAST},
    "trained_on": {"type": "object"}}}
POINT = {"type": "object", "required": ["type", "coordinates"],
         "properties": {"type": {"type": "string", "enum": ["Point"]},
                        "coordinates": {"type": "array", "items": {"type": "number"},
                                        "minItems": 2, "maxItems": 3}}}
FEATURES = {"type": "object", "required": ["type", "features"], "properties": {
    "type": {"type": "string", "enum": ["FeatureCollection"]},
    "features": {"type": "array", "items": {
        "type": "object", "required": ["type", "geometry", "properties"],
        "properties": {"type": {"type": "string", "enum": ["Feature"]}, "geometry": POINT,
                       "properties": {"type": "object"}}}}}}
TRACK = {"type": "object", "required": ["type", "geometry", "properties"], "properties": {
    "type": {"type": "string", "enum": ["Feature"]},
    "geometry": {"type": "object", "nullable": True},
    "properties": {"type": "object", "properties": {
        "mmsi": {"type": "integer"}, "times": {"type": "array", "items": {"type": "number"}}}}}}
BERTH_NOW = {"type": "object", "required": ["berth", "occupied"], "properties": {
    "berth": {"type": "string"}, "name": STR, "terminal": STR, "length_m": NUM,
    "depth_m": NUM, "occupied": {"type": "boolean"}, "mmsi": INT, "vessel": STR,
    "since": TIME, "next_plan": {"type": "object", "nullable": True}}}
OCCUPANCY = {"type": "object", "required": ["berths", "terminals"], "properties": {
    "start": {"type": "number"}, "end": {"type": "number"},
    "berths": {"type": "array", "items": {"type": "object", "properties": {
        "berth": {"type": "string"}, "occupancy": NUM, "occupied_h": NUM, "visits": INT}}},
    "terminals": {"type": "array", "items": {"type": "object", "properties": {
        "terminal": {"type": "string"}, "occupancy": NUM, "berths": INT}}}}}
ALERT = {"type": "object", "required": ["alert_id", "rule", "severity", "start"],
         "properties": {"alert_id": {"type": "string"}, "rule": {"type": "string"},
                        "severity": {"type": "string"}, "kind": STR, "mmsi": INT,
                        "other_mmsi": INT, "subject_id": STR, "start": {"type": "number"},
                        "last": NUM, "end": NUM, "open": BOOL, "lon": NUM, "lat": NUM,
                        "sector": STR, "details": {"type": "object", "nullable": True},
                        "acked_at": NUM, "acked_by": STR}}
# the period's hours the twin forecast, against the stays that began (forecast_vs_actual)
FORECAST_VS_ACTUAL = {"type": "object", "required": ["hours", "n"], "properties": {
    "hours": {"type": "array", "items": {"type": "object", "required": [
        "start", "expected", "low", "high", "actual"], "properties": {
        "source": STR, "start": NUM, "expected": NUM, "low": NUM, "high": NUM,
        "actual": INT, "lead_min": NUM}}},
    "n": {"type": "integer"}, "mae_per_hour": NUM, "coverage": NUM, "expected": NUM,
    "actual": NUM}}
KPI = {"type": "object", "required": ["key"], "properties": {
    "key": {"type": "string"}, "value": NUM, "previous": NUM, "year_before": NUM,
    "vs_previous": NUM, "vs_year_before": NUM}}
REPORT = {"type": "object", "required": ["period", "start", "end", "kpis", "scorecard"],
          "properties": {"period": {"type": "string"}, "start": {"type": "number"},
                         "end": {"type": "number"}, "source": STR,
                         "kpis": {"type": "array", "items": KPI},
                         "scorecard": {"type": "object"},
                         "teu_by_month": {"type": "array", "items": {"type": "object"}},
                         "alerts_by_rule": {"type": "array", "items": {"type": "object"}},
                         "forecast": FORECAST_VS_ACTUAL}}
SOURCE = {"type": "object", "required": ["source"], "properties": {
    "source": {"type": "string"}, "kind": STR, "start": NUM, "end": NUM, "calls": INT}}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
FEED = {"type": "object", "required": ["source", "state"], "properties": {
    "source": {"type": "string"}, "label": STR,
    "state": {"type": "string", "enum": ["live", "stale", "waiting", "reconnecting", "failed",
                                         "none"]},
    "connection": STR, "connection_since": NUM, "connection_error": STR, "reconnects": INT,
    "messages": INT, "rate_per_s": NUM, "last_message_age_s": NUM, "rejected": INT,
    "rejects": COUNTS, "notes": COUNTS, "last_error": STR}}


# ---- parameters --------------------------------------------------------------------------
class BadRequest(ValueError):
    pass


@dataclass(frozen=True)
class Param:
    name: str
    schema: dict
    description: str
    where: str = "query"

    def parse(self, raw: str | None):
        """The request's text as a value, or BadRequest naming the parameter: numbers finite
        and within the schema's minimum/maximum, date-times between EARLIEST and LATEST (a
        year 1 or 9999 would overflow the calendar arithmetic behind the answer)."""
        if raw is None:
            if self.where == "path":
                raise BadRequest(f"{self.name} is required")
            return self.schema.get("default")
        kind = self.schema.get("type")
        try:
            if self.schema.get("format") == "date-time":
                value = _parse_time(raw)
            elif kind == "integer":
                value = int(raw)
            elif kind == "number":
                value = float(raw)
                if not math.isfinite(value):
                    raise ValueError
            else:
                value = raw
        except (ValueError, OverflowError):
            raise BadRequest(f"{self.name}: {raw!r} is not a valid "
                             f"{self.schema.get('format') or kind}") from None
        if self.schema.get("format") == "date-time" and not ABS_MIN <= value <= ABS_MAX:
            raise BadRequest(f"{self.name} must be between {EARLIEST} and {LATEST}")
        if "maxLength" in self.schema and len(value) > self.schema["maxLength"]:
            raise BadRequest(f"{self.name} is longer than {self.schema['maxLength']} characters")
        if "enum" in self.schema and value not in self.schema["enum"]:
            raise BadRequest(f"{self.name} must be one of {', '.join(self.schema['enum'])}")
        if "minimum" in self.schema and value < self.schema["minimum"]:
            raise BadRequest(f"{self.name} must be at least {self.schema['minimum']}")
        if "maximum" in self.schema and value > self.schema["maximum"]:
            raise BadRequest(f"{self.name} must be at most {self.schema['maximum']}")
        return value

    def openapi(self) -> dict:
        return {"name": self.name, "in": self.where, "required": self.where == "path",
                "description": self.description, "schema": self.schema}


def _parse_time(raw: str) -> float:
    """ISO 8601 date-time (RFC 3339; no zone = UTC) -> epoch seconds."""
    raw = raw.strip()
    if len(raw) < 10 or not raw[:4].isdigit():
        raise ValueError(raw)
    try:
        return _aware(datetime.fromisoformat(raw.replace("Z", "+00:00"))).timestamp()
    except (ValueError, OverflowError, OSError):
        raise ValueError(raw) from None


def _aware(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def check_period(args: dict) -> None:
    """``start`` before ``end``, at most MAX_PERIOD_DAYS apart, when a request gives both."""
    start, end = args.get("start"), args.get("end")
    if start is None or end is None:
        return
    if end <= start:
        raise BadRequest("end must be later than start")
    if end - start > MAX_PERIOD_DAYS * 86400:
        raise BadRequest(f"end must be at most {MAX_PERIOD_DAYS} days after start")


STATUS = Param("status", {"type": "string", "enum": list(VESSEL_STATUSES), "default": "all"},
               "in_port, at_anchor, at_berth, expected (the berth plan's ships not yet "
               "arrived) or all")
SEARCH = Param("q", {"type": "string", "maxLength": 64},
               "name or call sign (substring), MMSI or IMO (prefix)")
LIMIT = Param("limit", {"type": "integer", "minimum": 1, "maximum": 10000},
              "at most this many rows")
FORMAT = Param("format", {"type": "string", "enum": list(FORMATS), "default": "json"},
               "json, or csv for a spreadsheet")
SOURCE_P = Param("source", {"type": "string", "maxLength": 200},
                 "a source from /sources (default: all)")
START = Param("start", {"type": "string", "format": "date-time"},
              "ISO 8601 date-time, e.g. 2020-12-01T00:00:00Z (UTC unless a zone is given), "
              f"{EARLIEST} … {LATEST}")
END = Param("end", {"type": "string", "format": "date-time"},
            f"as start; exclusive; later than start and at most {MAX_PERIOD_DAYS} days after it")
VESSEL_ID = Param("id", {"type": "integer", "minimum": 0, "maximum": MMSI_MAX},
                  "MMSI (9 digits) or IMO (7)", where="path")
HOURS = Param("hours", {"type": "number", "minimum": 0.1, "maximum": 168, "default": 24},
              "track length in hours")


@dataclass
class Endpoint:
    path: str
    name: str
    summary: str
    params: list = field(default_factory=list)
    schema: dict | None = None
    media: str = "application/json"
    csv: bool = False
    not_found: bool = False


ENDPOINTS = [
    Endpoint("/vessels", "vessels", "Vessels in the live picture, with port-call stage",
             [STATUS, SEARCH, LIMIT, FORMAT], LIST(VESSEL_ROW, "vessels"), csv=True),
    Endpoint("/vessels/{id}", "vessel", "One vessel by MMSI or IMO: AIS data, port call with "
             "S-211 timestamps, berth, UKC, tide and wind at the berth, CO₂ estimate",
             [VESSEL_ID], VESSEL_DETAIL, not_found=True),
    Endpoint("/vessels/{id}/track", "track", "The vessel's track (GeoJSON LineString)",
             [VESSEL_ID, HOURS], TRACK, media="application/geo+json", not_found=True),
    Endpoint("/positions", "positions", "Live positions as GeoJSON (RFC 7946)",
             [STATUS, SEARCH], FEATURES, media="application/geo+json"),
    Endpoint("/port-calls", "port_calls", "Port calls (S-211 stage timestamps, durations)",
             [SOURCE_P, START, END,
              Param("mmsi", {"type": "integer", "minimum": 0, "maximum": MMSI_MAX}, "one ship"),
              LIMIT, FORMAT],
             {"type": "object", "required": ["count", "port_calls"], "properties": {
                 "count": {"type": "integer"},
                 "port_calls": {"type": "array", "items": PORT_CALL}}}, csv=True),
    Endpoint("/berths", "berths", "Every berth now: occupant, since when, next planned call",
             [], {"type": "object", "required": ["time", "berths"], "properties": {
                 "time": {"type": "number"}, "berths": {"type": "array", "items": BERTH_NOW}}}),
    Endpoint("/berth-occupancy", "occupancy", "Berth and terminal occupancy over a period "
             "(default: the last 7 days of the source)", [SOURCE_P, START, END], OCCUPANCY),
    Endpoint("/alerts", "alerts", "Alerts: open now, or all stored",
             [Param("state", {"type": "string", "enum": ["open", "all"], "default": "open"},
                    "open (the live ones) or all (stored, any source)"),
              Param("rule", {"type": "string", "maxLength": 40}, "one rule"),
              Param("since", {"type": "string", "format": "date-time"},
                    f"last seen since ({EARLIEST} … {LATEST})"),
              LIMIT], LIST(ALERT, "alerts")),
    Endpoint("/kpis", "kpis", "A period's KPIs vs the previous period and the year before, "
             "TEU by month, alerts by rule, scorecard",
             [SOURCE_P, Param("period", {"type": "string", "enum": list(PERIODS),
                                         "default": "week"}, "day, week or month"),
              Param("date", {"type": "string", "format": "date-time"},
                    "a time inside the period (default: the middle of the source's "
                    f"data), {EARLIEST} … {LATEST}")], REPORT),
    Endpoint("/forecast", "forecast", "FORECAST for the next 24 h: expected arrivals per hour "
             "with an 80 % band, congestion windows per anchorage and terminal, and each "
             "vessel's next stay (kind, time, 80 % interval)", [], FORECAST),
    Endpoint("/feeds", "feeds", "Every feed's health: state, connection (connected / "
             "reconnecting since … / failed: why), messages, rejects by reason", [],
             {"type": "object", "required": ["time", "feeds"], "properties": {
                 "time": {"type": "number"}, "feeds": {"type": "array", "items": FEED}}}),
    Endpoint("/sources", "sources", "Sources of stored port calls and their time spans", [],
             {"type": "object", "required": ["sources"], "properties": {
                 "sources": {"type": "array", "items": SOURCE}}}),
]


# ---- handlers ----------------------------------------------------------------------------
def _csv(rows: list[dict], name: str) -> flask.Response:
    """Rows as a CSV download; text a spreadsheet would run as a formula is escaped."""
    buf = io.StringIO()
    fields = list(rows[0]) if rows else ["mmsi"]
    w = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    w.writeheader()
    for r in strict(rows):                          # NaN -> None -> an empty cell
        w.writerow({k: ("" if v is None else safe_cell(v)) for k, v in r.items()})
    return flask.Response(buf.getvalue(), mimetype="text/csv",
                          headers={"Content-Disposition": f"attachment; filename={name}.csv"})


def _spans(query, source) -> list[dict]:
    """The stored sources' spans: the one named, or all."""
    return [s for s in query.sources() if source is None or s["source"] == source]


def _default_span(query, source):
    """The last 7 days of a source's data (of all sources' when none is named)."""
    end = max((s["end"] for s in _spans(query, source)), default=query.now())
    return end - 7 * 86400, end


class Handlers:
    """One method per endpoint name: parsed parameters in, data out."""

    def __init__(self, query):
        self.q = query

    def vessels(self, status, q, limit, format):
        rows = self.q.vessels(status, q, limit)
        return {"time": self.q.now(), "count": len(rows), "vessels": rows}

    def vessel(self, id):
        return self.q.vessel(id)

    def track(self, id, hours):
        mmsi = self.q.find(id)
        if mmsi is None:
            return None
        pts = self.q.track(mmsi, hours)
        geometry = ({"type": "LineString", "coordinates": [[x, y] for _, x, y in pts]}
                    if len(pts) > 1 else None)
        return {"type": "Feature", "geometry": geometry,
                "properties": {"mmsi": mmsi, "times": [t for t, _, _ in pts]}}

    def positions(self, status, q):
        return self.q.positions_geojson(status, q)

    def port_calls(self, source, start, end, mmsi, limit, format):
        df = self.q.port_calls(source, start, end, mmsi)
        rows = strict(df.to_dict("records"))             # NaN -> None
        rows = rows[:limit] if limit else rows
        return {"count": len(rows), "port_calls": rows}

    def berths(self):
        return {"time": self.q.now(), "berths": self.q.berths_now()}

    def occupancy(self, source, start, end):
        if start is None and end is None:
            start, end = _default_span(self.q, source)
        elif start is None:
            start = end - 7 * 86400
        elif end is None:
            end = start + 7 * 86400
        if end <= start:                 # an empty period occupies nothing
            return {"start": start, "end": end, "berths": [], "terminals": []}
        occ = self.q.occupancy(source, start, end)
        return {"start": start, "end": end,
                "berths": occ["berths"].to_dict("records"),
                "terminals": occ["terminals"].to_dict("records")}

    def alerts(self, state, rule, since, limit):
        rows = self.q.alerts(state, rule, since, limit)
        return {"time": self.q.now(), "count": len(rows), "alerts": rows}

    def kpis(self, source, period, date):
        if date is None:
            date = default_anchor(self.q, source)
        return build_report(self.q, source, period, date)

    def sources(self):
        return {"sources": self.q.sources()}

    def feeds(self):
        return {"time": self.q.now(), "feeds": self.q.feeds()}

    def forecast(self):
        view = self.q.forecast()
        return {k: view.get(k) for k in ("status", "time", "hours", "windows", "vessels",
                                         "trained_on") if k in view}


def openapi_document(title: str = "PortTwin API") -> dict:
    paths = {}
    for ep in ENDPOINTS:
        content = {ep.media: {"schema": ep.schema}}
        if ep.csv:
            content["text/csv"] = {"schema": {"type": "string"}}
        responses = {"200": {"description": "OK", "content": content},
                     "400": {"description": "A parameter is not valid",
                             "content": {"application/json": {"schema": ERROR}}}}
        responses["401"] = {"description": "No valid login session or API token",
                            "content": {"application/json": {"schema": ERROR}}}
        responses["403"] = {"description": "The user's role may not use the API",
                            "content": {"application/json": {"schema": ERROR}}}
        if ep.not_found:
            responses["404"] = {"description": "No such vessel",
                                "content": {"application/json": {"schema": ERROR}}}
        responses["503"] = {"description": "The history or accounts store is not answering "
                                           "(try again after Retry-After seconds)",
                            "content": {"application/json": {"schema": ERROR}}}
        paths[ep.path] = {"get": {"operationId": ep.name, "summary": ep.summary,
                                  "parameters": [p.openapi() for p in ep.params],
                                  "responses": responses}}
    return {"openapi": "3.0.3",
            "info": {"title": title, "version": "1.0.0",
                     "description": "Read-only API of the PortTwin digital twin. Times are "
                                    "epoch seconds UTC; positions WGS84 lon/lat; speeds in "
                                    "knots. CO₂ figures are estimates (IMO 4th GHG method)."},
            "servers": [{"url": PREFIX}], "paths": paths,
            # python app.py tokens add --user NAME; answers are scoped like that user's pages
            "components": {"securitySchemes": {
                "token": {"type": "http", "scheme": "bearer",
                          "description": "An API token (python app.py tokens add --user "
                                         "NAME); a company user's sees its own fleet only"},
                "session": {"type": "apiKey", "in": "cookie", "name": "porttwin_session"}}},
            "security": [{"token": []}, {"session": []}]}


def docs_page(doc: dict) -> str:
    """The OpenAPI document as one self-contained HTML page (no script, no CDN)."""
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>"
           f"{html.escape(doc['info']['title'])}</title><style>body{{font:15px system-ui;"
           f"max-width:960px;margin:2em auto;background:#08182a;color:#e6edf5}}code{{color:"
           f"#7fd0f0}}td,th{{border-bottom:1px solid #24364d;padding:4px 8px;text-align:left}}"
           f"a{{color:#7fd0f0}}</style></head><body>",
           f"<h1>{html.escape(doc['info']['title'])}</h1>",
           f"<p>{html.escape(doc['info']['description'])}</p>",
           f"<p>Machine-readable: <a href='{PREFIX}/openapi.json'>openapi.json</a></p>"]
    for path, item in doc["paths"].items():
        op = item["get"]
        out.append(f"<h2><code>GET {PREFIX}{html.escape(path)}</code></h2>"
                   f"<p>{html.escape(op['summary'])}</p>")
        if op["parameters"]:
            out.append("<table><tr><th>parameter</th><th>in</th><th>type</th><th></th></tr>")
            for p in op["parameters"]:
                s = p["schema"]
                kind = s.get("format") or s.get("type")
                if "enum" in s:
                    kind += " (" + " | ".join(s["enum"]) + ")"
                out.append(f"<tr><td><code>{p['name']}</code></td><td>{p['in']}</td>"
                           f"<td>{html.escape(kind)}</td>"
                           f"<td>{html.escape(p['description'])}</td></tr>")
            out.append("</table>")
        media = ", ".join(op["responses"]["200"]["content"])
        out.append(f"<p>Returns: {html.escape(media)}</p>")
    out.append("</body></html>")
    return "".join(out)


# answers that are downloads (the vessels page's export links), audited as exports
EXPORTS = {"positions", "track"}


def _route(ep: Endpoint) -> str:
    return PREFIX + ep.path.replace("{id}", "<path:id>")


def register(server: flask.Flask, query) -> None:
    """Add the API's routes to the app's Flask server."""
    handlers = Handlers(query)
    doc = openapi_document()

    def make_view(ep: Endpoint):
        def view(**path_args):
            try:
                args = {}
                for p in ep.params:
                    raw = path_args.get(p.name) if p.where == "path" else \
                        flask.request.args.get(p.name)
                    args[p.name] = p.parse(raw)
                check_period(args)
                data = getattr(handlers, ep.name)(**args)
            except BadRequest as exc:
                return _json({"error": str(exc)}, 400)
            if data is None and ep.not_found:
                return _json({"error": f"no vessel with MMSI or IMO {path_args.get('id')}"},
                             404)
            if ep.csv and args.get("format") == "csv":
                key = "vessels" if ep.name == "vessels" else "port_calls"
                access.audit("export", ok=True, target=flask.request.full_path[:300],
                             format="csv", rows=len(data[key]))
                return _csv(data[key], ep.name)
            if ep.name in EXPORTS:
                access.audit("export", ok=True, target=flask.request.full_path[:300],
                             format="geojson")
            return _json(data, 200, ep.media)
        view.__name__ = f"api_{ep.name}"
        return view

    for ep in ENDPOINTS:
        server.add_url_rule(_route(ep), view_func=make_view(ep), methods=["GET"])
    server.add_url_rule(f"{PREFIX}/openapi.json", "api_openapi",
                        lambda: _json(doc, 200))
    server.add_url_rule(f"{PREFIX}/docs", "api_docs",
                        lambda: flask.Response(docs_page(doc), mimetype="text/html"))


def _json(data, status: int, media: str = "application/json") -> flask.Response:
    """Strict JSON (no NaN: a non-finite figure is null) of any answer."""
    body = dumps(data)
    return flask.Response(body, status=status, mimetype=media)
