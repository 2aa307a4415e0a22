"""Fixtures of the training tests: small labelled files and two small models (good and worse)."""
from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from model import Scorer, fit_scorer, save_scorer
from training import sources
from training.pipeline import SEED, TEST_SHARE

SIGNAL_COLUMNS = sources.ALL_SIGNALS


@pytest.fixture(scope="session", autouse=True)
def single_threaded_blas() -> Iterator[None]:
    """One BLAS thread: small matrices, shared cores (see tests/model/conftest.py)."""
    with threadpool_limits(limits=1):
        yield


def write_jsonl(path: Path, records: Sequence[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def write_csv(path: Path, records: Sequence[dict]) -> Path:
    """The CSV form of labelled records: one 0/1 column per signal."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["doc", "line", "lang", "text", "kind", "risky", "headline", *SIGNAL_COLUMNS])
        writer.writeheader()
        for r in records:
            row = {k: r.get(k, "") for k in ("doc", "line", "lang", "text", "kind")}
            row["risky"] = "" if r.get("risky") is None else r["risky"]
            row["headline"] = "1" if r.get("headline") else "0"
            row.update({s: int(s in r.get("signals", [])) for s in SIGNAL_COLUMNS})
            writer.writerow(row)
    return path


#: A tiny labelled corpus written for these tests (two documents per language).
LABELLED = [
    {"doc": "id-1", "line": 0, "lang": "id", "text": "Heboh! Harga Beras Naik Lagi?", "kind": "heading", "headline": True, "signals": ["clickbait"], "risky": 0},
    {"doc": "id-1", "line": 1, "lang": "id", "text": "Harga beras naik 20 persen, kata Kepala Dinas Budi Santoso.", "kind": "body", "signals": ["attributed"], "risky": 0},
    {"doc": "id-1", "line": 2, "lang": "id", "text": "Beberapa laporan menyebut harga mungkin naik lagi.", "kind": "body", "signals": ["hedging", "vague_attribution"], "risky": 1},
    {"doc": "id-1", "line": 3, "lang": "id", "text": "Baca juga: Harga cabai melonjak", "kind": "promotional", "signals": ["promotional"], "risky": 1},
    {"doc": "id-2", "line": 0, "lang": "id", "text": "Jakarta, 12 Januari 2024", "kind": "boilerplate", "signals": [], "risky": 0},
    {"doc": "id-2", "line": 1, "lang": "id", "text": "Rezim itu pasti menyembunyikan data!!!", "kind": "body", "signals": ["sensational", "unattributed_claim"], "risky": 1},
    {"doc": "en-1", "line": 0, "lang": "en", "text": "Rice prices rose 20 percent, said trade official Jane Doe.", "kind": "body", "signals": ["attributed"], "risky": 0},
    {"doc": "en-1", "line": 1, "lang": "en", "text": "Some reports say prices might rise again.", "kind": "body", "signals": ["hedging", "vague_attribution"], "risky": 1},
    {"doc": "en-2", "line": 0, "lang": "en", "text": "Read more: Chilli prices soar", "kind": "promotional", "signals": ["promotional"], "risky": 1},
    {"doc": "en-2", "line": 1, "lang": "en", "text": "The regime always hides the numbers!!!", "kind": "body", "signals": ["sensational", "unattributed_claim"], "risky": 1},
]


@pytest.fixture
def labelled() -> list[dict]:
    """The tiny corpus as dicts (the labelled JSONL format)."""
    return [dict(r) for r in LABELLED]


@pytest.fixture
def jsonl_writer():
    """`write_jsonl(path, records)` for tests that need their own labelled file."""
    return write_jsonl


@pytest.fixture
def labelled_jsonl(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "labelled.jsonl", LABELLED)


@pytest.fixture
def labelled_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "labelled.csv", LABELLED)


@pytest.fixture(scope="session")
def team_split() -> tuple[list[sources.LabelledRecord], list[sources.LabelledRecord]]:
    """The team corpus split exactly as the pipeline splits it (the CLI's held-out data)."""
    return sources.split_documents(sources.team_corpus(), TEST_SHARE, SEED)


def _small_training_set(records: list[sources.LabelledRecord], n_docs: int, shuffle_labels: bool):
    docs = sources.by_document(records)
    names = sorted(docs)
    random.Random(7).shuffle(names)
    chosen = [r for name in names[:n_docs] for r in docs[name]]
    paragraphs = sources.to_training_paragraphs(chosen)
    headlines = sources.team_headlines(chosen)
    if shuffle_labels:  # same texts, labels dealt at random: a model that has learnt nothing
        rng = random.Random(11)
        signals, risky, kinds = [p.signals for p in paragraphs], [p.risky for p in paragraphs], [p.kind for p in paragraphs]
        for column in (signals, risky, kinds):
            rng.shuffle(column)
        for p, s, r, k in zip(paragraphs, signals, risky, kinds):
            p.signals, p.risky, p.kind = s, r, k
        clickbait = [h.clickbait for h in headlines]
        rng.shuffle(clickbait)
        for h, c in zip(headlines, clickbait):
            h.clickbait = c
    return paragraphs, headlines


@pytest.fixture(scope="session")
def small_models(team_split, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two model directories fitted on the same 60 training documents: `good`, and `worse`
    (labels shuffled). Saved once; tests copy them before publishing over one."""
    train, _ = team_split
    out = {}
    for name, shuffled in (("good", False), ("worse", True)):
        paragraphs, headlines = _small_training_set(train, 60, shuffled)
        scorer: Scorer = fit_scorer(paragraphs, headlines, version=f"small-{name}")
        directory = tmp_path_factory.mktemp(name)
        save_scorer(scorer, directory, {"trained_at": "2024-01-01T00:00:00+00:00"})
        out[name] = directory
    return out
