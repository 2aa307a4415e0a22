"""HTTP service over the scoring core: ``gunicorn 'service:create_app()'``.

The app is built by :func:`create_app` only (no module-level app): settings are
read once from ``MISINFO_*`` variables, the model is loaded once (before the
gunicorn workers fork, with ``preload_app``) and handed to the views through
``app.extensions["misinfo"]``:

- ``settings``: :class:`service.settings.Settings`
- ``scorer``: :class:`service.scorer_holder.ScorerHolder` (``.get()``, ``.swap()``)
- ``keys``: :class:`service.auth.KeyStore`
- ``limiter``: the Flask-Limiter instance
- ``review_sink``: callable(request payload, ArticleResult) → status dict, or None
"""
from __future__ import annotations

import importlib
import logging
import random
import re
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, request

from .auth import KeyStore
from .errors import register_error_handlers
from .limits import init_limiter
from .scorer_holder import ScorerHolder
from .settings import Settings

if TYPE_CHECKING:
    from model import Scorer

__all__ = ["Settings", "create_app"]

log = logging.getLogger(__name__)

#: Blueprints, one line per concern: "module:attribute" of a flask.Blueprint.
BLUEPRINTS: tuple[str, ...] = (
    "service.meta:bp",
    "service.scoring:bp",
    "service.ops:bp",
    "service.review:bp",
    "service.review:page_bp",
)

#: Start-up hooks, one line per concern: "module:function" called as function(app, settings)
#: after the core is set up and before the blueprints are registered (metrics, storage, ...).
INIT_HOOKS: tuple[str, ...] = (
    "service.observability:init_app",
    "service.review:init_review",
)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def _resolve(target: str) -> Any:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def load_model(settings: Settings) -> Scorer | None:
    """Load and smoke-test the model; None (logged) if it fails and the model is optional."""
    try:
        # imported here: importing `service` must stay cheap
        from model import load_scorer

        scorer = load_scorer(settings.model_path) if settings.model_path else load_scorer()
        scorer.smoke_test()
        warm_up(scorer)
    except Exception:
        if settings.model_required:
            raise
        log.exception("model could not be loaded; serving 503 until one is (MISINFO_MODEL_REQUIRED=off)")
        return None
    log.info("loaded model %s %s", scorer.name, scorer.version)
    return scorer


def warm_up(scorer: Scorer) -> None:
    """Score a tiny article of each input kind so lazily built parts (the language detector
    took 0.4 s) are built once in the gunicorn master, not in every worker's first request."""
    from model.types import Article

    for article in (
        Article(title="Warm-up headline", text="A first line.\nA second line.", language="auto"),
        Article(html="<p>Paragraf pertama.</p><p>Paragraf kedua.</p>", language="auto"),
        Article(paragraphs=["One.", "Two."], language="auto"),
    ):
        scorer.score(article, explain=True)


def _assign_request_id() -> None:
    candidate = request.headers.get("X-Request-ID", "")
    # random (reseeded in every forked worker) rather than uuid4: os.urandom costs a syscall per request
    g.request_id = candidate if _REQUEST_ID.match(candidate) else f"{random.getrandbits(128):032x}"


def _echo_request_id(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id") or ""
    return response


def create_app(settings: Settings | None = None, scorer: Scorer | None = None) -> Flask:
    """Build the service; tests pass their own settings and a tiny ``scorer``."""
    settings = settings if settings is not None else Settings.from_env()
    logging.getLogger("service").setLevel(settings.log_level)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.secret_key
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the contract's field order
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Indonesian quotes stay readable
    app.extensions["misinfo"] = {
        "settings": settings,
        "scorer": ScorerHolder(scorer if scorer is not None else load_model(settings)),
        "keys": KeyStore(settings.api_keys),
        "review_sink": None,
        "openapi": None,
    }
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
    register_error_handlers(app)
    app.extensions["misinfo"]["limiter"] = init_limiter(app, settings)
    for hook in INIT_HOOKS:
        _resolve(hook)(app, settings)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(_resolve(blueprint))
    return app
