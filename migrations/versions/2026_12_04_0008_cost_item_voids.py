"""cost item voids: a wrong cost item is voided (when, by which key, why), never edited
or deleted, and statements leave it out

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cost_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("voided_by_key_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("void_reason", sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_cost_items_voided_by_key_id_api_keys"),
            "api_keys", ["voided_by_key_id"], ["id"],
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_cost_items_void_has_reason"),
            "(voided_at IS NULL) = (void_reason IS NULL)",
        )


def downgrade() -> None:
    with op.batch_alter_table("cost_items", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_cost_items_void_has_reason"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_cost_items_voided_by_key_id_api_keys"), type_="foreignkey"
        )
        batch_op.drop_column("void_reason")
        batch_op.drop_column("voided_by_key_id")
        batch_op.drop_column("voided_at")
