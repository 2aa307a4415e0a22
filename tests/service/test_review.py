"""The review queue API over HTTP: roles, filters, cursors, verdicts, audit, export, OpenAPI, errors."""
from __future__ import annotations

import json

import pytest

from tests.service.conftest import SAMPLE_PARAGRAPHS, build_result

ENDPOINTS = [
    ("get", "/review/items"),
    ("get", "/review/items/1"),
    ("post", "/review/items/1/verdict"),
    ("get", "/review/audit"),
    ("get", "/review/export"),
    ("get", "/review/stats"),
]


@pytest.fixture
def filled(review_app):
    """Two English articles and one Indonesian one, two flagged paragraphs each (item ids 1..6)."""
    sink = review_app.extensions["misinfo"]["review_sink"]
    for client_id, language, risk in (("en-1", "en", 0.7), ("en-2", "en", 0.9), ("id-1", "id", 0.6)):
        status = sink({"id": client_id, "title": f"Title {client_id}"}, build_result(SAMPLE_PARAGRAPHS, language=language, risk=risk))
        assert status["stored"] == 2 and status["deferred"] is False
    return review_app


@pytest.fixture
def mod(filled, review_headers):
    """A test client that sends the moderator key with every request."""
    client = filled.test_client()
    headers = review_headers("mia")

    class Moderator:
        def get(self, url, **kw):
            return client.get(url, headers=headers, **kw)

        def post(self, url, **kw):
            return client.post(url, headers=headers, **kw)

    return Moderator()


# --- roles ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_queue_api_needs_a_key(filled, method, url, error_shape):
    response = getattr(filled.test_client(), method)(url, json={"verdict": "confirm"})
    error_shape(response, 401, "unauthorized")


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_queue_api_needs_the_moderator_role(filled, method, url, review_headers, error_shape):
    response = getattr(filled.test_client(), method)(url, json={"verdict": "confirm"}, headers=review_headers("ed"))
    error = error_shape(response, 403, "forbidden")
    assert error["details"]["required_role"] == "moderator"


# --- listing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected_ids"),
    [
        ("", [1, 2, 3, 4, 5, 6]),
        ("?language=id", [5, 6]),
        ("?signal=vague_attribution", [1, 3, 5]),
        ("?min_risk=0.8", [3, 4]),
        ("?article=en-2", [3, 4]),
        ("?status=pending&language=en&signal=sensational", [2, 4]),
        ("?status=confirmed", []),
        ("?order=risk", [3, 4, 1, 2, 5, 6]),
        ("?status=&signal=", [1, 2, 3, 4, 5, 6]),  # blank form fields mean "any"
    ],
)
def test_list_filters(mod, query, expected_ids):
    response = mod.get(f"/review/items{query}")
    assert response.status_code == 200, response.get_json()
    assert [i["id"] for i in response.get_json()["items"]] == expected_ids


def test_cursor_pages_through_everything(mod):
    ids, url = [], "/review/items?order=risk&limit=4"
    body = mod.get(url).get_json()
    ids += [i["id"] for i in body["items"]]
    assert body["next_cursor"]
    body = mod.get(f"{url}&cursor={body['next_cursor']}").get_json()
    ids += [i["id"] for i in body["items"]]
    assert body["next_cursor"] is None
    assert ids == [3, 4, 1, 2, 5, 6]


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("?status=open", 422, "validation_error"),
        ("?signal=clickbait", 422, "validation_error"),
        ("?min_risk=2", 422, "validation_error"),
        ("?limit=0", 422, "validation_error"),
        ("?colour=red", 422, "validation_error"),  # unknown filters are refused, not ignored
        ("?cursor=not-a-cursor", 400, "invalid_cursor"),
    ],
)
def test_bad_listing_queries_get_the_error_shape(mod, query, status, code, error_shape):
    error_shape(mod.get(f"/review/items{query}"), status, code)


def test_item_has_article_context_and_audit(mod):
    body = mod.get("/review/items/2?context=1").get_json()  # paragraph 3 of en-1
    assert body["paragraph_index"] == 3
    assert body["article"]["client_id"] == "en-1" and body["article"]["title"] == "Title en-1"
    assert [p["index"] for p in body["before"]] == [2] and [p["index"] for p in body["after"]] == [4]
    assert body["before"][0]["text"] == SAMPLE_PARAGRAPHS[2][0]
    assert {s["name"] for s in body["signals"]} == {"sensational", "hedging"}
    assert body["signals"][0]["evidence"][0]["text"] in body["text"]
    assert [e["action"] for e in body["audit"]] == ["created"]
    assert body["created_at"].endswith("+00:00")


