"""Coalition versions: one row a name ('currencies', 'rates'), bumped by every write of what
it stands for (tracker.versions), so that the kept public drive page, the dashboard's kept
sections and the coalition's currency list read one indexed row instead of walking the
exchange rates (issue 15).

Both rows are created here with a random stamp: a process's kept list is keyed by it.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 07:40:00.000000

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    version = op.create_table('coalition_version',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.Column('stamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_coalition_version'))
    )
    op.bulk_insert(version, [{'name': name, 'n': 0, 'stamp': secrets.randbits(62)}
                             for name in ('currencies', 'rates')])


def downgrade():
    op.drop_table('coalition_version')
