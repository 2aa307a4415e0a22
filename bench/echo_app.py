"""The baseline of bench/api_throughput.py: bare Flask that echoes the posted JSON.

Same gunicorn settings as the service, no schemas, no model: what the HTTP stack
alone costs.
"""
from __future__ import annotations

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
