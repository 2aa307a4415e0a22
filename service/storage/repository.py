"""Repository functions of the review queue: the only code that touches its tables.

Each function takes an open :class:`~sqlalchemy.orm.Session` and leaves the
commit to the caller, so a view (or the spool drain) decides the transaction.
Inputs and outputs are plain dicts and mapped rows: the HTTP layer dumps them
with marshmallow schemas, the spool stores the same dicts as JSON lines.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from model.types import PARAGRAPH_SIGNALS, ArticleResult

from .db import as_utc, utcnow
from .models import (
    STATUSES,
    VERDICT_STATUS,
    ArticleRow,
    AuditEvent,
    ItemSignal,
    QueueItem,
)

#: Signals that lower risk: a dismissed paragraph keeps them as its weak label.
NON_RISK_SIGNALS: frozenset[str] = frozenset({"attributed"})
ORDERS: tuple[str, ...] = ("oldest", "risk")
MAX_PAGE = 200
#: The actor written in the audit trail when the scorer (not a person) changes an item.
SCORER_ACTOR = "scorer"


class NotFoundError(LookupError):
    """No such queue item."""


class InvalidCursorError(ValueError):
    """A pagination cursor that this code did not hand out (or for another ordering)."""


# --- building what gets stored ------------------------------------------------------------


def article_identity(client_id: str | None, title: str | None, paragraphs: Sequence[str]) -> tuple[str, str]:
    """(key, content hash): the client's id wins; otherwise the same text is the same article."""
    digest = hashlib.sha256()
    digest.update((title or "").strip().encode("utf-8"))
    for paragraph in paragraphs:
        digest.update(b"\n")
        digest.update(paragraph.strip().encode("utf-8"))
    content_hash = digest.hexdigest()
    key = f"id:{client_id}" if client_id else f"sha256:{content_hash}"
    return key, content_hash


def build_submission(
    payload: Mapping[str, Any], result: ArticleResult, *, scored_at: datetime | None = None
) -> dict[str, Any]:
    """Everything the queue needs from one scored article, as JSON-ready data.

    This is what the spool writes, so it holds no ORM objects and no model
    objects: it can be replayed by a later process with another model loaded.
    """
    raw_id = payload.get("id")
    client_id = str(raw_id) if raw_id not in (None, "") else None
    title = payload.get("title")
    texts = [p.text for p in result.paragraphs]
    key, content_hash = article_identity(client_id, title, texts)
    flagged = [
        {
            "index": p.index,
            "text": p.text,
            "kind": p.kind,
            "risk": float(p.risk),
            "explanation": p.explanation,
            "signals": [
                {
                    "name": hit.name,
                    "score": float(hit.score),
                    "evidence": [
                        {"start": ev.start, "end": ev.end, "text": ev.text, "cue": ev.cue}
                        for ev in hit.evidence
                    ],
                }
                for hit in p.signals
            ],
        }
        for p in result.paragraphs
        if p.flagged
    ]
    return {
        "key": key,
        "client_id": client_id,
        "url": payload.get("url"),
        "title": title,
        "content_hash": content_hash,
        "language": result.language,
        "paragraphs": [{"text": p.text, "kind": p.kind} for p in result.paragraphs],
        "model_name": result.model_name,
        "model_version": result.model_version,
        "scored_at": (scored_at or utcnow()).isoformat(),
        "flagged": flagged,
    }


# --- enqueue --------------------------------------------------------------------------------


@dataclass
class EnqueueOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    already_decided: int = 0
    item_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "already_decided": self.already_decided,
        }


