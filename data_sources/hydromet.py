"""Hydro-meteorological observations: NOAA CO-OPS JSON, CSV, MQTT and (in ``ais_source``) AIS
DAC 1 FI 31 messages — all become ``MetHydroObservation``s.

Formats (any transport):

* **CO-OPS JSON** — the NOAA Tides & Currents data API (``datagetter``) response, raw or as
  recorded with its ``source_uri``: products ``water_level`` / ``predictions`` (metres above
  the requested datum), ``wind`` (speed and gust in m/s with ``units=metric``, direction °),
  ``air_temperature``, ``water_temperature`` (°C), ``air_pressure`` (hPa), ``visibility``
  (nautical miles). Times are GMT (``time_zone=gmt``).
* **CSV** — ``time,station[,lon,lat],<quantity>…`` with quantities named as below.
* **MQTT / JSON lines** — one object per message: ``{"station": "…", "time": "…",
  "waterlevel": 1.23, "wspeed": 12.0, …}`` (a topic ``…/<station>`` names the station when
  the payload does not).

Quantities inside (the AIS met-hydro names): ``waterlevel`` m above chart datum, ``wspeed``
and ``wgust`` knots, ``wdir`` degrees true (from), ``visibility`` nautical miles, ``airtemp``
/ ``watertemp`` °C, ``pressure`` hPa, ``waveheight`` m. Bad rows are counted by reason and
skipped.

Transports: a file, an HTTP URL polled on an interval (``HttpPoller``), an MQTT subscription
(``MqttSource``, paho-mqtt) or any line transport from ``transport``.
"""
from __future__ import annotations

import csv
import io
import json
import math
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from .events import MetHydroObservation
from .live import HttpFeed, LiveFeed
from .rows import lowered, number, parse_objects, parse_time

MS_TO_KN = 3600.0 / 1852.0
QUANTITIES = ("waterlevel", "wspeed", "wgust", "wdir", "visibility", "airtemp", "watertemp",
              "pressure", "waveheight")
ALIASES = {"water_level": "waterlevel", "water_level_m": "waterlevel", "level_m": "waterlevel",
           "wind_speed": "wspeed", "wind_speed_kn": "wspeed", "wind_gust": "wgust",
           "wind_gust_kn": "wgust", "wind_dir": "wdir", "wind_direction": "wdir",
           "visibility_nm": "visibility", "air_temperature": "airtemp",
           "water_temperature": "watertemp", "air_pressure": "pressure",
           "wave_height": "waveheight", "wave_height_m": "waveheight"}
COOPS_PRODUCTS = {"water_level": "waterlevel", "predictions": "predicted",
                  "air_temperature": "airtemp", "water_temperature": "watertemp",
                  "air_pressure": "pressure", "visibility": "visibility",
                  "one_minute_water_level": "waterlevel", "hourly_height": "waterlevel"}


def _reject(on_reject, reason, detail=None):
    if on_reject:
        on_reject(reason, detail)


def parse_coops(doc, source: str, product: str | None = None, station: str | None = None,
                on_reject=None) -> list[MetHydroObservation]:
    """A CO-OPS API response (dict or JSON text) -> observations, in time order."""
    if isinstance(doc, (str, bytes)):
        try:
            doc = json.loads(doc)
        except json.JSONDecodeError as exc:
            _reject(on_reject, "bad_json", str(exc))
            return []
    if not isinstance(doc, dict):
        _reject(on_reject, "bad_json", "not an object")
        return []
    if "response" in doc and isinstance(doc["response"], dict):
        query = parse_qs(urlparse(doc.get("source_uri", "")).query)
        product = product or (query.get("product") or [None])[0]
        station = station or (query.get("station") or [None])[0]
        doc = doc["response"]
    if "error" in doc:
        _reject(on_reject, "api_error", str(doc["error"])[:120])
        return []
    meta = doc.get("metadata") or {}
    if not isinstance(meta, dict):
        _reject(on_reject, "bad_json", "metadata is not an object")
        return []
    station = str(meta.get("id") or station or "unknown")[:80]
    try:
        lon, lat = number(meta.get("lon")), number(meta.get("lat"))
    except (ValueError, TypeError) as exc:
        _reject(on_reject, "bad_field", f"{station}: metadata position: {exc}")
        lon = lat = None
    rows = doc.get("data")
    if rows is None and "predictions" in doc:
        rows, product = doc["predictions"], "predictions"
    if not isinstance(rows, list):
        _reject(on_reject, "no_data", "no data list in the response")
        return []
    if product is None:                       # guess from the fields
        first = rows[0] if rows else {}
        product = "wind" if {"s", "d"} <= set(first) else "water_level"
    out = []
    for row in rows:
        try:
            ts = datetime.strptime(row["t"], "%Y-%m-%d %H:%M").replace(
                tzinfo=timezone.utc).timestamp()
            if product == "wind":
                values = {"wspeed": number(row.get("s")), "wdir": number(row.get("d")),
                          "wgust": number(row.get("g"))}
                for k in ("wspeed", "wgust"):
                    if values[k] is not None:
                        values[k] = round(values[k] * MS_TO_KN, 2)     # metric: m/s
            else:
                name = COOPS_PRODUCTS.get(product)
                if name is None:
                    _reject(on_reject, "unknown_product", product)
                    return out
                values = {name: number(row.get("v"))}
        except (KeyError, ValueError, TypeError, OverflowError) as exc:
            _reject(on_reject, "bad_row", f"{exc}: {str(row)[:60]}")
            continue
        values = {k: v for k, v in values.items() if v is not None}
        if not values:
            _reject(on_reject, "no_value", f"{station} {row.get('t')}: no value (gap)")
            continue
        out.append(MetHydroObservation(ts, source, station, lon, lat, values))
    out.sort(key=lambda o: o.ts)
    return out


