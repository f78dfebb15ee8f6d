"""Hot statements compiled once and run on the driver: what `Compiled` refuses and
how it binds, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects.postgresql import asyncpg

from app.bookings.models import Booking
from app.core.sql import Compiled

DIALECT = asyncpg.dialect()  # type: ignore[no-untyped-call]


def test_an_insert_leaving_a_python_side_default_to_sqlalchemy_is_refused() -> None:
    # `created_at` has a Python default, which only SQLAlchemy's execution would fill.
    stmt = insert(Booking.__table__).values(space_id=bindparam("space_id"))
    with pytest.raises(ValueError, match="Python-side default"):
        Compiled.of(stmt, DIALECT)


def test_the_same_insert_inside_a_cte_is_refused_too() -> None:
    new = (
        insert(Booking.__table__)
        .values(space_id=bindparam("space_id"))
        .returning(Booking.id)
        .cte("new")
    )
    with pytest.raises(ValueError, match="Python-side default"):
        Compiled.of(select(new.c.id), DIALECT)


def test_an_in_list_parameter_is_refused() -> None:
    stmt = select(Booking.id).where(Booking.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="expanding"):
        Compiled.of(stmt, DIALECT)


def test_literals_of_the_statement_are_bound_without_being_given() -> None:
    stmt = select(Booking.id).where(
        Booking.status == "confirmed", Booking.space_id == bindparam("space_id")
    )
    c = Compiled.of(stmt, DIALECT)
    assert sorted(c.args({"space_id": 7}), key=str) == [7, "confirmed"]


def test_instants_go_through_the_column_type_to_utc() -> None:
    stmt = select(Booking.id).where(Booking.start < bindparam("before", type_=Booking.start.type))
    c = Compiled.of(stmt, DIALECT)
    local = datetime.fromisoformat("2027-01-12T18:00:00-08:00")
    assert c.args({"before": local}) == [datetime(2027, 1, 13, 2, 0, tzinfo=UTC)]
