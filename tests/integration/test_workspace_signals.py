"""Signalen: register (refused forms keep their values), possible duplicates among the
reader's cases before triage, triage into a case with the structured reason, dismiss."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from tests.sync_support import seed_world
from tests.workspace_support import SAME_ORIGIN, csrf_of, ws_login


async def _post(client: AsyncTestClient[Litestar], path: str, data: Mapping[str, object]) -> Any:
    csrf = await csrf_of(client)
    return await client.post(
        path, data={"_csrf": csrf, **data}, headers=SAME_ORIGIN, follow_redirects=False
    )


SIGNAL = {
    "source": "anonymous",
    "description": "Veel bezoek 's nachts, rolluiken altijd dicht.",
    "subject.address.postcode": "9711 ab",
    "subject.address.huisnummer": "12",
    "subject.business.name": "Snackbar De Hoek",
    "subject.business.kvk": "12345678",
}


async def test_register_refused_keeps_values_then_registers(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await seed_world(db)
    await ws_login(client, "tara")
    bad = await _post(client, "/regie/signalen", {**SIGNAL, "subject.address.postcode": "97"})
    assert bad.status_code == 422
    html = bad.text
    assert 'value="97"' in html and "Snackbar De Hoek" in html
    assert 'aria-invalid="true"' in html and 'href="#f-subject-address-postcode"' in html
    empty = await _post(client, "/regie/signalen", {"source": "resident", "description": "x"})
    assert empty.status_code == 422
    assert "Vul een adres, een bedrijf of beide in." in empty.text
    nosource = await _post(client, "/regie/signalen", {**SIGNAL, "source": ""})
    assert nosource.status_code == 422
    ok = await _post(client, "/regie/signalen", SIGNAL)
    assert ok.status_code == 303
    detail = await client.get(ok.headers["location"])
    assert "Snackbar De Hoek" in detail.text and "9711AB" in detail.text
    listing = await client.get("/regie/signalen?status=open")
    assert "Snackbar De Hoek" in listing.text


async def test_duplicates_shown_then_triage_into_a_case(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await seed_world(db)  # a case at 9711AB 12, KvK 12345678, which tara is on
    await ws_login(client, "tara")
    ok = await _post(client, "/regie/signalen", SIGNAL)
    signal_url = ok.headers["location"]
    detail = (await client.get(signal_url)).text
    assert "Er lopen al zaken" in detail and "RIT-TEST-" in detail
    missing = await _post(
        client, signal_url + "/zaak", {"category": "signaal", "explanation": "kort"}
    )
    assert missing.status_code == 422
    assert 'value="kort"' not in missing.text and ">kort</textarea>" in missing.text
    nocat = await _post(
        client, signal_url + "/zaak", {"category": "", "explanation": "Lang genoeg uitgelegd."}
    )
    assert nocat.status_code == 422
    made = await _post(
        client,
        signal_url + "/zaak",
        {
            "category": "signaal",
            "explanation": "Anonieme melding past bij eerdere indicatoren.",
            "indicators": "veel kasgeld, rolluiken",
            "agencies": ["gemeente-groningen", "politie"],
        },
    )
    assert made.status_code == 303, made.text
    case_id = made.headers["location"].rsplit("/", 1)[-1]
    row = await db.read(
        lambda c: c.execute(
            "SELECT reason, signal_id FROM cases WHERE id = ?", (case_id,)
        ).fetchone()
    )
    assert '"category":"signaal"' in row["reason"] and '"veel kasgeld"' in row["reason"]
    agencies = await db.read(
        lambda c: sorted(
            r[0]
            for r in c.execute("SELECT agency_id FROM case_agencies WHERE case_id = ?", (case_id,))
        )
    )
    assert agencies == ["gemeente-groningen", "politie"]
    after = (await client.get(signal_url)).text
    assert "Zaak gemaakt" in after and "Zaak maken</button>" not in after
    again = await _post(
        client,
        signal_url + "/zaak",
        {"category": "signaal", "explanation": "Nog een keer proberen."},
    )
    assert again.status_code == 422


async def test_duplicates_only_from_cases_the_reader_is_on(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    from tests.support import insert_user

    await seed_world(db)  # gemeente + politie case
    await db.write(lambda c: insert_user(c, "nora", "nvwa", ["teamlead"]))
    await ws_login(client, "nora")
    ok = await _post(client, "/regie/signalen", SIGNAL)
    detail = (await client.get(ok.headers["location"])).text
    assert "RIT-TEST-" not in detail and "Geen lopende zaken" in detail


async def test_dismiss_needs_a_reason(client: AsyncTestClient[Litestar], db: Database) -> None:
    await seed_world(db)
    await ws_login(client, "tara")
    ok = await _post(client, "/regie/signalen", SIGNAL)
    url = ok.headers["location"]
    refused = await _post(client, url + "/afwijzen", {"reason": ""})
    assert refused.status_code == 422
    assert "Vul dit veld in." in refused.text
    done = await _post(client, url + "/afwijzen", {"reason": "Adres bestaat niet meer."})
    assert done.status_code == 303
    assert "Adres bestaat niet meer." in (await client.get(url)).text
    # Another agency's team lead cannot even see it (404, never 403).
    await ws_login(client, "piet")
    other = await client.get(url, headers={"Accept": "text/html"})
    assert other.status_code == 404
    assert re.search(r"bestaat niet", other.text)
