"""Terug naar inspecteur, Vrijgeven and Conflicten: a team lead's review of a checklist."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.cases import lookups
from server.checklists.model import Item
from server.db import Database
from server.lib.errors import Forbidden, NotFound
from server.lib.numbers import ascii_digits
from server.sync import conflicts, returns, teamlead
from server.workspace.casefile import case_file_of, case_url
from server.workspace.casefile_model import CaseFile, ChecklistPage
from server.workspace.forms import FormError, Refusal, as_list, decode, form_values, run
from server.workspace.rendering import page
from server.workspace.security import session_of
from server.workspace.values import show_value


def own_checklist(
    request: Request[Any, Any, Any], file: CaseFile, checklist_id: str
) -> ChecklistPage:
    """The checklist if the session's user is a team lead of its agency (404/403 else)."""
    me = session_of(request).principal
    cl = file.checklists.get(checklist_id)
    if cl is None:
        raise NotFound("Deze checklist hoort niet bij dit dossier.", slug="checklist-not-found")
    if not (me.has_role("teamlead") and cl.view.agency_id == me.agency_id and cl.view.full_access):
        raise Forbidden(
            "Alleen een teamleider van de organisatie die eigenaar is van deze checklist mag "
            "dit doen.",
            slug="not-owning-teamlead",
        )
    return cl


def _review_page(
    request: Request[Any, Any, Any],
    template: str,
    title: str,
    file: CaseFile,
    cl: ChecklistPage,
    *,
    values: dict[str, Any] | None = None,
    refusal: Refusal | None = None,
    **extra: Any,
) -> Template:
    return page(
        request,
        template,
        active="zaken",
        title=f"{title} · {file.view.reference}",
        view=file.view,
        file=file,
        cl=cl,
        case_tab="dossier",
        values=values or {},
        refusal=refusal,
        status_code=refusal.status if refusal else 200,
        **extra,
    )


@get(
    "/zaken/{case_id:str}/checklists/{checklist_id:str}/terug",
    include_in_schema=False,
    name="workspace-return-form",
)
async def return_form(
    request: Request[Any, Any, Any], case_id: FromPath[str], checklist_id: FromPath[str]
) -> Template:
    """A comment on an item or the checklist, or return the submitted checklist."""
    file = await case_file_of(request, case_id)
    cl = own_checklist(request, file, checklist_id)
    return _review_page(request, "terug.html", "Terug naar inspecteur", file, cl)


@post(
    "/zaken/{case_id:str}/checklists/{checklist_id:str}/terug",
    include_in_schema=False,
    name="workspace-return",
)
async def return_post(
    request: Request[Any, Any, Any], case_id: FromPath[str], checklist_id: FromPath[str]
) -> Any:
    """``action=comment`` leaves a comment per chosen item; ``action=return`` returns it."""
    me = session_of(request).principal
    values = await form_values(request)
    file = await case_file_of(request, case_id)
    cl = own_checklist(request, file, checklist_id)
    keys = as_list(values.get("item_keys"))
    try:
        if values.get("action") == "return":
            req = decode({"text": values.get("text", ""), "item_keys": keys}, returns.ReturnRequest)
            result: Any = await run(
                request, lambda c: returns.return_checklist(c, me, cl.view.id, req)
            )
        else:
            targets: list[str | None] = list(keys) or [None]
            reqs = [
                decode({"text": values.get("text", ""), "item_key": k}, teamlead.CommentRequest)
                for k in targets
            ]

            def comment_all(conn: Any) -> list[dict[str, Any]]:
                return [teamlead.add_comment(conn, me, cl.view.id, r) for r in reqs]

            result = await run(request, comment_all)
    except FormError as exc:
        result = exc.refusal
    if isinstance(result, Refusal):
        values["item_keys"] = keys
        return _review_page(
            request, "terug.html", "Terug naar inspecteur", file, cl, values=values, refusal=result
        )
    return Redirect(path=case_url(case_id) + f"#cl-{cl.view.id}", status_code=303)


@get(
    "/zaken/{case_id:str}/checklists/{checklist_id:str}/vrijgeven",
    include_in_schema=False,
    name="workspace-release-form",
)
async def release_form(
    request: Request[Any, Any, Any], case_id: FromPath[str], checklist_id: FromPath[str]
) -> Template:
    """Shareable items of the own agency's checklist; private and restricted not offered."""
    file = await case_file_of(request, case_id)
    cl = own_checklist(request, file, checklist_id)
    return _review_page(request, "vrijgeven.html", "Vrijgeven", file, cl, offer=_offer(cl))


def _offer(cl: ChecklistPage) -> list[tuple[Item, str, bool]]:
    """(item, shown value, already released) for every shareable item with a value."""
    out: list[tuple[Item, str, bool]] = []
    for item in cl.template.items():
        if item.sensitivity != "shareable":
            continue
        answer = cl.view.answers.get(item.key)
        value = show_value(item, answer.value) if answer is not None else "—"
        out.append((item, value, item.key in cl.view.released))
    return out


