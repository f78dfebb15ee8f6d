"""rate limits: how much of each API key's minute budget the workers have taken

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_windows",
        sa.Column("caller", sa.String(length=40), nullable=False),
        sa.Column("minute", sa.BigInteger(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("last_grant", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("caller", "minute", name=op.f("pk_rate_limit_windows")),
    )


def downgrade() -> None:
    op.drop_table("rate_limit_windows")
