"""``python app.py port check DIR [--history FILE …]`` and ``python app.py port init …
[--learn-from FILE …]`` (see README, "Set up another port"): validate a package (and, with a
history, how many of its stops lie at a named place); make one from source geometry, with the
berths and anchorages the sources lack learned from where a history's ships stopped."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .port_build import BuildOptions, init_package
from .port_check import check_coverage, check_package
from .port_learn import LearnOptions


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="app.py port", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate a port package")
    check.add_argument("dir", type=Path)
    check.add_argument("--history", nargs="+", default=[], type=Path, metavar="FILE",
                       help="position files (MarineCadastre CSV, .traj, NMEA): report the share "
                            "of their stops at a named berth or anchorage, and the others")
    init = sub.add_parser("init", help="make a port package from source geometry")
    init.add_argument("--out", type=Path, required=True, help="package folder to write")
    init.add_argument("--name", required=True)
    init.add_argument("--name-zh")
    init.add_argument("--locode", required=True, help="UN/LOCODE, e.g. CNSHA")
    init.add_argument("--timezone", required=True, help="IANA zone, e.g. Asia/Shanghai")
    init.add_argument("--language", default="en", choices=["en", "zh"])
    init.add_argument("--bbox", type=float, nargs=4, required=True,
                      metavar=("WEST", "SOUTH", "EAST", "NORTH"))
    init.add_argument("--coastline", required=True, help="land polygons (GeoJSON, any CRS)")
    init.add_argument("--docks", required=True, help="dock points with id and name "
                                                     "(USACE Navigation Units style)")
    init.add_argument("--anchorages", help="anchorage polygons (optional: without them, only "
                                           "anchorages learned with --learn-from)")
    init.add_argument("--terminals", help="terminal areas (OSM industrial=port)")
    init.add_argument("--zones", help="regulated areas: polygons with id, name, kind "
                                      "(restricted / speed with speed_limit_kn)")
    init.add_argument("--tide-stations", nargs="*", default=[], help="NOAA/other station ids")
    init.add_argument("--snap-max-m", type=float, default=BuildOptions.snap_max_m)
    init.add_argument("--learn-from", nargs="+", default=[], type=Path, metavar="FILE",
                      help="AIS history (MarineCadastre CSV, tracktable .traj, NMEA; fixes "
                           "outside --bbox skipped): learn berths and anchorages from its stops")
    init.add_argument("--learn-min-stops", type=int, default=LearnOptions.min_stops,
                      help="stops a learned place needs (DBSCAN min_samples; raise it for "
                           "months of history)")
    args = parser.parse_args(argv)

    if args.command == "init":
        report = init_package(
            args.out, name=args.name, name_zh=args.name_zh, locode=args.locode,
            timezone=args.timezone, language=args.language, bbox=tuple(args.bbox),
            coastline=args.coastline, docks=args.docks, anchorages=args.anchorages,
            terminals=args.terminals, zones=args.zones,
            tide_stations=args.tide_stations,
            opts=BuildOptions(snap_max_m=args.snap_max_m), learn_from=args.learn_from,
            learn_opts=LearnOptions(min_stops=args.learn_min_stops))
        for line in report:
            print(f"note: {line}", file=sys.stderr)
        print(f"wrote {args.out}; {len(report)} notes", file=sys.stderr)
        target = args.out
    else:
        target = args.dir
    problems = check_package(target)
    for p in problems:
        print(p, file=sys.stderr if p.level == "error" else sys.stdout)
    errors = sum(p.level == "error" for p in problems)
    warnings = len(problems) - errors
    if args.command == "check" and args.history:
        from .port import PortPackageError
        try:
            for line in check_coverage(target, args.history).lines():
                print(line)
        except PortPackageError:
            print("coverage: not measured (the package does not load, see the errors)")
    print(f"{target}: {errors} errors, {warnings} warnings")
    return 1 if errors else 0
