"""Rescued forms: what a person typed into a form posted after the session ended,
kept under a one-time key until the form is shown again pre-filled.

Revision ID: 0008
Revises: 0007

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rescued_form",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_rescued_form_user_id_user_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rescued_form")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_rescued_form_key_hash")),
    )
    with op.batch_alter_table("rescued_form", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rescued_form_created_at"), ["created_at"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_rescued_form_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("rescued_form", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rescued_form_user_id"))
        batch_op.drop_index(batch_op.f("ix_rescued_form_created_at"))
    op.drop_table("rescued_form")
