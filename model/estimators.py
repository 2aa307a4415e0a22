"""Estimators: per-signal probabilities, paragraph kind, paragraph risk.

All linear (logistic regression), for two reasons: the explanation can give
each signal's exact contribution to a paragraph's log-odds, and inference is
one matrix product, which keeps scoring well under a millisecond.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

#: Label value meaning "this source says nothing about this signal".
UNKNOWN = -1


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))


class SignalClassifier(ClassifierMixin, BaseEstimator):
    """One L2 logistic regression per signal, each fitted only where its label is known.

    Y has one column per signal with 1, 0 or UNKNOWN (-1): a hedge-sentence
    corpus labels hedging but says nothing about promotion, so its rows train
    the hedging column only.
    """

    def __init__(self, signals: Sequence[str] = (), C: float = 1.0, class_weight: str | None = "balanced", max_iter: int = 3000) -> None:
        self.signals = signals
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter

    def fit(self, X: np.ndarray, Y: np.ndarray, sample_weight: np.ndarray | None = None):
        X = np.asarray(X, dtype=float)
        Y = np.asarray(Y)
        if Y.ndim != 2 or Y.shape[1] != len(self.signals):
            raise ValueError(f"Y must have one column per signal ({len(self.signals)})")
        weights = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.coef_ = np.zeros((len(self.signals), X.shape[1]))
        self.intercept_ = np.zeros(len(self.signals))
        self.n_labelled_ = np.zeros(len(self.signals), dtype=int)
        for j in range(len(self.signals)):
            known = Y[:, j] != UNKNOWN
            y = Y[known, j].astype(int)
            self.n_labelled_[j] = int(known.sum())
            if len(np.unique(y)) < 2:
                # Nothing to learn from: constant prior (log-odds of the observed rate, smoothed).
                rate = (y.sum() + 1.0) / (len(y) + 2.0)
                self.intercept_[j] = float(np.log(rate / (1 - rate)))
                continue
            clf = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)
            clf.fit(X[known], y, sample_weight=weights[known])
            self.coef_[j] = clf.coef_[0]
            self.intercept_[j] = clf.intercept_[0]
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "coef_")
        return np.asarray(X, dtype=float) @ self.coef_.T + self.intercept_

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(n_samples, n_signals) probabilities that each signal holds."""
        return sigmoid(self.decision_function(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.predict_proba(X) >= 0.5).astype(int)


class LinearRisk(ClassifierMixin, BaseEstimator):
    """Risk = logistic regression over named, interpretable inputs (signal log-odds, kind).

    `contributions` returns coef * value per input: the exact decomposition of
    the paragraph's log-odds that the explanation reports.
    """

    def __init__(self, C: float = 1.0, max_iter: int = 3000) -> None:
        self.C = C
        self.max_iter = max_iter

    def fit(self, Z: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None):
        clf = LogisticRegression(C=self.C, max_iter=self.max_iter, class_weight="balanced")
        clf.fit(Z, y, sample_weight=sample_weight)
        self.coef_ = clf.coef_[0].copy()
        self.intercept_ = float(clf.intercept_[0])
        self.classes_ = clf.classes_
        self.n_features_in_ = Z.shape[1]
        return self

    def decision_function(self, Z: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "coef_")
        return np.asarray(Z, dtype=float) @ self.coef_ + self.intercept_

    def predict_proba(self, Z: np.ndarray) -> np.ndarray:
        p = sigmoid(self.decision_function(Z))
        return np.column_stack([1 - p, p])

    def predict(self, Z: np.ndarray) -> np.ndarray:
        return (self.predict_proba(Z)[:, 1] >= 0.5).astype(int)

    def contributions(self, Z: np.ndarray) -> np.ndarray:
        return np.asarray(Z, dtype=float) * self.coef_


class KindClassifier(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression over the paragraph features; a thin wrapper for fast inference."""

    def __init__(self, C: float = 1.0, max_iter: int = 3000) -> None:
        self.C = C
        self.max_iter = max_iter

    def fit(self, X: np.ndarray, y: Sequence[str], sample_weight: np.ndarray | None = None):
        clf = LogisticRegression(C=self.C, max_iter=self.max_iter, class_weight="balanced")
        clf.fit(X, np.asarray(y), sample_weight=sample_weight)
        self.classes_ = clf.classes_
        self.coef_ = clf.coef_
        self.intercept_ = clf.intercept_
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "coef_")
        z = np.asarray(X, dtype=float) @ self.coef_.T + self.intercept_
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> np.ndarray:
        proba = self.predict_proba(X)  # first: raises NotFittedError before `classes_` is touched
        return self.classes_[proba.argmax(axis=1)]
