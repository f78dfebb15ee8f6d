"""catalog: parties, api keys, sites, spaces, calendar

Revision ID: 0001
Revises:
Create Date: 2026-11-23 13:45:45.396668
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('parties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parties'))
    )
    with op.batch_alter_table('parties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parties_kind'), ['kind'], unique=False)

    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lookup_id', sa.String(length=32), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], name=op.f('fk_api_keys_party_id_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('lookup_id', name=op.f('uq_api_keys_lookup_id'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_party_id'), ['party_id'], unique=False)

    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('owner_party_id', sa.Integer(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('open_hours', sa.JSON(), nullable=False),
    sa.Column('reserved_hours', sa.JSON(), nullable=False),
    sa.Column('custodial_hours', sa.JSON(), nullable=False),
    sa.Column('custodial_rate_cents_per_hour', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('custodial_rate_cents_per_hour >= 0', name=op.f('ck_sites_rate_not_negative')),
    sa.ForeignKeyConstraint(['owner_party_id'], ['parties.id'], name=op.f('fk_sites_owner_party_id_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites'))
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sites_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_sites_owner_party_id'), ['owner_party_id'], unique=False)

    op.create_table('calendar_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('start_date <= end_date', name=op.f('ck_calendar_exceptions_dates_ordered')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_calendar_exceptions_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_exceptions'))
    )
    with op.batch_alter_table('calendar_exceptions', schema=None) as batch_op:
        batch_op.create_index('ix_calendar_exceptions_site_dates', ['site_id', 'start_date', 'end_date'], unique=False)

    op.create_table('spaces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('standard_rental_rate_cents_per_hour', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity >= 0', name=op.f('ck_spaces_capacity_not_negative')),
    sa.CheckConstraint('standard_rental_rate_cents_per_hour >= 0', name=op.f('ck_spaces_rate_not_negative')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_spaces_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spaces'))
    )
    with op.batch_alter_table('spaces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spaces_site_id'), ['site_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('spaces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spaces_site_id'))

    op.drop_table('spaces')
    with op.batch_alter_table('calendar_exceptions', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_exceptions_site_dates')

    op.drop_table('calendar_exceptions')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sites_owner_party_id'))
        batch_op.drop_index(batch_op.f('ix_sites_kind'))

    op.drop_table('sites')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_party_id'))

    op.drop_table('api_keys')
    with op.batch_alter_table('parties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parties_kind'))

    op.drop_table('parties')
