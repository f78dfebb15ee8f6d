"""The shared cost items: supplies, capital items the City funded, a custodial
adjustment, the playground project's costs."""

from __future__ import annotations

import random
from datetime import date, timedelta

from app.demo.agreements import PLAYGROUND_PROJECT, PLAYGROUND_SITE, blanket_name, programs_name
from app.demo.calendar import SchoolYear
from app.demo.catalog import CITY, NATOMAS, SCUSD, TWIN_RIVERS, pick
from app.demo.seeds import CostItemSeed


def build_cost_items(rng: random.Random, today: date, year: SchoolYear) -> list[CostItemSeed]:
    """Supplies each month; capital items the City funded (a gym floor, play
    structures); a custodial adjustment; the playground project's costs."""
    scusd = blanket_name(SCUSD)

    def ago(days: int) -> date:
        return today - timedelta(days=days)

    def dollars(low: int, high: int) -> int:
        return pick(rng, low * 100, high * 100, 500)

    items = [
        CostItemSeed(
            scusd,
            "supplies",
            dollars(180, 650),
            SCUSD,
            ago(14 + 30 * n),
            "Custodial supplies for evening and weekend community use",
        )
        for n in range(5)
    ]
    items += [
        CostItemSeed(
            scusd, "supplies", 42_500, CITY, ago(100), "Sports equipment for community leagues"
        ),
        CostItemSeed(
            scusd,
            "capital",
            1_875_000,
            CITY,
            year.first_day - timedelta(days=18),
            "Gym floor refinishing",
            "California Middle",
        ),
        CostItemSeed(
            scusd,
            "capital",
            3_850_000,
            CITY,
            ago(60),
            "Play structure replacement",
            "Bret Harte Elementary",
        ),
        CostItemSeed(
            scusd,
            "capital",
            4_120_000,
            CITY,
            ago(25),
            "Play structure replacement",
            "Ethel I. Baker Elementary",
        ),
        CostItemSeed(
            scusd,
            "custodial_adjustment",
            9_600,
            SCUSD,
            ago(40),
            "Custodian held over when a league game ran late",
        ),
        CostItemSeed(
            blanket_name(NATOMAS),
            "supplies",
            dollars(150, 400),
            NATOMAS,
            ago(45),
            "Field lining chalk and nets for youth soccer",
        ),
        CostItemSeed(
            blanket_name(NATOMAS),
            "supplies",
            dollars(150, 400),
            NATOMAS,
            ago(105),
            "Custodial supplies for weekend matches",
        ),
        CostItemSeed(
            blanket_name(TWIN_RIVERS),
            "supplies",
            dollars(150, 400),
            TWIN_RIVERS,
            ago(70),
            "Custodial supplies for evening community use",
        ),
        CostItemSeed(
            programs_name(SCUSD),
            "supplies",
            dollars(800, 2400),
            CITY,
            ago(90),
            "START homework center materials",
        ),
        CostItemSeed(
            programs_name(SCUSD),
            "supplies",
            dollars(800, 2400),
            CITY,
            ago(30),
            "4th R art and enrichment supplies",
        ),
    ]
    playground = [
        (2_450_000, CITY, 140, "Design and engineering"),
        (8_600_000, CITY, 70, "Play structure"),
        (3_120_000, SCUSD, 45, "Safety surfacing"),
        (1_890_000, CITY, 20, "Shade structure"),
    ]
    items += [
        CostItemSeed(
            PLAYGROUND_PROJECT, "capital", amount, party, ago(days), description, PLAYGROUND_SITE
        )
        for amount, party, days, description in playground
    ]
    return items
