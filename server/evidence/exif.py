"""Capture time, place and orientation from a photo's EXIF (read before it is stripped)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from PIL import Image

_IFD_EXIF = 0x8769
_IFD_GPS = 0x8825
_ORIENTATION = 0x0112
_DATETIME = 0x0132
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011
_EXIF_TIME = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$", re.ASCII)
_OFFSET = re.compile(r"^[+-]\d{2}:\d{2}$", re.ASCII)


@dataclass(frozen=True, slots=True)
class ExifFacts:
    """What the original's EXIF said; ``None`` where it said nothing usable."""

    orientation: int = 1
    time: str | None = None
    geo: dict[str, float] | None = None


def _time(exif: Image.Exif) -> str | None:
    sub = exif.get_ifd(_IFD_EXIF)
    raw = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not isinstance(raw, str):
        return None
    match = _EXIF_TIME.match(raw.strip().rstrip("\x00"))
    if match is None:
        return None
    y, mo, d, h, mi, s = match.groups()
    text = f"{y}-{mo}-{d}T{h}:{mi}:{s}"
    offset = sub.get(_OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str) and _OFFSET.match(offset.strip().rstrip("\x00")):
        text += offset.strip().rstrip("\x00")
    return text


def _degrees(value: Any, ref: Any, negative: str) -> float | None:
    try:
        d, m, s = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    deg = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if isinstance(ref, str) and ref.strip().upper().startswith(negative):
        deg = -deg
    return round(deg, 7)


def _geo(exif: Image.Exif) -> dict[str, float] | None:
    gps = exif.get_ifd(_IFD_GPS)
    if not gps:
        return None
    lat = _degrees(gps.get(2), gps.get(1), "S")
    lon = _degrees(gps.get(4), gps.get(3), "W")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    out = {"lat": lat, "lon": lon}
    alt = gps.get(6)
    if alt is not None:
        try:
            altitude = float(alt)
        except (TypeError, ValueError, ZeroDivisionError):
            return out
        below = gps.get(5)
        if below in (1, b"\x01"):
            altitude = -altitude
        out["alt"] = round(altitude, 2)
    return out


def read_exif(img: Image.Image) -> ExifFacts:
    """Orientation, capture time (ISO 8601, with offset when EXIF has one) and GPS."""
    try:
        exif = img.getexif()
    except (OSError, ValueError, SyntaxError):
        return ExifFacts()
    orientation = exif.get(_ORIENTATION, 1)
    if not isinstance(orientation, int) or not 1 <= orientation <= 8:
        orientation = 1
    try:
        return ExifFacts(orientation=orientation, time=_time(exif), geo=_geo(exif))
    except (OSError, ValueError, SyntaxError, KeyError):
        return ExifFacts(orientation=orientation)
