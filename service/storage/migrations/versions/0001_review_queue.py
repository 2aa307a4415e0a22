"""Review queue: articles, flagged paragraphs, their signals and the audit trail.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "review_articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("client_id", sa.String(256)),
        sa.Column("url", sa.Text()),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("title", sa.Text()),
        sa.Column("paragraphs", sa.JSON(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("key", name="uq_review_articles_key"),
    )
    op.create_index("ix_review_articles_client_id", "review_articles", ["client_id"])
    op.create_table(
        "queue_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("review_articles.id"), nullable=False),
        sa.Column("paragraph_index", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("risk", sa.Float(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("model_name", sa.String(128), nullable=False),
        sa.Column("model_version", sa.String(128), nullable=False),
        sa.Column("scored_at", TZ, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("decided_at", TZ),
        sa.Column("decided_by", sa.String(256)),
        sa.Column("verdict", sa.String(16)),
        sa.Column("corrected_signals", sa.JSON()),
        sa.Column("note", sa.Text()),
        sa.UniqueConstraint("article_id", "paragraph_index", name="uq_queue_items_article_paragraph"),
    )
    op.create_index("ix_queue_items_status_id", "queue_items", ["status", "id"])
    op.create_index("ix_queue_items_status_risk", "queue_items", ["status", "risk", "id"])
    op.create_table(
        "review_item_signals",
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("queue_items.id"), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
    )
    op.create_index("ix_review_item_signals_name", "review_item_signals", ["name"])
    op.create_table(
        "review_audit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("queue_items.id"), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index("ix_review_audit_item_id", "review_audit", ["item_id"])


def downgrade() -> None:
    op.drop_table("review_audit")
    op.drop_table("review_item_signals")
    op.drop_table("queue_items")
    op.drop_table("review_articles")