def parse_record(row: dict, source: str, on_reject=None, station: str | None = None
                 ) -> MetHydroObservation | None:
    """One CSV row or JSON object -> an observation (None, counted, when unusable)."""
    low = lowered(row)
    station = str(low.get("station") or low.get("station_id") or station or "").strip()
    when = low.get("time", low.get("ts", low.get("t")))
    if not station or when in (None, ""):
        _reject(on_reject, "missing_field", f"needs station and time: {str(row)[:80]}")
        return None
    try:
        ts = parse_time(when)
        values = {}
        for key, value in low.items():
            name = ALIASES.get(key, key)
            if name in QUANTITIES and value not in (None, ""):
                values[name] = float(value)
        lon, lat = number(low.get("lon")), number(low.get("lat"))
    except (ValueError, TypeError, OverflowError) as exc:
        _reject(on_reject, "bad_field", f"{exc}: {str(row)[:80]}")
        return None
    if not values:
        _reject(on_reject, "no_value", f"{station}: no known quantity ({sorted(low)})")
        return None
    bad = [k for k, v in values.items() if not math.isfinite(v) or
           (k in ("wspeed", "wgust", "visibility") and v < 0) or (k == "wdir" and not 0 <= v <= 360)]
    if bad:
        _reject(on_reject, "out_of_range", f"{station}: {bad}")
        return None
    return MetHydroObservation(ts, source, station, lon, lat, values)


def load_file(path, source: str = "hydromet", on_reject=None) -> list[MetHydroObservation]:
    """CO-OPS JSON (``.json``), JSON lines (``.jsonl``) or CSV (``.csv``) -> observations."""
    path = Path(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() == ".csv":
        out = [o for o in (parse_record(r, source, on_reject)
                           for r in csv.DictReader(io.StringIO(text))) if o is not None]
    elif path.suffix.lower() == ".jsonl":
        out = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                out.extend(parse_payload(line, source, on_reject))
    else:
        out = parse_coops(text, source, on_reject=on_reject)
    return sorted(out, key=lambda o: o.ts)


def parse_payload(payload, source: str, on_reject=None, station: str | None = None
                  ) -> list[MetHydroObservation]:
    """One message (MQTT payload, JSON line, HTTP body): a CO-OPS response or one/many
    observation objects."""
    try:
        doc = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        _reject(on_reject, "bad_json", str(exc)[:80])
        return []
    if isinstance(doc, dict) and ("response" in doc or "data" in doc or "predictions" in doc
                                  or "error" in doc):
        return parse_coops(doc, source, station=station, on_reject=on_reject)
    rows = doc if isinstance(doc, list) else [doc]
    return parse_objects(rows, lambda row: parse_record(row, source, on_reject, station),
                         on_reject)


class HttpPoller(HttpFeed):
    """Poll an HTTP URL (the CO-OPS API, or a station's own JSON) every ``interval_s``;
    only observations newer than the last one seen per station are handed on."""

    def __init__(self, url: str, interval_s: float = 360.0, source_id: str = "hydromet-http",
                 label: str | None = None, stale_after_s: float = 1800.0,
                 timeout_s: float = 10.0):
        super().__init__(url, interval_s, source_id, label, stale_after_s, timeout_s)
        self._seen: dict[str, float] = {}

    def handle(self, body: bytes, now: float) -> int:
        new = [o for o in parse_payload(body, self.source_id, self.health.record_reject)
               if o.ts > self._seen.get(o.station, -math.inf)]
        for o in new:
            self._seen[o.station] = max(self._seen.get(o.station, -math.inf), o.ts)
        self.push(new)
        return len(new)


class MqttSource(LiveFeed):
    """Subscribe to MQTT topics (paho-mqtt); each message is one payload (``parse_payload``).
    The last topic level names the station when the payload does not. Reconnects by itself."""

    def __init__(self, host: str, port: int = 1883, topics=("porttwin/hydromet/#",),
                 source_id: str = "hydromet-mqtt", label: str | None = None,
                 stale_after_s: float = 1800.0):
        import paho.mqtt.client as mqtt
        super().__init__(source_id, label or f"mqtt://{host}:{port}", stale_after_s)
        self.host, self.port, self.topics = host, port, list(topics)
        self.state = "waiting"
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=f"porttwin-{source_id}-{int(time.time())}")
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)

    def _on_connect(self, client, userdata, flags, reason_code, properties=None):
        if reason_code.is_failure:
            self.health.record_reject("mqtt_connect", str(reason_code))
            self.state = "reconnecting"
            self.health.set_connection("reconnecting", str(reason_code))
            return
        self.state = "connected"
        self.health.set_connection("connected")
        for topic in self.topics:
            client.subscribe(topic, qos=1)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties=None):
        self.state = "reconnecting"
        self.health.set_connection("reconnecting", str(reason_code))

    def _on_message(self, client, userdata, msg):
        """One message; whatever it makes ``parse_payload`` raise is counted with its topic
        (paho would otherwise end its network loop on an exception in a callback)."""
        try:
            station = msg.topic.rsplit("/", 1)[-1] or None
            self.push(parse_payload(msg.payload, self.source_id, self.health.record_reject,
                                    station=station))
        except Exception as exc:
            self.health.record_reject("bad_document", f"mqtt://{self.host}:{self.port}/"
                                      f"{msg.topic}: {type(exc).__name__}: {exc}"[:300])

    def start(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
