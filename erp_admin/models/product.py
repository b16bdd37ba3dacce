"""The Product table: catalogue data, stock on hand and its reorder level."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, Integer, Numeric, String
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from erp_admin.models.base import NEVER_REUSE_IDS, Base, TimestampMixin


def is_low_stock(quantity, reorder_level):
    """The low-stock rule, for numbers or for column expressions alike."""
    return quantity <= reorder_level


class Product(TimestampMixin, Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_non_negative"),
        CheckConstraint("reorder_level >= 0", name="reorder_level_non_negative"),
        CheckConstraint("price >= 0", name="price_non_negative"),
        Index("ix_products_created_at", "created_at"),
        Index("ix_products_updated_at", "updated_at"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    description: Mapped[str | None] = mapped_column(String(2000))
    category: Mapped[str | None] = mapped_column(String(50), index=True)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False, index=True)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0", index=True)
    reorder_level: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    # Optimistic locking: every UPDATE checks and bumps `version`.
    __mapper_args__ = {"version_id_col": version}

    @hybrid_property
    def low_stock(self) -> bool:
        """At or below the reorder level: the one rule, for instances and in SQL (Product.low_stock)."""
        return is_low_stock(self.quantity, self.reorder_level)

    def __repr__(self) -> str:
        return f"<Product {self.id} {self.sku!r}>"
