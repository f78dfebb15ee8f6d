"""Contract sections 1 and 5: integer cents, costs rounded half up to a cent, splits
exact by largest remainder with ties to the one listed first."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.money import cost_of_minutes, div_round_half_up, largest_remainder


@pytest.mark.parametrize(
    ("numerator", "denominator", "rounded"),
    [(0, 7, 0), (6, 3, 2), (1, 3, 0), (2, 3, 1), (1, 2, 1), (3, 2, 2), (5, 2, 3), (7, 4, 2)],
)
def test_division_rounds_half_up(numerator: int, denominator: int, rounded: int) -> None:
    assert div_round_half_up(numerator, denominator) == rounded


@pytest.mark.parametrize(("numerator", "denominator"), [(-1, 2), (1, 0), (1, -2)])
def test_division_refuses_negative_amounts_and_non_positive_divisors(
    numerator: int, denominator: int
) -> None:
    with pytest.raises(ValueError):
        div_round_half_up(numerator, denominator)


def test_cost_is_billed_minutes_times_the_hourly_rate_over_60() -> None:
    assert cost_of_minutes(90, 4500) == 6750


def test_a_cost_of_exactly_half_a_cent_rounds_up() -> None:
    assert cost_of_minutes(15, 4502) == 1126  # 1125.5 cents
    assert cost_of_minutes(1, 30) == 1  # 0.5 cents


def test_a_cost_under_half_a_cent_rounds_down() -> None:
    assert cost_of_minutes(1, 29) == 0  # 0.483 cents
    assert cost_of_minutes(15, 4501) == 1125  # 1125.25 cents


def test_no_minutes_cost_nothing() -> None:
    assert cost_of_minutes(0, 4500) == 0


def test_an_even_split_of_an_even_amount_is_exact() -> None:
    assert largest_remainder(9000, [("city", 50), ("district", 50)]) == {
        "city": 4500,
        "district": 4500,
    }


def test_the_odd_cent_of_an_even_split_goes_to_the_party_listed_first() -> None:
    assert largest_remainder(1127, [("district", 50), ("city", 50)]) == {
        "district": 564,
        "city": 563,
    }


def test_a_leftover_goes_to_the_largest_remainder_before_listing_order() -> None:
    # Exact shares 3.33 and 6.67: the second has the larger remainder.
    assert largest_remainder(10, [("a", 1), ("b", 2)]) == {"a": 3, "b": 7}


def test_leftovers_go_one_each_in_remainder_order() -> None:
    assert largest_remainder(100, [("a", 1), ("b", 1), ("c", 1)]) == {"a": 34, "b": 33, "c": 33}
    assert largest_remainder(101, [("a", 1), ("b", 1), ("c", 1)]) == {"a": 34, "b": 34, "c": 33}


def test_a_60_40_split_follows_the_percents() -> None:
    assert largest_remainder(9001, [(1, 60), (2, 40)]) == {1: 5401, 2: 3600}  # 5400.6 and 3600.4


def test_a_zero_weight_gets_nothing() -> None:
    assert largest_remainder(999, [("a", 100), ("b", 0)]) == {"a": 999, "b": 0}


def test_nothing_split_over_zero_weights_is_nothing() -> None:
    assert largest_remainder(0, [("a", 0), ("b", 0)]) == {"a": 0, "b": 0}


def test_a_non_zero_amount_cannot_be_split_over_zero_weights() -> None:
    with pytest.raises(ValueError):
        largest_remainder(1, [("a", 0), ("b", 0)])


def test_negative_amounts_and_weights_are_refused() -> None:
    with pytest.raises(ValueError):
        largest_remainder(-1, [("a", 1)])
    with pytest.raises(ValueError):
        largest_remainder(1, [("a", 2), ("b", -1)])


# --- properties -----------------------------------------------------------------

amounts = st.integers(0, 10**9)
weightings = st.lists(st.integers(0, 10_000), min_size=1, max_size=8).filter(lambda ws: sum(ws) > 0)
percents = st.lists(st.integers(0, 5), min_size=2, max_size=6).filter(
    lambda ws: sum(ws) > 0
)  # many ties


@settings(max_examples=150)
@given(amounts, weightings)
def test_split_parts_always_add_up_to_the_total(total: int, weights: list[int]) -> None:
    parts = largest_remainder(total, list(enumerate(weights)))
    assert sum(parts.values()) == total
    assert list(parts) == list(range(len(weights)))


@settings(max_examples=150)
@given(amounts, weightings)
def test_each_part_is_within_one_of_its_exact_share(total: int, weights: list[int]) -> None:
    parts = largest_remainder(total, list(enumerate(weights)))
    weight_sum = sum(weights)
    for i, w in enumerate(weights):
        # exact share = total * w / weight_sum; the part is its floor or its ceiling.
        assert total * w - weight_sum < parts[i] * weight_sum < total * w + weight_sum
        assert parts[i] >= total * w // weight_sum


@settings(max_examples=150)
@given(st.integers(0, 1000), percents)
def test_equal_weights_never_favour_a_later_listed_party(total: int, weights: list[int]) -> None:
    parts = largest_remainder(total, list(enumerate(weights)))
    for i, j in itertools.combinations(range(len(weights)), 2):
        if weights[i] == weights[j]:
            assert parts[i] - parts[j] in (0, 1)


@settings(max_examples=200)
@given(st.integers(0, 10_000), st.integers(1, 10**6))
def test_a_cost_is_within_half_a_cent_of_the_exact_amount(billed_minutes: int, rate: int) -> None:
    cents = cost_of_minutes(billed_minutes, rate)
    # |cents - minutes * rate / 60| <= 1/2, and exactly half rounds up.
    assert -30 < cents * 60 - billed_minutes * rate <= 30
