"""Webhook endpoints and the notification message: CloudEvents 1.0 (NL GOV profile
attributes), signed per Standard Webhooks.

A notification names the case and the event types, never case content: the partner pulls
the summary with its own token and scopes. The signature is HMAC-SHA256 over
``webhook-id.webhook-timestamp.body`` with the client's secret (the ``standardwebhooks``
library); during a secret rotation the header carries one signature per live secret.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import msgspec
from standardwebhooks.webhooks import Webhook

from server.partners.headers import ROOT

SOURCE = "urn:nld:schouw:partner-api"
TYPE_PREFIX = "nl.schouw.partner."
# When several types coalesce into one notification, its ``type`` is the weightiest one.
PRIORITY = (
    "case-closed",
    "case-created",
    "checklist-submitted",
    "findings-released",
    "intervention-changed",
    "case-updated",
)
LOOPBACK_HOSTS = ("127.0.0.1", "::1")


class WebhookUrlError(ValueError):
    """The endpoint URL cannot be used; the message says why."""


def check_url(url: str, *, allow_loopback_http: bool) -> str:
    """The URL when it is usable: HTTPS, or plain HTTP to a loopback address when allowed."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        if allow_loopback_http:
            return url
        raise WebhookUrlError(
            f"{url} is plain HTTP; that is only allowed for 127.0.0.1 / [::1] with "
            "SCHOUW_WEBHOOK_ALLOW_LOOPBACK_HTTP=1 (tests and benchmarks)"
        )
    raise WebhookUrlError(f"{url} is not an https:// URL with a host; endpoints must use HTTPS")


def new_secret() -> str:
    """A fresh Standard Webhooks secret (``whsec_`` + base64 of 32 random bytes)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class CloudEvent(msgspec.Struct, omit_defaults=True):
    """A CloudEvents 1.0 event in JSON format, without data (NL GOV profile attributes)."""

    specversion: str
    id: str
    source: str
    type: str
    time: str
    subject: str
    dataref: str
    sequence: str
    sequencetype: str
    schouweventtypes: str
    """Every summary-level type folded into this notification, space-separated."""


def main_type(types: list[str]) -> str:
    """The weightiest of ``types``."""
    return min(types, key=lambda t: PRIORITY.index(t) if t in PRIORITY else len(PRIORITY))


def cloud_event(delivery_id: str, case_id: str, types: list[str], seq: int, at: str) -> bytes:
    """The JSON body of one notification."""
    event = CloudEvent(
        specversion="1.0",
        id=delivery_id,
        source=SOURCE,
        type=TYPE_PREFIX + main_type(types),
        time=at,
        subject=case_id,
        dataref=f"{ROOT}/cases/{case_id}",
        sequence=f"{seq:020d}",
        sequencetype="Integer",
        schouweventtypes=" ".join(types),
    )
    return msgspec.json.encode(event)


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    """The Standard Webhooks headers of one attempt."""

    webhook_id: str
    timestamp: int
    signature: str

    def as_dict(self) -> dict[str, str]:
        """Headers to send (with the CloudEvents structured-mode content type)."""
        return {
            "webhook-id": self.webhook_id,
            "webhook-timestamp": str(self.timestamp),
            "webhook-signature": self.signature,
            "content-type": "application/cloudevents+json",
        }


def sign(delivery_id: str, body: bytes, live_secrets: list[str], now: datetime) -> SignedHeaders:
    """Sign ``body`` with every live secret (one ``v1,…`` signature each)."""
    signatures = " ".join(Webhook(s).sign(delivery_id, now, body) for s in live_secrets)
    return SignedHeaders(delivery_id, int(now.timestamp()), signatures)
