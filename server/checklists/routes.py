"""HTTP endpoints of the checklists domain: the published template library (read-only)."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, Parameter

from server.checklists.library import get_template
from server.checklists.model import MAX_TEMPLATE_VERSION, Template
from server.db import Database
from server.lib.errors import PROBLEM_MEDIA_TYPE, NotFound, Problem


class TemplateSummary(msgspec.Struct):
    """One published template version in the library listing."""

    slug: str
    version: int
    title: str
    agency_kinds: list[str]
    ref: str


class TemplateList(msgspec.Struct):
    """Every published template version, ordered by slug and version."""

    templates: list[TemplateSummary]


def _list(conn: sqlite3.Connection) -> TemplateList:
    rows = conn.execute(
        "SELECT slug, version, title, agency_kind FROM templates ORDER BY slug, version"
    ).fetchall()
    return TemplateList(
        templates=[
            TemplateSummary(
                slug=r["slug"],
                version=r["version"],
                title=r["title"],
                agency_kinds=[k for k in r["agency_kind"].split(",") if k],
                ref=f"{r['slug']}@{r['version']}",
            )
            for r in rows
        ]
    )


class TemplateController(Controller):
    """The checklist template library as published at start."""

    path = "/api/v1/templates"
    tags = ["templates"]

    @get("/", summary="List published checklist templates")
    async def list_templates(self, request: Request[Any, Any, State]) -> TemplateList:
        """Slug, version, title and agency kinds of every published template version."""
        db: Database = request.app.state.db
        return await db.read(_list)

    @get(
        "/{slug:str}/{version:int}",
        summary="Get one checklist template version",
        responses={
            404: ResponseSpec(
                data_container=Problem,
                description="No such template version",
                media_type=PROBLEM_MEDIA_TYPE,
                generate_examples=False,
            )
        },
    )
    async def get_one(
        self,
        request: Request[Any, Any, State],
        slug: FromPath[str],
        version: Annotated[int, Parameter(ge=1, le=MAX_TEMPLATE_VERSION)],
    ) -> Template:
        """The full template ``slug@version``; 404 when it is not published."""
        db: Database = request.app.state.db
        template = await db.read(lambda c: get_template(c, slug, version))
        if template is None:
            raise NotFound(
                f"Sjabloon {slug}@{version} bestaat niet. Vraag de lijst op via /api/v1/templates.",
                slug="template-not-found",
            )
        return template


ROUTES: list[Any] = [TemplateController]
