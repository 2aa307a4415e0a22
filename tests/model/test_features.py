"""Features and estimators: scikit-learn's contract, readable names, exact contributions."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import estimator_checks
from sklearn.utils.validation import check_is_fitted

from model import PARAGRAPH_SIGNALS
from model.cues import load_lexicon, matcher_for
from model.estimators import UNKNOWN, KindClassifier, LinearRisk, SignalClassifier
from model.features import ContextFeatures, CueCounts, ParagraphFeatures, ShapeFeatures

LANGUAGES = ("id", "en")
TEXTS = {
    "id": [
        "Beberapa laporan menyebut harga mungkin naik, kata Budi Santoso.",
        "HEBOH!!! Rezim itu pasti berbohong?",
        "Baca juga: berita lain di contohberita.com",
        "Jakarta, 12 Januari 2024",
        "“Kami menolak,” ujarnya.",
    ],
    "en": [
        "Some reports say prices might rise, said Jane Doe.",
        "SHOCKING!!! The regime always lies?",
        "Read more: other news at examplenews.com",
        "Washington, Jan. 12, 2024",
        "“We refuse,” she said.",
    ],
}
TRANSFORMERS = [CueCounts, ShapeFeatures, ContextFeatures, ParagraphFeatures]
ESTIMATORS = [
    pytest.param(lambda: SignalClassifier(signals=("a", "b")), id="SignalClassifier"),
    pytest.param(LinearRisk, id="LinearRisk"),
    pytest.param(KindClassifier, id="KindClassifier"),
]
#: Name shapes: `signal:lang:cue`, `signal:lang:[group]`, `shape:x`, `context:x`.
READABLE = re.compile(r"^(?:[a-z_]+:(?:id|en):\S.*|shape:[a-z_]+|context:[a-z_]+)$")


def analyses(language: str, texts: list[str] | None = None):
    matcher = matcher_for(language)
    out, previous = [], None
    for i, text in enumerate(texts or TEXTS[language]):
        a = matcher.analyse(text, position=i / 4, previous=previous)
        out.append(a)
        previous = a
    return out


@pytest.fixture(scope="module")
def paragraph_features() -> ParagraphFeatures:
    return ParagraphFeatures(LANGUAGES).fit()


# ---------------------------------------------------------------- features
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=lambda t: t.__name__)
def test_names_match_the_columns(transformer, language: str) -> None:
    fitted = transformer().fit()
    X = fitted.transform(analyses(language))
    names = fitted.get_feature_names_out()
    assert X.shape == (len(TEXTS[language]), len(names))
    assert len(set(names)) == len(names), "duplicate feature names"
    assert np.isfinite(X).all()


def test_names_are_readable(paragraph_features: ParagraphFeatures) -> None:
    names = list(paragraph_features.get_feature_names_out())
    unreadable = [n for n in names if not READABLE.match(n)]
    assert not unreadable, unreadable[:10]
    assert "hedging:id:mungkin" in names
    for language in LANGUAGES:
        for cue in load_lexicon(language).cues:
            assert f"{cue.signal}:{language}:{cue.text}" in names


@pytest.mark.parametrize(
    "language, text, feature",
    [
        ("id", "Harga mungkin naik.", "hedging:id:mungkin"),
        ("id", "Harga mungkin naik.", "hedging:id:[modal]"),
        ("en", "Prices might rise.", "shape:ends_with_period"),
        ("en", "WOW!!! Prices rise", "shape:exclamations"),
        ("id", "Baca juga: berita lain", "promotional:id:baca juga"),
    ],
)
def test_a_cue_in_the_text_lights_its_column(paragraph_features: ParagraphFeatures, language: str, text: str, feature: str) -> None:
    names = list(paragraph_features.get_feature_names_out())
    assert feature in names
    column = names.index(feature)
    X = paragraph_features.transform(analyses(language, [text, "xyz"]))
    assert X[0, column] > 0
    assert X[1, column] == 0


def test_context_sees_the_previous_paragraph() -> None:
    fitted = ContextFeatures().fit()
    X = fitted.transform(analyses("id", ["Hal itu benar, kata Budi Santoso.", "“Kami siap,” lanjut dia."]))
    names = list(fitted.get_feature_names_out())
    assert X[0, names.index("context:previous_attributed")] == 0
    assert X[1, names.index("context:previous_attributed")] == 1


# ---------------------------------------------------------------- scikit-learn contract
@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=lambda t: t.__name__)
def test_transformer_contract(transformer) -> None:
    unfitted = transformer()
    params = unfitted.get_params()
    before = set(vars(unfitted))
    with pytest.raises(NotFittedError):
        check_is_fitted(unfitted)
    assert unfitted.fit() is unfitted
    added = set(vars(unfitted)) - before
    assert added and all(name.endswith("_") for name in added), added
    assert unfitted.get_params() == params
    check_is_fitted(unfitted)
    assert clone(unfitted).get_params() == params


def _training_data(estimator):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] + 0.3 * rng.normal(size=60) > 0).astype(int)
    if isinstance(estimator, SignalClassifier):
        Y = np.column_stack([y, 1 - y])
        Y[:10, 1] = UNKNOWN
        return X, Y
    if isinstance(estimator, KindClassifier):
        return X, np.array(["body", "heading", "boilerplate"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 1).astype(int)]
    return X, y


@pytest.mark.parametrize("make", ESTIMATORS)
def test_estimator_contract(make) -> None:
    estimator = make()
    params = estimator.get_params()
    before = set(vars(estimator))
    X, y = _training_data(estimator)
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)
    for method in ("predict", "predict_proba", "decision_function"):
        if hasattr(estimator, method):
            with pytest.raises(NotFittedError):
                getattr(estimator, method)(X)
    assert estimator.fit(X, y) is estimator
    added = set(vars(estimator)) - before
    assert added and all(name.endswith("_") for name in added), added
    assert estimator.get_params() == params, "fit changed a constructor parameter"
    assert estimator.n_features_in_ == X.shape[1]
    check_is_fitted(estimator)
    proba = estimator.predict_proba(X)
    assert np.all((proba >= 0) & (proba <= 1))
    refit = clone(estimator).fit(X, y)
    np.testing.assert_array_equal(refit.predict_proba(X), proba)  # deterministic


#: scikit-learn's own checks that apply to these hand-written estimators (the full suite also
#: demands input validation that the scoring hot path skips on purpose).
SKLEARN_CHECKS = [
    "check_no_attributes_set_in_init",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimator_cloneable",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_estimators_fit_returns_self",
    "check_dont_overwrite_parameters",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_fit_idempotent",
]


@pytest.mark.parametrize("check", SKLEARN_CHECKS)
@pytest.mark.parametrize("make", [pytest.param(LinearRisk, id="LinearRisk"), pytest.param(KindClassifier, id="KindClassifier")])
def test_sklearn_checks(make, check: str) -> None:
    estimator = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        getattr(estimator_checks, check)(type(estimator).__name__, estimator)


def test_signal_classifier_learns_only_where_labels_are_known() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 3))
    Y = np.full((80, 2), UNKNOWN)
    Y[:40, 0] = (X[:40, 0] > 0).astype(int)  # only the first half labels signal 0
    Y[:, 1] = 1  # signal 1 is always positive: nothing to learn, a constant prior
    clf = SignalClassifier(signals=("a", "b")).fit(X, Y)
    assert list(clf.n_labelled_) == [40, 80]
    assert clf.coef_[0, 0] > 0
    assert np.all(clf.coef_[1] == 0) and clf.intercept_[1] > 0
    with pytest.raises(ValueError):
        SignalClassifier(signals=("a",)).fit(X, Y)


# ---------------------------------------------------------------- the explanation's promise
def test_linear_risk_contributions_sum_to_the_decision_function() -> None:
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(200, len(PARAGRAPH_SIGNALS) + 4))
    y = (Z @ rng.normal(size=Z.shape[1]) > 0).astype(int)
    risk = LinearRisk().fit(Z, y)
    contributions = risk.contributions(Z)
    assert contributions.shape == Z.shape
    np.testing.assert_allclose(contributions.sum(axis=1) + risk.intercept_, risk.decision_function(Z), rtol=0, atol=1e-12)
    np.testing.assert_allclose(risk.predict_proba(Z)[:, 1], 1 / (1 + np.exp(-risk.decision_function(Z))), rtol=1e-12)
