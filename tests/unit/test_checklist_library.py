"""The shipped template library and its generated JSON Schema."""

from __future__ import annotations

import json

from server.checklists.library import LIBRARY_DIR, load_dir
from server.checklists.model import ITEM_TYPES
from server.checklists.schema import SCHEMA_PATH, render


def test_schema_file_matches_the_model() -> None:
    stored = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
    assert stored == render(), (
        f"{SCHEMA_PATH.name} is out of date with server/checklists/model.py: run `make schemas` "
        "(or `python -m server.checklists.schema`) and commit the result"
    )


def test_library_files_validate_against_the_schema_shape() -> None:
    schema = json.loads(render())
    required = set(schema["$defs"]["Template"]["required"])
    for path in LIBRARY_DIR.glob("*.json"):
        assert required <= set(json.loads(path.read_text(encoding="utf-8"))), path.name


def test_library_covers_every_discipline_type_and_sensitivity() -> None:
    templates = load_dir()
    slugs = {t.slug for t in templates}
    assert len(templates) >= 8
    for slug in (
        "controle-algemeen",
        "gemeente-apv-alcoholwet",
        "bouw-brandveiligheid",
        "nla-arbeid",
        "belastingdienst-kassa",
        "nvwa-hygiene-tabak",
        "politie-ondermijning",
        "brp-adreskwaliteit",
        "netbeheer-energie",
    ):
        assert slug in slugs
    items = [i for t in templates for i in t.items()]
    assert {i.type for i in items} == set(ITEM_TYPES)
    assert {i.sensitivity for i in items} == {"private", "shareable", "restricted"}
    assert any(i.photo_on for i in items)
    assert any(i.deviation_on for i in items)
    assert any(i.visible_if for i in items)
    assert all(i.unit for i in items if i.type == "number")


def test_police_and_fiscal_data_is_restricted() -> None:
    by_slug = {t.slug: t for t in load_dir()}
    police = by_slug["politie-ondermijning"].item_map()
    assert police["pol-drugs"].sensitivity == "restricted"
    assert police["pol-voertuigen"].sensitivity == "restricted"
    fiscal = by_slug["belastingdienst-kassa"].item_map()
    assert fiscal["bd-kas-geteld"].sensitivity == "restricted"
    # only the shareable signals of the fiscal template may ever be released
    assert {k for k, i in fiscal.items() if i.sensitivity == "shareable"} == {
        "bd-alleen-contant",
        "bd-activiteit-sbi",
    }
