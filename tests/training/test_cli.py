"""The training command line and pipeline, on small data (never the full `train`)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from model import PARAGRAPH_SIGNALS, fit_scorer, load_scorer, read_card, save_scorer
from training import __main__ as cli
from training import pipeline, sources
from training.card import write_markdown_card

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Small matrices: one BLAS thread is much faster on a shared machine (see conftest).
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "training", *args], check=False, cwd=REPO_ROOT, env=ENV, capture_output=True, text=True, timeout=timeout)


def signal_rows(output: str) -> dict[str, list[str]]:
    """The per-signal table rows that `_print_block` prints: name, n+, precision, recall, F1, AUC."""
    rows = {}
    for signal in PARAGRAPH_SIGNALS:
        match = re.search(rf"^{signal}\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+|-)\s*$", output, re.MULTILINE)
        if match:
            rows[signal] = list(match.groups())
    return rows


def copy_model(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


# ---------------------------------------------------------------- evaluate
def test_evaluate_prints_per_signal_metrics(labelled_jsonl: Path, labelled_csv: Path) -> None:
    done = run_cli("evaluate", "--model", "model", "--data", str(labelled_jsonl), str(labelled_csv))
    assert done.returncode == 0, done.stderr
    blocks = done.stdout.split("== ")[1:]
    assert len(blocks) == 2 and blocks[0].startswith(str(labelled_jsonl)) and blocks[1].startswith(str(labelled_csv))
    jsonl_rows, csv_rows = signal_rows(blocks[0]), signal_rows(blocks[1])
    assert set(jsonl_rows) == set(PARAGRAPH_SIGNALS), done.stdout
    assert jsonl_rows == csv_rows  # both formats are the same records
    for row in jsonl_rows.values():
        assert all(0.0 <= float(v) <= 1.0 for v in row[1:4])
    assert "kind_accuracy" in blocks[0] and "risk" in blocks[0]


def test_evaluate_refuses_a_tampered_model(tmp_path: Path, small_models, labelled_jsonl: Path) -> None:
    model_dir = copy_model(small_models["good"], tmp_path / "model")
    artifact = model_dir / "artifacts" / "model.joblib"
    artifact.write_bytes(artifact.read_bytes()[:-1] + b"\x00")
    done = run_cli("evaluate", "--model", str(model_dir), "--data", str(labelled_jsonl))
    assert done.returncode != 0
    assert "ArtifactIntegrityError" in done.stderr


# ---------------------------------------------------------------- compare / publish
@pytest.fixture
def held_out_only(monkeypatch: pytest.MonkeyPatch, team_split):
    """`compare` evaluated on the team corpus's held-out documents only (no public corpora): fast."""
    _, test = team_split

    def gather(seed: int = pipeline.SEED, *args, **kwargs) -> pipeline.TrainingData:
        return pipeline.TrainingData(team_test=test)

    monkeypatch.setattr(cli, "gather", gather)


@pytest.mark.parametrize(
    "candidate, baseline, flags, expected_rc, published",
    [
        ("worse", "good", ["--publish"], 1, False),
        ("worse", "good", ["--publish", "--force"], 0, True),
        ("worse", "good", [], 1, False),
        ("good", "worse", ["--publish"], 0, True),
        ("good", "worse", [], 0, False),
    ],
    ids=["worse-refused", "worse-forced", "worse-report", "better-published", "better-report"],
)
def test_compare_publishes_only_what_is_not_worse(
    held_out_only, small_models, tmp_path: Path, capsys, candidate: str, baseline: str, flags: list[str], expected_rc: int, published: bool
) -> None:
    baseline_dir = copy_model(small_models[baseline], tmp_path / "baseline")  # never the bundled model/
    before = read_card(baseline_dir)
    rc = cli.main(["compare", "--candidate", str(small_models[candidate]), "--baseline", str(baseline_dir), *flags])
    out = capsys.readouterr()
    assert rc == expected_rc, out.out + out.err
    assert "team_risk_roc_auc" in out.out
    assert ("candidate is worse on" in out.out) == (candidate == "worse")
    after = read_card(baseline_dir)
    expected = read_card(small_models[candidate]) if published else before
    assert after["artifact_sha256"] == expected["artifact_sha256"]
    assert load_scorer(baseline_dir).version == expected["version"]  # the published pair loads (digest matches)
    if flags == ["--publish"] and not published:
        assert "refusing to publish" in out.err


