"""``client_ip``: X-Forwarded-For counts only when the peer is a trusted proxy."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Request

from server.lib.net import client_ip


def _request(peer: str, forwarded: str | None = None) -> Request[Any, Any, Any]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    scope: Any = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/auth/login",
        "headers": headers,
        "client": (peer, 50000),
        "query_string": b"",
    }
    return Request(scope)


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        # No trusted proxies: the header is ignored, whoever sends it.
        ("203.0.113.9", "198.51.100.1", (), "203.0.113.9"),
        # An untrusted peer cannot choose its address by sending the header.
        ("203.0.113.9", "198.51.100.1", ("10.0.0.0/8",), "203.0.113.9"),
        # A trusted proxy: the client is the address it forwarded.
        ("10.0.0.5", "198.51.100.1", ("10.0.0.0/8",), "198.51.100.1"),
        # Spoofed first hop; the nearest untrusted hop is the real client.
        ("10.0.0.5", "6.6.6.6, 198.51.100.1", ("10.0.0.0/8",), "198.51.100.1"),
        # Two trusted proxies in a row are skipped.
        ("10.0.0.5", "198.51.100.1, 10.0.0.7", ("10.0.0.0/8",), "198.51.100.1"),
        # A trusted peer without the header is itself the client.
        ("10.0.0.5", None, ("10.0.0.5",), "10.0.0.5"),
        # Every hop trusted: the farthest one.
        ("10.0.0.5", "10.0.0.9", ("10.0.0.0/8",), "10.0.0.9"),
        # IPv6 proxies.
        ("::1", "2001:db8::7", ("::1",), "2001:db8::7"),
        # Garbage in the header is never trusted, so it is what comes back; it cannot claim a
        # trusted address either.
        ("10.0.0.5", "not-an-ip", ("10.0.0.0/8",), "not-an-ip"),
    ],
)
def test_client_ip(
    peer: str, forwarded: str | None, trusted: tuple[str, ...], expected: str
) -> None:
    assert client_ip(_request(peer, forwarded), trusted) == expected
