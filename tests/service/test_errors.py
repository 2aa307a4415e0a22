"""Every status the service can answer with comes in the one JSON error shape."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Blueprint, Flask

from service.auth import require_role
from service.errors import ApiError, error_response


class CrashingScorer:
    """A model with a bug: the service must answer 500 without leaking the traceback."""

    name, version, card = "crashing", "0", {}

    def score(self, article: Any, explain: bool = True) -> Any:
        raise RuntimeError("secret internal detail /etc/passwd")

    def smoke_test(self) -> None:
        pass


def _admin_only_app(make_app: Callable[..., Flask], **kw: Any) -> Flask:
    app = make_app(**kw)
    extra = Blueprint("admin_test", __name__)

    @extra.get("/admin-only")
    @require_role("admin")
    def admin_only() -> dict[str, str]:
        return {"ok": "yes"}

    app.register_blueprint(extra)
    return app


ARTICLE = {"title": "A headline typed by an editor", "text": "One line of text.\nAnother line."}

# (status, code, app settings, request) — one row per status of the contract
CASES: list[tuple[int, str, dict[str, Any], Callable[[Any], Any]]] = [
    (400, "invalid_json", {}, lambda c: c.post("/score", data="{not json", content_type="application/json")),
    (400, "invalid_json", {}, lambda c: c.post("/score", data=b"\xff\xfe", content_type="application/json")),
    (401, "unauthorized", {"auth": True, "api_keys": {"k-scorer": "scorer"}}, lambda c: c.post("/score", json=ARTICLE)),
    (
        401,
        "unauthorized",
        {"auth": True, "api_keys": {"k-scorer": "scorer"}},
        lambda c: c.post("/score", json=ARTICLE, headers={"Authorization": "Bearer wrong"}),
    ),
    (
        403,
        "forbidden",
        {"auth": True, "api_keys": {"k-scorer": "scorer"}, "_admin_route": True},
        lambda c: c.get("/admin-only", headers={"Authorization": "Bearer k-scorer"}),
    ),
    (404, "not_found", {}, lambda c: c.get("/no/such/page")),
    (405, "method_not_allowed", {}, lambda c: c.get("/score")),
    (413, "payload_too_large", {"max_body_bytes": 200}, lambda c: c.post("/score", json={"text": "x" * 500})),
    (415, "unsupported_media_type", {}, lambda c: c.post("/score", data="title=x", content_type="text/plain")),
    (415, "unsupported_media_type", {}, lambda c: c.post("/score", data='{"title": "x"}')),
    (422, "validation_error", {}, lambda c: c.post("/score", json={"title": "x", "colour": "red"})),
    (422, "validation_error", {}, lambda c: c.post("/score", json=["not", "an", "object"])),
    (422, "empty_article", {}, lambda c: c.post("/score", json={"text": "   \n  "})),
    (429, "rate_limited", {"rate_limit": "1/minute"}, lambda c: [c.post("/score", json=ARTICLE) for _ in range(2)][-1]),
    (500, "internal_error", {"model": CrashingScorer()}, lambda c: c.post("/score", json=ARTICLE)),
    (
        503,
        "model_unavailable",
        {"model": None, "model_path": "/nonexistent/model", "model_required": False},
        lambda c: c.get("/ready"),
    ),
    (
        503,
        "model_unavailable",
        {"model": None, "model_path": "/nonexistent/model", "model_required": False},
        lambda c: c.post("/score", json=ARTICLE),
    ),
]


@pytest.mark.parametrize(
    ("status", "code", "settings", "send"), CASES, ids=[f"{s}-{c}-{i}" for i, (s, c, _, _) in enumerate(CASES)]
)
def test_every_status_has_the_error_shape(
    make_app: Callable[..., Flask],
    error_shape: Callable[..., dict[str, Any]],
    status: int,
    code: str,
    settings: dict[str, Any],
    send: Callable[[Any], Any],
) -> None:
    settings = dict(settings)
    if settings.pop("_admin_route", False):
        app = _admin_only_app(make_app, **settings)
    else:
        app = make_app(**settings)
    response = send(app.test_client())
    error_shape(response, status, code)
    assert response.headers.get("X-Request-ID")


def test_500_hides_the_internal_detail(make_app: Callable[..., Flask]) -> None:
    response = make_app(model=CrashingScorer()).test_client().post("/score", json=ARTICLE)
    assert response.status_code == 500
    assert "secret internal detail" not in response.get_data(as_text=True)


def test_405_lists_allowed_methods(client: Any, error_shape: Callable[..., dict[str, Any]]) -> None:
    response = client.delete("/score")
    error = error_shape(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
    assert "POST" in error["details"]["allowed_methods"]


def test_401_asks_for_bearer(auth_client: Any) -> None:
    response = auth_client.post("/score", json=ARTICLE)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_429_says_when_to_retry(make_app: Callable[..., Flask], error_shape: Callable[..., dict[str, Any]]) -> None:
    client = make_app(rate_limit="2/minute").test_client()
    statuses = [client.post("/score", json=ARTICLE).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = client.post("/score", json=ARTICLE)
    error_shape(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_422_names_the_field(client: Any, error_shape: Callable[..., dict[str, Any]]) -> None:
    error = error_shape(client.post("/score", json={"title": "x", "language": "fr"}), 422, "validation_error")
    assert "language" in error["details"]["fields"]


def test_api_error_and_helper_share_the_shape(app: Flask) -> None:
    with app.test_request_context():
        response = error_response(409, details={"why": "test"})
        assert response.status_code == 409
        assert response.get_json() == {
            "error": {"status": 409, "code": "conflict", "message": "conflict", "details": {"why": "test"}}
        }
        assert ApiError(418, "teapot", "short and stout").to_dict()["error"]["code"] == "teapot"


def test_deeply_nested_json_is_a_400_not_a_crash(client: Any, error_shape: Callable[..., dict[str, Any]]) -> None:
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/score", data=body, content_type="application/json")
    assert response.status_code in (400, 422)
    error_shape(response, response.status_code)
