"""The partner rows' SQL form (``partner_*_sql``) states the same rule as the Python
projection: every combination of reader agency, owning agency, sensitivity, release and item
is decided alike by both, on a real SQLite file."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import msgspec

from server.cases.scope import SHAREABLE_ITEMS_CTE, shareable_sql
from server.cases.visibility import (
    PARTNER_AGENCY,
    CaseScope,
    ChecklistScope,
    attached_visible,
    item_visible,
    on_case,
    partner_attached_visible_sql,
    partner_item_visible_sql,
    partner_on_case_sql,
    partner_reader,
)

TEMPLATE = {
    "sections": [
        {
            "items": [
                {"key": "gedeeld", "sensitivity": "shareable"},
                {"key": "prive", "sensitivity": "private"},
                {"key": "beperkt", "sensitivity": "restricted"},
                {"key": "zonder"},  # no sensitivity: private
            ]
        }
    ]
}
KEYS = ["gedeeld", "prive", "beperkt", "zonder", "onbekend"]  # "onbekend": not in the template
ON_CASE = ("gemeente", "politie")
READERS = ("gemeente", "politie", "nvwa")
RELEASES = [frozenset(), frozenset({"gedeeld"}), frozenset({"gedeeld", "prive", "onbekend"})]


def database(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(
        "CREATE TABLE templates (slug TEXT, version INTEGER, body TEXT);"
        "CREATE TABLE case_agencies (case_id TEXT, agency_id TEXT);"
        "CREATE TABLE checklists (id TEXT, case_id TEXT, agency_id TEXT,"
        " template_slug TEXT, template_version INTEGER);"
        "CREATE TABLE released_items (checklist_id TEXT, item_key TEXT);"
    )
    conn.execute(
        "INSERT INTO templates VALUES ('t', 1, ?)", (msgspec.json.encode(TEMPLATE).decode(),)
    )
    conn.executemany("INSERT INTO case_agencies VALUES ('case', ?)", [(a,) for a in ON_CASE])
    return conn


def sql_decides(
    conn: sqlite3.Connection,
    reader: str,
    checklist_id: str,
    item_key: str | None,
    *,
    attached: bool,
) -> bool:
    rule = partner_attached_visible_sql if attached else partner_item_visible_sql
    condition = rule("cl", ":item", shareable_sql("cl", ":item"))
    row = conn.execute(
        f"WITH {SHAREABLE_ITEMS_CTE} SELECT {partner_on_case_sql('cl.case_id')} AND {condition}"
        " FROM checklists cl WHERE cl.id = :checklist",
        {PARTNER_AGENCY: reader, "item": item_key, "checklist": checklist_id},
    ).fetchone()
    return bool(row[0])


def test_sql_form_agrees_with_the_rule(tmp_path: Path) -> None:
    conn = database(tmp_path / "rule.db")
    sensitivities = {"gedeeld": "shareable", "prive": "private", "beperkt": "restricted"}
    decided = 0
    for owner, released in itertools.product(("gemeente", "politie"), RELEASES):
        checklist_id = f"{owner}-{len(released)}"
        conn.execute("INSERT INTO checklists VALUES (?, 'case', ?, 't', 1)", (checklist_id, owner))
        conn.executemany(
            "INSERT INTO released_items VALUES (?, ?)", [(checklist_id, k) for k in released]
        )
        checklist = ChecklistScope(checklist_id, owner, frozenset(), released)
        case = CaseScope("case", frozenset(ON_CASE), checklists=(checklist,))
        for agency in READERS:
            reader = partner_reader(agency)
            for key in KEYS:
                expected = item_visible(
                    reader, case, checklist, key, sensitivities.get(key, "private")
                )
                assert sql_decides(conn, agency, checklist_id, key, attached=False) == expected
            for item in [*KEYS, None]:
                expected = attached_visible(reader, case, checklist, item, sensitivities)
                assert sql_decides(conn, agency, checklist_id, item, attached=True) == expected
                decided += 1
            assert on_case(reader, case) == (agency in ON_CASE)
    assert decided == 2 * len(RELEASES) * len(READERS) * (len(KEYS) + 1)


def test_a_released_shareable_item_of_another_agency_is_the_only_way_in(tmp_path: Path) -> None:
    conn = database(tmp_path / "rule.db")
    conn.execute("INSERT INTO checklists VALUES ('pol', 'case', 'politie', 't', 1)")
    assert not sql_decides(conn, "gemeente", "pol", "gedeeld", attached=False)
    conn.execute("INSERT INTO released_items VALUES ('pol', 'gedeeld')")
    assert sql_decides(conn, "gemeente", "pol", "gedeeld", attached=False)
    assert not sql_decides(conn, "nvwa", "pol", "gedeeld", attached=False)  # not on the case
    assert not sql_decides(conn, "gemeente", "pol", None, attached=True)
    assert sql_decides(conn, "politie", "pol", None, attached=True)