def _get_or_create_article(session: Session, sub: Mapping[str, Any], now: datetime) -> ArticleRow:
    article = session.scalar(select(ArticleRow).where(ArticleRow.key == sub["key"]))
    if article is None:
        candidate = ArticleRow(
            key=sub["key"],
            client_id=sub.get("client_id"),
            url=sub.get("url"),
            content_hash=sub["content_hash"],
            language=sub.get("language"),
            title=sub.get("title"),
            paragraphs=list(sub.get("paragraphs") or []),
            created_at=now,
            updated_at=datetime.fromisoformat(sub["scored_at"]),  # the age of its content, see below
        )
        try:
            with session.begin_nested():
                session.add(candidate)
            return candidate
        except IntegrityError:  # another worker inserted it between our select and insert
            article = session.scalar(select(ArticleRow).where(ArticleRow.key == sub["key"]))
            assert article is not None
    # A newer submission of the same article refreshes the context moderators read.
    if as_utc(article.updated_at) <= datetime.fromisoformat(sub["scored_at"]):  # type: ignore[operator]
        article.url = sub.get("url") or article.url
        article.title = sub.get("title")
        article.content_hash = sub["content_hash"]
        article.language = sub.get("language")
        article.paragraphs = list(sub.get("paragraphs") or [])
        article.updated_at = datetime.fromisoformat(sub["scored_at"])
    return article


def _content(par: Mapping[str, Any], sub: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "text": par["text"],
        "kind": par["kind"],
        "risk": float(par["risk"]),
        "signals": par["signals"],
        "explanation": par.get("explanation") or "",
        "model_name": sub["model_name"],
        "model_version": sub["model_version"],
        "language": sub.get("language"),
    }


def _set_signal_rows(item: QueueItem, signals: Sequence[Mapping[str, Any]]) -> None:
    names = sorted({s["name"] for s in signals})
    item.signal_rows = [ItemSignal(name=name) for name in names]


def enqueue(session: Session, sub: Mapping[str, Any], *, actor: str = SCORER_ACTOR) -> EnqueueOutcome:
    """Store the flagged paragraphs of one submission, idempotently.

    Same article (client id, else text hash) and paragraph index → the same
    queue item. A re-score (new model version, or edited text) updates only
    *pending* items, and only with a score at least as recent as the stored
    one, so a late replay from the spool never overwrites newer data. Decided
    items are never re-opened.
    """
    outcome = EnqueueOutcome()
    flagged = list(sub.get("flagged") or [])
    if not flagged:
        return outcome
    now = utcnow()
    scored_at = datetime.fromisoformat(sub["scored_at"])
    article = _get_or_create_article(session, sub, now)
    session.flush()
    existing = {
        item.paragraph_index: item
        for item in session.scalars(
            select(QueueItem)
            .where(QueueItem.article_id == article.id)
            .options(selectinload(QueueItem.signal_rows))
        )
    }
    for par in flagged:
        content = _content(par, sub)
        item = existing.get(int(par["index"]))
        if item is None:
            item = QueueItem(
                article_id=article.id,
                paragraph_index=int(par["index"]),
                status="pending",
                scored_at=scored_at,
                created_at=now,
                updated_at=now,
                **content,
            )
            _set_signal_rows(item, content["signals"])
            try:
                with session.begin_nested():
                    session.add(item)
                    session.flush()
                    session.add(
                        AuditEvent(
                            item_id=item.id,
                            action="created",
                            actor=actor,
                            at=now,
                            details={"model_version": content["model_version"], "risk": content["risk"]},
                        )
                    )
                    session.flush()
            except IntegrityError:  # a concurrent writer created the same item: treat as a duplicate
                outcome.unchanged += 1
                continue
            outcome.created += 1
            outcome.item_ids.append(item.id)
            continue
        outcome.item_ids.append(item.id)
        if item.status != "pending":
            outcome.already_decided += 1
            continue
        if as_utc(item.scored_at) > scored_at:  # type: ignore[operator]
            outcome.unchanged += 1
            continue
        before = {k: getattr(item, k) for k in content}
        if before == content:
            outcome.unchanged += 1
            continue
        for name, value in content.items():
            setattr(item, name, value)
        item.scored_at = scored_at
        item.updated_at = now
        _set_signal_rows(item, content["signals"])
        session.add(
            AuditEvent(
                item_id=item.id,
                action="rescored",
                actor=actor,
                at=now,
                details={
                    "before": {"model_version": before["model_version"], "risk": before["risk"]},
                    "after": {"model_version": content["model_version"], "risk": content["risk"]},
                    "text_changed": before["text"] != content["text"],
                },
            )
        )
        outcome.updated += 1
    session.flush()
    return outcome