def test_compare_end_to_end_refuses_a_worse_candidate(small_models, tmp_path: Path) -> None:
    """The real command, on the real held-out data (public corpora too when ../shared is present)."""
    baseline_dir = copy_model(small_models["good"], tmp_path / "baseline")
    before = (baseline_dir / "card.json").read_bytes()
    done = run_cli("compare", "--candidate", str(small_models["worse"]), "--baseline", str(baseline_dir), "--publish")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "refusing to publish" in done.stderr and "candidate is worse on" in done.stdout
    assert (baseline_dir / "card.json").read_bytes() == before


# ---------------------------------------------------------------- pipeline on a tiny team corpus
@pytest.fixture
def tiny_team_dir(tmp_path: Path, team_split, jsonl_writer) -> Path:
    train, _ = team_split
    docs = sources.by_document(train)
    chosen = [d for language in ("id", "en") for d in sorted(n for n in docs if docs[n][0].language == language)[:15]]
    directory = tmp_path / "team"
    directory.mkdir()
    rows = []
    for name in chosen:
        for r in docs[name]:
            row = asdict(r)
            row["lang"] = row.pop("language")
            rows.append(row)
    jsonl_writer(directory / "tiny.jsonl", rows)
    return directory


def test_tiny_training_run(tiny_team_dir: Path, tmp_path: Path, jsonl_writer) -> None:
    absent = tmp_path / "no-shared"
    verdicts = jsonl_writer(tmp_path / "export.jsonl", [{"doc": "m1", "line": 0, "lang": "id", "text": "Paragraf baru dari moderator.", "signals": ["hedging"], "risky": 1}])
    data = pipeline.gather(seed=3, feedback_source=str(verdicts), shared=absent, team_dir=tiny_team_dir)
    assert set(data.skipped) == {"weasel_en", "propaganda_en", "clickbait_id"}
    assert data.feedback_used == 1
    assert [p.weight for p in data.paragraphs if p.text == "Paragraf baru dari moderator."] == [sources.WEIGHT_FEEDBACK]
    assert data.team_test and data.counts["team_test_paragraphs"] == len(data.team_test)

    thresholds, headline_threshold = pipeline.tune_thresholds(data, seed=3)
    assert set(thresholds) == set(PARAGRAPH_SIGNALS)
    assert all(0.2 <= t <= 0.8 for t in [*thresholds.values(), headline_threshold])
    scorer = fit_scorer(data.paragraphs, data.headlines, thresholds=thresholds, headline_threshold=headline_threshold, version="tiny")
    metrics = pipeline.evaluate(scorer, data, shared=absent)
    team = metrics["held_out"]["team_corpus"]
    assert set(team["signals"]) == set(PARAGRAPH_SIGNALS)
    assert team["paragraphs"] > 0 and 0.0 <= team["kind_accuracy"] <= 1.0
    assert "skipped" in metrics["seed_labels"]

    card = save_scorer(scorer, tmp_path / "out", {"metrics": metrics, "thresholds": {"signals": thresholds, "headline": headline_threshold}, "data": {"counts": data.counts, "skipped": data.skipped}})
    write_markdown_card(card, tmp_path / "out" / "MODEL_CARD.md")
    markdown = (tmp_path / "out" / "MODEL_CARD.md").read_text("utf-8")
    assert "tiny" in markdown and card["artifact_sha256"] in markdown
    assert all(f"| {s} |" in markdown for s in PARAGRAPH_SIGNALS)
    assert load_scorer(tmp_path / "out").version == "tiny"
    json.dumps(card)  # the card is plain JSON
