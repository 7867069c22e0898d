"""Benchmark: the twin at fleet scale — snapshot, map layers, bytes of a map update, panels, RSS.

    python app.py bench scale [--vessels 50000] [--trail-minutes 15] [--repeat 5]

A synthetic fleet of N vessels inside the NY/NJ package bounds is fed through the real path
(a source polled by ``Engine.step`` → ``FleetState.apply``), ``--trail-minutes`` of it at AIS
reporting rates (ITU-R M.1371 class A: 10 s under way, 6 s above 14 kn, 3 min moored or at
anchor; class B: 30 s, 3 min when stopped): about a third moored, a tenth at anchor, the rest
under way at 2–20 kn, each with static data (name, type, size) on its first report. Then:

* snapshot: the engine's published snapshot (``Engine.snapshot()``, what a web request pays)
  and building one (``FleetState.snapshot(now)``, what the engine thread pays each round);
* layers: the wall's vessel layers for one snapshot (``callbacks.wall.live_layers``);
* map update: the payload the wall's map callback returns, as Dash serialises it, raw and
  gzip-compressed at level 6 (what flask-compress sends);
* panels: the wall's panel callback functions on that snapshot (KPI strip, feed health,
  source, clock, port panel, a vessel card);
* RSS: the process's peak resident memory.
"""
from __future__ import annotations

import argparse
import gzip
import resource
import statistics
import time

import numpy as np

from data_sources.events import VesselReport
from data_sources.health import FeedHealth

NY_BOUNDS = (-74.30, 40.45, -73.70, 40.95)      # west, south, east, north (the package's)
KN = 1852 / 3600                               # m/s per knot
SLICE_S = 10.0                                 # one engine round per 10 s of fleet time

SHIP_TYPES = np.array([70, 71, 79, 80, 84, 60, 69, 52, 31, 30, 36, 37, 50, 90, 0])
TYPE_P = np.array([.18, .05, .04, .10, .03, .06, .03, .08, .03, .05, .08, .12, .03, .04, .08])


def port_bounds() -> tuple[float, float, float, float]:
    try:
        from twin.config import Config
        from twin.port import Port
        return tuple(Port.load(Config.load().port_dir).bounds)
    except Exception:                         # no package here: the NY bounds it has
        return NY_BOUNDS


