"""``python app.py decode FILE… [--format jsonl]``: one JSON object per decoded AIS message on
stdout (with ``type``, ``mmsi`` and ``ts`` when known), a summary of rejects by reason on stderr."""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from .ais import AisDecoder
from .jsonout import dumps
from .transport import file_lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="app.py decode", description=__doc__)
    parser.add_argument("files", nargs="+", help="NMEA files (plain or .gz)")
    parser.add_argument("--format", choices=["jsonl"], default="jsonl")
    args = parser.parse_args(argv)
    rejects: Counter = Counter()
    warnings: Counter = Counter()
    decoded = 0
    out = sys.stdout
    for path in args.files:
        decoder = AisDecoder(on_reject=lambda reason, detail: rejects.update([reason]),
                             on_warning=lambda reason, detail: warnings.update([reason]))
        try:
            lines = file_lines(path, encoding="latin-1")
            for line in lines:
                record = decoder.feed(line, time.time())
                if record is not None:
                    decoded += 1
                    out.write(dumps(record) + "\n")
            decoder.finish()
        except OSError as exc:
            print(f"{path}: {exc.strerror or exc}", file=sys.stderr)
            rejects["unreadable_file"] += 1
    summary = ", ".join(f"{reason} {n}" for reason, n in rejects.most_common()) or "none"
    print(f"decoded {decoded} messages; rejected: {summary}", file=sys.stderr)
    if warnings:
        print("used with warnings: " + ", ".join(f"{r} {n}" for r, n in warnings.most_common()),
              file=sys.stderr)
    return 0