# --- listing with keyset pagination ---------------------------------------------------------


def encode_cursor(order: str, item: QueueItem) -> str:
    raw = json.dumps({"o": order, "id": item.id, "r": item.risk}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(data, dict) or data.get("o") != order or not isinstance(data.get("id"), int):
            raise ValueError
        if order == "risk" and not isinstance(data.get("r"), int | float):
            raise ValueError
        return data
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursorError("cursor is not valid for this listing") from exc


@dataclass
class Page:
    items: list[QueueItem]
    next_cursor: str | None


def list_items(
    session: Session,
    *,
    status: str | None = None,
    signal: str | None = None,
    language: str | None = None,
    min_risk: float | None = None,
    article: str | None = None,
    order: str = "oldest",
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    """One page of queue items. ``order``: ``oldest`` first, or highest ``risk`` first."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}")
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}")
    limit = max(1, min(int(limit), MAX_PAGE))
    query = select(QueueItem).options(selectinload(QueueItem.article))
    if status:
        query = query.where(QueueItem.status == status)
    if signal:
        query = query.where(
            exists().where(and_(ItemSignal.item_id == QueueItem.id, ItemSignal.name == signal))
        )
    if language:
        query = query.where(QueueItem.language == language)
    if min_risk is not None:
        query = query.where(QueueItem.risk >= float(min_risk))
    if article:
        query = query.join(ArticleRow, ArticleRow.id == QueueItem.article_id).where(
            or_(ArticleRow.key == article, ArticleRow.client_id == article)
        )
    if order == "risk":
        if cursor:
            data = decode_cursor(cursor, order)
            query = query.where(
                or_(QueueItem.risk < data["r"], and_(QueueItem.risk == data["r"], QueueItem.id > data["id"]))
            )
        query = query.order_by(QueueItem.risk.desc(), QueueItem.id.asc())
    else:
        if cursor:
            query = query.where(QueueItem.id > decode_cursor(cursor, order)["id"])
        query = query.order_by(QueueItem.id.asc())
    rows = list(session.scalars(query.limit(limit + 1)))
    next_cursor = encode_cursor(order, rows[limit - 1]) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_cursor)


# --- one item with its context ------------------------------------------------------------


def get_item(session: Session, item_id: int) -> QueueItem:
    item = session.get(QueueItem, item_id, options=[selectinload(QueueItem.article)])
    if item is None:
        raise NotFoundError(f"no review item {item_id}")
    return item


def neighbours(item: QueueItem, context: int = 2) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``context`` paragraphs before and after the item, from the article's last submission."""
    paragraphs = item.article.paragraphs or []
    index = item.paragraph_index
    before = [
        {"index": i, "text": paragraphs[i]["text"], "kind": paragraphs[i].get("kind", "body")}
        for i in range(max(0, index - context), min(index, len(paragraphs)))
    ]
    after = [
        {"index": i, "text": paragraphs[i]["text"], "kind": paragraphs[i].get("kind", "body")}
        for i in range(index + 1, min(len(paragraphs), index + 1 + context))
    ]
    return before, after


def audit_for(session: Session, item_id: int) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.item_id == item_id).order_by(AuditEvent.id)))


def list_audit(
    session: Session, *, item_id: int | None = None, cursor: int | None = None, limit: int = 100
) -> tuple[list[AuditEvent], int | None]:
    """The audit trail, oldest first; the cursor is the last event id seen."""
    limit = max(1, min(int(limit), MAX_PAGE))
    query = select(AuditEvent).order_by(AuditEvent.id)
    if item_id is not None:
        query = query.where(AuditEvent.item_id == item_id)
    if cursor is not None:
        query = query.where(AuditEvent.id > cursor)
    rows = list(session.scalars(query.limit(limit + 1)))
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


# --- verdicts ------------------------------------------------------------------------------


