"""Benchmarks that print figures: ``python app.py bench NAME`` or ``python -m bench.NAME``."""
from __future__ import annotations


def run_bench(argv: list[str]) -> int:
    benches = {"map": "bench.map", "ais": "bench.ais", "portcalls": "bench.portcalls",
               "fuzz": "bench.fuzz", "soak": "bench.soak", "stops": "bench.stops",
               "ingest": "bench.ingest", "scale": "bench.scale", "load": "bench.load",
               "stack": "bench.stack"}
    if not argv or argv[0] not in benches:
        print(f"usage: python app.py bench {{{','.join(benches)}}} [options]")
        return 2
    import importlib
    return importlib.import_module(benches[argv[0]]).main(argv[1:])
