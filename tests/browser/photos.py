"""Test photos: real JPEGs with noise, so they do not compress to nothing."""

from __future__ import annotations

import hashlib
import io
import random

from PIL import Image


def jpeg(width: int = 640, height: int = 480, seed: int = 1) -> bytes:
    """A JPEG of roughly 100-400 KB depending on size."""
    rnd = random.Random(seed)
    img = Image.frombytes("RGB", (width, height), rnd.randbytes(width * height * 3))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def sha256(data: bytes) -> str:
    """Hex digest."""
    return hashlib.sha256(data).hexdigest()
