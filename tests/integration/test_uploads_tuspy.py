"""A real third-party tus client (tuspy) against the real server on a loopback socket."""

from __future__ import annotations

import base64
import os
import socket
import sqlite3
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from tusclient.client import TusClient

from server.settings import Settings
from tests.evidence_support import (
    LiveServer,
    insert_photo,
    live_server,
    noisy_jpeg,
    phone_jpeg_8mb,
    photo_row,
    seed_case,
    sha256,
)
from tests.support import PASSWORD, insert_user, seed_agencies

AGENCY = "gemeente-groningen"
CHUNK = 2 * 1024 * 1024


def _seed(server: LiveServer, data: bytes) -> tuple[dict[str, str], str]:
    def fn(conn: sqlite3.Connection) -> str:
        seed_agencies(conn)
        insert_user(conn, "ines", AGENCY, ["inspector"])
        world = seed_case(conn, "ines", AGENCY)
        return insert_photo(conn, world, data)

    photo_id = server.write(fn)
    from server.lib.ids import uuid7

    resp = requests.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": "ines", "password": PASSWORD, "device_id": uuid7()},
        timeout=30,
    )
    resp.raise_for_status()
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}, photo_id


def _create(server: LiveServer, auth: dict[str, str], photo_id: str, data: bytes) -> str:
    """A tus creation request for ``data`` over the real socket; the upload's absolute URL."""
    enc = [base64.b64encode(v.encode()).decode() for v in (photo_id, sha256(data))]
    created = requests.post(
        f"{server.url}/api/v1/uploads",
        headers={
            **auth,
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(data)),
            "Upload-Metadata": f"photo_id {enc[0]},sha256 {enc[1]}",
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    return urljoin(server.url, created.headers["Location"])


def _drop_mid_patch(
    url: str, headers: dict[str, str], offset: int, body: bytes, total: int
) -> None:
    """Announce ``total`` bytes, send only ``body``, then cut the connection."""
    parts = urlsplit(url)
    head = (
        f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: {headers['Authorization']}\r\nTus-Resumable: 1.0.0\r\n"
        f"Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\n"
        f"Content-Length: {total}\r\n\r\n"
    ).encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_RDWR)


def test_tuspy_upload_interrupted_and_resumed(settings: Settings, tmp_path: Path) -> None:
    data = phone_jpeg_8mb()
    source = tmp_path / "IMG_0001.jpg"
    source.write_bytes(data)
    with live_server(settings) as server, source.open("rb") as fh1, source.open("rb") as fh2:
        auth, photo_id = _seed(server, data)
        client = TusClient(f"{server.url}/api/v1/uploads", headers=auth)
        metadata = {"photo_id": photo_id, "sha256": sha256(data)}

        first = client.uploader(
            file_stream=fh1,
            chunk_size=CHUNK,
            metadata=metadata,
            upload_checksum=True,
        )
        first.upload(stop_at=CHUNK)  # the phone goes into a basement after one chunk
        assert first.offset == CHUNK
        url = first.url
        assert url is not None

        # Then the connection dies half-way through the next PATCH.
        _drop_mid_patch(url, auth, CHUNK, data[CHUNK : CHUNK + CHUNK // 2], CHUNK)
        deadline = time.monotonic() + 20
        while True:  # the server stores what arrived once it notices the drop
            head = requests.head(url, headers={**auth, "Tus-Resumable": "1.0.0"}, timeout=30)
            if int(head.headers["Upload-Offset"]) > CHUNK or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        held = int(head.headers["Upload-Offset"])
        assert CHUNK < held <= CHUNK + CHUNK // 2

        # A new client instance (app restarted) takes the URL it stored and asks the offset.
        second = client.uploader(
            file_stream=fh2, url=url, chunk_size=CHUNK, metadata=metadata, upload_checksum=True
        )
        assert second.url == url
        assert second.offset == held
        second.upload()
        server.idle()

        processor = server.app.state.photos
        # Every byte crossed the wire once: nothing before the interruption was sent again.
        assert processor.bytes_arrived == len(data)
        assert processor.bytes_received == len(data)
        assert processor.store.original(sha256(data)).read_bytes() == data
        photo = server.write(lambda c: photo_row(c, photo_id))
        assert photo["state"] == "verified"
        assert (photo["width"], photo["height"]) == (3024, 4032)


def test_a_patch_cut_off_mid_body_counts_only_durable_bytes(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The part of a PATCH that arrived before the connection dropped is kept and counted,
    and the offset a HEAD answers is exactly what is fsynced, the file's entry included."""
    synced: list[tuple[str, int]] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        real_fsync(fd)
        synced.append((os.readlink(f"/proc/self/fd/{fd}"), os.fstat(fd).st_size))

    monkeypatch.setattr(os, "fsync", recording_fsync)
    data = noisy_jpeg(1200, 900)
    with live_server(settings) as server:
        auth, photo_id = _seed(server, data)
        tus = {**auth, "Tus-Resumable": "1.0.0"}
        url = _create(server, auth, photo_id, data)
        half = len(data) // 2
        _drop_mid_patch(url, auth, 0, data[:half], len(data))
        deadline = time.monotonic() + 20
        while True:  # the server stores what arrived once it notices the drop
            offset = int(requests.head(url, headers=tus, timeout=30).headers["Upload-Offset"])
            if offset > 0 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert 0 < offset <= half
        staging = server.app.state.photos.staging_path(url.rsplit("/", 1)[1])
        assert (str(staging), offset) in synced, synced
        assert any(path == str(staging.parent) for path, _ in synced), "directory not fsynced"
        assert staging.read_bytes()[:offset] == data[:offset]

        rest = requests.patch(
            url,
            headers={
                **tus,
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(offset),
            },
            data=data[offset:],
            timeout=30,
        )
        assert rest.status_code == 204, rest.text
        server.idle()
        assert server.write(lambda c: photo_row(c, photo_id))["state"] == "verified"
        assert server.app.state.photos.bytes_received == len(data)
