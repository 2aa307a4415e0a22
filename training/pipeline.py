"""Build the shipped model: gather sources, split, fit, evaluate on held-out data, write the card."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from model import PARAGRAPH_SIGNALS, Article, Scorer, TrainingHeadline, fit_scorer
from model.scorer import best_threshold

from . import sources
from .evaluation import article_ranking, headline_metrics, paragraph_metrics, weasel_metrics

SEED = 20261121
TEST_SHARE = 0.2
#: The seeds' article order that the issue requires (lowest risk first).
SEED_ORDER = ("002", "003", "000", "001")


@dataclass
class TrainingData:
    paragraphs: list = field(default_factory=list)
    headlines: list[TrainingHeadline] = field(default_factory=list)
    team_test: list = field(default_factory=list)
    headline_test: list[TrainingHeadline] = field(default_factory=list)
    weasel_test: list = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    feedback_used: int = 0


def _split(items: list, share: float, seed: int, key=None) -> tuple[list, list]:
    """Stratified (by `key`) random split with a fixed seed."""
    groups: dict = {}
    for item in items:
        groups.setdefault(key(item) if key else 0, []).append(item)
    train, test = [], []
    for k in sorted(groups, key=str):
        members = groups[k][:]
        random.Random(seed).shuffle(members)
        cut = round(len(members) * share)
        test.extend(members[:cut])
        train.extend(members[cut:])
    return train, test


def gather(seed: int = SEED, feedback_source: str | None = None, shared: Path = sources.SHARED, team_dir: Path = sources.TEAM_CORPUS_DIR) -> TrainingData:
    data = TrainingData()
    team = sources.team_corpus(team_dir)
    team_train, data.team_test = sources.split_documents(team, TEST_SHARE, seed)
    if feedback_source:
        team_train, data.feedback_used = sources.merge_feedback(team_train, sources.feedback(feedback_source))
        data.paragraphs += sources.to_training_paragraphs([r for r in team_train if r.source == "moderator"], sources.WEIGHT_FEEDBACK)
        team_train = [r for r in team_train if r.source != "moderator"]
    data.paragraphs += sources.to_training_paragraphs(team_train)
    data.headlines += sources.team_headlines(team_train)
    data.counts["team_paragraphs"] = len(team_train)
    data.counts["team_test_paragraphs"] = len(data.team_test)
    try:
        weasel = sources.weasel_en(shared)
        weasel_train, data.weasel_test = _split(weasel, TEST_SHARE, seed, key=lambda s: s.uncertain)
        data.paragraphs += sources.weasel_training(weasel_train)
        data.counts["weasel_sentences"] = len(weasel_train)
    except sources.SourceMissing as exc:
        data.skipped["weasel_en"] = str(exc)
    try:
        propaganda = sources.propaganda_en(shared, seed=seed)
        data.paragraphs += propaganda
        data.counts["propaganda_lines"] = len(propaganda)
    except sources.SourceMissing as exc:
        data.skipped["propaganda_en"] = str(exc)
    try:
        clickbait = sources.clickbait_id(shared)
        clickbait_train, data.headline_test = _split(clickbait, TEST_SHARE, seed, key=lambda h: h.clickbait)
        data.headlines += clickbait_train
        data.counts["clickbait_headlines"] = len(clickbait_train)
    except sources.SourceMissing as exc:
        data.skipped["clickbait_id"] = str(exc)
    data.counts["paragraphs_total"] = len(data.paragraphs)
    data.counts["headlines_total"] = len(data.headlines)
    return data


def tune_thresholds(data: TrainingData, seed: int) -> tuple[dict[str, float], float]:
    """Per-signal and headline decision thresholds by best F1 on a validation split of the
    *training* data (a model fitted on the rest); the test split is never looked at."""
    paragraphs = data.paragraphs[:]
    random.Random(seed + 1).shuffle(paragraphs)
    cut = len(paragraphs) // 5
    fit_part, val_part = paragraphs[cut:], paragraphs[:cut]
    headlines = data.headlines[:]
    random.Random(seed + 2).shuffle(headlines)
    hcut = len(headlines) // 5
    probe = fit_scorer(fit_part, headlines[hcut:])
    from model.scorer import analyse_training

    analyses = analyse_training(val_part, probe.matchers)
    proba, _, _, _ = probe.predict_paragraphs(analyses)
    thresholds = {}
    for j, signal in enumerate(PARAGRAPH_SIGNALS):
        known = np.array([signal in p.signals for p in val_part])
        if known.sum() < 10:
            thresholds[signal] = 0.5
            continue
        y = np.array([p.signals.get(signal, 0) for p in val_part])[known]
        thresholds[signal] = best_threshold(y, proba[known, j])
    hp = probe.headline.predict_proba([(h.text, h.language) for h in headlines[:hcut]])[:, 1]
    headline_threshold = best_threshold(np.array([h.clickbait for h in headlines[:hcut]]), hp) if hcut else 0.5
    return thresholds, headline_threshold


def seed_articles(shared: Path = sources.SHARED) -> dict[str, Article]:
    """The four seed articles as submitted by a CMS: first line the title, the rest the text."""
    seeds = {}
    for path in sorted((shared / "seeds").glob("*.txt")):
        title, _, body = path.read_text("utf-8").partition("\n")
        seeds[path.name[:3]] = Article(title=title, text=body)
    return seeds


def evaluate(scorer: Scorer, data: TrainingData, shared: Path = sources.SHARED) -> dict:
    metrics: dict = {"held_out": {}}
    metrics["held_out"]["team_corpus"] = paragraph_metrics(scorer, data.team_test)
    if data.headline_test:
        metrics["held_out"]["clickbait_id"] = headline_metrics(scorer, data.headline_test)
    if data.weasel_test:
        metrics["held_out"]["weasel_en"] = weasel_metrics(scorer, data.weasel_test)
    try:
        metrics["seed_labels"] = paragraph_metrics(scorer, sources.seed_labels(shared))
        ranking = article_ranking(scorer, seed_articles(shared))
        metrics["seed_article_risk"] = ranking
        metrics["seed_order_ok"] = all(ranking[a] < ranking[b] for a, b in zip(SEED_ORDER, SEED_ORDER[1:3])) and ranking["003"] < min(ranking["000"], ranking["001"])
    except (sources.SourceMissing, KeyError) as exc:
        metrics["seed_labels"] = {"skipped": str(exc)}
    return metrics


def data_digests(shared: Path = sources.SHARED) -> dict[str, str]:
    files = list(sources.iter_team_files())
    files += [shared / "data" / p for p in ("clickbait_id/train.csv", "weasel_en/train.csv")]
    return sources.digest_of(files)


def train(seed: int = SEED, feedback_source: str | None = None, version: str | None = None, shared: Path = sources.SHARED) -> tuple[Scorer, dict]:
    started = time.perf_counter()
    data = gather(seed, feedback_source, shared)
    thresholds, headline_threshold = tune_thresholds(data, seed)
    version = version or datetime.now(timezone.utc).strftime("%Y.%m.%d-%H%M")
    scorer = fit_scorer(data.paragraphs, data.headlines, thresholds=thresholds, headline_threshold=headline_threshold, version=version)
    fit_seconds = time.perf_counter() - started
    metrics = evaluate(scorer, data, shared)
    card = {
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seed": seed,
        "training_seconds": round(fit_seconds, 1),
        "data": {"counts": data.counts, "skipped": data.skipped, "feedback_verdicts": data.feedback_used, "digests": data_digests(shared)},
        "thresholds": {"signals": thresholds, "headline": headline_threshold},
        "metrics": metrics,
    }
    return scorer, card
