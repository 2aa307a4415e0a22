"""Label readers, document splits and moderator feedback."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from model import PARAGRAPH_SIGNALS
from training import sources


def comparable(record: sources.LabelledRecord) -> tuple:
    return (record.doc, record.line, record.language, record.text, record.kind, tuple(record.signals), record.risky, record.headline)


def test_jsonl_and_csv_give_the_same_records(labelled_jsonl: Path, labelled_csv: Path, labelled: list[dict]) -> None:
    from_jsonl = sources.read_labelled(labelled_jsonl)
    from_csv = sources.read_labelled(labelled_csv)
    assert len(from_jsonl) == len(labelled)
    assert [comparable(r) for r in from_jsonl] == [comparable(r) for r in from_csv]


def test_jsonl_fields_are_read(labelled_jsonl: Path) -> None:
    records = sources.read_labelled_jsonl(labelled_jsonl)
    first = records[0]
    assert first.headline and first.signals == ["clickbait"] and first.kind == "heading"
    assert records[2].signals == ["hedging", "vague_attribution"]  # sorted
    assert {r.language for r in records} == {"id", "en"}
    assert all(r.source == "team" for r in records)


def test_jsonl_defaults(tmp_path: Path, jsonl_writer) -> None:
    path = jsonl_writer(tmp_path / "bare.jsonl", [{"text": "Satu."}, {"text": "Dua.", "risky": 1}])
    path.write_text(path.read_text("utf-8") + "\n\n", "utf-8")  # trailing blank lines are ignored
    records = sources.read_labelled_jsonl(path, default_language="en")
    assert [r.text for r in records] == ["Satu.", "Dua."]
    assert all(r.language == "en" and r.signals == [] and r.kind is None for r in records)
    assert [r.risky for r in records] == [None, 1]
    assert records[0].doc != "" and records[0].doc == "bare-0"


def test_csv_blank_cells(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("text,lang,kind,risky,hedging\nMungkin naik.,,,,1\n", "utf-8")
    [record] = sources.read_labelled_csv(path)
    assert (record.language, record.kind, record.risky, record.signals) == ("id", None, None, ["hedging"])


def test_csv_short_rows(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("text,lang,kind,risky,hedging\nMungkin naik.\n", "utf-8")  # the row stops after `text`
    [record] = sources.read_labelled_csv(path)
    assert (record.text, record.language, record.risky, record.signals) == ("Mungkin naik.", "id", None, [])


def test_missing_file_is_source_missing(tmp_path: Path) -> None:
    with pytest.raises(sources.SourceMissing):
        sources.read_labelled(tmp_path / "nope.jsonl")
    with pytest.raises(sources.SourceMissing):
        sources.clickbait_id(tmp_path)


def test_training_paragraphs_carry_context(labelled_jsonl: Path, labelled: list[dict]) -> None:
    records = sources.read_labelled(labelled_jsonl)
    paragraphs = sources.to_training_paragraphs(records)
    assert len(paragraphs) == len(labelled) - 1  # the headline trains the clickbait model instead
    by_text = {p.text: p for p in paragraphs}
    second = by_text["Beberapa laporan menyebut harga mungkin naik lagi."]
    assert second.previous == "Harga beras naik 20 persen, kata Kepala Dinas Budi Santoso."
    assert by_text["Harga beras naik 20 persen, kata Kepala Dinas Budi Santoso."].previous is None  # after the headline
    assert set(second.signals) == set(PARAGRAPH_SIGNALS)
    assert second.signals["hedging"] == 1 and second.signals["attributed"] == 0
    assert 0.0 <= second.position <= 1.0
    headlines = sources.team_headlines(records)
    assert [(h.text, h.clickbait) for h in headlines] == [("Heboh! Harga Beras Naik Lagi?", 1)]


# ---------------------------------------------------------------- splits
def _docs(n_id: int, n_en: int) -> list[sources.LabelledRecord]:
    records = []
    for language, n in (("id", n_id), ("en", n_en)):
        for d in range(n):
            for line in range(3):
                records.append(sources.LabelledRecord(f"{language}-{d}", line, language, f"{language} {d} {line}", "body", [], {}, 0))
    return records


@pytest.mark.parametrize("seed", [0, 1, 20261121])
@pytest.mark.parametrize("share", [0.2, 0.5])
def test_split_never_splits_a_document(seed: int, share: float) -> None:
    records = _docs(20, 10)
    train, test = sources.split_documents(records, share, seed)
    train_docs, test_docs = {r.doc for r in train}, {r.doc for r in test}
    assert not train_docs & test_docs
    assert len(train) + len(test) == len(records)
    assert sorted(map(comparable, train + test)) == sorted(map(comparable, records))
    # stratified by language: each language gives its share of documents
    assert sum(d.startswith("id-") for d in test_docs) == round(20 * share)
    assert sum(d.startswith("en-") for d in test_docs) == round(10 * share)


def test_split_is_deterministic_and_seeded() -> None:
    records = _docs(30, 30)
    first = sources.split_documents(records, 0.2, 5)
    again = sources.split_documents(list(records), 0.2, 5)
    assert [comparable(r) for r in first[1]] == [comparable(r) for r in again[1]]
    other = sources.split_documents(records, 0.2, 6)
    assert {r.doc for r in other[1]} != {r.doc for r in first[1]}


def test_split_of_the_team_corpus(team_split) -> None:
    train, test = team_split
    assert test and train
    assert not {r.doc for r in train} & {r.doc for r in test}
    assert {r.language for r in test} == {"id", "en"}


# ---------------------------------------------------------------- feedback
def test_verdict_overrides_and_new_paragraphs_are_added(labelled_jsonl: Path, tmp_path: Path, jsonl_writer) -> None:
    records = sources.read_labelled(labelled_jsonl)
    verdicts_path = jsonl_writer(
        tmp_path / "export.jsonl",
        [
            # same paragraph, different case and spacing: the moderator says it is fine
            {"doc": "a1", "line": 2, "lang": "id", "text": "  beberapa laporan MENYEBUT harga  mungkin naik lagi. ", "signals": [], "risky": 0},
            {"doc": "a2", "line": 0, "lang": "en", "text": "A paragraph no corpus has seen.", "signals": ["hedging"], "risky": 1},
        ],
    )
    verdicts = sources.feedback(str(verdicts_path))
    assert all(v.source == "moderator" for v in verdicts)
    merged, used = sources.merge_feedback(records, verdicts)
    assert used == 2
    assert len(merged) == len(records) + 1
    overridden = merged[2]
    assert overridden.source == "moderator" and overridden.risky == 0 and overridden.signals == []
    assert merged[-1].text == "A paragraph no corpus has seen." and merged[-1].signals == ["hedging"]
    untouched = [r for i, r in enumerate(merged[: len(records)]) if i != 2]
    assert all(r.source == "team" for r in untouched)


def test_merge_without_verdicts_changes_nothing(labelled_jsonl: Path) -> None:
    records = sources.read_labelled(labelled_jsonl)
    merged, used = sources.merge_feedback(records, [])
    assert used == 0 and merged == records


def test_feedback_from_a_queue_database(tmp_path: Path) -> None:
    sqlalchemy = pytest.importorskip("sqlalchemy")
    url = f"sqlite:///{tmp_path / 'queue.db'}"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(
            "CREATE TABLE queue_items (article_id TEXT, paragraph_index INTEGER, language TEXT, text TEXT, kind TEXT,"
            " signals TEXT, corrected_signals TEXT, status TEXT)"
        ))
        rows = [
            ("a", 0, "id", "Dikonfirmasi.", "body", json.dumps([{"name": "hedging"}]), None, "confirmed"),
            ("a", 1, "id", "Ditolak.", "body", json.dumps(["hedging", "attributed"]), None, "dismissed"),
            ("a", 2, "id", "Dikoreksi.", "body", json.dumps(["hedging"]), json.dumps(["promotional"]), "confirmed"),
            ("a", 3, "id", "Menunggu.", "body", json.dumps(["hedging"]), None, "pending"),
        ]
        for row in rows:
            conn.execute(sqlalchemy.text("INSERT INTO queue_items VALUES (:a, :i, :l, :t, :k, :s, :c, :st)"), dict(zip(["a", "i", "l", "t", "k", "s", "c", "st"], row)))
    engine.dispose()
    got = {r.text: r for r in sources.feedback(url)}
    assert set(got) == {"Dikonfirmasi.", "Ditolak.", "Dikoreksi."}  # pending items are no verdict
    assert (got["Dikonfirmasi."].signals, got["Dikonfirmasi."].risky) == (["hedging"], 1)
    assert (got["Ditolak."].signals, got["Ditolak."].risky) == (["attributed"], 0)
    assert got["Dikoreksi."].signals == ["promotional"]
