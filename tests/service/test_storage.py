"""Review storage: migrations, idempotent enqueue, filters and cursors, verdicts, audit, export.

Every test runs against SQLite and, when MISINFO_TEST_POSTGRES_URL is set, PostgreSQL.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select

from service.storage import db
from service.storage import repository as repo
from service.storage.models import AuditEvent, Base, QueueItem
from tests.service.conftest import build_result


def _enqueue(store, paragraphs, payload=None, **kwargs):
    sub = repo.build_submission(payload or {}, build_result(paragraphs, **kwargs))
    with store.session() as session:
        return repo.enqueue(session, sub), sub


def _items(store):
    with store.read_session() as session:
        return list(session.scalars(select(QueueItem).order_by(QueueItem.id)))


def _audit(store, action=None):
    with store.read_session() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(session.scalars(query))


# --- schema --------------------------------------------------------------------------------


def test_migrations_reach_head_and_match_the_models(review_store):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    assert db.current_revision(review_store.engine) == db.head_revision()
    with review_store.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diffs == []


def test_downgrade_then_upgrade_round_trips(review_store):
    db.downgrade(review_store.engine, "base")
    assert "queue_items" not in inspect(review_store.engine).get_table_names()
    db.migrate(review_store.engine)
    assert {"review_articles", "queue_items", "review_audit"} <= set(inspect(review_store.engine).get_table_names())


def test_sqlite_file_is_created_on_first_use(tmp_path):
    from service.storage import ReviewStore

    path = tmp_path / "nested" / "dir" / "review.db"
    store = ReviewStore(f"sqlite:///{path}")
    assert not path.exists()
    store.ensure_schema()
    assert path.exists()
    store.ensure_schema()  # a second start migrates nothing and does not fail
    store.dispose()


# --- enqueue -------------------------------------------------------------------------------


def test_only_flagged_paragraphs_are_queued_with_evidence_and_audit(review_store, sample_paragraphs):
    outcome, _sub = _enqueue(review_store, sample_paragraphs, {"id": "a-1", "url": "https://example.test/a"})
    assert outcome.created == 2
    items = _items(review_store)
    assert [i.paragraph_index for i in items] == [1, 3]
    first = items[0]
    assert first.status == "pending"
    assert first.text == sample_paragraphs[1][0]
    assert {s["name"] for s in first.signals} == {"vague_attribution", "hedging"}
    spans = {s["name"]: s["evidence"][0]["text"] for s in first.signals}
    assert spans == {"vague_attribution": "Sources say", "hedging": "may"}
    assert first.model_name == "test-model" and first.model_version == "1"
    assert first.explanation == "explanation of paragraph 1"
    assert [e.action for e in _audit(review_store)] == ["created", "created"]


@pytest.mark.parametrize(
    ("first_payload", "second_payload", "same_article"),
    [
        ({"id": "a-1"}, {"id": "a-1"}, True),  # same client id
        ({}, {}, True),  # no id, same text
        ({"id": "a-1"}, {"id": "a-2"}, False),  # another client id is another article
    ],
)
def test_resubmission_does_not_duplicate(review_store, sample_paragraphs, first_payload, second_payload, same_article):
    _enqueue(review_store, sample_paragraphs, first_payload)
    outcome, _ = _enqueue(review_store, sample_paragraphs, second_payload)
    if same_article:
        assert (outcome.created, outcome.unchanged) == (0, 2)
        assert len(_items(review_store)) == 2
    else:
        assert outcome.created == 2
        assert len(_items(review_store)) == 4


def test_same_client_id_with_edited_text_updates_the_pending_item(review_store, sample_paragraphs):
    _enqueue(review_store, sample_paragraphs, {"id": "a-1"})
    edited = list(sample_paragraphs)
    edited[1] = ("Sources say the mayor may resign next month.", True, [("hedging", "may")])
    outcome, _ = _enqueue(review_store, edited, {"id": "a-1"})
    assert outcome.updated == 1
    items = _items(review_store)
    assert len(items) == 2
    assert items[0].text.endswith("next month.")


def test_new_model_version_updates_pending_and_never_reopens_decided(review_store, sample_paragraphs):
    _enqueue(review_store, sample_paragraphs, {"id": "a-1"}, version="1")
    first, second = _items(review_store)
    with review_store.session() as session:
        repo.record_verdict(session, first.id, verdict="dismiss", actor="mod-a")
    outcome, _ = _enqueue(review_store, sample_paragraphs, {"id": "a-1"}, version="2", risk=0.95)
    assert (outcome.updated, outcome.already_decided, outcome.created) == (1, 1, 0)
    first, second = _items(review_store)
    assert (first.status, first.model_version, first.risk) == ("dismissed", "1", 0.8)
    assert (second.status, second.model_version, second.risk) == ("pending", "2", 0.95)
    rescored = _audit(review_store, "rescored")
    assert len(rescored) == 1 and rescored[0].item_id == second.id
    assert rescored[0].details["before"]["model_version"] == "1"
    assert rescored[0].details["after"]["model_version"] == "2"


def test_an_older_replay_never_overwrites_a_newer_score(review_store, sample_paragraphs):
    now = datetime.now(UTC)
    old = repo.build_submission({"id": "a-1"}, build_result(sample_paragraphs, version="1"), scored_at=now - timedelta(minutes=5))
    new = repo.build_submission({"id": "a-1"}, build_result(sample_paragraphs, version="2"), scored_at=now)
    with review_store.session() as session:
        repo.enqueue(session, new)
    with review_store.session() as session:
        outcome = repo.enqueue(session, old)
    assert outcome.updated == 0
    assert {i.model_version for i in _items(review_store)} == {"2"}


def test_nothing_flagged_stores_nothing(review_store):
    outcome, _ = _enqueue(review_store, [("A calm sentence.", False, [])])
    assert outcome.as_dict() == {"created": 0, "updated": 0, "unchanged": 0, "already_decided": 0}
    assert _items(review_store) == []


# --- listing -------------------------------------------------------------------------------


@pytest.fixture
def populated(review_store, sample_paragraphs):
    """Three articles (two en, one id) with two flagged paragraphs each; one item confirmed."""
    _enqueue(review_store, sample_paragraphs, {"id": "en-1"}, risk=0.7)
    _enqueue(review_store, sample_paragraphs, {"id": "en-2"}, risk=0.9)
    _enqueue(review_store, sample_paragraphs, {"id": "id-1"}, language="id", risk=0.6)
    items = _items(review_store)
    with review_store.session() as session:
        repo.record_verdict(session, items[0].id, verdict="confirm", actor="mod-a")
    return review_store


@pytest.mark.parametrize(
    ("filters", "expected_count"),
    [
        ({}, 6),
        ({"status": "pending"}, 5),
        ({"status": "confirmed"}, 1),
        ({"status": "dismissed"}, 0),
        ({"signal": "sensational"}, 3),
        ({"signal": "vague_attribution", "status": "pending"}, 2),
        ({"language": "id"}, 2),
        ({"min_risk": 0.8}, 2),
        ({"article": "en-2"}, 2),
        ({"article": "id:en-2"}, 2),
        ({"article": "nope"}, 0),
    ],
)
def test_list_filters(populated, filters, expected_count):
    with populated.read_session() as session:
        page = repo.list_items(session, limit=100, **filters)
    assert len(page.items) == expected_count
    assert page.next_cursor is None
    for item in page.items:
        if "status" in filters:
            assert item.status == filters["status"]
        if "min_risk" in filters:
            assert item.risk >= filters["min_risk"]


@pytest.mark.parametrize("order", ["oldest", "risk"])
def test_cursor_pagination_visits_every_item_once_in_order(populated, order):
    seen = []
    cursor = None
    with populated.read_session() as session:
        for _ in range(10):
            page = repo.list_items(session, order=order, cursor=cursor, limit=4)
            seen.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
    assert len(seen) == 6 and len({i.id for i in seen}) == 6
    if order == "risk":
        keys = [(-i.risk, i.id) for i in seen]
    else:
        keys = [i.id for i in seen]
    assert keys == sorted(keys)


@pytest.mark.parametrize("cursor", ["garbage", "eyJvIjoicmlzayJ9", ""])
def test_a_foreign_cursor_is_rejected(populated, cursor):
    with populated.read_session() as session:
        if cursor == "":
            assert len(repo.list_items(session, cursor=cursor or None).items) == 6
            return
        with pytest.raises(repo.InvalidCursorError):
            repo.list_items(session, cursor=cursor, order="risk")


def test_a_cursor_of_one_order_is_rejected_by_the_other(populated):
    with populated.read_session() as session:
        page = repo.list_items(session, order="oldest", limit=2)
        with pytest.raises(repo.InvalidCursorError):
            repo.list_items(session, order="risk", cursor=page.next_cursor)


# --- one item, verdicts, audit ---------------------------------------------------------------


def test_item_neighbours_come_from_the_article(review_store, sample_paragraphs):
    _enqueue(review_store, sample_paragraphs, {"id": "a-1"})
    item_id = _items(review_store)[0].id  # paragraph 1
    with review_store.read_session() as session:
        item = repo.get_item(session, item_id)
        before, after = repo.neighbours(item, context=2)
    assert [p["index"] for p in before] == [0]
    assert [p["index"] for p in after] == [2, 3]
    assert before[0]["text"] == sample_paragraphs[0][0]


def test_unknown_item_is_not_found(review_store):
    with review_store.read_session() as session, pytest.raises(repo.NotFoundError):
        repo.get_item(session, 12345)
    with review_store.session() as session, pytest.raises(repo.NotFoundError):
        repo.record_verdict(session, 12345, verdict="confirm", actor="x")


def test_verdict_records_who_when_and_an_audit_row(review_store, sample_paragraphs):
    _enqueue(review_store, sample_paragraphs)
    item_id = _items(review_store)[0].id
    with review_store.session() as session:
        repo.record_verdict(
            session, item_id, verdict="confirm", actor="mod-a", corrected_signals=["hedging"], note="checked"
        )
    with review_store.session() as session:
        repo.record_verdict(session, item_id, verdict="dismiss", actor="mod-b")  # a second opinion
    item = _items(review_store)[0]
    assert (item.status, item.verdict, item.decided_by, item.corrected_signals, item.note) == (
        "dismissed", "dismiss", "mod-b", None, None,
    )
    assert db.as_utc(item.decided_at) > datetime.now(UTC) - timedelta(minutes=1)
    verdicts = _audit(review_store, "verdict")
    assert [(e.actor, e.details["before"]["status"], e.details["after"]["status"]) for e in verdicts] == [
        ("mod-a", "pending", "confirmed"),
        ("mod-b", "confirmed", "dismissed"),
    ]
    assert verdicts[0].details["after"]["corrected_signals"] == ["hedging"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"verdict": "maybe"}, "verdict"),
        ({"verdict": "confirm", "corrected_signals": ["made_up"]}, "unknown signals"),
    ],
)
def test_invalid_verdicts_are_refused(review_store, sample_paragraphs, kwargs, message):
    _enqueue(review_store, sample_paragraphs)
    item_id = _items(review_store)[0].id
    with review_store.session() as session, pytest.raises(ValueError, match=message):
        repo.record_verdict(session, item_id, actor="x", **kwargs)
    assert _items(review_store)[0].status == "pending"


def test_audit_listing_pages_by_cursor(populated):
    with populated.read_session() as session:
        first, cursor = repo.list_audit(session, limit=4)
        rest, end = repo.list_audit(session, cursor=cursor, limit=100)
    assert len(first) == 4 and cursor == first[-1].id and end is None
    assert [e.action for e in first + rest].count("verdict") == 1
    assert len(first + rest) == 7  # six creations and one verdict


# --- export --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verdict", "corrected", "signals", "risky", "evidence"),
    [
        ("confirm", None, ["hedging", "vague_attribution"], 1, {"hedging": ["may"], "vague_attribution": ["Sources say"]}),
        ("confirm", ["vague_attribution"], ["vague_attribution"], 1, {"vague_attribution": ["Sources say"]}),
        ("dismiss", None, [], 0, {}),
        ("dismiss", ["attributed"], ["attributed"], 0, {}),
    ],
)
def test_export_in_the_labelled_paragraph_format(review_store, sample_paragraphs, verdict, corrected, signals, risky, evidence):
    _enqueue(review_store, sample_paragraphs, {"id": "a-1"})
    item_id = _items(review_store)[0].id
    with review_store.session() as session:
        repo.record_verdict(session, item_id, verdict=verdict, actor="mod-a", corrected_signals=corrected)
    with review_store.read_session() as session:
        records = list(repo.export_decided(session))
    assert len(records) == 1  # the pending item is not exported
    record = records[0]
    assert json.loads(json.dumps(record)) == record
    assert set(record) == {"doc", "line", "lang", "text", "kind", "signals", "evidence", "risky", "source",
                           "verdict", "decided_by", "decided_at"}
    assert record["doc"] == "id:a-1" and record["line"] == 1 and record["lang"] == "en"
    assert record["text"] == sample_paragraphs[1][0]
    assert (record["signals"], record["risky"], record["evidence"]) == (signals, risky, evidence)
    assert (record["source"], record["verdict"], record["decided_by"]) == ("moderator", verdict, "mod-a")
    assert datetime.fromisoformat(record["decided_at"]).tzinfo is not None


def test_dismiss_keeps_only_the_non_risk_signals():
    item = QueueItem(
        paragraph_index=0, text="X said it may rain.", kind="body", language="en", verdict="dismiss",
        signals=[{"name": "attributed", "evidence": [{"text": "X said"}]}, {"name": "hedging", "evidence": [{"text": "may"}]}],
        decided_by="m", decided_at=datetime.now(UTC),
    )
    from service.storage.models import ArticleRow

    item.article = ArticleRow(key="sha256:abc")
    record = repo.labelled_record(item)
    assert (record["signals"], record["evidence"], record["risky"]) == (["attributed"], {"attributed": ["X said"]}, 0)
