"""The version of what the lists' filters offer: 'choices' (tracker.versions), so that the
campaigns list's countries and the applications list's campaigns and donors are read and
written only when they change, not on every view to key the kept options (issue 15).

The row is created here with a random stamp: a process's kept options are keyed by it. A
row already there (a write by this code before the migration ran upserts it) is left alone.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 12:50:00.000000

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

NAMES = ('choices',)


def upgrade():
    version = sa.table('coalition_version', sa.column('name', sa.String),
                       sa.column('n', sa.BigInteger), sa.column('stamp', sa.BigInteger))
    present = set(op.get_bind().scalars(sa.select(version.c.name)))
    op.bulk_insert(version, [{'name': name, 'n': 0, 'stamp': secrets.randbits(62)}
                             for name in NAMES if name not in present])


def downgrade():
    op.execute(sa.text("DELETE FROM coalition_version WHERE name = 'choices'"))
