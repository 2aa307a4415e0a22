"""Quality gate of the bundled model (model/artifacts/), separate from the fixture-model tests.

The floors are pinned from model/card.json of model 0.3.0 (trained 2026-11-21T22:24:59Z)
minus 0.1, rounded down. Raise them when a better model ships; never lower them silently.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from model import Article, Scorer, load_scorer
from model.artifact import DEFAULT_MODEL_DIR

MAX_ARTIFACT_BYTES = 20_000_000
#: Per-signal F1 floors on ../shared/dev/seed_labels.jsonl (card 0.3.0 value − 0.1).
SEED_LABEL_F1_FLOORS = {
    "attributed": 0.74,  # card 0.8444
    "hedging": 0.73,  # card 0.8333
    "promotional": 0.72,  # card 0.8235
    "unattributed_claim": 0.51,  # card 0.6176
    "vague_attribution": 0.56,  # card 0.6667
    "sensational": 0.0,  # card 0.0 (4 positives; was 0.5 in model 0.1.0): no floor until it recovers
}
#: How far the recomputed seed metrics may drift from what the card says before the card is stale.
CARD_TOLERANCE = 0.02


@pytest.fixture(scope="module")
def shipped() -> Scorer:
    return load_scorer()


@pytest.fixture(scope="module")
def card() -> dict:
    return json.loads((DEFAULT_MODEL_DIR / "card.json").read_text("utf-8"))


def test_card_digest_matches_the_artifact(card: dict) -> None:
    artifact = DEFAULT_MODEL_DIR / card["artifact"]
    assert artifact.is_file()
    assert card["artifact_sha256"] == hashlib.sha256(artifact.read_bytes()).hexdigest()
    assert card["artifact_bytes"] == artifact.stat().st_size


def test_artifact_is_small(card: dict) -> None:
    size = (DEFAULT_MODEL_DIR / card["artifact"]).stat().st_size
    assert size < MAX_ARTIFACT_BYTES, f"artifact is {size / 1e6:.1f} MB"


def test_loads_and_passes_its_smoke_test(shipped: Scorer, card: dict) -> None:
    assert (shipped.name, shipped.version) == (card["name"], card["version"])
    assert shipped.card["artifact_sha256"] == card["artifact_sha256"]
    assert shipped.card.get("trained_at") and shipped.card.get("metrics")
    shipped.smoke_test()


def test_model_card_markdown_is_shipped(card: dict) -> None:
    markdown = DEFAULT_MODEL_DIR / "MODEL_CARD.md"
    assert markdown.is_file() and card["version"] in markdown.read_text("utf-8")


def seed_article(raw: str) -> Article:
    title, _, body = raw.partition("\n")
    return Article(title=title, text=body)


def test_seed_articles_are_ranked(shipped: Scorer, seed_texts: dict[str, str]) -> None:
    if set(seed_texts) != {"000", "001", "002", "003"}:
        pytest.skip(f"expected seeds 000-003 in ../shared/seeds, found {sorted(seed_texts)}")
    risk = {name: shipped.score(seed_article(raw)).risk for name, raw in seed_texts.items()}
    assert risk["002"] < risk["003"] < min(risk["000"], risk["001"]), risk


@pytest.fixture(scope="module")
def seed_label_metrics(shipped: Scorer, shared_dir: Path) -> dict:
    labels = shared_dir / "dev" / "seed_labels.jsonl"
    if not labels.is_file():
        pytest.skip(f"{labels} is not present")
    from training.evaluation import (
        paragraph_metrics,  # the code the card's numbers come from
    )
    from training.sources import seed_labels

    return paragraph_metrics(shipped, seed_labels(shared_dir))


@pytest.mark.parametrize("signal", sorted(SEED_LABEL_F1_FLOORS))
def test_seed_label_f1_above_floor(seed_label_metrics: dict, signal: str) -> None:
    f1 = seed_label_metrics["signals"][signal]["f1"]
    assert f1 >= SEED_LABEL_F1_FLOORS[signal], f"{signal}: F1 {f1} below the pinned floor {SEED_LABEL_F1_FLOORS[signal]}"


def test_card_metrics_describe_this_artifact(seed_label_metrics: dict, card: dict) -> None:
    """The card's seed numbers reproduce: code changes that move the shipped model's output need a retrain."""
    recorded = card["metrics"]["seed_labels"]["signals"]
    drift = {s: (m["f1"], recorded[s]["f1"]) for s, m in seed_label_metrics["signals"].items() if abs(m["f1"] - recorded[s]["f1"]) > CARD_TOLERANCE}
    assert not drift, f"recomputed vs card F1: {drift}"
