"""``POST /score``: the contract CMS plugins are written against."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from flask import Flask

from model.types import KINDS, PARAGRAPH_SIGNALS

# Written for these tests (no seed text): hedged, vaguely attributed, attributed and promotional lines.
TEXT = (
    "Beberapa laporan menyebut pemerintah mungkin akan menaikkan harga BBM bulan depan.\n"
    "\n"
    "Menurut Menteri Keuangan, anggaran tahun ini tetap aman, katanya dalam keterangan resmi.\n"
    "Baca Juga: Klik di sini untuk berita lainnya!\n"
)
PARAGRAPHS = [line for line in TEXT.splitlines() if line.strip()]
HTML = "<html><body><h1>Judul</h1>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</body></html>"

TOP_FIELDS = {"request_id", "id", "model", "language", "article", "headline", "paragraphs"}
PARAGRAPH_FIELDS = {"index", "start", "end", "text", "kind", "risk", "flagged", "signals", "explanation"}


def _check_paragraph_invariants(body: Mapping[str, Any]) -> None:
    for position, paragraph in enumerate(body["paragraphs"]):
        assert PARAGRAPH_FIELDS <= set(paragraph)
        assert paragraph["index"] == position
        assert paragraph["kind"] in KINDS
        assert 0.0 <= paragraph["risk"] <= 1.0
        assert isinstance(paragraph["flagged"], bool)
        names = [signal["name"] for signal in paragraph["signals"]]
        assert len(names) == len(set(names))
        for signal in paragraph["signals"]:
            assert signal["name"] in PARAGRAPH_SIGNALS
            assert 0.0 <= signal["score"] <= 1.0
            for evidence in signal["evidence"]:
                # evidence offsets point into the paragraph's own text
                assert paragraph["text"][evidence["start"] : evidence["end"]] == evidence["text"]


def test_text_article_has_every_contract_field(client: Any, scorer: Any) -> None:
    response = client.post("/score", json={"title": "Heboh! Harga BBM naik lagi?", "text": TEXT, "id": "cms-42"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert TOP_FIELDS <= set(body)
    assert body["id"] == "cms-42"
    assert body["model"] == {"name": scorer.name, "version": scorer.version}
    assert body["language"] in ("id", "en")
    article = body["article"]
    assert {"risk", "level", "flagged", "signals", "explanation"} <= set(article)
    assert article["level"] in ("low", "medium", "high")
    assert 0.0 <= article["risk"] <= 1.0
    assert all(isinstance(v, (int, float)) for v in article["signals"].values())
    assert body["headline"]["text"] == "Heboh! Harga BBM naik lagi?"
    assert 0.0 <= body["headline"]["clickbait"] <= 1.0
    assert isinstance(body["headline"]["evidence"], list)
    _check_paragraph_invariants(body)
    # every non-blank paragraph of the input, once, in order, with offsets into the submitted text
    assert [p["text"].strip() for p in body["paragraphs"]] == [line.strip() for line in PARAGRAPHS]
    for paragraph in body["paragraphs"]:
        assert TEXT[paragraph["start"] : paragraph["end"]] == paragraph["text"]
    assert response.headers["X-Request-ID"] == body["request_id"]


@pytest.mark.parametrize(
    "payload",
    [{"html": HTML}, {"paragraphs": PARAGRAPHS}],
    ids=["html", "paragraphs"],
)
def test_offsets_are_null_without_plain_text(client: Any, payload: dict[str, Any]) -> None:
    body = client.post("/score", json=payload).get_json()
    assert body["paragraphs"], body
    assert all(p["start"] is None and p["end"] is None for p in body["paragraphs"])
    _check_paragraph_invariants(body)


def test_paragraphs_input_comes_back_one_for_one(client: Any) -> None:
    body = client.post("/score", json={"paragraphs": PARAGRAPHS, "language": "id"}).get_json()
    assert [p["text"] for p in body["paragraphs"]] == PARAGRAPHS
    assert body["language"] == "id"


def test_signals_fire_on_a_hedged_unsourced_paragraph(client: Any) -> None:
    body = client.post("/score", json={"paragraphs": PARAGRAPHS[:1], "language": "id"}).get_json()
    fired = {s["name"] for s in body["paragraphs"][0]["signals"]}
    assert fired & {"hedging", "vague_attribution"}, body["paragraphs"][0]
    hit = next(s for s in body["paragraphs"][0]["signals"] if s["name"] in {"hedging", "vague_attribution"})
    assert hit["evidence"], "a fired signal shows where it fired"


def test_title_alone_is_a_valid_request(client: Any) -> None:
    response = client.post("/score", json={"title": "Terungkap! 7 fakta mengejutkan soal harga BBM"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["headline"]["text"].startswith("Terungkap")
    assert body["paragraphs"] == []
    assert body["id"] is None


@pytest.mark.parametrize("client_id", ["abc-123", 42, None])
def test_client_id_is_echoed_unchanged(client: Any, client_id: Any) -> None:
    body = client.post("/score", json={"title": "Harga BBM", "id": client_id}).get_json()
    assert body["id"] == client_id


def test_explain_false_is_accepted(client: Any) -> None:
    response = client.post("/score", json={"text": TEXT, "options": {"explain": False}})
    assert response.status_code == 200
    assert len(response.get_json()["paragraphs"]) == len(PARAGRAPHS)


@pytest.mark.parametrize(
    ("header", "kept"),
    [("req-123.abc:9", True), ("bad id with spaces", False), ("x" * 200, False)],
)
def test_request_id_header_is_reused_only_when_safe(client: Any, header: str, kept: bool) -> None:
    response = client.post("/score", json={"title": "Harga BBM"}, headers={"X-Request-ID": header})
    returned = response.headers["X-Request-ID"]
    assert response.get_json()["request_id"] == returned
    assert (returned == header) is kept
    assert returned


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": "a", "html": "<p>a</p>"}, "_schema"),
        ({"text": "a", "paragraphs": ["a"]}, "_schema"),
        ({"title": "x", "unknown": 1}, "unknown"),
        ({"title": "x", "language": "fr"}, "language"),
        ({"title": 5}, "title"),
        ({"paragraphs": "not a list"}, "paragraphs"),
        ({"paragraphs": ["ok", 3]}, "paragraphs"),
        ({"title": "x", "id": True}, "id"),
        ({"title": "x", "id": {"nested": 1}}, "id"),
        ({"title": "x", "options": {"explain": "maybe"}}, "options"),
        ({"title": "x", "options": {"colour": True}}, "options"),
        ({"title": "x", "url": "u" * 3000}, "url"),
    ],
)
def test_invalid_requests_are_422_with_the_field(
    client: Any, error_shape: Callable[..., dict[str, Any]], payload: dict[str, Any], field: str
) -> None:
    error = error_shape(client.post("/score", json=payload), 422, "validation_error")
    assert field in error["details"]["fields"], error


@pytest.mark.parametrize(
    "payload",
    [
        {"paragraphs": ["p"] * 6},
        {"text": "\n".join(["line"] * 6)},
    ],
    ids=["paragraphs", "text-lines"],
)
def test_paragraph_limit(make_app: Callable[..., Flask], error_shape: Callable[..., dict[str, Any]], payload: dict[str, Any]) -> None:
    client = make_app(max_paragraphs=5).test_client()
    error_shape(client.post("/score", json=payload), 422, "validation_error")
    key = next(iter(payload))
    assert client.post("/score", json={key: payload[key][:5] if key == "paragraphs" else "\n".join(["line"] * 5)}).status_code == 200


def test_paragraph_limit_applies_to_html_after_the_split(
    make_app: Callable[..., Flask], error_shape: Callable[..., dict[str, Any]]
) -> None:
    html = "".join(f"<p>Paragraf nomor {i} tentang harga BBM.</p>" for i in range(8))
    error = error_shape(make_app(max_paragraphs=5).test_client().post("/score", json={"html": html}), 422)
    assert error["code"] == "too_many_paragraphs"


# --- options.review: the hook the review storage plugs into ------------------------------------


class RecordingSink:
    def __init__(self, status: Mapping[str, Any] | Exception) -> None:
        self.status = status
        self.calls: list[tuple[Any, Any]] = []

    def __call__(self, payload: Any, result: Any) -> Mapping[str, Any]:
        self.calls.append((payload, result))
        if isinstance(self.status, Exception):
            raise self.status
        return self.status


def test_review_is_absent_unless_requested(app: Flask) -> None:
    sink = RecordingSink({"stored": 1, "deferred": False})
    app.extensions["misinfo"]["review_sink"] = sink
    body = app.test_client().post("/score", json={"text": TEXT}).get_json()
    assert "review" not in body
    assert sink.calls == []


def test_review_request_goes_to_the_sink(app: Flask) -> None:
    sink = RecordingSink({"stored": 2, "deferred": False})
    app.extensions["misinfo"]["review_sink"] = sink
    body = app.test_client().post("/score", json={"text": TEXT, "id": 7, "options": {"review": True}}).get_json()
    assert body["review"] == {"stored": 2, "deferred": False}
    (payload, result), = sink.calls
    assert payload["id"] == 7 and payload["options"]["review"] is True
    assert len(result.paragraphs) == len(body["paragraphs"])


def test_review_without_storage_says_so(app: Flask) -> None:
    app.extensions["misinfo"]["review_sink"] = None
    body = app.test_client().post("/score", json={"text": TEXT, "options": {"review": True}}).get_json()
    assert body["review"]["stored"] == 0
    assert body["review"]["available"] is False


def test_failing_review_storage_does_not_fail_the_score(app: Flask) -> None:
    app.extensions["misinfo"]["review_sink"] = RecordingSink(OSError("disk full"))
    response = app.test_client().post("/score", json={"text": TEXT, "options": {"review": True}})
    assert response.status_code == 200
    assert response.get_json()["review"]["stored"] == 0
    assert "disk full" not in response.get_data(as_text=True)


def test_review_all_flagged_stores_without_the_option(make_app: Callable[..., Flask], scorer: Any) -> None:
    app = make_app(review_all_flagged=True)
    sink = RecordingSink({"stored": 1, "deferred": True})
    app.extensions["misinfo"]["review_sink"] = sink
    body = app.test_client().post("/score", json={"text": TEXT}).get_json()
    assert bool(sink.calls) is body["article"]["flagged"]


# --- the fast renderer stays identical to the schema ------------------------------------------


@pytest.mark.parametrize(
    ("payload", "review_status"),
    [
        ({"title": "Heboh! Harga BBM naik lagi?", "text": TEXT, "id": 3, "url": "https://example.test/a"}, None),
        ({"html": HTML}, {"stored": 2, "deferred": False}),
        ({"paragraphs": PARAGRAPHS, "options": {"explain": False}}, None),
        ({"text": TEXT, "options": {"contributions": True}}, None),
        ({"title": "Harga BBM naik"}, None),
    ],
    ids=["text", "html", "paragraphs-no-explain", "contributions", "title-only"],
)
def test_render_equals_the_schema_dump(scorer: Any, payload: dict[str, Any], review_status: Any) -> None:
    from service.scoring.schemas import ScoreRequestSchema, ScoreResponseSchema
    from service.scoring.service import (
        fix_offsets,
        render_response,
        to_article,
        to_response,
    )

    loaded = ScoreRequestSchema().load(payload)
    result = scorer.score(to_article(loaded), explain=loaded["options"]["explain"])
    expected = fix_offsets(ScoreResponseSchema().dump(to_response(result, loaded, "rid", review_status)), loaded)
    assert render_response(result, loaded, "rid", review_status) == expected
    assert list(render_response(result, loaded, "rid", review_status)) == list(expected)  # same field order


def test_contributions_only_when_asked(client: Any) -> None:
    plain = client.post("/score", json={"text": TEXT}).get_json()
    assert all("contributions" not in p for p in plain["paragraphs"])
    detailed = client.post("/score", json={"text": TEXT, "options": {"contributions": True}}).get_json()
    assert all(isinstance(p["contributions"], list) for p in detailed["paragraphs"])
    assert any(p["contributions"] for p in detailed["paragraphs"])
    for paragraph in detailed["paragraphs"]:
        for item in paragraph["contributions"]:
            assert set(item) == {"feature", "value"} and isinstance(item["value"], float)
