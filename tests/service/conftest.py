"""Fixtures of the service tests."""
from __future__ import annotations

# --- review storage fixtures (owner: moderator review) ---------------------------------------
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from model.types import ArticleResult, Evidence, ParagraphResult, SignalHit

POSTGRES_ENV = "MISINFO_TEST_POSTGRES_URL"


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def review_db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """An empty review database: a fresh SQLite file, and PostgreSQL when the URL is given."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'review.db'}"
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL storage tests need {POSTGRES_ENV} (set by .ci/setup.d/20-postgres.sh)")
    _reset_postgres(url)
    return url


@pytest.fixture
def review_store(review_db_url: str) -> Iterator[Any]:
    from service.storage import ReviewStore

    store = ReviewStore(review_db_url)
    store.ensure_schema()
    yield store
    store.dispose()


ParagraphSpec = tuple[str, bool, Sequence[tuple[str, str]]]  # (text, flagged, [(signal, evidence text)])


def build_result(
    paragraphs: Sequence[ParagraphSpec],
    *,
    version: str = "1",
    language: str = "en",
    risk: float = 0.8,
) -> ArticleResult:
    """A hand-made ArticleResult, so storage tests need no trained model."""
    results = []
    for index, (text, flagged, signals) in enumerate(paragraphs):
        hits = []
        for name, span in signals:
            start = text.find(span)
            assert start >= 0, f"{span!r} not in {text!r}"
            hits.append(SignalHit(name, 0.9, [Evidence(start, start + len(span), span, f"{name}:{language}:test")]))
        results.append(
            ParagraphResult(
                index=index,
                text=text,
                start=None,
                end=None,
                kind="body",
                risk=risk if flagged else 0.1,
                flagged=flagged,
                signals=hits,
                scores={h.name: h.score for h in hits},
                explanation=f"explanation of paragraph {index}",
            )
        )
    return ArticleResult(
        language=language,
        risk=risk,
        level="high",
        flagged=any(p.flagged for p in results),
        signals={},
        explanation="article explanation",
        headline=None,
        paragraphs=results,
        model_name="test-model",
        model_version=version,
    )


@pytest.fixture
def make_result() -> Callable[..., ArticleResult]:
    return build_result


#: A small synthetic article (written for the tests; no seed text): paragraphs 1 and 3 flagged.
SAMPLE_PARAGRAPHS: list[ParagraphSpec] = [
    ("The city council met on Monday to discuss the budget.", False, []),
    ("Sources say the mayor may resign next week.", True, [("vague_attribution", "Sources say"), ("hedging", "may")]),
    ("The mayor told reporters the budget was balanced, according to a statement.", False,
     [("attributed", "according to a statement")]),
    ("SHOCKING: the deficit could triple, insiders claim.", True,
     [("sensational", "SHOCKING"), ("hedging", "could")]),
    ("Read more: subscribe to our newsletter.", False, []),
]


@pytest.fixture
def sample_paragraphs() -> list[ParagraphSpec]:
    return list(SAMPLE_PARAGRAPHS)
# --- end review storage fixtures ------------------------------------------------------------


# --- API fixtures (owner: REST API) ------------------------------------------------------------
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

#: Raw test keys per role (made up for the tests; the service only ever sees their hashes).
API_KEYS: dict[str, str] = {
    "test-scorer-key": "scorer",
    "test-moderator-key": "moderator",
    "test-admin-key": "admin",
}


@pytest.fixture
def make_app(scorer: Any, tmp_path: Any) -> Callable[..., Flask]:
    """Build an app on test settings (no environment), with the tiny ``scorer`` unless given one.

    ``make_app(auth=True, rate_limit="2/minute")`` — any Settings field as a keyword.
    """
    from service import create_app
    from service.settings import Settings

    def _make(*, model: Any = scorer, **overrides: Any) -> Flask:
        values: dict[str, Any] = {
            "auth": False,
            "rate_limit": "100000/minute",
            # review storage in the test's own directory, never ./var of the checkout
            "database_url": f"sqlite:///{tmp_path / 'review.db'}",
            "spool_dir": str(tmp_path / "spool"),
            **overrides,
        }
        app = create_app(Settings.from_env({}, **values), scorer=model)
        app.config["TESTING"] = True
        return app

    return _make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """Auth off, generous rate limit: for contract tests."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth_app(make_app: Callable[..., Flask]) -> Flask:
    """Auth on with one key per role (see API_KEYS)."""
    return make_app(auth=True, api_keys=dict(API_KEYS))


@pytest.fixture
def auth_client(auth_app: Flask) -> FlaskClient:
    return auth_app.test_client()


def _bearer(role: str) -> dict[str, str]:
    key = next(k for k, r in API_KEYS.items() if r == role)
    return {"Authorization": f"Bearer {key}"}


def _assert_error_shape(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The house error envelope, as JSON, with the given status (and code)."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    if code is not None:
        assert error["code"] == code, error
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "<html" not in text.lower()
    return error


@pytest.fixture
def bearer() -> Callable[[str], dict[str, str]]:
    """``bearer("moderator")`` → the Authorization header of that role's test key."""
    return _bearer


@pytest.fixture
def error_shape() -> Callable[..., dict[str, Any]]:
    """``error_shape(response, 422, "validation_error")`` asserts the house error envelope."""
    return _assert_error_shape
# --- end API fixtures ----------------------------------------------------------------------------
