"""The moderator review loop over HTTP: the queue API (``/review``) and the page (``/moderate``).

Wired into the app factory by ``service.INIT_HOOKS`` (``init_review``: store,
spool and the sink /score calls) and ``service.BLUEPRINTS`` (``bp``, ``page_bp``).
"""
from __future__ import annotations

from .api import bp
from .page import page_bp
from .setup import init_review

__all__ = ["bp", "init_review", "page_bp"]
