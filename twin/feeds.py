"""The feeds besides AIS, wired for one deployment: VTS radar (+ fusion), hydro-met, berth
plan and throughput. Each is a source the engine polls (with its own health for the feed
panel) and a model of the twin the alert rules read.

In the bundled NY scenario:

* radar — **simulated** (``radar.toml``): the replayed AIS hour observed by a modelled radar,
  replayed on the AIS clock;
* hydro-met — the **predicted** tide at the port's four NOAA stations (harmonics bundled); no
  observation feed, no wind, no visibility (the panel shows those slots empty);
* berth plan — a **sample** derived from the hour's real port calls (``berth_plan_sample.csv``);
* throughput — the real PANYNJ monthly TEU 2021–2025, stored in the history store.

Each of these comes from the port package (``port.toml``) or the deployment, never from New
York by default: another port's package without a berth plan, throughput table or radar model
shows those slots empty. A file that is there but cannot be used (a throughput table of an
unknown layout, a berth plan that is no plan, a tide station without harmonics) is a feed-panel
row in state "failed" with the reason (``error``) — the app starts, the operator sees why.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from data_sources import berth_plan as plan_io
from data_sources import hydromet as hydromet_io
from data_sources.events import VesselReport
from data_sources.health import FeedHealth
from data_sources.radar_sim import RadarScenario, simulate
from data_sources.replay import ReplaySource
from data_sources.throughput import ThroughputFormatError, load_monthly_teu
from data_sources.vts import VtsSource

from .berth_plan import BerthPlan
from .fusion import Fusion
from .hydromet import HydroMet

log = logging.getLogger(__name__)


@dataclass
class Feeds:
    sources: list = field(default_factory=list)
    models: list = field(default_factory=list)
    fusion: Fusion | None = None
    hydromet: HydroMet | None = None
    plan: BerthPlan | None = None
    slots: list = field(default_factory=list)     # feed-panel rows with no source (empty)


def error_slot(source: str, label: str, why: str) -> dict:
    """A feed-panel row for a feed that is configured but cannot run, with the reason."""
    return {"source": source, "label": label, "state": "failed", "error": why,
            "last_error": why}


def build_feeds(config, port, ais_source, store=None) -> Feeds:
    config = config.for_port(port)
    feeds = Feeds()
    replay = isinstance(ais_source, ReplaySource)
    span = (ais_source.start_ts, ais_source.end_ts) if replay else None

    def replay_of(events, source_id, label, health):
        return ReplaySource(events, source_id=source_id, label=label, speed=config.speed,
                            loop=config.loop, warmup_s=config.warmup_s, health=health, span=span)

    # ---- radar + fusion ------------------------------------------------------------------
    radar_toml = port.path / "radar.toml"
    radar = config.radar
    if radar == "auto" and replay and radar_toml.is_file():
        scenario = RadarScenario.load(radar_toml)
        ais = [e for e in ais_source.events if isinstance(e, VesselReport)]
        reports, _ = simulate(ais, scenario, start=span[0], end=span[1])
        health = FeedHealth("radar-sim", label="radar_simulated", stale_after_s=30)
        feeds.sources.append(replay_of(reports, "radar-sim", "radar_simulated", health))
        log.info("simulated radar: %d track reports over the AIS replay", len(reports))
    elif radar.startswith(("tcp://", "udp://")):
        site = None
        if radar_toml.is_file():
            s = RadarScenario.load(radar_toml).sites[0]
            site = (s.lon, s.lat)
        feeds.sources.append(VtsSource(radar, source_id="radar", label=radar, site=site))
    else:
        feeds.slots.append({"source": "radar", "label": "radar_none", "state": "none"})
    if len(feeds.sources):
        feeds.fusion = Fusion(port.geometry.crs)
        feeds.models.append(feeds.fusion)

    # ---- hydro-met -----------------------------------------------------------------------
    feeds.hydromet = HydroMet(port.tide_stations, port_dir=port.path)
    feeds.models.append(feeds.hydromet)
    url = config.hydromet
    if url.startswith(("http://", "https://")):
        feeds.sources.append(hydromet_io.HttpPoller(url, config.hydromet_interval_s))
    elif url.startswith("mqtt://"):
        u = urlparse(url)
        feeds.sources.append(hydromet_io.MqttSource(u.hostname, u.port or 1883,
                                                    [u.path.lstrip("/") or "porttwin/hydromet/#"]))
    elif url:
        health = FeedHealth("hydromet", label=Path(url).name, stale_after_s=3600)
        obs = hydromet_io.load_file(url, "hydromet", on_reject=health.record_reject)
        if obs:
            feeds.sources.append(ReplaySource(obs, source_id="hydromet", label=Path(url).name,
                                              speed=config.speed, loop=config.loop,
                                              health=health))
    else:
        feeds.slots.append({"source": "hydromet-obs", "label": "hydromet_none",
                            "state": "none"})
    feeds.slots.append({"source": "tide-prediction", "label": "tide_predicted",
                        "state": "live" if feeds.hydromet.stations else "none"})
    missing = feeds.hydromet.missing_harmonics
    if missing:
        feeds.slots.append(error_slot(
            "tide-harmonics", "tide_no_harmonics",
            f"no predicted tide for station{'s' if len(missing) > 1 else ''} "
            + "; ".join(f"{sid}: {why}" for sid, why in missing.items())))

    # ---- berth plan ----------------------------------------------------------------------
    feeds.plan = BerthPlan(port.layer("berths"))
    feeds.models.append(feeds.plan)
    plan = config.berth_plan
    if plan == "auto":
        found = sorted(port.path.glob("berth_plan*.csv"))
        plan = str(found[0]) if found and replay else "none"
    if plan.startswith(("http://", "https://")):
        feeds.sources.append(plan_io.PlanPoller(plan))
    elif plan != "none":
        health = FeedHealth("berth-plan", label=Path(plan).name, stale_after_s=float("inf"))
        # a replay: the plan was issued just before the recording began
        try:
            calls = plan_io.load_file(plan, "berth-plan", on_reject=health.record_reject,
                                      received=span[0] - 1.0 if replay else None)
        except (OSError, plan_io.PlanFileError) as exc:
            why = str(exc) if isinstance(exc, plan_io.PlanFileError) else \
                f"{plan}: cannot be read ({exc.strerror or exc})"
            log.warning("berth plan: %s", why)
            feeds.slots.append(error_slot("berth-plan", "berth_plan_none", why))
            calls = None
        if calls == [] and health.rejects:         # a plan whose every row was rejected
            why = (f"{plan}: no call could be read ({sum(health.rejects.values())} rows "
                   f"rejected; last: {health.last_error})")
            log.warning("berth plan: %s", why)
            feeds.slots.append(error_slot("berth-plan", "berth_plan_none", why))
        calls = calls or []
        if any(c.sample for c in calls):
            health.label = "berth_plan_sample"          # labelled a sample on screen
        if calls and replay:
            feeds.sources.append(replay_of(calls, "berth-plan", health.label, health))
        elif calls:
            feeds.plan.apply(calls)
    else:
        feeds.slots.append({"source": "berth-plan", "label": "berth_plan_none",
                            "state": "none"})

    # ---- throughput: monthly statistics into the store -----------------------------------
    load_throughput(config, port, store, feeds)
    return feeds


def load_throughput(config, port, store, feeds: Feeds) -> None:
    """The port's monthly TEU table into the store on first start (the package's
    ``[throughput]``, or the deployment's ``throughput_monthly``, read with the package's
    column mapping). A table that cannot be read is an error row on the feed panel."""
    from twin.config import is_set
    path = config.throughput_monthly
    if store is None or not is_set(path) or not store.monthly_teu(port.locode).empty:
        return
    spec = port.throughput or {}
    rejects: list[str] = []
    try:
        monthly = load_monthly_teu(path, on_reject=lambda reason, detail=None:
                                   rejects.append(detail or reason),
                                   columns=spec.get("columns"), sheet=spec.get("sheet"))
    except ThroughputFormatError as exc:
        log.warning("throughput: %s", exc)
        feeds.slots.append(error_slot("throughput-monthly", "throughput_monthly", str(exc)))
        return
    name = Path(path).name                          # who publishes it, and from which file
    store.write_monthly_teu(port.locode, monthly,
                            f"{spec['source']} ({name})" if spec.get("source") else name)
    log.info("loaded %d months of TEU statistics%s", len(monthly),
             f" ({len(rejects)} rows skipped, e.g. {rejects[0]})" if rejects else "")
