"""Property-based hostile input: the request schemas and the endpoints over arbitrary JSON (hypothesis).

The properties: a schema either loads or raises marshmallow's ValidationError
(nothing else); an endpoint answers 200 or a 4xx in the house error shape
(never a 5xx), and a 200 is a well-formed score.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from service.ops import ReloadRequestSchema
from service.scoring.schemas import BatchRequestSchema, ScoreRequestSchema

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
any_json = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
hostile_text = st.lists(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
    | st.sampled_from(["\x00", "<script>alert(1)</script>", "</p>", "\n", "\u202e", "javascript:", "&amp;"]),
    max_size=8,
).map("".join)
#: Payloads shaped like a score request, with wrong and hostile values where a CMS would put strings.
score_like = st.fixed_dictionaries(
    {},
    optional={
        "title": st.none() | hostile_text | any_json,
        "text": st.none() | hostile_text | any_json,
        "html": st.none() | hostile_text.map(lambda t: f"<p>{t}</p>") | any_json,
        "paragraphs": st.none() | st.lists(hostile_text, max_size=8) | any_json,
        "language": st.sampled_from(["id", "en", "auto", "fr", "", None, 1]),
        "id": any_json,
        "url": st.none() | hostile_text | any_json,
        "options": st.fixed_dictionaries({}, optional={"explain": any_json | st.booleans(),
                                                      "review": st.just(False) | any_json}) | any_json,
        "unexpected": any_json,
    },
)


@SETTINGS
@given(payload=any_json | score_like)
def test_score_schema_loads_or_refuses(payload: Any) -> None:
    try:
        loaded = ScoreRequestSchema(max_paragraphs=500).load(payload)
    except ValidationError as exc:
        assert exc.messages
        return
    assert isinstance(loaded, dict)
    given_inputs = [k for k in ("text", "html", "paragraphs") if loaded.get(k) is not None]
    assert len(given_inputs) <= 1
    assert loaded["language"] in {"id", "en", "auto"}


@SETTINGS
@given(payload=any_json | st.fixed_dictionaries({}, optional={"articles": st.lists(score_like, max_size=3) | any_json}))
def test_batch_schema_loads_or_refuses(payload: Any) -> None:
    try:
        BatchRequestSchema(max_batch=10).load(payload)
    except ValidationError as exc:
        assert exc.messages


@SETTINGS
@given(payload=any_json | st.fixed_dictionaries({}, optional={"dry_run": any_json}))
def test_reload_schema_loads_or_refuses(payload: Any) -> None:
    try:
        loaded = ReloadRequestSchema().load(payload)
    except ValidationError as exc:
        assert exc.messages
        return
    assert set(loaded) == {"dry_run"} and isinstance(loaded["dry_run"], bool)


@pytest.fixture(scope="module")
def prop_client(scorer: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One app for all examples (module scope: hypothesis runs many examples per test)."""
    from service import create_app
    from service.settings import Settings

    tmp = tmp_path_factory.mktemp("props")
    app = create_app(
        Settings.from_env({}, auth=False, rate_limit_enabled=False, database_url=f"sqlite:///{tmp / 'r.db'}",
                          spool_dir=str(tmp / "spool")),
        scorer=scorer,
    )
    app.config["TESTING"] = True
    return app.test_client()


def _check_answer(response: Any, error_shape: Callable[..., Any]) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code != 200:
        error_shape(response, response.status_code)


@SETTINGS
@given(payload=any_json | score_like)
def test_score_endpoint_never_fails_on_arbitrary_json(prop_client: Any, error_shape: Callable[..., Any],
                                                      payload: Any) -> None:
    response = prop_client.post("/score", data=json.dumps(payload), content_type="application/json")
    _check_answer(response, error_shape)
    if response.status_code == 200:
        body = response.get_json()
        assert 0.0 <= body["article"]["risk"] <= 1.0
        for paragraph in body["paragraphs"]:
            assert 0.0 <= paragraph["risk"] <= 1.0
            for signal in paragraph["signals"]:
                for ev in signal["evidence"]:
                    assert 0 <= ev["start"] <= ev["end"] <= len(paragraph["text"])
                    assert paragraph["text"][ev["start"]:ev["end"]] == ev["text"]


@SETTINGS
@given(raw=st.binary(max_size=300))
def test_score_endpoint_never_fails_on_arbitrary_bytes(prop_client: Any, error_shape: Callable[..., Any],
                                                       raw: bytes) -> None:
    response = prop_client.post("/score", data=raw, content_type="application/json")
    _check_answer(response, error_shape)


@SETTINGS
@given(payload=any_json, path=st.sampled_from(["/score/batch", "/admin/reload"]))
def test_other_json_endpoints_never_fail(prop_client: Any, error_shape: Callable[..., Any], payload: Any,
                                         path: str) -> None:
    if path == "/admin/reload" and isinstance(payload, dict) and payload.get("dry_run") is False:
        payload = {**payload, "dry_run": True}  # never swap the shared app's model in a property test
    if path == "/admin/reload" and payload in ({}, None):
        payload = {"dry_run": True}
    response = prop_client.post(path, data=json.dumps(payload), content_type="application/json")
    _check_answer(response, error_shape)
