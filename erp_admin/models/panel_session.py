"""Server-side records of signed-in panel sessions, so logging out really ends a session.

The browser's signed cookie carries a random nonce; only its SHA-256 digest is
stored here. Logging out deletes the row, so a copied cookie replayed later
names a session that no longer exists and is refused.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from erp_admin.models.base import Base, UTCDateTime, utcnow


class PanelSession(Base):
    __tablename__ = "panel_sessions"

    # SHA-256 hex digest of the nonce held in the session cookie.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Deleting a user ends their panel sessions with them.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<PanelSession user={self.user_id} {self.created_at:%Y-%m-%d %H:%M}>"
