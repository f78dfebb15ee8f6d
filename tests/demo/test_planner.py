"""The planner decides what the API decides: which agreement a booking is made under
is `app.agreements.rules.choose_agreement` over the agreements the booking facts read
(active, binding the site's owner and the party), numbered as the database numbers
them (in the order the demo writes them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from app.agreements.rules import binds, choose_agreement
from app.demo import AgreementSeed, DemoData
from app.demo.agreements import blanket_name, programs_name
from app.demo.catalog import BASKETBALL, CITY, CURTIS_PARK, FOOTBALL, SCUSD, TWIN_RIVERS
from app.demo.planner import Planner
from tests.demo.conftest import TODAY

SCUSD_SCHOOL = "Phoebe A. Hearst Elementary"
TWIN_RIVERS_SCHOOL = "Grant Union High"
ELK_GROVE_SCHOOL = "Valley High"  # Elk Grove's blanket agreement is a draft


@dataclass(frozen=True)
class Facts:
    """An agreement as the booking facts read it: an id, a kind and its dates."""

    id: int
    kind: str
    starts_on: date
    ends_on: date | None


def api_choice(
    agreements: tuple[AgreementSeed, ...], owner: str, party: str, day: date, named: str | None
) -> str | None:
    """What the API chooses for a booking of `day`: the facts' agreements (the active
    ones whose parties include the owner, and the party or it as a direct partner),
    with ids in the order written, judged by `choose_agreement`."""
    ids = {a.name: n for n, a in enumerate(agreements, 1)}
    facts = [
        Facts(ids[a.name], a.kind, a.starts_on, a.ends_on)
        for a in agreements
        if a.status == "active"
        and owner in a.parties
        and (party in a.parties or party in a.direct_partners)
    ]
    chosen = choose_agreement(facts, day, day, None if named is None else ids[named])
    return None if chosen is None else agreements[chosen.id - 1].name


def planned(planner: Planner, party: str, site: str, day: date, named: str | None) -> str | None:
    agreement = planner.agreement_for(party, site, day, named)
    return None if agreement is None else agreement.name


@pytest.fixture(scope="module")
def planner(built: DemoData) -> Planner:
    return Planner(TODAY, built.sites, built.calendar_exceptions, built.agreements)


# The demo is built for a day in the 2026-27 school year: the City's long-term
# agreements run from July 2026 to June 2027, Twin Rivers' blanket to June 2029.
IN_THE_YEAR = date(2027, 2, 3)


@pytest.mark.parametrize(
    ("party", "site", "day", "named", "expected"),
    [
        # A blanket and a long-term agreement both cover: the blanket one.
        (CITY, SCUSD_SCHOOL, IN_THE_YEAR, None, blanket_name(SCUSD)),
        # The one named, when it covers the day...
        (CITY, SCUSD_SCHOOL, IN_THE_YEAR, programs_name(SCUSD), programs_name(SCUSD)),
        # ...and none when it does not, though another would.
        (CITY, SCUSD_SCHOOL, date(2027, 7, 1), programs_name(SCUSD), None),
        # A direct partner under the owner's blanket, while it runs; none after.
        (BASKETBALL, TWIN_RIVERS_SCHOOL, IN_THE_YEAR, None, blanket_name(TWIN_RIVERS)),
        (BASKETBALL, TWIN_RIVERS_SCHOOL, date(2029, 7, 1), None, None),
        # None covering: a draft agreement binds no one; a group no one's partner.
        (FOOTBALL, ELK_GROVE_SCHOOL, IN_THE_YEAR, None, None),
        (CURTIS_PARK, SCUSD_SCHOOL, IN_THE_YEAR, None, None),
    ],
)
def test_the_planner_chooses_the_agreement_the_api_chooses(
    planner: Planner,
    built: DemoData,
    party: str,
    site: str,
    day: date,
    named: str | None,
    expected: str | None,
) -> None:
    chosen = planned(planner, party, site, day, named)
    assert chosen == expected
    assert chosen == api_choice(built.agreements, planner.sites[site].owner, party, day, named)


def test_an_owner_books_its_own_site_under_no_agreement(planner: Planner) -> None:
    assert planned(planner, SCUSD, SCUSD_SCHOOL, IN_THE_YEAR, None) is None


def test_of_two_alike_agreements_the_one_written_first_is_chosen(built: DemoData) -> None:
    """Same kind, same first day: the API takes the lower id, the one written first."""
    alike = tuple(
        AgreementSeed(name, "long_term", (CITY, SCUSD), "active", date(2026, 7, 1))
        for name in ("Written first", "Written second")
    )
    planner = Planner(TODAY, built.sites, built.calendar_exceptions, alike)
    assert planned(planner, CITY, SCUSD_SCHOOL, IN_THE_YEAR, None) == "Written first"
    assert api_choice(alike, SCUSD, CITY, IN_THE_YEAR, None) == "Written first"


@pytest.mark.parametrize(
    ("parties", "partners", "party", "bound"),
    [
        ((CITY, SCUSD), (), CITY, True),  # a party to it
        ((CITY, SCUSD), (BASKETBALL,), BASKETBALL, True),  # a direct partner
        ((CITY, SCUSD), (BASKETBALL,), FOOTBALL, False),  # neither
        ((CITY, TWIN_RIVERS), (BASKETBALL,), BASKETBALL, False),  # not the owner's
    ],
)
def test_an_agreement_binds_the_owner_and_its_parties_or_direct_partners(
    parties: tuple[str, str], partners: tuple[str, ...], party: str, bound: bool
) -> None:
    assert binds(SCUSD, party, parties, partners) is bound
