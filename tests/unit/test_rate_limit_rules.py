"""Rate-limit arithmetic without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.ratelimits import rules


def test_a_window_is_a_minute_of_the_epoch() -> None:
    at = datetime(2027, 1, 12, 18, 0, 59, tzinfo=UTC)
    assert rules.window_of(at) == rules.window_of(at.replace(second=0))
    assert rules.window_of(at.replace(minute=1, second=0)) == rules.window_of(at) + 1


@pytest.mark.parametrize(("second", "left"), [(0, 60), (1, 59), (59, 1)])
def test_the_seconds_left_count_to_the_next_minute(second: int, left: int) -> None:
    assert rules.seconds_left(datetime(2027, 1, 12, 18, 0, second, tzinfo=UTC)) == left


@pytest.mark.parametrize(
    ("limit", "taken", "slice_"),
    [(600, 0, 30), (600, 560, 10), (600, 599, 1), (20, 0, 1), (10_000, 0, 50), (1, 0, 1)],
)
def test_a_slice_is_a_share_of_the_limit_and_shrinks_as_the_budget_runs_out(
    limit: int, taken: int, slice_: int
) -> None:
    assert rules.slice_to_take(limit, taken) == slice_


def test_the_headers_are_the_ietf_fields() -> None:
    assert rules.policy_header(600) == '"default";q=600;w=60'
    assert rules.limit_header(12, 30) == '"default";r=12;t=30'
    assert rules.limit_header(-3, 30) == '"default";r=0;t=30'
