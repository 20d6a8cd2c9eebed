"""Errors particular to uploads (tus status codes the shared set does not have)."""

from __future__ import annotations

from server.evidence.imaging import ImageRejected
from server.lib.errors import DomainError, PayloadTooLarge, Unprocessable

TUS_VERSION = "1.0.0"
TUS_HEADERS = {"Tus-Resumable": TUS_VERSION}


class PreconditionFailed(DomainError):
    """412: the client speaks a tus version this server does not."""

    status, slug, title = 412, "tus-version", "Niet-ondersteunde tus-versie"


class ChecksumMismatch(DomainError):
    """460 (tus checksum extension): the chunk did not match its ``Upload-Checksum``."""

    status, slug, title = 460, "checksum-mismatch", "Controlegetal klopt niet"


class UnsupportedMediaType(DomainError):
    """415: a PATCH body must be ``application/offset+octet-stream``."""

    status, slug, title = 415, "unsupported-media-type", "Niet-ondersteund formaat"


class StreamInterrupted(Exception):
    """The client went away while sending a body."""


def rejected(exc: ImageRejected, headers: dict[str, str] | None = None) -> Unprocessable:
    """A rejected photo as a 422 problem naming the reason."""
    return Unprocessable(exc.detail, slug=exc.slug, title="Foto geweigerd", headers=headers)


def too_large(limit: int, headers: dict[str, str] | None = None) -> PayloadTooLarge:
    """413 naming the limit in MiB."""
    return PayloadTooLarge(
        f"De foto is groter dan toegestaan ({limit / 1048576:.0f} MiB); maak een kleinere foto.",
        slug="photo-too-large",
        headers=headers,
    )
