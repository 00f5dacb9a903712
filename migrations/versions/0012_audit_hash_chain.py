"""The audit trail becomes tamper-evident: each event carries the hash of the one before it,
and the database refuses UPDATE and DELETE on audit rows.

Existing events are chained in id order before the triggers are created.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 16:00:00

"""
from alembic import op
import sqlalchemy as sa

# The backfill must hash exactly as the trail writes and `audit-verify` checks.
from tracker.audit.chain import GENESIS, event_hash
from tracker.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

BATCH = 1000

# As tracker/audit/models.py had them when this was written (a migration stays as it ran).
TRIGGERS = {
    "postgresql": [
        """CREATE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audit_event is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END
$$""",
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END",
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END",
    ],
}
DROP_TRIGGERS = {
    "postgresql": ["DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
                   "DROP FUNCTION IF EXISTS audit_event_refuse_change()"],
    "sqlite": ["DROP TRIGGER IF EXISTS audit_event_no_update",
               "DROP TRIGGER IF EXISTS audit_event_no_delete"],
}

events = sa.table(
    'audit_event',
    sa.column('id', sa.BigInteger()),
    sa.column('occurred_at', UTCDateTime()),
    sa.column('actor_id', sa.Integer()),
    sa.column('actor_label', sa.String()),
    sa.column('action', sa.String()),
    sa.column('record_type', sa.String()),
    sa.column('record_id', sa.String()),
    sa.column('parent_type', sa.String()),
    sa.column('parent_id', sa.String()),
    sa.column('changes', sa.JSON()),
    sa.column('context', sa.JSON()),
    sa.column('summary', sa.String()),
    sa.column('prev_hash', sa.String()),
    sa.column('hash', sa.String()),
)


def _chain_existing_events():
    """Give every existing event, in id order, its predecessor's hash and its own."""
    connection = op.get_bind()
    update = (events.update().where(events.c.id == sa.bindparam('event_id'))
              .values(prev_hash=sa.bindparam('new_prev_hash'), hash=sa.bindparam('new_hash')))
    last_id, previous = 0, GENESIS
    while True:
        batch = connection.execute(
            sa.select(events).where(events.c.id > last_id).order_by(events.c.id).limit(BATCH)
        ).mappings().all()
        if not batch:
            return
        links = []
        for row in batch:
            values = {**row, 'prev_hash': previous}
            links.append({'event_id': row['id'], 'new_prev_hash': previous,
                          'new_hash': event_hash(values)})
            previous, last_id = links[-1]['new_hash'], row['id']
        connection.execute(update, links)


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    _chain_existing_events()
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
    for statement in TRIGGERS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    for statement in DROP_TRIGGERS.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
