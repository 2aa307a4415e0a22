"""/health, /ready, /model, /openapi.json (generated from the schemas) and /docs."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Blueprint, Flask
from marshmallow import Schema, fields

from service.openapi import doc
from service.scoring.schemas import ScoreRequestSchema, ScoreResponseSchema


def test_health(client: Any) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_ready_names_the_model(client: Any, scorer: Any) -> None:
    body = client.get("/ready").get_json()
    assert body == {"status": "ready", "model": {"name": scorer.name, "version": scorer.version}}


def test_ready_follows_the_holder(app: Flask, scorer: Any) -> None:
    client = app.test_client()
    holder = app.extensions["misinfo"]["scorer"]
    assert holder.swap(None) is scorer
    assert client.get("/ready").status_code == 503
    assert client.get("/health").status_code == 200  # alive, just not ready
    holder.swap(scorer)
    assert client.get("/ready").status_code == 200


def test_model_card(client: Any, scorer: Any) -> None:
    body = client.get("/model").get_json()
    assert body["name"] == scorer.name and body["version"] == scorer.version
    assert body["trained_at"] == scorer.card.get("trained_at")
    assert body["metrics"] == (scorer.card.get("metrics") or {})
    assert isinstance(body["card"], dict)


@pytest.fixture
def spec(client: Any) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def test_openapi_lists_every_operation(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path, method in [
        ("/score", "post"),
        ("/score/batch", "post"),
        ("/health", "get"),
        ("/ready", "get"),
        ("/model", "get"),
        ("/openapi.json", "get"),
        ("/docs", "get"),
    ]:
        assert method in paths[path], path


def test_openapi_is_generated_from_the_schemas(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert set(schemas["ScoreRequest"]["properties"]) == set(ScoreRequestSchema().fields)
    assert set(schemas["ScoreResponse"]["properties"]) == set(ScoreResponseSchema().fields)
    assert schemas["ScoreRequest"]["properties"]["language"]["enum"] == ["id", "en", "auto"]
    score = spec["paths"]["/score"]["post"]
    assert score["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ScoreRequest"}
    assert score["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ScoreResponse"}
    for status in ("400", "401", "403", "413", "415", "422", "429", "500", "503"):
        assert score["responses"][status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorResponse"
        }
    assert score["security"] == [{"bearerAuth": []}]
    assert "security" not in spec["paths"]["/health"]["get"]


def test_every_ref_resolves(spec: dict[str, Any]) -> None:
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in spec["components"]["schemas"], ref


def test_other_blueprints_document_themselves(make_app: Callable[..., Flask]) -> None:
    app = make_app()

    class ThingSchema(Schema):
        name = fields.String(required=True)

    extra = Blueprint("things", __name__)

    @extra.put("/things/<int:thing_id>")
    @doc(summary="Replace a thing", tags=["things"], request=ThingSchema, responses={200: ThingSchema}, errors=[404])
    def put_thing(thing_id: int) -> dict[str, Any]:
        return {}

    app.register_blueprint(extra)
    spec = app.test_client().get("/openapi.json").get_json()
    op = spec["paths"]["/things/{thing_id}"]["put"]
    assert op["parameters"][0]["name"] == "thing_id" and op["parameters"][0]["schema"]["type"] == "integer"
    assert "Thing" in spec["components"]["schemas"]
    assert set(op["responses"]) == {"200", "404", "500"}


def test_docs_page_is_self_contained(client: Any, spec: dict[str, Any]) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    for path in spec["paths"]:
        assert f"<code>{path}</code>" in html
    assert "ScoreRequest" in html
    assert "<script" not in html and "src=" not in html and "https://" not in html