class SyntheticFleet:
    """A source of ``n`` vessels' reports, one ``poll`` per ``SLICE_S`` of fleet time."""

    def __init__(self, n: int, minutes: float, t0: float = 1_700_000_000.0, seed: int = 0,
                 bounds=None):
        rng = np.random.default_rng(seed)
        w, s, e, nth = bounds or port_bounds()
        self.n, self.t0, self.end = n, t0, t0 + minutes * 60
        self.mmsi = 200_000_000 + rng.choice(700_000_000, n, replace=False)
        self.lon0 = rng.uniform(w, e, n)
        self.lat0 = rng.uniform(s, nth, n)
        kind = rng.choice(3, n, p=[.35, .10, .55])           # moored, anchored, under way
        self.status = np.choose(kind, [5, 1, 0])
        self.sog = np.where(kind == 2, rng.uniform(2, 20, n), rng.uniform(0, .3, n))
        self.cog = rng.uniform(0, 360, n)
        self.class_a = rng.random(n) < .7
        moving = kind == 2
        self.interval = np.where(self.class_a, np.where(moving, np.where(self.sog > 14, 6., 10.),
                                                        180.), np.where(moving, 30., 180.))
        self.next_t = t0 + rng.uniform(0, self.interval)
        self.seen = np.zeros(n, bool)
        self.ship_type = rng.choice(SHIP_TYPES, n, p=TYPE_P / TYPE_P.sum())
        self.length = np.round(rng.uniform(8, 300, n))
        self.width = np.round(self.length / rng.uniform(5, 8, n))
        self.now = t0
        self.health = FeedHealth("ais")
        self.source_id, self.label = "ais", "synthetic fleet"
        self.m_lon = 111_320 * np.cos(np.radians(self.lat0))

    def data_time(self) -> float:
        return self.now

    def done(self) -> bool:
        return self.now >= self.end

    def poll(self) -> list:
        until = min(self.now + SLICE_S, self.end)
        events = []
        while True:
            due = np.flatnonzero(self.next_t < until)
            if not len(due):
                break
            ts = self.next_t[due]
            d = (ts - self.t0) * self.sog[due] * KN                 # metres run since t0
            rad = np.radians(self.cog[due])
            lon = self.lon0[due] + d * np.sin(rad) / self.m_lon[due]
            lat = self.lat0[due] + d * np.cos(rad) / 111_195
            for i, t, x, y in zip(due.tolist(), ts.tolist(), lon.tolist(), lat.tolist()):
                a = bool(self.class_a[i])
                if self.seen[i]:
                    events.append(VesselReport(
                        t, "ais", int(self.mmsi[i]), x, y, float(self.sog[i]),
                        float(self.cog[i]), float(self.cog[i]) if a else None,
                        int(self.status[i]) if a else None, static=False))
                else:
                    self.seen[i] = True
                    length = float(self.length[i])
                    events.append(VesselReport(
                        t, "ais", int(self.mmsi[i]), x, y, float(self.sog[i]),
                        float(self.cog[i]), float(self.cog[i]) if a else None,
                        int(self.status[i]) if a else None, name=f"SYN {i:06d}",
                        ship_type=int(self.ship_type[i]) or None, length=length,
                        width=float(self.width[i]), to_bow=length * .6, to_stern=length * .4,
                        to_port=float(self.width[i]) / 2, to_starboard=float(self.width[i]) / 2,
                        ais_class="A" if a else "B", destination="NEW YORK"))
            self.next_t[due] += self.interval[due]
        events.sort(key=lambda r: r.ts)
        self.now = until
        self.health.record_messages(len(events), until)
        return events


