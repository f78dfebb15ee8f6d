"""custodial charges settled when read: pending site dates

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "custodial_pending",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "local_date", name=op.f("pk_custodial_pending")),
    )
    with op.batch_alter_table("custodial_pending", schema=None) as batch_op:
        batch_op.create_index("ix_custodial_pending_date", ["local_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("custodial_pending", schema=None) as batch_op:
        batch_op.drop_index("ix_custodial_pending_date")
    op.drop_table("custodial_pending")
