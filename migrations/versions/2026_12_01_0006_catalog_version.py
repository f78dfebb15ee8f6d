"""catalog version: a number that changes with every change to what the booking rules
read about parties, sites, spaces, calendars and agreements, so that a worker may keep
those facts and check, in the booking's own insert, that they are still current

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables whose rows the booking rules read (repository.caller_facts).
WATCHED = ("parties", "sites", "spaces", "calendar_exceptions", "agreements", "agreement_direct_partners")


def upgrade() -> None:
    op.create_table(
        "catalog_version",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_catalog_version_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_version")),
    )
    op.execute("INSERT INTO catalog_version (id, version) VALUES (1, 1)")
    # Written by hand: autogenerate sees neither sequences nor triggers. PostgreSQL
    # only: SQLite books without cached facts (it has no exclusion constraint to
    # fall back on).
    if op.get_bind().dialect.name != "postgresql":
        return
    # Values from a sequence are never handed out twice, even by a transaction that
    # rolls back: a version once seen always means the same catalog.
    op.execute("CREATE SEQUENCE catalog_version_seq START 2")
    op.execute(
        "CREATE FUNCTION bump_catalog_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN UPDATE catalog_version SET version = nextval('catalog_version_seq') WHERE id = 1; "
        "RETURN NULL; END $$"
    )
    for table in WATCHED:
        op.execute(
            f"CREATE TRIGGER {table}_bump_catalog_version "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_catalog_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_catalog_version()")
        op.execute("DROP SEQUENCE IF EXISTS catalog_version_seq")
    op.drop_table("catalog_version")
