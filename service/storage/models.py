"""SQLAlchemy 2 tables of the moderator review loop.

The schema itself is owned by the Alembic migrations in ``migrations/``; these
mapped classes must stay in step with them (a test compares the two).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Queue item states. ``pending`` is the only state a re-score may touch.
STATUSES: tuple[str, ...] = ("pending", "confirmed", "dismissed")
#: Verdicts a moderator can give, and the status each one leads to.
VERDICT_STATUS: dict[str, str] = {"confirm": "confirmed", "dismiss": "dismissed"}


class Base(DeclarativeBase):
    pass


class ArticleRow(Base):
    """One submitted article, identified by the client's id or else by a hash of its text."""

    __tablename__ = "review_articles"
    __table_args__ = (UniqueConstraint("key", name="uq_review_articles_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``id:<client id>`` or ``sha256:<text hash>``: what makes a re-submission the same article.
    key: Mapped[str] = mapped_column(String(300), nullable=False)
    client_id: Mapped[str | None] = mapped_column(String(256), index=True)
    url: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    language: Mapped[str | None] = mapped_column(String(8))
    title: Mapped[str | None] = mapped_column(Text)
    #: Every paragraph of the last submission ([{"text", "kind"}]): the neighbours a moderator reads.
    paragraphs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    items: Mapped[list[QueueItem]] = relationship(back_populates="article")


class QueueItem(Base):
    """A flagged paragraph waiting for, or carrying, a moderator's verdict."""

    __tablename__ = "queue_items"
    __table_args__ = (
        UniqueConstraint("article_id", "paragraph_index", name="uq_queue_items_article_paragraph"),
        Index("ix_queue_items_status_id", "status", "id"),
        Index("ix_queue_items_status_risk", "status", "risk", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("review_articles.id"), nullable=False)
    paragraph_index: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    language: Mapped[str | None] = mapped_column(String(8))
    risk: Mapped[float] = mapped_column(Float, nullable=False)
    #: [{"name", "score", "evidence": [{"start", "end", "text", "cue"}]}] as the model returned them.
    signals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    explanation: Mapped[str] = mapped_column(Text, nullable=False, default="")
    model_name: Mapped[str] = mapped_column(String(128), nullable=False)
    model_version: Mapped[str] = mapped_column(String(128), nullable=False)
    #: When the model produced this content: an older replay from the spool never overwrites a newer score.
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(256))
    verdict: Mapped[str | None] = mapped_column(String(16))
    corrected_signals: Mapped[list[str] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)

    article: Mapped[ArticleRow] = relationship(back_populates="items")
    signal_rows: Mapped[list[ItemSignal]] = relationship(
        back_populates="item", cascade="all, delete-orphan"
    )


class ItemSignal(Base):
    """One signal name of a queue item, kept apart so a filter is a portable indexed join."""

    __tablename__ = "review_item_signals"

    item_id: Mapped[int] = mapped_column(ForeignKey("queue_items.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)

    item: Mapped[QueueItem] = relationship(back_populates="signal_rows")


class AuditEvent(Base):
    """Append-only trail: every creation, re-score and verdict of a queue item."""

    __tablename__ = "review_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("queue_items.id"), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(32), nullable=False)  # created | rescored | verdict
    actor: Mapped[str] = mapped_column(String(256), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    #: What changed: {"before": {...}, "after": {...}} (verdicts) or the model version (re-scores).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
