"""Integer money: rounding and splits that always add up to the whole."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

K = TypeVar("K")


def div_round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative integers."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("expects a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


def cost_of_minutes(minutes: int, rate_cents_per_hour: int) -> int:
    return div_round_half_up(minutes * rate_cents_per_hour, 60)


def largest_remainder(total: int, weights: Sequence[tuple[K, int]]) -> dict[K, int]:
    """Split `total` in proportion to `weights` exactly (parts add up to `total`).
    Leftover units go to the largest remainders; ties to the one listed first, so
    callers list in the documented tie order."""
    weight_sum = sum(w for _, w in weights)
    if total < 0 or any(w < 0 for _, w in weights):
        raise ValueError("expects non-negative amounts and weights")
    if weight_sum == 0:
        if total:
            raise ValueError("cannot split a non-zero total over zero weights")
        return {k: 0 for k, _ in weights}
    parts = {k: total * w // weight_sum for k, w in weights}
    left = total - sum(parts.values())
    by_remainder = sorted(
        range(len(weights)), key=lambda i: -(total * weights[i][1] % weight_sum)
    )  # sorted() is stable: equal remainders keep the listed order
    for i in by_remainder[:left]:
        parts[weights[i][0]] += 1
    return parts