def rss_mb() -> float:
    """Peak resident memory of this process (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """Resident memory of this process now (MB)."""
    from bench.soak import rss_mb as now_mb
    return now_mb()


class _Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def _ms(fn, repeat: int) -> tuple[list[float], object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return times, out


def run(vessels: int, trail_minutes: float, repeat: int = 5) -> dict:
    from dash._utils import to_json
    from flask_caching.backends.simplecache import SimpleCache

    from callbacks import wall
    from layouts import panels
    from layouts.map_layers import ALERT_RINGS, SELECTION, alert_layer, selection_layer
    from twin.engine import Engine
    from twin.state import FleetState

    fleet = SyntheticFleet(vessels, trail_minutes)
    clock = _Clock()
    state = FleetState(trail_s=max(trail_minutes, 1) * 60, expire_s=1800)
    engine = Engine([fleet], state, wall_clock=clock)
    t0, events, rounds, round_ms = time.perf_counter(), 0, 0, []
    while not fleet.done():
        r0 = time.perf_counter()
        events += engine.step()
        round_ms.append((time.perf_counter() - r0) * 1e3)
        clock.t += SLICE_S
        rounds += 1
    feed_s = time.perf_counter() - t0
    now = fleet.now

    build_ms, _ = _ms(lambda: state.snapshot(now), repeat)
    engine.start()                            # the engine thread now publishes every round

    def web_snapshot():                       # what a web request pays: a new request each
        clock.t += 1.0                        # time (older than snapshot_max_age_s)
        return engine.snapshot()
    try:
        time.sleep(engine.tick_s * 2)
        read_ms, snap = _ms(web_snapshot, repeat)
    finally:
        engine.stop()

    def layers_fresh():                       # what one snapshot costs the first screen
        return wall.live_layers(snap, SimpleCache(), "type")[1]
    layer_ms, layers = _ms(layers_fresh, repeat)
    shared = SimpleCache()
    wall.live_layers(snap, shared, "type")
    cached_ms, _ = _ms(lambda: wall.live_layers(snap, shared, "type"), repeat)

    selected = int(snap.vessels["mmsi"].iloc[len(snap.vessels) // 2])

    def map_update():                         # the map callback's payload, as Dash sends it
        token, lay = wall.live_layers(snap, shared, "type")
        data = {**lay.data, SELECTION: selection_layer(snap.vessels, selected),
                ALERT_RINGS: alert_layer(snap.vessels, {})}
        return to_json({"multi": True, "response": {
            "map": {"layerData": data}, "layer-version": {"data": token}}}).encode()
    update_ms, raw = _ms(map_update, repeat)
    gz_ms, packed = _ms(lambda: gzip.compress(raw, compresslevel=6), 1)

    def draw_panels():
        lang, tz = "en", "America/New_York"
        s = engine.snapshot()
        return (panels.kpi_strip(s.counts(), lang), panels.feed_health(engine.feed_health(), lang),
                panels.source_banner(engine.primary, lang),
                panels.clock(engine.display_time(), tz, lang),
                panels.port_panel(None, None, tz, lang, {}),
                panels.hydromet_panel([], None, s.time // 60 * 60, lang),
                panels.vessel_card(s.vessel(selected), s.time, tz, lang, None, {}))
    panel_ms, _ = _ms(draw_panels, repeat)
    return {
        "vessels": vessels, "live": len(snap.vessels), "events": events, "rounds": rounds,
        "feed_s": feed_s, "events_per_s": events / feed_s if feed_s else 0.0,
        "round_ms_median": statistics.median(round_ms), "round_ms_max": max(round_ms),
        "trail_points": len(snap.trail_lonlat), "trails": len(snap.trail_starts),
        "snapshot_ms_median": statistics.median(read_ms), "snapshot_ms_max": max(read_ms),
        "build_ms_median": statistics.median(build_ms), "build_ms_max": max(build_ms),
        "layer_ms_median": statistics.median(layer_ms), "layer_cached_ms": statistics.median(
            cached_ms), "update_ms_median": statistics.median(update_ms),
        "update_bytes": len(raw), "update_gzip_bytes": len(packed), "gzip_ms": gz_ms[0],
        "panel_ms_median": statistics.median(panel_ms), "panel_ms_max": max(panel_ms),
        "rss_mb": current_rss_mb(), "peak_rss_mb": rss_mb(),
    }


def print_report(r: dict) -> None:
    print(f"fleet: {r['vessels']:,} vessels ({r['live']:,} live), {r['events']:,} reports in "
          f"{r['rounds']} rounds, {r['trails']:,} trails / {r['trail_points']:,} points")
    print(f"ingest: {r['feed_s']:.1f} s, {r['events_per_s']:,.0f} reports/s; engine round "
          f"median {r['round_ms_median']:.1f} ms, max {r['round_ms_max']:.1f} ms")
    print(f"snapshot (web request, Engine.snapshot): median {r['snapshot_ms_median']:.2f} ms, "
          f"max {r['snapshot_ms_max']:.2f} ms")
    print(f"snapshot build (FleetState.snapshot): median {r['build_ms_median']:.1f} ms, "
          f"max {r['build_ms_max']:.1f} ms")
    print(f"layer build: median {r['layer_ms_median']:.1f} ms (cached: "
          f"{r['layer_cached_ms']:.2f} ms)")
    print(f"map update: {r['update_bytes'] / 1e6:.2f} MB raw, {r['update_gzip_bytes'] / 1e6:.2f}"
          f" MB gzip-6 (serialise {r['update_ms_median']:.1f} ms, gzip {r['gzip_ms']:.1f} ms)")
    print(f"panels: median {r['panel_ms_median']:.1f} ms, max {r['panel_ms_max']:.1f} ms")
    print(f"RSS: {r['rss_mb']:.0f} MB now, {r['peak_rss_mb']:.0f} MB peak")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="app.py bench scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vessels", type=int, default=50_000)
    parser.add_argument("--trail-minutes", type=float, default=15.0,
                        help="minutes of fleet time fed (and kept as trails)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median, max)")
    args = parser.parse_args(argv)
    if args.vessels < 1 or args.trail_minutes <= 0 or args.repeat < 1:
        parser.error("--vessels, --trail-minutes and --repeat must be positive")
    print_report(run(args.vessels, args.trail_minutes, args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
