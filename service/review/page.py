"""The moderator page ``/moderate``: server-rendered, no build step, no CDN.

Login takes an API key (checked against the configured keys) and keeps only
the key's name and role in the signed session cookie, never the key. Every
form carries a CSRF token (Flask-WTF's, validated here for this blueprint
only, so the JSON API with bearer keys is unaffected). Templates autoescape;
evidence highlighting escapes each piece itself (see ``highlight.py``).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import generate_csrf, validate_csrf
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from wtforms.validators import ValidationError as CsrfError

from model.types import PARAGRAPH_SIGNALS

from ..auth import ANONYMOUS_ADMIN, Principal, current_principal
from ..errors import ApiError
from ..openapi import doc
from ..settings import ROLES
from ..storage import StorageUnavailableError
from ..storage import repository as repo
from ..storage.models import STATUSES, QueueItem
from .api import storage_down, store
from .highlight import highlight
from .schemas import ReviewListQuerySchema

page_bp = Blueprint(
    "moderate",
    __name__,
    url_prefix="/moderate",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

page_bp.register_error_handler(SQLAlchemyError, storage_down)
page_bp.register_error_handler(StorageUnavailableError, storage_down)

SESSION_KEY = "moderator"
PUBLIC_ENDPOINTS = {"moderate.login", "moderate.static"}


def page_principal() -> Principal | None:
    """Auth off → anonymous; else a bearer key on the request, else the logged-in session."""
    principal = current_principal()
    if principal is not None:
        return principal
    data = session.get(SESSION_KEY)
    if isinstance(data, dict) and data.get("role") in ROLES and isinstance(data.get("name"), str):
        principal = Principal(name=data["name"], role=data["role"])
        g.principal = principal
        return principal
    return None


@page_bp.before_request
def _guard() -> ResponseReturnValue | None:
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
        except CsrfError as exc:
            raise ApiError(400, "csrf_failed", f"the form is stale or forged: {exc}; reload the page") from exc
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    principal = page_principal()
    if principal is None:
        return redirect(url_for("moderate.login", next=request.full_path.rstrip("?")))
    if not principal.has_role("moderator"):
        raise ApiError(403, "forbidden", "this page needs the 'moderator' role", {"role": principal.role})
    return None


@page_bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"csrf_token": generate_csrf, "highlight": highlight}


def _safe_next(target: str | None, default: str) -> str:
    """Only local /moderate paths: a login form must not become an open redirect."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/moderate"):
            return target
    return default


@page_bp.route("/login", methods=["GET", "POST"])
@doc(summary="Moderator login form (API key → session)", tags=["moderate"], responses={200: "text/html"})
def login() -> Any:
    settings = current_app.extensions["misinfo"]["settings"]
    target = _safe_next(request.values.get("next"), url_for("moderate.queue"))
    if not settings.auth:
        return redirect(target)
    error = None
    if request.method == "POST":
        key = current_app.extensions["misinfo"]["keys"].lookup(request.form.get("api_key", "").strip())
        if key is None:
            error = "Unknown API key."
        elif not Principal(key.name, key.role).has_role("moderator"):
            error = "This key does not have the moderator role."
        else:
            session.clear()  # a fresh session (and CSRF token) for a fresh login
            session[SESSION_KEY] = {"name": key.name, "role": key.role}
            session.permanent = True
            return redirect(target)
    return render_template("review/login.html", error=error, next=target), (401 if error else 200)


@page_bp.post("/logout")
def logout() -> ResponseReturnValue:
    session.pop(SESSION_KEY, None)
    return redirect(url_for("moderate.login"))


def _filters() -> tuple[dict[str, Any], list[str]]:
    raw = request.args.to_dict()
    raw.setdefault("status", "pending")  # a moderator's default view is what is left to do
    try:
        return ReviewListQuerySchema().load(raw), []
    except ValidationError as exc:
        problems = [f"{k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in exc.messages.items()]  # type: ignore[union-attr]
        return ReviewListQuerySchema().load({"status": "pending"}), problems


@page_bp.get("")
@doc(summary="The review queue page (HTML)", tags=["moderate"], responses={200: "text/html"})
def queue() -> str:
    filters, problems = _filters()
    raw_status = request.args.get("status", "pending")
    with store().read_session() as db:
        try:
            page = repo.list_items(db, **filters)
        except repo.InvalidCursorError:
            problems.append("the page link is out of date; showing the first page")
            page = repo.list_items(db, **{**filters, "cursor": None})
        counts = repo.counts_by_status(db)
        rows = [(item, item.article) for item in page.items]
    next_args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "cursor"}
    next_args["status"] = raw_status
    return render_template(
        "review/queue.html",
        rows=rows,
        filters=filters,
        raw_status=raw_status,
        problems=problems,
        counts=counts,
        statuses=STATUSES,
        signals=PARAGRAPH_SIGNALS,
        next_url=url_for("moderate.queue", **next_args, cursor=page.next_cursor) if page.next_cursor else None,
        here=request.full_path.rstrip("?"),
    )


def _next_pending(db: Any, after_id: int) -> int | None:
    """The next pending item after this one (wrapping to the oldest), for a moderator working through."""
    query = select(QueueItem.id).where(QueueItem.status == "pending", QueueItem.id != after_id)
    return db.scalar(query.where(QueueItem.id > after_id).order_by(QueueItem.id).limit(1)) or db.scalar(
        query.order_by(QueueItem.id).limit(1)
    )


@page_bp.get("/items/<int:item_id>")
@doc(summary="One queue item with context and the verdict form (HTML)", tags=["moderate"], responses={200: "text/html"})
def item(item_id: int) -> str:
    with store().read_session() as db:
        try:
            found = repo.get_item(db, item_id)
        except repo.NotFoundError as exc:
            raise ApiError(404, "not_found", str(exc), {"item": item_id}) from exc
        before, after = repo.neighbours(found, context=2)
        audit = repo.audit_for(db, item_id)
        next_id = _next_pending(db, item_id)
        article = found.article
    return render_template(
        "review/item.html",
        item=found,
        article=article,
        before=before,
        after=after,
        audit=audit,
        next_id=next_id,
        signals=PARAGRAPH_SIGNALS,
        model_signals=repo.model_signal_names(found),
        here=request.path,
    )


@page_bp.post("/items/<int:item_id>/verdict")
@doc(summary="Record a verdict from the page form (redirects)", tags=["moderate"], responses={303: None})
def verdict(item_id: int) -> ResponseReturnValue:
    choice = request.form.get("verdict", "")
    corrected = request.form.getlist("signals") if request.form.get("correct") else None
    note = request.form.get("note", "").strip()[:2000] or None
    principal = g.principal or ANONYMOUS_ADMIN
    with store().session() as db:
        try:
            repo.record_verdict(db, item_id, verdict=choice, actor=principal.name, corrected_signals=corrected, note=note)
        except repo.NotFoundError as exc:
            raise ApiError(404, "not_found", str(exc), {"item": item_id}) from exc
        except ValueError as exc:
            raise ApiError(422, "validation_error", str(exc), {"verdict": choice}) from exc
        next_id = _next_pending(db, item_id)
    flash(f"#{item_id} {'confirmed' if choice == 'confirm' else 'dismissed'}")
    default = url_for("moderate.item", item_id=next_id) if next_id else url_for("moderate.queue")
    return redirect(_safe_next(request.form.get("next"), default), code=303)
