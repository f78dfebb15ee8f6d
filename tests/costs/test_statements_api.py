"""Contract section 5, statements: custodial lines and cost items, what each party
incurred and owes, the settlement, CSV, who reads them, and how bookings move the
figures (one coverage for overlapping bookings, cancellations, approvals, changes)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.support import assert_problem
from tests.bookings.helpers import book, evening, local, make_agreement, next_weekday, world
from tests.conftest import ADMIN
from tests.costs.helpers import (
    CSV,
    add_item,
    custodial_lines,
    item_body,
    line_figures,
    quote_figures,
    rows_of,
    span,
    statement,
    with_etag,
)
from tests.factories import WEEKDAYS, make_key, make_party

LINE_FIELDS = [
    "date",
    "kind",
    "site_id",
    "booking_id",
    "cost_item_id",
    "minutes",
    "amount_cents",
    "shares_cents",
]


def halves(w, city: int, district: int) -> dict[str, int]:
    return {str(w.city["id"]): city, str(w.district["id"]): district}


def statement_path(agreement_id: int) -> str:
    return f"/v1/agreements/{agreement_id}/statement"


async def move(client, booking, headers, day, start: str, end: str):
    """PATCH the booking to `start`-`end` on `day`, with its current ETag."""
    change = {"start": local(day, start).isoformat(), "end": local(day, end).isoformat()}
    etag = await with_etag(client, booking["id"], headers)
    r = await client.patch(
        f"/v1/bookings/{booking['id']}", json=change, headers={**headers, "If-Match": etag}
    )
    assert r.status_code == 200, r.text


async def cancel(client, booking, headers):
    r = await client.post(f"/v1/bookings/{booking['id']}/cancel", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"


# --- lines and totals -------------------------------------------------------------


async def test_a_bookings_custodial_part_is_a_statement_line(client):
    w = await world(client)
    day = next_weekday(1)
    made = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    st = await statement(client, w.agreement["id"], day)
    assert (st["agreement_id"], st["from"], st["to"]) == (
        w.agreement["id"],
        day.isoformat(),
        day.isoformat(),
    )
    assert st["lines"] == [
        {
            "date": day.isoformat(),
            "kind": "custodial",
            "site_id": w.site["id"],
            "booking_id": made["id"],
            "cost_item_id": None,
            "minutes": 120,
            "amount_cents": 8400,
            "shares_cents": halves(w, 4200, 4200),
        }
    ]
    assert (st["custodial_minutes"], st["custodial_cost_cents"], st["items_cost_cents"]) == (
        120,
        8400,
        0,
    )


async def test_a_cost_item_is_a_statement_line(client):
    w = await world(client)
    day = next_weekday(1)
    item = await add_item(client, w.agreement["id"], item_body(w, incurred_on=day.isoformat()))
    st = await statement(client, w.agreement["id"], day)
    assert st["lines"] == [
        {
            "date": day.isoformat(),
            "kind": "supplies",
            "site_id": None,
            "booking_id": None,
            "cost_item_id": item["id"],
            "minutes": None,
            "amount_cents": 10001,
            "shares_cents": halves(w, 5001, 5000),
        }
    ]
    assert (st["custodial_minutes"], st["custodial_cost_cents"], st["items_cost_cents"]) == (
        0,
        0,
        10001,
    )


async def test_the_site_owner_incurs_the_custodial_cost_and_the_other_party_owes_its_share(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    st = await statement(client, w.agreement["id"], day)
    assert st["parties"] == [
        {"party_id": w.city["id"], "incurred_cents": 0, "share_cents": 4200, "balance_cents": 4200},
        {
            "party_id": w.district["id"],
            "incurred_cents": 8400,
            "share_cents": 4200,
            "balance_cents": -4200,
        },
    ]
    assert st["settlement"] == {
        "from_party_id": w.city["id"],
        "to_party_id": w.district["id"],
        "amount_cents": 4200,
    }


async def test_the_settlement_pays_the_positive_balance_to_the_other_party(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    # The city bought a $200 scoreboard: it now has more than its share paid.
    body = item_body(
        w,
        category="capital",
        amount_cents=20000,
        incurred_by_party_id=w.city["id"],
        incurred_on=day.isoformat(),
    )
    await add_item(client, w.agreement["id"], body)
    st = await statement(client, w.agreement["id"], day)
    assert st["parties"] == [
        {
            "party_id": w.city["id"],
            "incurred_cents": 20000,
            "share_cents": 14200,
            "balance_cents": -5800,
        },
        {
            "party_id": w.district["id"],
            "incurred_cents": 8400,
            "share_cents": 14200,
            "balance_cents": 5800,
        },
    ]
    assert st["settlement"] == {
        "from_party_id": w.district["id"],
        "to_party_id": w.city["id"],
        "amount_cents": 5800,
    }


async def test_a_square_statement_has_no_settlement(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    body = item_body(
        w, amount_cents=8400, incurred_by_party_id=w.city["id"], incurred_on=day.isoformat()
    )
    await add_item(client, w.agreement["id"], body)
    st = await statement(client, w.agreement["id"], day)
    assert [p["balance_cents"] for p in st["parties"]] == [0, 0]
    assert st["settlement"] is None


async def test_a_statement_of_a_quiet_period_is_all_zeros(client):
    w = await world(client)
    st = await statement(client, w.agreement["id"], next_weekday(1))
    assert (
        st["lines"],
        st["custodial_minutes"],
        st["custodial_cost_cents"],
        st["items_cost_cents"],
    ) == ([], 0, 0, 0)
    assert [(p["incurred_cents"], p["share_cents"], p["balance_cents"]) for p in st["parties"]] == [
        (0, 0, 0)
    ] * 2
    assert st["settlement"] is None


@pytest.mark.dates
async def test_the_statements_dates_are_inclusive(client):
    w = await world(client)
    tuesday = next_weekday(1)
    for day in (
        tuesday - timedelta(days=1),
        tuesday,
        tuesday + timedelta(days=1),
        tuesday + timedelta(days=2),
    ):
        await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "19:00"))
        await add_item(client, w.agreement["id"], item_body(w, incurred_on=day.isoformat()))
    st = await statement(client, w.agreement["id"], tuesday, tuesday + timedelta(days=1))
    dates = [
        tuesday.isoformat(),
        tuesday.isoformat(),
        (tuesday + timedelta(days=1)).isoformat(),
        (tuesday + timedelta(days=1)).isoformat(),
    ]
    assert [line["date"] for line in st["lines"]] == dates
    assert [line["kind"] for line in st["lines"]] == ["custodial", "supplies"] * 2
    assert (st["custodial_minutes"], st["items_cost_cents"]) == (120, 20002)


async def test_a_statement_holds_only_its_own_agreements_bookings_though_they_share_one_coverage(
    client,
):
    w = await world(client)
    day = next_weekday(1)
    program = await make_agreement(client, [w.city["id"], w.district["id"]], kind="long_term")
    gym = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    room = await book(
        client, w.city_key, evening(w.room["id"], day, "19:00", "21:00", agreement_id=program["id"])
    )
    assert room["agreement_id"] == program["id"]
    blanket, long_term = (
        await statement(client, w.agreement["id"], day),
        await statement(client, program["id"], day),
    )
    assert {b: line_figures(line)[:2] for b, line in custodial_lines(blanket).items()} == {
        gym["id"]: (90, 6300)
    }
    assert {b: line_figures(line)[:2] for b, line in custodial_lines(long_term).items()} == {
        room["id"]: (90, 6300)
    }


# --- the period ---------------------------------------------------------------------


async def test_a_statement_covers_up_to_366_days(client):
    w = await world(client)
    r = await client.get(
        statement_path(w.agreement["id"]),
        params={"from": "2027-01-01", "to": "2028-01-01"},
        headers=ADMIN,
    )
    assert r.status_code == 200, r.text


async def test_a_statement_of_more_than_366_days_is_a_validation_error(client):
    w = await world(client)
    r = await client.get(
        statement_path(w.agreement["id"]),
        params={"from": "2027-01-01", "to": "2028-01-02"},
        headers=ADMIN,
    )
    assert_problem(r, 422, "validation-error")


async def test_a_statement_ending_before_it_starts_is_a_validation_error(client):
    w = await world(client)
    r = await client.get(
        statement_path(w.agreement["id"]),
        params={"from": "2027-03-02", "to": "2027-03-01"},
        headers=ADMIN,
    )
    assert_problem(r, 422, "validation-error")


@pytest.mark.parametrize(
    "params",
    [{"from": "2027-03-01"}, {"to": "2027-03-01"}, {"from": "2027-03-01", "to": "tomorrow"}],
    ids=["no-to", "no-from", "not-a-date"],
)
async def test_a_statement_needs_two_dates(client, params):
    w = await world(client)
    r = await client.get(statement_path(w.agreement["id"]), params=params, headers=ADMIN)
    assert_problem(r, 422, "validation-error")


# --- CSV ----------------------------------------------------------------------------


async def test_a_statement_as_csv_has_a_header_row_and_one_row_per_line(client):
    w = await world(client)
    day = next_weekday(1)
    made = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    item = await add_item(
        client, w.agreement["id"], item_body(w, incurred_on=day.isoformat(), site_id=w.site["id"])
    )
    r = await client.get(
        statement_path(w.agreement["id"]), params=span(day), headers={**ADMIN, **CSV}
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    c, d, site = w.city["id"], w.district["id"], w.site["id"]
    assert rows_of(r.text) == [
        [
            "date",
            "kind",
            "site_id",
            "booking_id",
            "cost_item_id",
            "minutes",
            "amount_cents",
            f"share_{c}",
            f"share_{d}",
        ],
        [
            day.isoformat(),
            "custodial",
            str(site),
            str(made["id"]),
            "",
            "120",
            "8400",
            "4200",
            "4200",
        ],
        [day.isoformat(), "supplies", str(site), "", str(item["id"]), "", "10001", "5001", "5000"],
    ]


async def test_a_statement_csv_is_named_for_the_agreement_and_dates(client):
    w = await world(client)
    r = await client.get(
        statement_path(w.agreement["id"]),
        params={"from": "2027-01-01", "to": "2027-03-31"},
        headers={**ADMIN, **CSV},
    )
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert str(w.agreement["id"]) in disposition
    assert "2027-01-01" in disposition and "2027-03-31" in disposition


async def test_an_empty_statement_csv_is_its_header_row(client):
    w = await world(client)
    r = await client.get(
        statement_path(w.agreement["id"]), params=span(next_weekday(1)), headers={**ADMIN, **CSV}
    )
    assert [row[:7] for row in rows_of(r.text)] == [LINE_FIELDS[:7]]


async def test_a_statement_csv_is_the_same_lines_as_the_json(client):
    w = await world(client)
    tuesday = next_weekday(1)
    for day in (tuesday, tuesday + timedelta(days=1)):
        await book(client, w.group_key, evening(w.gym["id"], day, "17:00", "19:05"))
        await book(client, w.city_key, evening(w.room["id"], day, "19:30", "21:00"))
        await add_item(client, w.agreement["id"], item_body(w, incurred_on=day.isoformat()))
    last = tuesday + timedelta(days=1)
    st = await statement(client, w.agreement["id"], tuesday, last)
    r = await client.get(
        statement_path(w.agreement["id"]), params=span(tuesday, last), headers={**ADMIN, **CSV}
    )
    header, *rows = rows_of(r.text)
    shares = [f"share_{p}" for p in (w.city["id"], w.district["id"])]
    as_json = [
        [
            *("" if line[f] is None else str(line[f]) for f in LINE_FIELDS[:7]),
            *(str(line["shares_cents"][s.removeprefix("share_")]) for s in shares),
        ]
        for line in st["lines"]
    ]
    assert header == LINE_FIELDS[:7] + shares
    assert rows == as_json and len(rows) == 6


# --- who reads ----------------------------------------------------------------------


async def test_admin_and_managers_of_both_parties_read_the_statement(client):
    w = await world(client)
    city_manager = await make_key(client, w.city["id"], "manager")
    for key in (ADMIN, city_manager, w.district_manager):
        r = await client.get(
            statement_path(w.agreement["id"]), params=span(next_weekday(1)), headers=key
        )
        assert r.status_code == 200, r.text


async def test_a_manager_of_another_party_does_not_find_the_statement(client):
    w = await world(client)
    stranger = await make_key(
        client, (await make_party(client, "school_district"))["id"], "manager"
    )
    r = await client.get(
        statement_path(w.agreement["id"]), params=span(next_weekday(1)), headers=stranger
    )
    assert_problem(r, 404, "not-found")


async def test_a_direct_partner_may_not_read_the_statement(client):
    # A partner's role may not, whatever the agreement (tests/costs/test_not_yours.py).
    w = await world(client)
    path = statement_path(w.agreement["id"])
    r = await client.get(path, params=span(next_weekday(1)), headers=w.group_key)
    assert_problem(r, 403, "forbidden")


async def test_a_partner_key_of_a_party_may_not_read_the_statement(client):
    w = await world(client)
    r = await client.get(
        statement_path(w.agreement["id"]), params=span(next_weekday(1)), headers=w.city_key
    )
    assert_problem(r, 403, "forbidden")


async def test_a_statement_needs_a_key(client):
    w = await world(client)
    r = await client.get(statement_path(w.agreement["id"]), params=span(next_weekday(1)))
    assert_problem(r, 401, "unauthenticated")


async def test_the_statement_of_an_unknown_agreement_is_not_found(client):
    r = await client.get(statement_path(999999), params=span(next_weekday(1)), headers=ADMIN)
    assert_problem(r, 404, "not-found")


# --- the quote agrees with the statement --------------------------------------------


async def lone_booking(client, w, day, start: str, end: str, **fields):
    """A booking alone on its site date: (its statement line's figures, its quote's)."""
    made = await book(client, w.group_key, evening(w.gym["id"], day, start, end, **fields))
    line = custodial_lines(await statement(client, w.agreement["id"], day))[made["id"]]
    return line_figures(line), quote_figures(made)


@pytest.mark.dates
async def test_the_statement_line_of_a_lone_extension_equals_its_quote(client):
    w = await world(client)
    r = await client.patch(
        f"/v1/sites/{w.site['id']}", json={"custodial_rate_cents_per_hour": 4250}, headers=ADMIN
    )
    assert r.status_code == 200, r.text
    # 17:30-19:05 with 10 minutes of cleanup: 75 minutes past 18:00, 5312.5 cents -> 5313.
    line, quote = await lone_booking(
        client, w, next_weekday(1), "17:30", "19:05", cleanup_minutes=10
    )
    assert line == quote == (75, 5313, halves(w, 2657, 2656))


async def test_the_statement_line_of_a_lone_call_out_equals_its_quote(client):
    w = await world(client)
    line, quote = await lone_booking(client, w, next_weekday(1), "19:00", "19:40")
    assert line == quote == (120, 8400, halves(w, 4200, 4200))


async def test_the_statement_line_of_a_lone_weekend_call_out_equals_its_quote(client):
    w = await world(client, terms={"min_callout_minutes": 180})
    line, quote = await lone_booking(client, w, next_weekday(5), "09:00", "10:10")
    assert line == quote == (180, 12600, halves(w, 6300, 6300))


# --- one coverage ------------------------------------------------------------------


async def test_two_bookings_the_same_evening_in_two_spaces_share_one_coverage(client):
    w = await world(client)
    day = next_weekday(1)
    gym = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    room = await book(client, w.city_key, evening(w.room["id"], day, "19:00", "21:00"))
    assert quote_figures(gym)[:2] == quote_figures(room)[:2] == (120, 8400)  # each alone
    st = await statement(client, w.agreement["id"], day)
    # One custodian 18:00-21:00: 180 minutes, not 240; each booking ran 120 of them.
    assert (st["custodial_minutes"], st["custodial_cost_cents"]) == (180, 12600)
    assert {b: line_figures(line) for b, line in custodial_lines(st).items()} == {
        gym["id"]: (90, 6300, halves(w, 3150, 3150)),
        room["id"]: (90, 6300, halves(w, 3150, 3150)),
    }


# --- bookings moving the figures ----------------------------------------------------


@pytest.mark.dates
async def test_a_late_cancellation_keeps_counting(client):
    w = await world(client, terms={"late_cancel_hours": 24 * 30})
    day = next_weekday(1)  # 8 to 20 days ahead: inside 30 days, so late
    made = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    await cancel(client, made, w.group_key)
    line = custodial_lines(await statement(client, w.agreement["id"], day))[made["id"]]
    assert line_figures(line) == (120, 8400, halves(w, 4200, 4200))


@pytest.mark.dates
async def test_an_early_cancellation_does_not_count(client):
    w = await world(client, terms={"late_cancel_hours": 0})
    day = next_weekday(1)
    made = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    await cancel(client, made, w.group_key)
    st = await statement(client, w.agreement["id"], day)
    assert (st["lines"], st["custodial_cost_cents"]) == ([], 0)


async def test_an_early_cancellation_gives_the_whole_coverage_back_to_the_booking_that_stays(
    client,
):
    w = await world(client, terms={"late_cancel_hours": 0})
    day = next_weekday(1)
    gym = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    room = await book(client, w.city_key, evening(w.room["id"], day, "18:00", "20:00"))
    await cancel(client, room, w.city_key)
    st = await statement(client, w.agreement["id"], day)
    assert {b: line_figures(line)[:2] for b, line in custodial_lines(st).items()} == {
        gym["id"]: (120, 8400)
    }


async def test_approving_a_requested_booking_adds_its_charge(client):
    w = await world(client, terms={"auto_confirm": False})
    day = next_weekday(1)
    made = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    assert made["status"] == "requested"
    assert (await statement(client, w.agreement["id"], day))["lines"] == []
    r = await client.post(f"/v1/bookings/{made['id']}/approve", headers=w.district_manager)
    assert r.status_code == 200, r.text
    line = custodial_lines(await statement(client, w.agreement["id"], day))[made["id"]]
    assert line_figures(line)[:2] == (120, 8400)


async def test_declining_a_requested_booking_adds_no_charge(client):
    w = await world(client, terms={"auto_confirm": False})
    day = next_weekday(1)
    made = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    r = await client.post(f"/v1/bookings/{made['id']}/decline", headers=w.district_manager)
    assert r.status_code == 200, r.text
    assert (await statement(client, w.agreement["id"], day))["lines"] == []


async def test_changing_a_bookings_time_moves_its_charge(client):
    w = await world(client)
    tuesday = next_weekday(1)
    wednesday = tuesday + timedelta(days=1)
    made = await book(client, w.group_key, evening(w.gym["id"], tuesday, "18:00", "20:00"))
    await move(client, made, w.group_key, wednesday, "18:00", "19:00")
    st = await statement(client, w.agreement["id"], tuesday, wednesday)
    assert [
        (line["date"], line["booking_id"], line["minutes"], line["amount_cents"])
        for line in st["lines"]
    ] == [(wednesday.isoformat(), made["id"], 60, 4200)]


async def test_changing_a_booking_into_custodial_hours_removes_its_charge(client):
    w = await world(client)
    day = next_weekday(1)
    made = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    await move(client, made, w.group_key, day, "16:00", "18:00")
    assert (await statement(client, w.agreement["id"], day))["lines"] == []


async def test_an_owner_booking_never_enters_cost_sharing(client):
    w = await world(client)
    day = next_weekday(1)
    group = await book(client, w.group_key, evening(w.room["id"], day, "18:00", "19:00"))
    owner = await book(client, w.district_manager, evening(w.gym["id"], day, "18:00", "21:00"))
    assert owner["agreement_id"] is None
    st = await statement(client, w.agreement["id"], day)
    # The owner's own evening neither has a line nor joins (and cheapens) the group's coverage.
    assert {b: line_figures(line)[:2] for b, line in custodial_lines(st).items()} == {
        group["id"]: (60, 4200)
    }


@pytest.mark.dates
async def test_each_evening_of_a_series_is_a_statement_line(client):
    w = await world(client)
    day = next_weekday(1)
    body = {**evening(w.gym["id"], day, "18:00", "20:00"), "rrule": "FREQ=WEEKLY;COUNT=3"}
    r = await client.post("/v1/booking-series", json=body, headers=w.group_key)
    assert r.status_code == 201, r.text
    st = await statement(client, w.agreement["id"], day, day + timedelta(days=14))
    assert [(line["date"], line["booking_id"], line["minutes"]) for line in st["lines"]] == [
        ((day + timedelta(days=7 * n)).isoformat(), booking_id, 120)
        for n, booking_id in enumerate(r.json()["booking_ids"])
    ]


async def test_cancelling_a_series_early_removes_its_charges(client):
    w = await world(client, terms={"late_cancel_hours": 0})
    day = next_weekday(1)
    body = {**evening(w.gym["id"], day, "18:00", "20:00"), "rrule": "FREQ=WEEKLY;COUNT=3"}
    r = await client.post("/v1/booking-series", json=body, headers=w.group_key)
    assert r.status_code == 201, r.text
    cancelled = await client.post(
        f"/v1/booking-series/{r.json()['id']}/cancel", headers=w.group_key
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (await statement(client, w.agreement["id"], day, day + timedelta(days=14)))[
        "lines"
    ] == []


@pytest.mark.dates
async def test_changing_a_sites_custodial_rate_rebills_its_future_site_dates(client):
    w = await world(client)
    day = next_weekday(1)
    made = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    r = await client.patch(
        f"/v1/sites/{w.site['id']}", json={"custodial_rate_cents_per_hour": 6000}, headers=ADMIN
    )
    assert r.status_code == 200, r.text
    line = custodial_lines(await statement(client, w.agreement["id"], day))[made["id"]]
    assert line_figures(line) == (120, 12000, halves(w, 6000, 6000))


async def billed_after_custodial_hours_shrank(client, w, day):
    """A 16:00-17:00 booking, inside custodial hours (quoted nothing) until the site's
    custodians go home at 16:00: its site date is re-billed with it."""
    made = await book(client, w.group_key, evening(w.gym["id"], day, "16:00", "17:00"))
    assert quote_figures(made)[:2] == (0, 0)
    hours = {d: [["06:00", "16:00"]] for d in WEEKDAYS}
    r = await client.patch(
        f"/v1/sites/{w.site['id']}", json={"custodial_hours": hours}, headers=ADMIN
    )
    assert r.status_code == 200, r.text
    return made


@pytest.mark.dates
async def test_changing_a_sites_custodial_hours_rebills_its_future_site_dates(client):
    w = await world(client)
    day = next_weekday(1)
    made = await billed_after_custodial_hours_shrank(client, w, day)
    line = custodial_lines(await statement(client, w.agreement["id"], day))[made["id"]]
    assert line_figures(line)[:2] == (60, 4200)


@pytest.mark.dates
async def test_changing_a_sites_time_zone_rebills_its_bookings_on_their_new_local_dates(client):
    w = await world(client)
    tuesday = next_weekday(1)
    made = await book(client, w.group_key, evening(w.gym["id"], tuesday, "21:00", "22:00"))
    r = await client.patch(
        f"/v1/sites/{w.site['id']}", json={"timezone": "America/New_York"}, headers=ADMIN
    )
    assert r.status_code == 200, r.text
    # 21:00-22:00 in Sacramento is 00:00-01:00 on Wednesday in New York: a call-out there.
    st = await statement(client, w.agreement["id"], tuesday, tuesday + timedelta(days=1))
    assert [(line["date"], line["booking_id"], line["minutes"]) for line in st["lines"]] == [
        ((tuesday + timedelta(days=1)).isoformat(), made["id"], 120)
    ]


async def test_a_booking_billed_after_custodial_hours_shrank_stops_counting_when_cancelled_early(
    client,
):
    w = await world(client, terms={"late_cancel_hours": 0})
    day = next_weekday(1)
    made = await billed_after_custodial_hours_shrank(client, w, day)
    assert made["id"] in custodial_lines(await statement(client, w.agreement["id"], day))
    await cancel(client, made, w.group_key)
    st = await statement(client, w.agreement["id"], day)
    assert (st["lines"], st["custodial_cost_cents"]) == ([], 0)


async def test_a_booking_billed_after_custodial_hours_shrank_leaves_no_charge_behind_when_moved(
    client,
):
    w = await world(client)
    day = next_weekday(1)
    made = await billed_after_custodial_hours_shrank(client, w, day)
    assert made["id"] in custodial_lines(await statement(client, w.agreement["id"], day))
    # A week later, inside the shortened custodial hours: nothing to bill anywhere.
    later = day + timedelta(days=7)
    await move(client, made, w.group_key, later, "15:00", "16:00")
    assert (await statement(client, w.agreement["id"], day, later))["lines"] == []


async def test_changed_cost_shares_apply_to_bookings_made_after_the_change(client):
    w = await world(client)
    day = next_weekday(1)
    before = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    r = await client.patch(
        f"/v1/agreements/{w.agreement['id']}",
        json={"cost_shares": {str(w.city["id"]): 30, str(w.district["id"]): 70}},
        headers=ADMIN,
    )
    assert r.status_code == 200, r.text
    # Same site date: booking `after` re-bills it, and `before` keeps the split it was made with.
    after = await book(client, w.city_key, evening(w.room["id"], day, "18:00", "20:00"))
    lines = custodial_lines(await statement(client, w.agreement["id"], day))
    assert line_figures(lines[before["id"]]) == (60, 4200, halves(w, 2100, 2100))
    assert line_figures(lines[after["id"]]) == (60, 4200, halves(w, 1260, 2940))
