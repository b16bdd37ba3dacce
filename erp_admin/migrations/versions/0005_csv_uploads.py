"""csv import state: pending panel uploads and import progress, shared by every worker and host

Revision ID: 0005_csv_uploads
Revises: 0004_scan
"""
from alembic import op
import sqlalchemy as sa

import erp_admin.models.base


revision = "0005_csv_uploads"
down_revision = "0004_scan"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "csv_uploads",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("resource", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", erp_admin.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_csv_uploads_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_csv_uploads")),
    )
    with op.batch_alter_table("csv_uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_csv_uploads_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_csv_uploads_user_id"), ["user_id"], unique=False)
    op.create_table(
        "import_progress",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("updated_at", erp_admin.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_import_progress")),
    )
    with op.batch_alter_table("import_progress", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_progress_updated_at"), ["updated_at"], unique=False)


def downgrade():
    with op.batch_alter_table("import_progress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_progress_updated_at"))
    op.drop_table("import_progress")
    with op.batch_alter_table("csv_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_csv_uploads_user_id"))
        batch_op.drop_index(batch_op.f("ix_csv_uploads_created_at"))
    op.drop_table("csv_uploads")
