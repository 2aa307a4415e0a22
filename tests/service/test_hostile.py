"""Hostile input over HTTP: every abuse gets a 4xx in the house error shape, never a 5xx or markup."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from service.openapi import build_spec

#: Endpoints whose JSON bodies are fuzzed below (path parameters filled with a plausible id).
JSON_OPERATIONS = ("/score", "/score/batch", "/admin/reload")


@pytest.fixture
def hostile_app(make_app: Callable[..., Any], tmp_path: Any) -> Any:
    return make_app(database_url=f"sqlite:///{tmp_path / 'review.db'}", spool_dir=str(tmp_path / "spool"))


@pytest.fixture
def hclient(hostile_app: Any) -> Any:
    return hostile_app.test_client()


def all_json_operations(app: Any) -> Iterator[tuple[str, str]]:
    """(method, path) of every documented operation taking a JSON body."""
    spec = build_spec(app)
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if "application/json" in op.get("requestBody", {}).get("content", {}):
                yield method.upper(), path.replace("{", "").replace("}", "")


def test_the_fuzzed_list_covers_the_scoring_and_admin_operations(hostile_app: Any) -> None:
    documented = {path for _, path in all_json_operations(hostile_app)}
    assert set(JSON_OPERATIONS) <= documented


def _assert_client_error(response: Any, error_shape: Callable[..., Any], *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True)[:300])
    return error_shape(response, response.status_code)


@pytest.mark.parametrize("path", JSON_OPERATIONS)
@pytest.mark.parametrize("depth", [10_000, 200_000])
def test_absurdly_deep_json_is_a_400(hclient: Any, error_shape: Callable[..., Any], path: str, depth: int) -> None:
    body = "[" * depth + "]" * depth
    response = hclient.post(path, data=body, content_type="application/json")
    assert _assert_client_error(response, error_shape, 400)["code"] == "invalid_json"


def test_deep_json_inside_a_field_is_a_422(hclient: Any, error_shape: Callable[..., Any]) -> None:
    nested: Any = "x"
    for _ in range(200):
        nested = {"a": [nested]}
    response = hclient.post("/score", json={"title": nested})
    assert _assert_client_error(response, error_shape, 422)["code"] == "validation_error"


@pytest.mark.parametrize("path", JSON_OPERATIONS)
def test_ten_megabyte_body_is_a_413(hclient: Any, error_shape: Callable[..., Any], path: str) -> None:
    body = json.dumps({"title": "x", "text": "a" * (10 * 1024 * 1024)})
    response = hclient.post(path, data=body, content_type="application/json")
    _assert_client_error(response, error_shape, 413)


@pytest.mark.parametrize("path", JSON_OPERATIONS)
@pytest.mark.parametrize(
    "raw",
    [b'{"title": "\xff\xfe broken"}', b'{"title": "\xc3\x28"}', b"\xed\xa0\x80", b'{"title": "ok"}\xff'],
    ids=["bad-bytes", "bad-continuation", "surrogate", "trailing"],
)
def test_invalid_utf8_is_a_400(hclient: Any, error_shape: Callable[..., Any], path: str, raw: bytes) -> None:
    response = hclient.post(path, data=raw, content_type="application/json")
    _assert_client_error(response, error_shape, 400)


@pytest.mark.parametrize(
    "payload",
    [
        {"title": "Judul\x00berita", "paragraphs": ["Satu\x00dua tiga.", "\x00"]},
        {"title": "\x00", "text": "Line one\x00\nLine\x00 two"},
        {"title": "Title", "html": "<p>Body\x00 text</p><p>\x00\x00</p>"},
    ],
    ids=["paragraphs", "text", "html"],
)
def test_nul_bytes_are_scored_or_refused_never_crash(hclient: Any, error_shape: Callable[..., Any],
                                                     payload: dict[str, Any]) -> None:
    response = hclient.post("/score", json=payload)
    if response.status_code != 200:
        _assert_client_error(response, error_shape, 422)
        return
    body = response.get_json()
    assert body["paragraphs"] is not None
    assert all(0.0 <= p["risk"] <= 1.0 for p in body["paragraphs"])


HOSTILE_HTML = (
    "<h1>Harga naik</h1>"
    "<script>alert('pwned-script')</script>"
    "<p>Menurut Budi, harga naik 5 persen.<script>document.cookie='pwned-inline'</script></p>"
    "<iframe src=\"javascript:alert('pwned-iframe')\"></iframe>"
    "<p><a href=\"javascript:alert('pwned-link')\">Klik</a> untuk detail.</p>"
    "<img src=x onerror=\"alert('pwned-img')\">"
    "<style>body{background:url(javascript:alert('pwned-style'))}</style>"
    "<p onclick=\"alert('pwned-attr')\">Sumber menyebut pajak mungkin naik.</p>"
)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_markup_in_html_input_is_never_echoed(hclient: Any) -> None:
    response = hclient.post("/score", json={"title": "<script>alert('pwned-title')</script>", "html": HOSTILE_HTML})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    body = response.get_json()
    texts = [p["text"] for p in body["paragraphs"]]
    assert texts, "the visible paragraphs are scored"
    for text in texts:
        assert "<" not in text and "javascript:" not in text and "pwned" not in text, text
    # attributes, scripts, styles and frames never reach the output, in any field
    for s in _strings({k: v for k, v in body.items() if k != "headline"}):
        assert "pwned" not in s and "javascript:" not in s and "onerror" not in s, s


def test_markup_in_plain_text_stays_text(hclient: Any) -> None:
    """Plain text is text: a literal <script> is returned as characters in JSON, never as a page."""
    response = hclient.post("/score", json={"text": "Ini <script>alert(1)</script> teks biasa.\nBaris kedua."})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "text/html" not in response.headers["Content-Type"]


@pytest.mark.parametrize(
    "payload",
    [
        {"paragraphs": ["x."] * 10_000},
        {"text": "\n".join(["x."] * 10_000)},
        {"html": "<p>x.</p>" * 10_000},
    ],
    ids=["paragraphs", "text-lines", "html-p"],
)
def test_ten_thousand_tiny_paragraphs_are_refused(hclient: Any, error_shape: Callable[..., Any],
                                                  payload: dict[str, Any]) -> None:
    response = hclient.post("/score", json={"title": "t", **payload})
    error = _assert_client_error(response, error_shape, 413, 422)
    assert error["code"] in {"validation_error", "too_many_paragraphs", "input_too_large", "payload_too_large"}


def test_ten_thousand_paragraphs_within_the_limit_are_scored(make_app: Callable[..., Any]) -> None:
    """Raising MISINFO_MAX_PARAGRAPHS really lets a 10,000-paragraph article through."""
    app = make_app(max_paragraphs=10_000, max_body_bytes=2_000_000)
    response = app.test_client().post("/score", json={"title": "t", "paragraphs": [f"x{i}." for i in range(10_000)],
                                                      "options": {"explain": False}})
    if response.status_code == 422:  # the core may have a hard limit of its own
        assert response.get_json()["error"]["code"] == "input_too_large"
    else:
        assert response.status_code == 200
        assert len(response.get_json()["paragraphs"]) == 10_000


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", 5),
        ("title", 1.5),
        ("text", 12345),
        ("html", True),
        ("paragraphs", [1, 2, 3]),
        ("paragraphs", "not a list"),
        ("paragraphs", [["nested"]]),
        ("language", 1),
        ("url", 42),
        ("options", {"explain": "yes please"}),
        ("options", 7),
        ("id", 1.25),
        ("id", {"obj": 1}),
    ],
)
def test_numbers_where_strings_belong(hclient: Any, error_shape: Callable[..., Any], field: str, value: Any) -> None:
    response = hclient.post("/score", json={"title": "ok", field: value} if field != "title" else {field: value})
    error = _assert_client_error(response, error_shape, 422)
    assert error["code"] == "validation_error"
    assert field in json.dumps(error["details"]), error


@pytest.mark.parametrize("body", [1, "string", None, [], [{"title": "x"}], True])
def test_non_object_bodies(hclient: Any, error_shape: Callable[..., Any], body: Any) -> None:
    for path in JSON_OPERATIONS:
        response = hclient.post(path, data=json.dumps(body), content_type="application/json")
        _assert_client_error(response, error_shape, 400, 422)
