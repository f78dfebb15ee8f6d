"""custodial charges and cost items

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:11:40.030993
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cost_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('incurred_by_party_id', sa.Integer(), nullable=False),
    sa.Column('incurred_on', sa.Date(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('shares_cents', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_key_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_cost_items_amount_positive')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_cost_items_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['created_by_key_id'], ['api_keys.id'], name=op.f('fk_cost_items_created_by_key_id_api_keys')),
    sa.ForeignKeyConstraint(['incurred_by_party_id'], ['parties.id'], name=op.f('fk_cost_items_incurred_by_party_id_parties')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_cost_items_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_items'))
    )
    with op.batch_alter_table('cost_items', schema=None) as batch_op:
        batch_op.create_index('ix_cost_items_agreement_date', ['agreement_id', 'incurred_on'], unique=False)

    op.create_table('custodial_charges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('beyond_minutes', sa.Integer(), nullable=False),
    sa.Column('billed_minutes', sa.Integer(), nullable=False),
    sa.Column('cost_cents', sa.BigInteger(), nullable=False),
    sa.Column('shares_cents', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_custodial_charges_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_custodial_charges_booking_id_bookings')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_custodial_charges_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custodial_charges')),
    sa.UniqueConstraint('booking_id', 'local_date', name='uq_custodial_charges_booking_date')
    )
    with op.batch_alter_table('custodial_charges', schema=None) as batch_op:
        batch_op.create_index('ix_custodial_charges_agreement_date', ['agreement_id', 'local_date'], unique=False)
        batch_op.create_index('ix_custodial_charges_site_date', ['site_id', 'local_date'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('custodial_charges', schema=None) as batch_op:
        batch_op.drop_index('ix_custodial_charges_site_date')
        batch_op.drop_index('ix_custodial_charges_agreement_date')

    op.drop_table('custodial_charges')
    with op.batch_alter_table('cost_items', schema=None) as batch_op:
        batch_op.drop_index('ix_cost_items_agreement_date')

    op.drop_table('cost_items')
