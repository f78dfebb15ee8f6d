"""change feed: each booking event keeps the booking as GET showed it after the change,
and on PostgreSQL the id of the transaction that wrote it (the feed's commit-safe order);
a series' own events (created, cancelled) name no booking

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("booking_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("txid", sa.BigInteger(), nullable=True))
        batch_op.alter_column("booking_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(
            batch_op.f("ck_booking_events_of_booking_or_series"),
            "booking_id IS NOT NULL OR series_id IS NOT NULL",
        )
    if postgresql:
        # Events written before the feed come first, in id order.
        op.execute("UPDATE booking_events SET txid = 0")
        # Every writer, whatever its statement, records its transaction.
        op.execute(
            "ALTER TABLE booking_events ALTER COLUMN txid "
            "SET DEFAULT (pg_current_xact_id()::text::bigint)"
        )
    with op.batch_alter_table("booking_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_booking_events_txid", ["txid", "id"], unique=False,
            postgresql_where=sa.text("txid IS NOT NULL"),
            sqlite_where=sa.text("txid IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("booking_events", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_booking_events_txid",
            postgresql_where=sa.text("txid IS NOT NULL"),
            sqlite_where=sa.text("txid IS NOT NULL"),
        )
    op.execute("DELETE FROM booking_events WHERE booking_id IS NULL")
    with op.batch_alter_table("booking_events", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_booking_events_of_booking_or_series"), type_="check"
        )
        batch_op.alter_column("booking_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("txid")
        batch_op.drop_column("data")
