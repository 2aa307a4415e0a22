"""Metrics the model card and `python -m training evaluate` report."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score


def binary_metrics(y: Sequence[int], predicted: Sequence[int], scores: Sequence[float] | None = None) -> dict[str, float | int | None]:
    y_arr = np.asarray(y, dtype=int)
    pred = np.asarray(predicted, dtype=bool)
    tp = int(np.sum(pred & (y_arr == 1)))
    fp = int(np.sum(pred & (y_arr == 0)))
    fn = int(np.sum(~pred & (y_arr == 1)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    auc = None
    if scores is not None and len(set(y_arr.tolist())) == 2:
        auc = float(roc_auc_score(y_arr, np.asarray(scores, dtype=float)))
    return {
        "support": int(np.sum(y_arr == 1)),
        "n": int(len(y_arr)),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "roc_auc": None if auc is None else round(auc, 4),
    }


def calibration(y: Sequence[int], p: Sequence[float], bins: int = 10) -> dict[str, float]:
    """Brier score and expected calibration error (equal-width bins)."""
    y_arr = np.asarray(y, dtype=float)
    p_arr = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    if len(y_arr) == 0:
        return {"brier": float("nan"), "ece": float("nan")}
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p_arr, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            ece += mask.mean() * abs(p_arr[mask].mean() - y_arr[mask].mean())
    return {"brier": round(float(brier_score_loss(y_arr, p_arr)), 4), "ece": round(float(ece), 4)}
