"""agreements and bookings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:53:02.492719
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('party_a_id', sa.Integer(), nullable=False),
    sa.Column('party_b_id', sa.Integer(), nullable=False),
    sa.Column('share_a_percent', sa.Integer(), nullable=False),
    sa.Column('share_b_percent', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on IS NULL OR starts_on <= ends_on', name=op.f('ck_agreements_dates_ordered')),
    sa.CheckConstraint('party_a_id <> party_b_id', name=op.f('ck_agreements_two_parties')),
    sa.CheckConstraint('share_a_percent >= 0 AND share_b_percent >= 0 AND share_a_percent + share_b_percent = 100', name=op.f('ck_agreements_shares_sum_to_100')),
    sa.ForeignKeyConstraint(['party_a_id'], ['parties.id'], name=op.f('fk_agreements_party_a_id_parties')),
    sa.ForeignKeyConstraint(['party_b_id'], ['parties.id'], name=op.f('fk_agreements_party_b_id_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreements'))
    )
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreements_party_a_id'), ['party_a_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_party_b_id'), ['party_b_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_status'), ['status'], unique=False)

    op.create_table('agreement_direct_partners',
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_agreement_direct_partners_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], name=op.f('fk_agreement_direct_partners_party_id_parties')),
    sa.PrimaryKeyConstraint('agreement_id', 'party_id', name=op.f('pk_agreement_direct_partners'))
    )
    with op.batch_alter_table('agreement_direct_partners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_direct_partners_party_id'), ['party_id'], unique=False)

    op.create_table('booking_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=True),
    sa.Column('rrule', sa.String(length=1000), nullable=False),
    sa.Column('exdates', sa.JSON(), nullable=False),
    sa.Column('start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('attendance', sa.Integer(), nullable=False),
    sa.Column('setup_minutes', sa.Integer(), nullable=False),
    sa.Column('cleanup_minutes', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_booking_series_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['created_by_key_id'], ['api_keys.id'], name=op.f('fk_booking_series_created_by_key_id_api_keys')),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], name=op.f('fk_booking_series_party_id_parties')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_booking_series_site_id_sites')),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_booking_series_space_id_spaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_series'))
    )
    with op.batch_alter_table('booking_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_series_party_id'), ['party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_series_space_id'), ['space_id'], unique=False)

    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=True),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('setup_minutes', sa.Integer(), nullable=False),
    sa.Column('cleanup_minutes', sa.Integer(), nullable=False),
    sa.Column('held_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('held_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('booked_minutes', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('attendance', sa.Integer(), nullable=False),
    sa.Column('cost_shares', sa.JSON(), nullable=True),
    sa.Column('terms', sa.JSON(), nullable=True),
    sa.Column('rental_fee_waived_cents', sa.Integer(), nullable=False),
    sa.Column('custodial_minutes', sa.Integer(), nullable=False),
    sa.Column('custodial_cost_cents', sa.Integer(), nullable=False),
    sa.Column('cost_shares_cents', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('late_cancellation', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_by_key_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('attendance >= 0', name=op.f('ck_bookings_attendance_not_negative')),
    sa.CheckConstraint('held_start < held_end', name=op.f('ck_bookings_held_ordered')),
    sa.CheckConstraint('setup_minutes >= 0 AND cleanup_minutes >= 0', name=op.f('ck_bookings_setup_cleanup_not_negative')),
    sa.CheckConstraint('start < "end"', name=op.f('ck_bookings_start_before_end')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_bookings_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['created_by_key_id'], ['api_keys.id'], name=op.f('fk_bookings_created_by_key_id_api_keys')),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], name=op.f('fk_bookings_party_id_parties')),
    sa.ForeignKeyConstraint(['series_id'], ['booking_series.id'], name=op.f('fk_bookings_series_id_booking_series')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_bookings_site_id_sites')),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_bookings_space_id_spaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookings_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index('ix_bookings_party_start', ['party_id', 'start'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_series_id'), ['series_id'], unique=False)
        batch_op.create_index('ix_bookings_site_held', ['site_id', 'held_start'], unique=False)
        batch_op.create_index('ix_bookings_space_held', ['space_id', 'held_start'], unique=False)
        batch_op.create_index('ix_bookings_start_id', ['start', 'id'], unique=False)
        batch_op.create_index('ix_bookings_site_date', ['site_id', 'local_date'], unique=False)

    op.create_table('booking_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_key_id', sa.Integer(), nullable=True),
    sa.Column('actor_party_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['actor_key_id'], ['api_keys.id'], name=op.f('fk_booking_events_actor_key_id_api_keys')),
    sa.ForeignKeyConstraint(['actor_party_id'], ['parties.id'], name=op.f('fk_booking_events_actor_party_id_parties')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_booking_events_booking_id_bookings')),
    sa.ForeignKeyConstraint(['series_id'], ['booking_series.id'], name=op.f('fk_booking_events_series_id_booking_series')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_events'))
    )
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.create_index('ix_booking_events_booking', ['booking_id', 'id'], unique=False)

    # No double booking, ever: on PostgreSQL the database itself refuses two holding
    # bookings of one space whose held windows overlap (half-open ranges).
    # Written by hand: autogenerate cannot see exclusion constraints.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE bookings ADD CONSTRAINT ex_bookings_no_overlap "
            "EXCLUDE USING gist (space_id WITH =, tstzrange(held_start, held_end, '[)') WITH &&) "
            "WHERE (status IN ('requested', 'confirmed'))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE bookings DROP CONSTRAINT IF EXISTS ex_bookings_no_overlap")
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_events_booking')

    op.drop_table('booking_events')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_start_id')
        batch_op.drop_index('ix_bookings_site_date')
        batch_op.drop_index('ix_bookings_space_held')
        batch_op.drop_index('ix_bookings_site_held')
        batch_op.drop_index(batch_op.f('ix_bookings_series_id'))
        batch_op.drop_index('ix_bookings_party_start')
        batch_op.drop_index(batch_op.f('ix_bookings_agreement_id'))

    op.drop_table('bookings')
    with op.batch_alter_table('booking_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_series_space_id'))
        batch_op.drop_index(batch_op.f('ix_booking_series_party_id'))

    op.drop_table('booking_series')
    with op.batch_alter_table('agreement_direct_partners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_direct_partners_party_id'))

    op.drop_table('agreement_direct_partners')
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreements_status'))
        batch_op.drop_index(batch_op.f('ix_agreements_party_b_id'))
        batch_op.drop_index(batch_op.f('ix_agreements_party_a_id'))

    op.drop_table('agreements')
