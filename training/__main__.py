"""Command line: `python -m training {train,evaluate,compare}`.

    python -m training train [--feedback DB_URL|export.jsonl] [--out model/] [--seed N]
    python -m training evaluate [--model DIR] [--data labelled.jsonl|.csv ...]
    python -m training compare --candidate DIR [--baseline DIR] [--publish] [--force]
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from model import load_scorer, save_scorer
from model.artifact import DEFAULT_MODEL_DIR

from . import sources
from .card import write_markdown_card
from .evaluation import paragraph_metrics
from .pipeline import SEED, evaluate, gather, train

#: Headline metrics `compare` protects: (path in the card's metrics, higher is better).
HEADLINE_METRICS = {
    "clickbait_f1": ("held_out", "clickbait_id", "f1"),
    "clickbait_roc_auc": ("held_out", "clickbait_id", "roc_auc"),
    "weasel_f1": ("held_out", "weasel_en", "f1"),
    "team_risk_f1": ("held_out", "team_corpus", "risk", "f1"),
    "team_risk_roc_auc": ("held_out", "team_corpus", "risk", "roc_auc"),
}
#: A candidate may be this much worse on a headline metric (noise of a re-fit) before it counts as worse.
TOLERANCE = 0.005


def _get(metrics: dict, path: tuple[str, ...]):
    for key in path:
        if not isinstance(metrics, dict) or key not in metrics:
            return None
        metrics = metrics[key]
    return metrics


def cmd_train(args: argparse.Namespace) -> int:
    scorer, card = train(seed=args.seed, feedback_source=args.feedback, version=args.version)
    out = Path(args.out)
    full = save_scorer(scorer, out, card)
    write_markdown_card(full, out / "MODEL_CARD.md")
    print(json.dumps({"written": str(out), "version": full["version"], "sha256": full["artifact_sha256"], "bytes": full["artifact_bytes"]}, indent=2))
    print_metrics(full["metrics"])
    return 0


def print_metrics(metrics: dict) -> None:
    for name, block in metrics.get("held_out", {}).items():
        _print_block(f"held-out {name}", block)
    if "seed_labels" in metrics:
        _print_block("seed labels (development check)", metrics["seed_labels"])
    if "seed_article_risk" in metrics:
        print(f"seed article risk: {metrics['seed_article_risk']}  order ok (002 < 003 < 000,001): {metrics.get('seed_order_ok')}")


def _print_block(title: str, block: dict) -> None:
    print(f"\n== {title}")
    if "signals" in block:
        print(f"{'signal':22} {'n+':>5} {'prec':>6} {'rec':>6} {'F1':>6} {'AUC':>6}")
        for signal, m in block["signals"].items():
            auc = "-" if m["roc_auc"] is None else f"{m['roc_auc']:.3f}"
            print(f"{signal:22} {m['support']:>5} {m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>6.3f} {auc:>6}")
        for key in ("kind_accuracy", "risk", "risk_calibration"):
            if key in block:
                print(f"{key}: {block[key]}")
    elif "f1" in block:
        print({k: v for k, v in block.items()})
    else:
        print(block)


def cmd_evaluate(args: argparse.Namespace) -> int:
    scorer = load_scorer(args.model)
    if args.data:
        for path in args.data:
            _print_block(str(path), paragraph_metrics(scorer, sources.read_labelled(Path(path))))
        return 0
    print_metrics(evaluate(scorer, gather(args.seed)))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Old vs new on the same held-out data; refuse to publish a model that is worse unless forced."""
    baseline = load_scorer(args.baseline)
    candidate = load_scorer(args.candidate)
    data = gather(args.seed)
    old, new = evaluate(baseline, data), evaluate(candidate, data)
    worse = []
    print(f"{'metric':22} {'baseline':>9} {'candidate':>9}")
    for name, path in HEADLINE_METRICS.items():
        a, b = _get(old, path), _get(new, path)
        print(f"{name:22} {a if a is not None else '-':>9} {b if b is not None else '-':>9}")
        if a is not None and b is not None and b < a - TOLERANCE:
            worse.append(name)
    if worse:
        print(f"candidate is worse on: {', '.join(worse)}")
    if not args.publish:
        return 1 if worse else 0
    if worse and not args.force:
        print("refusing to publish (use --force to override)", file=sys.stderr)
        return 1
    target = Path(args.baseline or DEFAULT_MODEL_DIR)
    _publish(Path(args.candidate), target)
    print(f"published {candidate.version} to {target}")
    return 0


def _publish(source_dir: Path, target_dir: Path) -> None:
    """Copy artifact then card (the card is written last: a reader never sees a card for a missing artifact)."""
    card = json.loads((source_dir / "card.json").read_text("utf-8"))
    artifact_rel = card["artifact"]
    (target_dir / artifact_rel).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=(target_dir / artifact_rel).parent, delete=False) as tmp:
        shutil.copyfileobj(open(source_dir / artifact_rel, "rb"), tmp)
    Path(tmp.name).replace(target_dir / artifact_rel)
    if (source_dir / "MODEL_CARD.md").exists():
        shutil.copy(source_dir / "MODEL_CARD.md", target_dir / "MODEL_CARD.md")
    shutil.copy(source_dir / "card.json", target_dir / "card.json")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="fit the model and write artifact + card")
    p.add_argument("--feedback", help="moderator verdicts: a database URL or an export JSONL file")
    p.add_argument("--out", default=str(DEFAULT_MODEL_DIR), help="model directory to write (default: the bundled model/)")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--version", help="model version string (default: UTC timestamp)")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("evaluate", help="print metrics of a model")
    p.add_argument("--model", help="model directory (default: bundled)")
    p.add_argument("--data", nargs="*", help="labelled JSONL/CSV files (default: the held-out splits and the seed labels)")
    p.add_argument("--seed", type=int, default=SEED)
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("compare", help="baseline vs candidate on the same held-out data")
    p.add_argument("--candidate", required=True, help="model directory of the new model")
    p.add_argument("--baseline", help="model directory of the current model (default: bundled)")
    p.add_argument("--publish", action="store_true", help="copy the candidate over the baseline if it is not worse")
    p.add_argument("--force", action="store_true", help="publish even if worse")
    p.add_argument("--seed", type=int, default=SEED)
    p.set_defaults(func=cmd_compare)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from threadpoolctl import threadpool_limits  # a scikit-learn dependency

    # Many small fits: BLAS threads cost far more in start-up than they win (50x slower measured on 2 cores).
    with threadpool_limits(limits=1):
        return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
