"""Transports deliver lines of text; formats (``marinecadastre``, NMEA later) parse them.

Keeping the two apart lets any format ride any transport (file replay now; TCP, UDP and MQTT
follow the same shape: an iterator of ``str`` lines).
"""
from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Iterator


def file_lines(path: str | Path, encoding: str = "utf-8") -> Iterator[str]:
    """Yield the lines of a text file (plain or ``.gz``) without their line endings.

    Undecodable bytes are replaced rather than raised: a bad byte is the format parser's
    business (it rejects that one record and counts it), not a reason to stop the file.
    """
    path = Path(path)
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")
    with raw, io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="") as text:
        for line in text:
            yield line.rstrip("\r\n")
