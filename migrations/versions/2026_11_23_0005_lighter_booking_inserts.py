"""lighter booking inserts: one foreign key for a booking's space and site; audit
columns (who made a booking, who acted in its history) as recorded values

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("spaces", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_spaces_id_site_id", ["id", "site_id"])
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_constraint("fk_bookings_space_id_spaces", type_="foreignkey")
        batch_op.drop_constraint("fk_bookings_site_id_sites", type_="foreignkey")
        batch_op.drop_constraint("fk_bookings_created_by_key_id_api_keys", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_bookings_space_site_spaces", "spaces", ["space_id", "site_id"], ["id", "site_id"]
        )
    with op.batch_alter_table("booking_events", schema=None) as batch_op:
        batch_op.drop_constraint("fk_booking_events_actor_key_id_api_keys", type_="foreignkey")
        batch_op.drop_constraint("fk_booking_events_actor_party_id_parties", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("booking_events", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_booking_events_actor_party_id_parties", "parties", ["actor_party_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_booking_events_actor_key_id_api_keys", "api_keys", ["actor_key_id"], ["id"]
        )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_constraint("fk_bookings_space_site_spaces", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_bookings_created_by_key_id_api_keys", "api_keys", ["created_by_key_id"], ["id"]
        )
        batch_op.create_foreign_key("fk_bookings_site_id_sites", "sites", ["site_id"], ["id"])
        batch_op.create_foreign_key("fk_bookings_space_id_spaces", "spaces", ["space_id"], ["id"])
    with op.batch_alter_table("spaces", schema=None) as batch_op:
        batch_op.drop_constraint("uq_spaces_id_site_id", type_="unique")
