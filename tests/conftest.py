"""Shared fixtures: a small scorer trained in-process on the team's own corpus.

Most tests use this fixture instead of the shipped artifact, so they check
behaviour of the code rather than of one particular trained model. The shared
corpora in ../shared are not needed: the fixture reads only training/data.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from model import Scorer, TrainingHeadline, fit_scorer

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def scorer() -> Scorer:
    from training import sources

    records = sources.team_corpus()
    paragraphs = sources.to_training_paragraphs(records)
    headlines = sources.team_headlines(records)
    if len({h.clickbait for h in headlines}) < 2:  # pragma: no cover - the corpus has both
        headlines.append(TrainingHeadline("Ternyata ini rahasianya?", "id", 1))
    return fit_scorer(paragraphs, headlines, version="test")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "signals.md").exists():
        pytest.skip(f"../shared is not present beside the project ({SHARED})")
    return SHARED


@pytest.fixture(scope="session")
def seed_texts(shared_dir: Path) -> dict[str, str]:
    """The four seed articles, read from ../shared (never copied into the project)."""
    return {p.name[:3]: p.read_text("utf-8") for p in sorted((shared_dir / "seeds").glob("*.txt"))}