def record_verdict(
    session: Session,
    item_id: int,
    *,
    verdict: str,
    actor: str,
    corrected_signals: Sequence[str] | None = None,
    note: str | None = None,
) -> QueueItem:
    """Decide an item (or change an earlier decision) and write the audit row."""
    if verdict not in VERDICT_STATUS:
        raise ValueError(f"verdict must be one of {tuple(VERDICT_STATUS)}")
    corrected = None
    if corrected_signals is not None:
        unknown = sorted(set(corrected_signals) - set(PARAGRAPH_SIGNALS))
        if unknown:
            raise ValueError(f"unknown signals: {', '.join(unknown)}")
        corrected = sorted(set(corrected_signals))
    item = session.get(QueueItem, item_id, with_for_update=True)
    if item is None:
        raise NotFoundError(f"no review item {item_id}")
    now = utcnow()
    fields = ("status", "verdict", "corrected_signals", "note", "decided_by")
    before = {k: getattr(item, k) for k in fields}
    item.status = VERDICT_STATUS[verdict]
    item.verdict = verdict
    item.corrected_signals = corrected
    item.note = note or None
    item.decided_by = actor
    item.decided_at = now
    item.updated_at = now
    session.add(
        AuditEvent(
            item_id=item.id,
            action="verdict",
            actor=actor,
            at=now,
            details={"before": before, "after": {k: getattr(item, k) for k in fields}},
        )
    )
    session.flush()
    return item


# --- export --------------------------------------------------------------------------------


def model_signal_names(item: QueueItem) -> list[str]:
    return sorted({s["name"] for s in item.signals})


def labelled_record(item: QueueItem) -> dict[str, Any]:
    """A decided item in the team's labelled-paragraph format (what ``python -m training`` reads).

    confirm → risky 1 with the model's signals, or the corrected set;
    dismiss → risky 0 with the corrected set, or else only the model's
    non-risk signals (``attributed``): the risk signals were judged wrong.
    """
    if item.verdict not in VERDICT_STATUS:
        raise ValueError(f"item {item.id} is not decided")
    model_names = model_signal_names(item)
    if item.corrected_signals is not None:
        signals = sorted(item.corrected_signals)
    elif item.verdict == "confirm":
        signals = model_names
    else:
        signals = [name for name in model_names if name in NON_RISK_SIGNALS]
    spans: dict[str, list[str]] = {}
    for hit in item.signals:
        if hit["name"] in signals:
            for ev in hit.get("evidence") or []:
                if ev.get("text") and ev["text"] not in spans.setdefault(hit["name"], []):
                    spans[hit["name"]].append(ev["text"])
    evidence = {name: spans[name] for name in sorted(spans) if spans[name]}
    decided_at = as_utc(item.decided_at)
    return {
        "doc": item.article.key,
        "line": item.paragraph_index,
        "lang": item.language,
        "text": item.text,
        "kind": item.kind,
        "signals": signals,
        "evidence": evidence,
        "risky": 1 if item.verdict == "confirm" else 0,
        "source": "moderator",
        "verdict": item.verdict,
        "decided_by": item.decided_by,
        "decided_at": decided_at.isoformat() if decided_at else None,
    }


def export_decided(session: Session, *, batch: int = 500) -> Iterator[dict[str, Any]]:
    """Every decided item as a labelled record, in id order, fetched in batches."""
    last_id = 0
    while True:
        rows = list(
            session.scalars(
                select(QueueItem)
                .where(QueueItem.status != "pending", QueueItem.id > last_id)
                .options(selectinload(QueueItem.article))
                .order_by(QueueItem.id)
                .limit(batch)
            )
        )
        if not rows:
            return
        for item in rows:
            yield labelled_record(item)
        last_id = rows[-1].id


def counts_by_status(session: Session) -> dict[str, int]:
    from sqlalchemy import func

    counts = dict.fromkeys(STATUSES, 0)
    for status, n in session.execute(select(QueueItem.status, func.count()).group_by(QueueItem.status)):
        counts[status] = n
    return counts