@post(
    "/zaken/{case_id:str}/checklists/{checklist_id:str}/vrijgeven",
    include_in_schema=False,
    name="workspace-release",
)
async def release_post(
    request: Request[Any, Any, Any], case_id: FromPath[str], checklist_id: FromPath[str]
) -> Any:
    """Release the chosen shareable items with a basis."""
    me = session_of(request).principal
    values = await form_values(request)
    file = await case_file_of(request, case_id)
    cl = own_checklist(request, file, checklist_id)
    keys = as_list(values.get("item_keys"))
    try:
        if not keys:
            raise FormError(
                Refusal(
                    "Kies minstens één vraag om vrij te geven.",
                    fields={"item_keys": "Kies minstens één vraag."},
                )
            )
        req = decode({"item_keys": keys, "basis": values.get("basis", "")}, teamlead.ReleaseRequest)
        result: Any = await run(request, lambda c: teamlead.add_release(c, me, cl.view.id, req))
    except FormError as exc:
        result = exc.refusal
    if isinstance(result, Refusal):
        values["item_keys"] = keys
        return _review_page(
            request,
            "vrijgeven.html",
            "Vrijgeven",
            file,
            cl,
            values=values,
            refusal=result,
            offer=_offer(cl),
        )
    return Redirect(path=case_url(case_id) + f"#cl-{cl.view.id}", status_code=303)


def _conflict_rows(conn: Any, me: Any, file: CaseFile, case_id: str) -> list[dict[str, Any]]:
    page_ = conflicts.list_conflicts(
        conn, me, case_id=case_id, status="open", after=None, limit=200
    )
    rows: list[dict[str, Any]] = []
    authors: set[str] = set()
    devices: set[str] = set()
    decoded = []
    for c in page_["conflicts"]:
        candidates = msgspec.json.decode(bytes(c["candidates"]))
        authors |= {x["author_id"] for x in candidates}
        devices |= {x["device_id"] for x in candidates if x.get("device_id")}
        decoded.append((c, candidates))
    names = {k: r["name"] for k, r in lookups.load_users(conn, authors).items()}
    labels = lookups.device_labels(conn, devices)
    for c, candidates in decoded:
        cl = file.checklists.get(c["checklist_id"])
        item = cl.template.item_map().get(c["item_key"]) if cl else None
        current = cl.view.answers.get(c["item_key"]) if cl else None
        rows.append(
            {
                "id": c["id"],
                "item": item,
                "label": item.label if item else c["item_key"],
                "agency": cl.view.agency_id if cl else "",
                "current": show_value(item, current.value) if current else "—",
                "candidates": [
                    {
                        "index": i,
                        "value": show_value(item, x["value"]),
                        "author": names.get(x["author_id"], "onbekend"),
                        "device": labels.get(x.get("device_id") or "", "server"),
                        "client_time": x.get("client_time"),
                        "rev": x.get("rev"),
                        "overwrote": show_value(item, x["overwrote"]) if "overwrote" in x else None,
                    }
                    # arrival order on screen; the stored index is what resolve expects
                    for i, x in sorted(enumerate(candidates), key=lambda p: p[1].get("rev") or 0)
                ],
            }
        )
    return rows


async def _conflicts_page(
    request: Request[Any, Any, Any],
    case_id: str,
    *,
    refusal: Refusal | None = None,
    failed: str | None = None,
    values: dict[str, Any] | None = None,
) -> Template:
    me = session_of(request).principal
    file = await case_file_of(request, case_id)
    db: Database = request.app.state.db
    rows = await db.read(lambda c: _conflict_rows(c, me, file, case_id))
    return page(
        request,
        "conflicten.html",
        active="zaken",
        title=f"Conflicten · {file.view.reference}",
        view=file.view,
        file=file,
        case_tab="conflicten",
        conflicts=rows,
        refusal=refusal,
        failed=failed,
        values=values or {},
        status_code=refusal.status if refusal else 200,
    )


@get("/zaken/{case_id:str}/conflicten", include_in_schema=False, name="workspace-conflicts")
async def conflicts_page(request: Request[Any, Any, Any], case_id: FromPath[str]) -> Template:
    """Open conflicts in the own agency's checklists: every candidate side by side."""
    return await _conflicts_page(request, case_id)


@post(
    "/zaken/{case_id:str}/conflicten/{conflict_id:str}",
    include_in_schema=False,
    name="workspace-conflict-resolve",
)
async def resolve(
    request: Request[Any, Any, Any], case_id: FromPath[str], conflict_id: FromPath[str]
) -> Any:
    """Pick a candidate or enter a new value, with a reason."""
    me = session_of(request).principal
    values = await form_values(request)
    await case_file_of(request, case_id)  # 404 when not on the case
    choice = str(values.get("choice", ""))
    data: dict[str, Any] = {"reason": values.get("reason", "")}
    try:
        if ascii_digits(choice, 4):
            data["candidate"] = int(choice)
        elif choice == "new":
            data["value"] = _typed(str(values.get("item_type", "")), values.get("value", ""))
        else:
            raise FormError(
                Refusal(
                    "Kies een kandidaat of vul een nieuwe waarde in.",
                    fields={"choice": "Maak een keuze."},
                )
            )
        req = decode(data, teamlead.ResolveRequest)
        result: Any = await run(
            request, lambda c: teamlead.resolve_conflict(c, me, conflict_id, req)
        )
    except FormError as exc:
        result = exc.refusal
    if isinstance(result, Refusal):
        return await _conflicts_page(
            request, case_id, refusal=result, failed=conflict_id, values=values
        )
    return Redirect(path=case_url(case_id, "conflicten"), status_code=303)


def _typed(item_type: str, raw: Any) -> Any:
    """A new value as the item's type takes it: a number for number items, a list for
    multiple choice, text otherwise; empty clears (the template check says what is wrong)."""
    if item_type == "multi_choice":
        return [str(v) for v in raw] if isinstance(raw, list) else ([raw] if raw else [])
    text = str(raw).strip()
    if text == "":
        return None
    if item_type != "number":
        return text
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return text
    return int(number) if number.is_integer() else number
