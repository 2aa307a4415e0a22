"""The baseline of bench/api_throughput.py: bare Flask that echoes the posted JSON.

Same gunicorn settings as the service, no schemas, no model: what the HTTP stack
alone costs.
"""
from __future__ import annotations

from typing import cast

from flask import Flask, Response, jsonify, request


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/score")
    def echo() -> Response:
        return jsonify(request.get_json())

    @app.get("/ready")
    def ready() -> Response:
        return jsonify({"status": "ready"})

    return app


def create_memoized_service() -> Flask:
    """The real service with the model's cost taken out: each distinct article is scored once,
    then its result is reused. Benchmarks the HTTP/schema/auth/limit layer alone
    (``--app 'bench.echo_app:create_memoized_service()'``); never a production setting."""
    from model import Article, ArticleResult, Scorer, load_scorer
    from service import create_app
    from service.settings import Settings

    settings = Settings.from_env()
    real = load_scorer(settings.model_path) if settings.model_path else load_scorer()

    class Memoized:
        name, version, card = real.name, real.version, real.card

        def __init__(self) -> None:
            self.results: dict[Article, ArticleResult] = {}

        def score(self, article: Article, explain: bool = True) -> ArticleResult:
            key = Article(article.title, article.text, article.html, None, article.language)
            if article.paragraphs is not None or key not in self.results:
                result = real.score(article, explain=explain)
                if article.paragraphs is not None:
                    return result
                self.results[key] = result
            return self.results[key]

    return create_app(settings, scorer=cast("Scorer", Memoized()))
