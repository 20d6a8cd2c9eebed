"""Image checks and derivatives (pure Pillow work, no server)."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from PIL import Image

from server.evidence.imaging import (
    DISPLAY_MAX,
    DISPLAY_MIN,
    THUMB_SIDE,
    ImageRejected,
    inspect_image,
    make_derivatives,
    sniff,
)
from tests.evidence_support import (
    gif_bytes,
    huge_png,
    noisy_jpeg,
    phone_jpeg_8mb,
    pixel_flood_jpeg,
    png_bytes,
    png_chunk,
)

LIMIT = 50_000_000


def _file(tmp_path: Path, data: bytes, name: str = "x.jpg") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _reject_slug(tmp_path: Path, data: bytes) -> str:
    with pytest.raises(ImageRejected) as info:
        inspect_image(_file(tmp_path, data), len(data), LIMIT)
    assert info.value.detail  # a Dutch explanation for the client
    return info.value.slug


def test_sniff_names_formats_from_bytes() -> None:
    assert sniff(noisy_jpeg(32, 32)[:16]) == "JPEG"
    assert sniff(png_bytes(8, 8)[:16]) == "PNG"
    assert sniff(gif_bytes()[:16]) == "GIF"
    assert sniff(b"hello, this is text") is None


def test_accepts_jpeg_png_webp(tmp_path: Path) -> None:
    webp = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 20, 30)).save(webp, format="WEBP")
    for data, fmt in ((noisy_jpeg(), "JPEG"), (png_bytes(), "PNG"), (webp.getvalue(), "WEBP")):
        info = inspect_image(_file(tmp_path, data), len(data), LIMIT)
        assert info.format == fmt


def test_text_named_jpg_is_refused(tmp_path: Path) -> None:
    assert _reject_slug(tmp_path, b"Dit is geen foto maar tekst.\n" * 20) == "photo-format"


def test_gif_is_refused(tmp_path: Path) -> None:
    assert _reject_slug(tmp_path, gif_bytes()) == "photo-format"


def test_zero_bytes_is_refused(tmp_path: Path) -> None:
    assert _reject_slug(tmp_path, b"") == "photo-empty"


def test_truncated_jpeg_and_png_are_refused(tmp_path: Path) -> None:
    jpeg = noisy_jpeg()
    assert _reject_slug(tmp_path, jpeg[: len(jpeg) * 2 // 3]) == "photo-truncated"
    png = png_bytes()
    assert _reject_slug(tmp_path, png[:-20]) == "photo-truncated"


def test_pixel_flood_and_huge_png_are_refused_without_decoding(tmp_path: Path) -> None:
    assert _reject_slug(tmp_path, pixel_flood_jpeg()) == "photo-too-many-pixels"
    assert _reject_slug(tmp_path, huge_png()) == "photo-too-many-pixels"


def test_pixel_limit_below_pillows_own(tmp_path: Path) -> None:
    data = png_bytes(2000, 1500)
    with pytest.raises(ImageRejected) as info:
        inspect_image(_file(tmp_path, data), len(data), 2_000_000)
    assert info.value.slug == "photo-too-many-pixels"


def test_derivatives_are_upright_small_and_without_metadata(tmp_path: Path) -> None:
    data = noisy_jpeg(2400, 1800, orientation=6)
    path = _file(tmp_path, data)
    info = inspect_image(path, len(data), LIMIT)
    out = make_derivatives(path, info)
    assert (out.width, out.height) == (1800, 2400)  # orientation 6: portrait when shown
    assert out.exif.time == "2026-05-04T09:12:03+02:00"
    assert out.exif.geo is not None
    assert out.exif.geo["lat"] == pytest.approx(53 + 13 / 60 + 4.32 / 3600, abs=1e-6)
    assert out.exif.geo["lon"] == pytest.approx(6 + 34 / 60 + 1.2 / 3600, abs=1e-6)
    for blob, longest in ((out.display, DISPLAY_MAX), (out.thumb, THUMB_SIDE)):
        img = Image.open(io.BytesIO(blob))
        assert img.format == "JPEG"
        assert img.height > img.width  # rotated upright
        assert max(img.size) == longest
        assert len(img.getexif()) == 0
        assert "exif" not in img.info and "icc_profile" not in img.info
        assert "comment" not in img.info and "xmp" not in img.info
        assert b"SchouwTest" not in blob and b"secret note" not in blob


def test_twelve_megapixel_display_is_the_half_scale_draft(tmp_path: Path) -> None:
    data = phone_jpeg_8mb()
    path = _file(tmp_path, data)
    out = make_derivatives(path, inspect_image(path, len(data), LIMIT))
    display = Image.open(io.BytesIO(out.display))
    assert display.size == (1512, 2016)
    assert DISPLAY_MIN <= max(display.size) <= DISPLAY_MAX
    assert (out.width, out.height) == (3024, 4032)


def test_png_with_alpha_is_flattened(tmp_path: Path) -> None:
    data = png_bytes(3000, 2000)
    path = _file(tmp_path, data, "x.png")
    out = make_derivatives(path, inspect_image(path, len(data), LIMIT))
    display = Image.open(io.BytesIO(out.display))
    assert display.mode == "RGB" and max(display.size) == DISPLAY_MAX
    assert out.exif.time is None and out.exif.geo is None


def test_corrupt_pixel_data_is_refused_at_decode(tmp_path: Path) -> None:
    # A well-formed PNG structure whose compressed pixel stream is garbage.
    ihdr = struct.pack(">IIBBBBB", 400, 300, 8, 2, 0, 0, 0)
    broken = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", bytes(range(256)) * 8)
        + png_chunk(b"IEND", b"")
    )
    path = _file(tmp_path, broken, "x.png")
    info = inspect_image(path, len(broken), LIMIT)
    with pytest.raises(ImageRejected) as rejected:
        make_derivatives(path, info)
    assert rejected.value.slug == "photo-corrupt"


@pytest.mark.parametrize(
    ("orientation", "portrait"), [(1, False), (3, False), (6, True), (8, True)]
)
def test_every_orientation_is_shown_upright(
    tmp_path: Path, orientation: int, portrait: bool
) -> None:
    data = noisy_jpeg(900, 600, orientation=orientation)
    path = _file(tmp_path, data)
    out = make_derivatives(path, inspect_image(path, len(data), LIMIT))
    display = Image.open(io.BytesIO(out.display))
    assert (display.height > display.width) is portrait
    assert (out.height > out.width) is portrait
    assert "comment" not in display.info and len(display.getexif()) == 0
