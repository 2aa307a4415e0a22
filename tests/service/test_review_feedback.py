"""Contract between the review export (service) and the training CLI's feedback reader (training).

Both sides are written by different people: this checks that what the service
writes is what ``python -m training train --feedback`` reads, from an export
file and straight from the database URL.
"""
from __future__ import annotations

import pytest

from service.storage import repository as repo
from tests.service.conftest import SAMPLE_PARAGRAPHS, build_result

sources = pytest.importorskip("training.sources", reason="the training package is not importable")


@pytest.fixture
def decided(review_store):
    """Three decided items: confirm as is, confirm corrected, dismiss; one left pending."""
    with review_store.session() as session:
        repo.enqueue(session, repo.build_submission({"id": "a-1"}, build_result(SAMPLE_PARAGRAPHS, language="en")))
        repo.enqueue(session, repo.build_submission({"id": "a-2"}, build_result(SAMPLE_PARAGRAPHS[:2], language="id", risk=0.7)))
    with review_store.session() as session:
        repo.record_verdict(session, 1, verdict="confirm", actor="mia")
        repo.record_verdict(session, 2, verdict="confirm", actor="mia", corrected_signals=["sensational"])
        repo.record_verdict(session, 3, verdict="dismiss", actor="raf")
    return review_store


EXPECTED = [  # (text, risky, signals) per decided item, in id order
    (SAMPLE_PARAGRAPHS[1][0], 1, ["hedging", "vague_attribution"]),
    (SAMPLE_PARAGRAPHS[3][0], 1, ["sensational"]),
    (SAMPLE_PARAGRAPHS[1][0], 0, []),
]


def test_the_export_file_reads_back_as_moderator_labels(decided, tmp_path):
    path = tmp_path / "export.jsonl"
    with decided.read_session() as session, open(path, "w", encoding="utf-8") as handle:
        import json

        handle.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in repo.export_decided(session))
    records = sources.feedback(str(path))
    assert [(r.text, r.risky, r.signals) for r in records] == EXPECTED
    assert {r.source for r in records} == {"moderator"}
    assert [r.language for r in records] == ["en", "en", "id"]
    assert records[0].evidence == {"hedging": ["may"], "vague_attribution": ["Sources say"]}


def test_the_database_url_reads_back_as_moderator_labels(decided):
    records = sorted(sources.feedback(decided.url), key=lambda r: (r.language, r.line, r.risky))
    expected = sorted(
        [(t, r, s, lang) for (t, r, s), lang in zip(EXPECTED, ["en", "en", "id"])], key=lambda e: (e[3],)
    )
    assert sorted((r.text, r.risky, r.signals, r.language) for r in records) == sorted(expected)
