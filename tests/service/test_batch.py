"""``POST /score/batch``: results in order, one bad article never fails the others."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

GOOD = {"title": "Harga BBM naik", "paragraphs": ["Menurut Pertamina, harga naik Rp500 per liter, katanya kemarin."]}


def test_results_in_order_with_errors_in_their_slots(client: Any) -> None:
    articles = [
        dict(GOOD, id="a"),
        {"text": "x", "html": "<p>x</p>", "id": "ambiguous"},
        {"text": "   "},
        dict(GOOD, id="d", language="id"),
        {"title": "x", "colour": "red"},
    ]
    response = client.post("/score/batch", json={"articles": articles})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    results = body["results"]
    assert len(results) == 5
    assert results[0]["id"] == "a" and results[3]["id"] == "d"
    assert results[0]["request_id"] == body["request_id"] + ".0"
    assert results[1]["error"]["status"] == 422 and "_schema" in results[1]["error"]["details"]["fields"]
    assert results[2]["error"]["code"] == "empty_article"
    assert "colour" in results[4]["error"]["details"]["fields"]
    assert set(results[0]) >= {"model", "article", "headline", "paragraphs"}


def test_batch_result_equals_single_result(client: Any) -> None:
    single = client.post("/score", json=GOOD).get_json()
    batched = client.post("/score/batch", json={"articles": [GOOD]}).get_json()["results"][0]
    for key in ("article", "headline", "paragraphs", "language", "model"):
        assert batched[key] == single[key]


@pytest.mark.parametrize(
    "payload",
    [{"articles": []}, {"articles": "nope"}, {}, {"articles": [GOOD], "extra": 1}, {"articles": [GOOD] * 4}],
    ids=["empty", "not-a-list", "missing", "unknown-field", "too-many"],
)
def test_bad_batches_are_422(
    make_app: Callable[..., Flask], error_shape: Callable[..., dict[str, Any]], payload: dict[str, Any]
) -> None:
    client = make_app(max_batch=3).test_client()
    error_shape(client.post("/score/batch", json=payload), 422, "validation_error")


def test_a_crashing_article_gets_a_500_in_its_slot(make_app: Callable[..., Flask], scorer: Any) -> None:
    class Flaky:
        name, version, card = scorer.name, scorer.version, scorer.card

        def score(self, article: Any, explain: bool = True) -> Any:
            if article.title == "boom":
                raise RuntimeError("bug")
            return scorer.score(article, explain=explain)

    client = make_app(model=Flaky()).test_client()
    results = client.post("/score/batch", json={"articles": [GOOD, {"title": "boom"}, GOOD]}).get_json()["results"]
    assert "article" in results[0] and "article" in results[2]
    assert results[1]["error"]["status"] == 500
    assert "bug" not in results[1]["error"]["message"]


def test_each_article_costs_one_unit_of_the_rate_limit(make_app: Callable[..., Flask]) -> None:
    client = make_app(rate_limit="5/minute").test_client()
    assert client.post("/score/batch", json={"articles": [GOOD] * 3}).status_code == 200
    statuses = [client.post("/score", json=GOOD).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # the batch used 3 of the 5
