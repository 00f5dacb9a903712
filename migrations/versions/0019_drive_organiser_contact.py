"""The organisers of a drive on its public page: a name of their own (empty: the organiser
organisation's), an e-mail, a phone and a Telegram account.

Drives made before this revision have none of them: their public page names the organiser
organisation and shows no contact until a lead adds one.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 21:50:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('drive', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organiser_name_en', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('organiser_name_ru', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), server_default='', nullable=False))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('contact_telegram', sa.String(length=40), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('drive', schema=None) as batch_op:
        batch_op.drop_column('contact_telegram')
        batch_op.drop_column('contact_phone')
        batch_op.drop_column('contact_email')
        batch_op.drop_column('organiser_name_ru')
        batch_op.drop_column('organiser_name_en')
