"""The audit trail also records who viewed, exported or erased personal data.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 15:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

OLD = ('create', 'update', 'delete')
NEW = OLD + ('view', 'export', 'erase')


def _replace_check(values):
    # The action column is a VARCHAR with a CHECK constraint (tracker.db.str_enum); its
    # length (6) fits every value, so only the constraint changes.
    allowed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_event_audit_action'), type_='check')
        batch_op.create_check_constraint('audit_action', sa.text(f"action IN ({allowed})"))


def upgrade():
    _replace_check(NEW)


def downgrade():
    op.execute("DELETE FROM audit_event WHERE action IN ('view', 'export', 'erase')")
    _replace_check(OLD)
