"""HTTP endpoint of the evidence package (ZIP streamed from a temporary file)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated, Any

from litestar import Request, get
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat
from litestar.params import FromPath, KwargDefinition
from litestar.response import File

from server.auth.guards import principal_of, requires_teamlead
from server.auth.principal import Principal
from server.db import Database
from server.evidence.blobstore import BlobStore
from server.evidence.package import PackagePlan, plan_package, write_package

MANIFEST_HEADER = "X-Manifest-SHA256"


async def build_package(
    db: Database, store: BlobStore, principal: Principal, case_id: str, folder: Path
) -> tuple[PackagePlan, Path]:
    """Plan (decided and audited on the writer), then write the ZIP in a worker thread."""
    plan = await db.write(lambda c: plan_package(c, principal, case_id, store))
    path = await asyncio.to_thread(write_package, plan, store, folder)
    return plan, path


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def package_file(plan: PackagePlan, path: Path) -> File:
    """The ZIP as a download; the temporary file is removed once it has been sent."""
    return File(
        path=path,
        media_type="application/zip",
        filename=f"bewijspakket-{plan.case_reference}-{plan.agency_id}.zip",
        content_disposition_type="attachment",
        headers={MANIFEST_HEADER: plan.manifest_sha256, "Cache-Control": "no-store"},
        background=BackgroundTask(_remove, path),
    )


@get(
    "/api/v1/cases/{case_id:str}/evidence-package",
    guards=[requires_teamlead],
    tags=["evidence"],
    summary="Evidence package of the caller's agency for a case (ZIP)",
    responses={
        200: ResponseSpec(
            data_container=Annotated[bytes, KwargDefinition(format=OpenAPIFormat.BINARY)],
            media_type="application/zip",
            description="Originals, manifest.json and audit-trail.jsonl. The manifest's sha256 "
            f"is in the {MANIFEST_HEADER} header and in the audit log (evidence.package).",
            generate_examples=False,
        )
    },
)
async def evidence_package(request: Request[Any, Any, State], case_id: FromPath[str]) -> File:
    """Only the caller's own agency's photos; 403 for team leads of no participating agency."""
    settings = request.app.state.settings
    plan, path = await build_package(
        request.app.state.db,
        request.app.state.photos.store,
        principal_of(request),
        case_id,
        settings.data_dir / "packages",
    )
    return package_file(plan, path)