def test_unknown_item_is_404(mod, error_shape):
    error_shape(mod.get("/review/items/999"), 404, "not_found")
    error_shape(mod.post("/review/items/999/verdict", json={"verdict": "confirm"}), 404, "not_found")


# --- verdicts, audit, export ------------------------------------------------------------------


def test_verdicts_record_who_and_feed_the_export(mod):
    confirmed = mod.post("/review/items/1/verdict", json={"verdict": "confirm", "note": "no source given"})
    assert confirmed.status_code == 200, confirmed.get_json()
    assert (confirmed.get_json()["status"], confirmed.get_json()["decided_by"]) == ("confirmed", "mia")
    dismissed = mod.post("/review/items/2/verdict", json={"verdict": "dismiss", "signals": ["attributed"]})
    assert dismissed.get_json()["corrected_signals"] == ["attributed"]

    assert [i["id"] for i in mod.get("/review/items?status=pending").get_json()["items"]] == [3, 4, 5, 6]
    events = mod.get("/review/audit?item=1").get_json()["events"]
    assert [(e["action"], e["actor"]) for e in events] == [("created", "scorer"), ("verdict", "mia")]
    assert events[1]["details"]["after"]["note"] == "no source given"

    export = mod.get("/review/export")
    assert export.status_code == 200 and export.mimetype == "application/x-ndjson"
    records = [json.loads(line) for line in export.get_data(as_text=True).splitlines()]
    assert [(r["doc"], r["line"], r["risky"], r["signals"], r["verdict"]) for r in records] == [
        ("id:en-1", 1, 1, ["hedging", "vague_attribution"], "confirm"),
        ("id:en-1", 3, 0, ["attributed"], "dismiss"),
    ]
    assert all(r["source"] == "moderator" and r["decided_by"] == "mia" for r in records)
    assert mod.get("/review/stats").get_json() == {"counts": {"pending": 4, "confirmed": 1, "dismissed": 1}, "spool_pending": 0}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"verdict": "maybe"}, 422, "validation_error"),
        ({}, 422, "validation_error"),
        ({"verdict": "confirm", "signals": ["clickbait"]}, 422, "validation_error"),
        ({"verdict": "confirm", "extra": 1}, 422, "validation_error"),
        ("verdict=confirm", 415, "unsupported_media_type"),
    ],
)
def test_bad_verdicts_get_the_error_shape_and_change_nothing(mod, body, status, code, error_shape):
    kwargs = {"json": body} if isinstance(body, dict) else {"data": body}
    error_shape(mod.post("/review/items/1/verdict", **kwargs), status, code)
    assert mod.get("/review/items/1").get_json()["status"] == "pending"


def test_audit_pages_with_a_cursor(mod):
    first = mod.get("/review/audit?limit=4").get_json()
    assert len(first["events"]) == 4 and first["next_cursor"] == first["events"][-1]["id"]
    rest = mod.get(f"/review/audit?cursor={first['next_cursor']}").get_json()
    assert len(rest["events"]) == 2 and rest["next_cursor"] is None


def test_a_broken_database_answers_503_in_the_error_shape(tmp_path, review_headers, error_shape):
    from service import create_app
    from service.settings import ApiKey, Settings, hash_key

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the database directory should be")
    settings = Settings.from_env(
        {}, auth=True, api_keys=(ApiKey("mia", hash_key("review-test-moderator-key"), "moderator"),),
        model_required=False, model_path=str(tmp_path / "none"),
        database_url=f"sqlite:///{blocker}/review.db", spool_dir=str(tmp_path / "spool"),
    )
    app = create_app(settings)  # starts although the database cannot be opened
    response = app.test_client().get("/review/items", headers=review_headers("mia"))
    assert response.status_code == 503
    error_shape(response, 503)


# --- OpenAPI ------------------------------------------------------------------------------------


def test_every_review_operation_is_in_the_openapi_document(filled):
    spec = filled.test_client().get("/openapi.json").get_json()
    paths = spec["paths"]
    for method, url in ENDPOINTS:
        path = url.replace("/1", "/{item_id}")
        operation = paths[path][method]
        assert operation["security"] == [{"bearerAuth": []}]
        for status in ("401", "403", "500"):
            assert operation["responses"][status]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorResponse")
    verdict = paths["/review/items/{item_id}/verdict"]["post"]
    assert verdict["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("ReviewVerdictRequest")
    listed = {p["name"] for p in paths["/review/items"]["get"]["parameters"]}
    assert {"status", "signal", "language", "min_risk", "article", "cursor", "limit"} <= listed
    assert "application/x-ndjson" in paths["/review/export"]["get"]["responses"]["200"]["content"]
    assert {"ReviewItem", "ReviewItemDetail", "ReviewItemPage", "ReviewAuditPage"} <= set(spec["components"]["schemas"])
