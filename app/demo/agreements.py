"""The partnership's agreements: a blanket one with each district, a long-term one
with each owner hosting a program, a site development project."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from app.demo.calendar import SchoolYear
from app.demo.catalog import (
    BASKETBALL,
    CHESS,
    CITY,
    COMMUNITY_GROUPS,
    CURTIS_PARK,
    ELK_GROVE,
    FOLSOM_CORDOVA,
    FOOTBALL,
    GIRL_SCOUTS,
    NATOMAS,
    NATOMAS_SOCCER,
    ROBLA,
    SAN_JUAN,
    SCHOOL_DISTRICTS,
    SCOUTS,
    SCUSD,
    SWIM_CLUB,
    TWIN_RIVERS,
    WALKING_CLUB,
)
from app.demo.seeds import AgreementSeed


def short_name(party: str) -> str:
    return party.removesuffix(" School District")


def blanket_name(district: str) -> str:
    return f"Joint use of facilities (blanket): City and {short_name(district)}"


def programs_name(owner: str) -> str:
    return f"Extended learning programs (long term): City and {short_name(owner)}"


PLAYGROUND_SITE = "Leataata Floyd Elementary"
PLAYGROUND_PROJECT = f"Playground renovation (site development): {PLAYGROUND_SITE}"

# Revised blanket agreements are approved for three of the seven districts; two more
# are being renegotiated and two have lapsed.
ACTIVE_BLANKETS = (SCUSD, NATOMAS, TWIN_RIVERS)
DRAFT_BLANKETS = (ELK_GROVE, ROBLA)
LAPSED = (SAN_JUAN, FOLSOM_CORDOVA)
# Curtis Park is not yet anyone's direct partner: it cannot book (no-agreement).
DIRECT_PARTNERS = {
    SCUSD: tuple(g for g in COMMUNITY_GROUPS if g not in (NATOMAS_SOCCER, CURTIS_PARK)),
    NATOMAS: (NATOMAS_SOCCER, SCOUTS, GIRL_SCOUTS, CHESS, SWIM_CLUB),
    TWIN_RIVERS: (BASKETBALL, FOOTBALL, GIRL_SCOUTS, SWIM_CLUB),
    ELK_GROVE: (FOOTBALL, WALKING_CLUB),
    SAN_JUAN: (CHESS,),
}
# Twin Rivers approves each use itself, and wants a week's notice.
BLANKET_TERMS = {TWIN_RIVERS: (("auto_confirm", False), ("min_notice_hours", 168))}
BLANKET_SHARES = {NATOMAS: (60, 40)}


def blanket_agreement(district: str, year: SchoolYear) -> AgreementSeed:
    fall = year.fall
    if district == SCUSD:
        status, starts_on, ends_on = "active", date(fall - 2, 7, 1), None
    elif district in ACTIVE_BLANKETS:
        status, starts_on, ends_on = "active", date(fall - 1, 7, 1), date(fall + 3, 6, 30)
    elif district in DRAFT_BLANKETS:
        status, starts_on, ends_on = "draft", date(fall + 1, 7, 1), date(fall + 5, 6, 30)
    else:
        status, starts_on, ends_on = "terminated", date(fall - 6, 7, 1), date(fall - 1, 6, 30)
    return AgreementSeed(
        name=blanket_name(district),
        kind="blanket",
        parties=(CITY, district),
        status=status,
        starts_on=starts_on,
        ends_on=ends_on,
        direct_partners=DIRECT_PARTNERS.get(district, ()),
        terms=BLANKET_TERMS.get(district, ()),
        cost_shares=BLANKET_SHARES.get(district, (50, 50)),
    )


def build_agreements(year: SchoolYear, hosts: Iterable[str]) -> tuple[AgreementSeed, ...]:
    """A blanket agreement with each district; a long-term one for the school year
    with each owner of `hosts` (those hosting a program); a playground project (cost
    items only)."""
    return (
        *(blanket_agreement(district, year) for district in SCHOOL_DISTRICTS),
        *(
            AgreementSeed(
                name=programs_name(owner),
                kind="long_term",
                parties=(CITY, owner),
                status="active",
                starts_on=date(year.fall, 7, 1),
                ends_on=date(year.fall + 1, 6, 30),
            )
            for owner in hosts
        ),
        AgreementSeed(
            name=PLAYGROUND_PROJECT,
            kind="site_development",
            parties=(CITY, SCUSD),
            status="active",
            starts_on=date(year.fall - 1, 9, 1),
            ends_on=date(year.fall + 1, 12, 31),
            cost_shares=(70, 30),  # the City's Community School Capital Partnership funds
        ),
    )

