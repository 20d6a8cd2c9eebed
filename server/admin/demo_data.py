"""The demo world: agencies, people, premises. All invented; KvK numbers start with 9000.

Names are common Dutch first and last names chosen at random, not real officials; the
businesses and house numbers are made up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AGENCIES: list[tuple[str, str, str]] = [
    ("gemeente-groningen", "Gemeente Groningen", "gemeente"),
    ("gemeente-midden-groningen", "Gemeente Midden-Groningen", "gemeente"),
    ("gemeente-stadskanaal", "Gemeente Stadskanaal", "gemeente"),
    ("politie", "Politie Noord-Nederland", "politie"),
    ("belastingdienst", "Belastingdienst", "rijk"),
    ("nla", "Nederlandse Arbeidsinspectie", "rijk"),
    ("nvwa", "Nederlandse Voedsel- en Warenautoriteit", "rijk"),
    ("brandweer", "Veiligheidsregio Groningen (brandweer)", "veiligheidsregio"),
    ("enexis", "Enexis Netbeheer", "netbeheerder"),
    ("uwv", "UWV", "uitvoeringsorganisatie"),
]

# username, name, agency, roles
USERS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("marieke", "Marieke Dijkstra", "gemeente-groningen", ("teamlead",)),
    ("jeroen", "Jeroen Smit", "gemeente-groningen", ("inspector",)),
    ("anouk", "Anouk Bakker", "gemeente-groningen", ("inspector",)),
    ("beheer", "Beheerder Schouw", "gemeente-groningen", ("admin",)),
    ("henk", "Henk Mulder", "gemeente-midden-groningen", ("inspector", "teamlead")),
    ("sanne", "Sanne Visser", "gemeente-midden-groningen", ("inspector",)),
    ("wouter", "Wouter Kuipers", "gemeente-stadskanaal", ("teamlead",)),
    ("lotte", "Lotte Huizinga", "gemeente-stadskanaal", ("inspector",)),
    ("rik", "Rik Hoekstra", "politie", ("teamlead",)),
    ("femke", "Femke de Boer", "politie", ("inspector",)),
    ("bas", "Bas Wiersma", "politie", ("inspector",)),
    ("ingrid", "Ingrid Postma", "belastingdienst", ("teamlead",)),
    ("tom", "Tom Veenstra", "belastingdienst", ("inspector",)),
    ("esther", "Esther Bosma", "nla", ("teamlead",)),
    ("karim", "Karim Ouali", "nla", ("inspector",)),
    ("joost", "Joost van der Meer", "nvwa", ("teamlead",)),
    ("noor", "Noor Jansen", "nvwa", ("inspector",)),
    ("pieter", "Pieter Zijlstra", "brandweer", ("teamlead",)),
    ("lisa", "Lisa Boersma", "brandweer", ("inspector",)),
    ("martijn", "Martijn Kramer", "enexis", ("teamlead",)),
    ("daan", "Daan Schuurman", "enexis", ("inspector",)),
    ("yvonne", "Yvonne Wolters", "uwv", ("teamlead",)),
    ("sven", "Sven de Vries", "uwv", ("inspector",)),
]


@dataclass(frozen=True)
class Visit:
    """An inspection ``day_offset`` days from today; checklists as (agency, slug@version)."""

    day_offset: int
    time: str
    checklists: tuple[tuple[str, str], ...]
    inspectors: tuple[str, ...]


@dataclass(frozen=True)
class DemoCase:
    """A case with its visits, later statuses and interventions (by team lead username)."""

    teamlead: str
    body: dict[str, Any]
    agencies: tuple[str, ...]
    inspections: tuple[Visit, ...]
    signal: dict[str, Any] | None = None
    then_statuses: tuple[str, ...] = ()
    interventions: tuple[tuple[str, dict[str, Any]], ...] = field(default_factory=tuple)


def _subject(
    postcode: str, number: int, street: str, city: str, *, name: str, kvk: str
) -> dict[str, Any]:
    return {
        "address": {"postcode": postcode, "huisnummer": number, "street": street, "city": city},
        "business": {"name": name, "kvk": kvk},
    }


CASES: list[DemoCase] = [
    DemoCase(
        teamlead="marieke",
        body={
            "subject": _subject(
                "9712 AB",
                14,
                "Lindeboomsteeg",
                "Groningen",
                name="Shisha Lounge Noorderlicht",
                kvk="90001234",
            ),
            "reason": {
                "category": "signaal",
                "explanation": "Meldingen van CO-klachten bij bezoekers en van schenken zonder "
                "alcoholvergunning; exploitant wisselde recent.",
                "indicators": ["wisseling exploitant", "meldingen overlast"],
            },
        },
        agencies=("politie", "belastingdienst", "nvwa", "brandweer"),
        inspections=(
            Visit(
                0,
                "21:00",
                (
                    ("gemeente-groningen", "gemeente-apv-alcoholwet@2"),
                    ("politie", "politie-ondermijning@1"),
                    ("belastingdienst", "belastingdienst-kassa@1"),
                    ("nvwa", "nvwa-hygiene-tabak@1"),
                    ("brandweer", "bouw-brandveiligheid@1"),
                ),
                ("jeroen", "femke", "tom", "noor", "lisa"),
            ),
        ),
    ),
    DemoCase(
        teamlead="henk",
        body={
            "subject": _subject(
                "9601 KL",
                7,
                "Industrieweg-Oost",
                "Hoogezand",
                name="Autobedrijf Van Slochteren",
                kvk="90002345",
            ),
            "reason": {
                "category": "indicatoren",
                "explanation": "Veel wisselende voertuigen met buitenlandse kentekens, werkplaats "
                "ook 's nachts in gebruik, geen zichtbare klanten overdag.",
                "indicators": ["activiteit buiten openingstijden", "geen klanten"],
            },
        },
        agencies=("politie", "belastingdienst", "nla", "enexis"),
        inspections=(
            Visit(
                0,
                "10:00",
                (
                    ("gemeente-midden-groningen", "bouw-brandveiligheid@1"),
                    ("politie", "politie-ondermijning@1"),
                    ("belastingdienst", "belastingdienst-kassa@1"),
                    ("nla", "nla-arbeid@1"),
                    ("enexis", "netbeheer-energie@1"),
                ),
                ("sanne", "bas", "tom", "karim", "daan"),
            ),
        ),
    ),
    DemoCase(
        teamlead="wouter",
        signal={
            "source": "anonymous",
            "description": "Anonieme melding: in de units achterin wordt overnacht en 's nachts "
            "geladen en gelost; sterke geur.",
            "subject": {
                "address": {
                    "postcode": "9501 TZ",
                    "huisnummer": 21,
                    "street": "Vaartweg",
                    "city": "Stadskanaal",
                }
            },
        },
        body={
            "reason": {
                "category": "signaal",
                "explanation": "Anonieme melding over bewoning en nachtelijke activiteit in het "
                "bedrijfsverzamelgebouw; pand wisselde in 2025 van eigenaar.",
                "indicators": ["bewoning bedrijfspand", "nachtelijke activiteit", "geur"],
            },
        },
        agencies=("politie", "enexis", "brandweer", "nla"),
        inspections=(
            Visit(
                1,
                "08:30",
                (
                    ("gemeente-stadskanaal", "brp-adreskwaliteit@1"),
                    ("politie", "politie-ondermijning@1"),
                    ("enexis", "netbeheer-energie@1"),
                    ("brandweer", "bouw-brandveiligheid@1"),
                    ("nla", "nla-arbeid@1"),
                ),
                ("lotte", "femke", "daan", "lisa", "karim"),
            ),
        ),
    ),
    DemoCase(
        teamlead="marieke",
        body={
            "subject": _subject(
                "9725 BE",
                88,
                "Paterswoldseweg-Noord",
                "Groningen",
                name="Nagelstudio Lotus",
                kvk="90003456",
            ),
            "reason": {
                "category": "verzoek-partner",
                "explanation": "Verzoek van de Arbeidsinspectie na signalen van lange werkdagen "
                "en slaapplaatsen in het souterrain.",
                "indicators": ["signalen uitbuiting"],
            },
        },
        agencies=("nla", "belastingdienst", "uwv"),
        inspections=(
            Visit(
                0,
                "14:00",
                (
                    ("gemeente-groningen", "controle-algemeen@1"),
                    ("nla", "nla-arbeid@1"),
                    ("belastingdienst", "belastingdienst-kassa@1"),
                    ("uwv", "uwv-uitkering@1"),
                ),
                ("anouk", "karim", "tom", "sven"),
            ),
        ),
    ),
    DemoCase(
        teamlead="henk",
        body={
            "subject": {
                "address": {
                    "postcode": "9606 PA",
                    "huisnummer": 112,
                    "toevoeging": "B",
                    "street": "Recreatiepark Zoutmeer",
                    "city": "Kropswolde",
                }
            },
            "reason": {
                "category": "indicatoren",
                "explanation": "Chalet met afgeplakte ramen, constant brandend licht en een "
                "opvallend hoog stroomverbruik volgens de netbeheerder.",
                "indicators": ["afgeplakte ramen", "hoog stroomverbruik"],
            },
        },
        agencies=("politie", "enexis", "brandweer"),
        inspections=(
            Visit(
                2,
                "09:00",
                (
                    ("gemeente-midden-groningen", "brp-adreskwaliteit@1"),
                    ("politie", "politie-ondermijning@1"),
                    ("enexis", "netbeheer-energie@1"),
                    ("brandweer", "bouw-brandveiligheid@1"),
                ),
                ("henk", "bas", "daan", "lisa"),
            ),
        ),
    ),
    DemoCase(
        teamlead="wouter",
        body={
            "subject": _subject(
                "9502 EB", 3, "Marktlaan", "Stadskanaal", name="Minimarkt Oostpoort", kvk="90004567"
            ),
            "reason": {
                "category": "hercontrole",
                "explanation": "Eerdere controle: tabak zonder accijnszegel en producten over de "
                "datum. Hercontrole na waarschuwing.",
                "indicators": ["eerdere bevindingen"],
            },
        },
        agencies=("nvwa", "belastingdienst", "politie"),
        inspections=(
            Visit(
                -7,
                "11:00",
                (
                    ("gemeente-stadskanaal", "gemeente-apv-alcoholwet@1"),
                    ("nvwa", "nvwa-hygiene-tabak@1"),
                    ("belastingdienst", "belastingdienst-kassa@1"),
                ),
                ("lotte", "noor", "tom"),
            ),
            Visit(
                3,
                "11:00",
                (
                    ("nvwa", "nvwa-hygiene-tabak@1"),
                    ("belastingdienst", "belastingdienst-kassa@1"),
                ),
                ("noor", "tom"),
            ),
        ),
        then_statuses=("inspected", "reviewed", "intervention"),
        interventions=(
            (
                "wouter",
                {
                    "agency": "gemeente-stadskanaal",
                    "type": "waarschuwing",
                    "status": "opgelegd",
                    "description": "Schriftelijke waarschuwing: alcoholverkoop zonder "
                    "leeftijdscontrole.",
                },
            ),
            (
                "ingrid",
                {
                    "agency": "belastingdienst",
                    "type": "fiscale-vervolgactie",
                    "status": "lopend",
                    "due_in_days": 30,
                    "description": "Boekenonderzoek naar inkoop tabak.",
                },
            ),
        ),
    ),
]

# Open signals not yet triaged: (team lead username, body).
SIGNALS: list[tuple[str, dict[str, Any]]] = [
    (
        "marieke",
        {
            "source": "resident",
            "description": "Buurtbewoner meldt dat de barbershop nooit klanten heeft maar wel "
            "tot laat open is.",
            "subject": {
                "address": {
                    "postcode": "9718 CC",
                    "huisnummer": 41,
                    "street": "Kruitlaan",
                    "city": "Groningen",
                },
                "business": {"name": "Barbershop Fade & Co", "kvk": "90005678"},
            },
        },
    ),
    (
        "henk",
        {
            "source": "partner",
            "description": "Enexis meldt afwijkend stroomverbruik in een loods aan de Buitendijk.",
            "subject": {
                "address": {
                    "postcode": "9621 BX",
                    "huisnummer": 2,
                    "street": "Buitendijk-Zuid",
                    "city": "Slochteren",
                }
            },
        },
    ),
]
