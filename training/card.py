"""The human-readable model card (MODEL_CARD.md), rendered from card.json."""
from __future__ import annotations

from pathlib import Path


def _row(cells) -> str:
    return "| " + " | ".join("-" if c is None else str(c) for c in cells) + " |"


def _signal_table(block: dict) -> list[str]:
    lines = [_row(["signal", "positives", "precision", "recall", "F1", "ROC-AUC"]), _row(["---"] * 6)]
    for signal, m in block.get("signals", {}).items():
        lines.append(_row([signal, m["support"], m["precision"], m["recall"], m["f1"], m["roc_auc"]]))
    return lines


def render(card: dict) -> str:
    m = card.get("metrics", {})
    held = m.get("held_out", {})
    out = [
        f"# Model card: {card['name']} {card['version']}",
        "",
        f"Trained {card.get('trained_at')} in {card.get('training_seconds')} s with seed {card.get('seed')}; "
        f"Python {card['versions'].get('python')}, scikit-learn {card['versions'].get('scikit-learn')}. "
        f"Artifact `{card['artifact']}` ({card.get('artifact_bytes', 0) / 1e6:.1f} MB), sha256 `{card['artifact_sha256']}`.",
        "",
        "## What it does",
        "Per paragraph: probabilities of the six signals of `signals.md` (one logistic regression each over",
        "lexicon cues, text shape and context), the paragraph kind (multinomial logistic regression) and the",
        "risk (logistic regression over the signal log-odds and kind: exact per-signal contributions).",
        "Headline: clickbait probability (word + character n-grams and headline shape, logistic regression).",
        "Article: a fixed, documented combination of paragraph risks, headline and article-level signals.",
        "",
        "## Data",
        _row(["source", "count"]),
        _row(["---", "---"]),
        *[_row([k, v]) for k, v in card.get("data", {}).get("counts", {}).items()],
        "",
        f"Moderator verdicts used: {card.get('data', {}).get('feedback_verdicts', 0)}.",
    ]
    skipped = card.get("data", {}).get("skipped") or {}
    if skipped:
        out += ["", "Skipped sources: " + "; ".join(f"{k} ({v})" for k, v in skipped.items())]
    digests = card.get("data", {}).get("digests") or {}
    if digests:
        out += ["", "Data digests (sha256):", ""] + [f"- `{k}`: `{v}`" for k, v in digests.items()]
    out += ["", "## Held-out metrics", ""]
    if "team_corpus" in held:
        tc = held["team_corpus"]
        out += ["Team corpus, 20% of documents held out:", "", *_signal_table(tc), ""]
        out += [f"Kind accuracy {tc.get('kind_accuracy')}; risk {tc.get('risk')}; calibration {tc.get('risk_calibration')}.", ""]
    if "clickbait_id" in held:
        out += [f"CLICK-ID headlines, 20% held out: {held['clickbait_id']}", ""]
    if "weasel_en" in held:
        out += [f"CoNLL-2010 weasel/hedge sentences, 20% held out (uncertain = hedging or vague attribution): {held['weasel_en']}", ""]
    if "seed_labels" in m and "signals" in m["seed_labels"]:
        out += ["## Development check: seed paragraph labels (never trained on)", "", *_signal_table(m["seed_labels"]), ""]
        out += [f"Seed article risk: {m.get('seed_article_risk')} (order 002 < 003 < 000, 001: {m.get('seed_order_ok')})", ""]
    out += ["## Thresholds", "", f"{card.get('thresholds')}", "", "## Limits", "",
            "Lexicon-driven signals need a cue span to fire; a signal expressed in words no lexicon has is seen",
            "only through the text's shape and context. Indonesian and English only; other languages are scored",
            "with the Indonesian lexicon's fallback and should not be trusted.", ""]
    return "\n".join(out)


def write_markdown_card(card: dict, path: Path) -> None:
    path.write_text(render(card), "utf-8")
