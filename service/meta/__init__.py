"""Operational endpoints: /health, /ready, /model, /openapi.json, /docs."""
from .views import bp

__all__ = ["bp"]
