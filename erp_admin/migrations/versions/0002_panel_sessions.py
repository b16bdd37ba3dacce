"""panel sessions: server-side records of signed-in admin panel sessions

Revision ID: 0002_panel
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

import erp_admin.models.base


revision = "0002_panel"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "panel_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", erp_admin.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_panel_sessions_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_sessions")),
    )
    with op.batch_alter_table("panel_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_panel_sessions_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_panel_sessions_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("panel_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_panel_sessions_user_id"))
        batch_op.drop_index(batch_op.f("ix_panel_sessions_created_at"))
    op.drop_table("panel_sessions")
