"""OpenAPI document generated from the marshmallow schemas (apispec), and the /docs page.

How a blueprint documents a view (the one way to do it)::

    from service.openapi import doc

    @bp.post("/things")
    @doc(summary="Create a thing", tags=["things"], request=ThingSchema,
         responses={201: ThingSchema}, errors=[409])
    @require_role("moderator")
    def create_thing(): ...

``doc`` only attaches metadata to the view function; :func:`build_spec` walks
the app's URL map when ``/openapi.json`` is first requested, so every
registered blueprint is included, whatever its registration order. Error
responses use the common error envelope; 401/403 are added for views
protected by :func:`service.auth.require_role`, 500 for every view.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from html import escape
from typing import Any, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema

from .errors import STATUS_CODES, ErrorResponseSchema

F = TypeVar("F", bound=Callable[..., Any])

SchemaRef = type[Schema] | Schema | None

_RULE_ARG = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_CONVERTER_TYPES = {"int": "integer", "float": "number", "path": "string", "string": "string", "uuid": "string"}


def doc(
    *,
    summary: str,
    description: str | None = None,
    tags: Iterable[str] = (),
    request: SchemaRef = None,
    request_content_type: str = "application/json",
    responses: Mapping[int, SchemaRef | str] | None = None,
    errors: Iterable[int] = (),
    parameters: Iterable[Mapping[str, Any]] = (),
) -> Callable[[F], F]:
    """Attach OpenAPI metadata to a view; ``responses`` maps status → schema or media type."""

    def decorator(view: F) -> F:
        view.openapi = {  # type: ignore[attr-defined]
            "summary": summary,
            "description": description or (view.__doc__ or "").strip() or None,
            "tags": list(tags),
            "request": request,
            "request_content_type": request_content_type,
            "responses": dict(responses or {200: None}),
            "errors": sorted(set(errors)),
            "parameters": list(parameters),
        }
        return view

    return decorator


def _flask_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for match in _RULE_ARG.finditer(rule):
        params.append(
            {
                "name": match["name"],
                "in": "path",
                "required": True,
                "schema": {"type": _CONVERTER_TYPES.get(match["converter"] or "string", "string")},
            }
        )
    return _RULE_ARG.sub(lambda m: "{" + m["name"] + "}", rule), params


def _response(status: int, target: SchemaRef | str) -> dict[str, Any]:
    description = STATUS_CODES.get(status, "OK" if status < 300 else "error").replace("_", " ")
    if status < 300:
        description = "OK" if status == 200 else description
    if target is None:
        return {"description": description}
    if isinstance(target, str):  # a media type without a schema (HTML page, ...)
        return {"description": description, "content": {target: {"schema": {"type": "string"}}}}
    return {"description": description, "content": {"application/json": {"schema": target}}}


def build_spec(app: Flask, *, title: str = "misinfo-risk", version: str = "1") -> dict[str, Any]:
    """The OpenAPI 3 document of every documented view of ``app``."""
    spec = APISpec(
        title=title,
        version=version,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Misinformation-risk scoring for news articles. Errors share one JSON shape (ErrorResponse)."},
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    spec.components.schema("ErrorResponse", schema=ErrorResponseSchema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        meta = getattr(view, "openapi", None)
        if meta is None:
            continue
        path, params = _flask_path(rule.rule)
        role = getattr(view, "required_role", None)
        operations: dict[str, Any] = {}
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        for method in methods:
            op_id = rule.endpoint.replace(".", "_") + ("" if len(methods) == 1 else "_" + method.lower())
            op: dict[str, Any] = {
                "summary": meta["summary"],
                "operationId": op_id,
                "tags": meta["tags"],
                "responses": {str(s): _response(s, t) for s, t in meta["responses"].items()},
            }
            if meta["description"]:
                op["description"] = meta["description"]
            if params or meta["parameters"]:
                op["parameters"] = params + meta["parameters"]
            if meta["request"] is not None:
                op["requestBody"] = {
                    "required": True,
                    "content": {meta["request_content_type"]: {"schema": meta["request"]}},
                }
            error_statuses = set(meta["errors"]) | {500}
            if role is not None:
                op["security"] = [{"bearerAuth": []}]
                op["description"] = (op.get("description") or "") + f"\n\nRequires the `{role}` role (or stronger)."
                error_statuses |= {401, 403}
            for status in sorted(error_statuses):
                op["responses"][str(status)] = _response(status, ErrorResponseSchema)
            operations[method.lower()] = op
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def render_docs(spec: Mapping[str, Any]) -> str:
    """A self-contained HTML page listing the operations (no CDN, no script)."""
    rows = []
    for path, operations in spec.get("paths", {}).items():
        for method, op in operations.items():
            request = op.get("requestBody", {}).get("content", {})
            req_txt = ", ".join(
                f"{escape(mt)}: {escape(_ref_name(body.get('schema', {})))}" for mt, body in request.items()
            )
            responses = ", ".join(
                f"{escape(code)} {escape(_response_label(r))}" for code, r in op.get("responses", {}).items()
            )
            auth = "bearer" if op.get("security") else "none"
            desc = escape(op.get("description") or "").replace("\n\n", "<br>")
            rows.append(
                f"<tr><td><code class=m>{escape(method.upper())}</code></td><td><code>{escape(path)}</code></td>"
                f"<td><b>{escape(op.get('summary', ''))}</b><br><small>{desc}</small></td>"
                f"<td>{req_txt or '-'}</td><td>{responses}</td><td>{auth}</td></tr>"
            )
    schemas = "".join(
        f"<details><summary><code>{escape(name)}</code></summary><pre>{escape(_pretty(schema))}</pre></details>"
        for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items())
    )
    info = spec.get("info", {})
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(info.get('title', 'API'))} API</title>
<style>
body{{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}}
code.m{{font-weight:bold}}pre{{background:#f6f6f6;padding:.6rem;overflow:auto}}
</style></head><body>
<h1>{escape(info.get('title', 'API'))} <small>v{escape(str(info.get('version', '')))}</small></h1>
<p>{escape(info.get('description', ''))} Machine-readable document: <a href="openapi.json">openapi.json</a>.</p>
<table><thead><tr><th>method</th><th>path</th><th>what</th><th>request</th><th>responses</th><th>auth</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<h2>Schemas</h2>{schemas}
</body></html>"""


def _response_label(response: Mapping[str, Any]) -> str:
    """Schema name of a response, else its description."""
    for media in response.get("content", {}).values():
        name = _ref_name(media.get("schema", {}))
        if name:
            return name
    return str(response.get("description", ""))


def _ref_name(schema: Mapping[str, Any]) -> str:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else str(schema.get("type", ""))


def _pretty(schema: Any) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False)
