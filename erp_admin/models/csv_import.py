"""Internal state of the panel's CSV import: uploads waiting for Confirm, and import progress.

Both live in the database so that any worker on any host can serve the next
request. Neither is a business record: they are not in the audit trail (which
logs only the models listed in audit.trail.AUDITED) and are deleted freely.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from erp_admin.models.base import Base, UTCDateTime, utcnow


class PendingUpload(Base):
    """A previewed CSV file kept until its uploader confirms (or abandons) the import."""

    __tablename__ = "csv_uploads"

    # Random hex token carried by the Confirm form; looked up together with user and resource.
    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Deleting a user drops their pending uploads with them.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    resource: Mapped[str] = mapped_column(String(32), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    # Indexed: stale uploads are purged by age at every new upload.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<PendingUpload {self.resource} user={self.user_id} {self.size} bytes>"


class ImportProgress(Base):
    """How far a running import has got; the PostgreSQL store of csvio.progress when Redis is not configured.

    Written on a separate autocommit connection, so a poll sees it while the
    import's own transaction is still open.
    """

    __tablename__ = "import_progress"

    # "<user id>:<progress id>": a user can only ever read their own.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    phase: Mapped[str] = mapped_column(String(16), nullable=False)
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)
