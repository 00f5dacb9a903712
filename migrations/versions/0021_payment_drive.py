"""A payment knows its drive: payment.drive_id, always its pledge's drive (issue 15).

A payment write re-sums one received bucket (a drive's payments of one day in one
currency). Joined through pledge, the only bounding index was every drive's payments of
that day (22 ms at 1,000,000 pledges, growing with the coalition); with the drive on the
payment, the index (drive_id, paid_on, currency, amount_minor) holds the bucket's rows
alone, and also serves a drive's full rebuild. The old index by day and currency served
only that re-sum, so it goes. The partial index of the payments still waiting for a rate
is keyed by drive too: the drive page names a drive's few among its tens of thousands.

The roll-up buckets of a database upgraded from before 0020 are filled here, after the
column exists, by the app's own rebuild (it reads payment.drive_id); 0020 leaves them.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 07:30:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

NEW_INDEX = 'ix_payment_drive_id_paid_on'
NEW_COLUMNS = ['drive_id', 'paid_on', 'currency', 'amount_minor']
OLD_INDEX = 'ix_payment_paid_on_currency'
OLD_COLUMNS = ['paid_on', 'currency', 'pledge_id']
# The payments still waiting for a rate, by drive and date now (the drive page names a
# drive's few in date order; so ordered, SQLite chooses it even without statistics).
UNCONVERTED_INDEX = 'ix_payment_unconverted'
PAYMENT_UNCONVERTED = 'drive_amount_minor IS NULL OR pledge_amount_minor IS NULL'


def _unconverted_index(batch_op, columns):
    batch_op.create_index(UNCONVERTED_INDEX, columns, unique=False,
                          postgresql_where=sa.text(PAYMENT_UNCONVERTED),
                          sqlite_where=sa.text(PAYMENT_UNCONVERTED))


def upgrade():
    # The old index first: the backfill then has one index fewer to write. The new one
    # before the backfill: built after it, over the rows the UPDATE left in HOT chains,
    # PostgreSQL would mark it usable only once every older transaction has ended
    # (indcheckxmin), and a long one (a report, a backup) would keep writes on the join.
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(OLD_INDEX)
        batch_op.drop_index(UNCONVERTED_INDEX)
        batch_op.add_column(sa.Column('drive_id', sa.Integer(), nullable=True))
        batch_op.create_index(NEW_INDEX, NEW_COLUMNS, unique=False)
        _unconverted_index(batch_op, ['drive_id', 'paid_on', 'id'])
    # One statement on both databases: every payment takes its pledge's drive.
    op.execute("UPDATE payment SET drive_id = "
               "(SELECT pledge.drive_id FROM pledge WHERE pledge.id = payment.pledge_id)")
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.alter_column('drive_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_payment_drive_id_drive'), 'drive',
                                    ['drive_id'], ['id'])
    _fill_buckets()


def _fill_buckets():
    """Rebuild every roll-up and its buckets through the app, on the migration's connection,
    when 0020 created them empty (a database with drives but no bucket yet)."""
    from tracker.extensions import db
    from tracker.funding.services import refresh_all_rollups

    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM drive LIMIT 1")).first() is None and \
            bind.execute(sa.text("SELECT 1 FROM campaign LIMIT 1")).first() is None:
        return
    if bind.execute(sa.text("SELECT 1 FROM drive_money_bucket LIMIT 1")).first() is not None:
        return  # filled at 0020 already (before it left the filling here)
    registry = db.session.registry
    previous = registry() if registry.has() else None
    session = Session(bind=bind)
    registry.set(session)
    try:
        refresh_all_rollups()
        session.flush()
    finally:
        session.close()
        if previous is not None:
            registry.set(previous)
        else:
            registry.clear()


def downgrade():
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(NEW_INDEX)
        batch_op.drop_index(UNCONVERTED_INDEX)
        batch_op.drop_constraint(batch_op.f('fk_payment_drive_id_drive'), type_='foreignkey')
        batch_op.drop_column('drive_id')
        batch_op.create_index(OLD_INDEX, OLD_COLUMNS, unique=False)
        _unconverted_index(batch_op, ['pledge_id'])
