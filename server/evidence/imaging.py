"""Image checks and derivatives with Pillow. Synchronous; the photo worker processes run it.

Formats are detected from the bytes, never from a name or a declared type. Only JPEG, PNG
and WebP are accepted. The cheap checks (:func:`inspect_image`) read the header and the end
of the file; :func:`make_derivatives` decodes once (JPEG: DCT draft at 1/2 or 1/4 scale) and
derives both the display copy and the thumbnail from that one image, upright and stripped
of every piece of metadata.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from server.evidence.exif import ExifFacts, read_exif

# Pillow warns between MAX_IMAGE_PIXELS and twice that; a warning must refuse, not pass.
warnings.simplefilter("error", Image.DecompressionBombWarning)

MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_SIDE = 16_384
THUMB_SIDE = 320
DISPLAY_MIN = 1600
DISPLAY_MAX = 2048
THUMB_QUALITY = 80
DISPLAY_QUALITY = 85
_TAIL = 64 * 1024
# EXIF orientation -> the transpose that shows the photo upright (as ImageOps.exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class ImageRejected(Exception):
    """The bytes are not an acceptable photo; ``slug`` and Dutch ``detail`` say why."""

    def __init__(self, slug: str, detail: str) -> None:
        super().__init__(detail)
        self.slug = slug
        self.detail = detail

    def __reduce__(self) -> tuple[type[ImageRejected], tuple[str, str]]:
        # Rejections travel back from the worker processes pickled.
        return (ImageRejected, (self.slug, self.detail))


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What the header says: format, MIME type and stored (not yet rotated) size."""

    format: str
    mime: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Derivatives:
    """Encoded derivatives plus facts of the original (upright size, EXIF time and place)."""

    thumb: bytes
    display: bytes
    width: int
    height: int
    exif: ExifFacts


def sniff(head: bytes) -> str | None:
    """The format named by the file's magic bytes (``JPEG``, ``PNG``, ``WEBP``, ``GIF``…)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:2] == b"BM":
        return "BMP"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return "HEIF"
    return None


def _complete(path: Path, fmt: str, size: int) -> bool:
    """True when the file ends as its format requires (catches truncated uploads cheaply)."""
    with path.open("rb") as fh:
        if fmt == "WEBP":
            head = fh.read(8)
            riff_len = int.from_bytes(head[4:8], "little")
            return riff_len + 8 <= size
        fh.seek(max(0, size - _TAIL))
        tail = fh.read()
    if fmt == "PNG":
        return tail.find(b"IEND\xaeB`\x82") >= 0
    # JPEG: 0xFF inside entropy-coded data is always stuffed (FF 00), so an EOI marker
    # (FF D9) can only be a real end of image. Trailers (MPF, vendor data) may follow it.
    return tail.find(b"\xff\xd9") >= 0


def inspect_image(path: Path, size: int, max_pixels: int) -> ImageInfo:
    """Cheap checks on a complete file: allowed format, whole, within pixel/side limits."""
    if size == 0:
        raise ImageRejected("photo-empty", "Het bestand is leeg (0 bytes); stuur de foto opnieuw.")
    with path.open("rb") as fh:
        head = fh.read(16)
    fmt = sniff(head)
    if fmt is None:
        raise ImageRejected(
            "photo-format",
            "Dit bestand is geen afbeelding (de inhoud is geen JPEG, PNG of WebP, "
            "ongeacht de bestandsnaam).",
        )
    if fmt not in MIME:
        raise ImageRejected(
            "photo-format",
            f"Formaat {fmt} wordt niet geaccepteerd; alleen JPEG, PNG en WebP.",
        )
    if not _complete(path, fmt, size):
        raise ImageRejected(
            "photo-truncated",
            f"Het {fmt}-bestand is onvolledig (afgebroken); stuur de foto opnieuw vanaf het "
            "toestel.",
        )
    try:
        with Image.open(path, formats=[fmt]) as img:
            width, height = img.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error):
        raise ImageRejected(
            "photo-corrupt", f"Het {fmt}-bestand is beschadigd en kan niet worden gelezen."
        ) from None
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ImageRejected(
            "photo-dimensions",
            f"De afbeelding is {width} x {height} pixels; de langste zijde mag hoogstens "
            f"{MAX_SIDE} pixels zijn.",
        )
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels)
    return ImageInfo(format=fmt, mime=MIME[fmt], width=width, height=height)


def _too_many_pixels(max_pixels: int) -> ImageRejected:
    return ImageRejected(
        "photo-too-many-pixels",
        f"De afbeelding heeft te veel pixels (meer dan {max_pixels:,}); mogelijk een "
        "decompressiebom. Maak de foto met een lagere resolutie.".replace(",", "."),
    )


def _draft_scale(width: int, height: int) -> int:
    """The largest DCT scale (1, 2, 4, 8) that keeps the long side at least DISPLAY_MIN."""
    long_side = max(width, height)
    for scale in (8, 4, 2):
        if long_side // scale >= DISPLAY_MIN:
            return scale
    return 1


def _encode(img: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def _flatten(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return img.convert("RGB") if img.mode != "RGB" else img


def _decoded(path: Path, info: ImageInfo) -> tuple[Image.Image, ExifFacts]:
    """The photo's pixels, loaded and flattened to RGB, and its EXIF facts; the file is closed.

    JPEG is decoded at the smallest DCT draft scale that keeps the long side at least
    :data:`DISPLAY_MIN`. No other reference to the decoded image stays behind, so the caller
    frees it by replacing its own.
    """
    with Image.open(path, formats=[info.format]) as img:
        if info.format == "JPEG":
            scale = _draft_scale(*img.size)
            img.draft("RGB", (-(-img.width // scale), -(-img.height // scale)))
        # Load before reading EXIF: PNG keeps eXIf after the pixels and would load
        # (and swallow a decoding error) inside getexif().
        img.load()
        exif = read_exif(img)
    return _flatten(img), exif


def make_derivatives(path: Path, info: ImageInfo) -> Derivatives:
    """Decode once and make the display copy (1600-2048 px) and the thumbnail (320 px).

    Both are JPEG, upright (EXIF orientation applied), with no EXIF, GPS, ICC, XMP or
    comments. Raises :class:`ImageRejected` when the pixel data cannot be decoded.

    Memory: one full-size image at a time, except while the rotation runs (the rotated copy
    replaces the decoded image, which is freed at once). For a 12 MP JPEG that is two
    2016 x 1512 images of 12 MB each at the peak, and one while the copies are encoded.
    """
    try:
        pixels, exif = _decoded(path, info)
        width, height = info.width, info.height
        method = _TRANSPOSE.get(exif.orientation)
        if method is not None:
            pixels = pixels.transpose(method)
            if exif.orientation >= 5:
                width, height = height, width
        # Nothing of the original's metadata may survive (JPEG save would copy a comment).
        pixels.info = {}
        if max(pixels.size) > DISPLAY_MAX:
            pixels.thumbnail((DISPLAY_MAX, DISPLAY_MAX), Image.Resampling.BICUBIC)
        display = _encode(pixels, DISPLAY_QUALITY)
        pixels.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.BICUBIC)
        thumb = _encode(pixels, THUMB_QUALITY)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(
            "photo-too-many-pixels", "De afbeelding heeft te veel pixels om te verwerken."
        ) from None
    except (OSError, SyntaxError, ValueError, struct.error):
        raise ImageRejected(
            "photo-corrupt",
            "De beeldgegevens zijn beschadigd of onvolledig en kunnen niet worden gelezen.",
        ) from None
    return Derivatives(thumb=thumb, display=display, width=width, height=height, exif=exif)
