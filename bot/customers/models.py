from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from bot.db import Base
from bot.folding import fold


def _folded_name(context: Any) -> str:
    """search_name of a row inserted without one (bulk inserts of names)."""
    return fold(str(context.get_current_parameters().get("name") or ""))


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # The name folded (bot/folding.py): what the type-ahead Customer field matches, in the database.
    search_name: Mapped[str] = mapped_column(String(200), default=_folded_name, server_default="")
    # The backup platform's id for the customer tenant (Acronis tenant uuid, or local-…).
    provider_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    # The language of its users' e-mails and pages (a shipped code such as `de`); None: LANGUAGE.
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]

    subscriptions: Mapped[list[Subscription]] = relationship(
        back_populates="customer", order_by="Subscription.position", cascade="all, delete-orphan"
    )

    @validates("name")
    def _keep_search_name(self, _key: str, name: str) -> str:
        self.search_name = fold(name)
        return name


class Subscription(Base):
    """One of a customer's offerings: PAYG, Capped Storage, Microsoft Office 365, …"""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("customer_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(75))
    provider_id: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)

    customer: Mapped[Customer] = relationship(back_populates="subscriptions")
