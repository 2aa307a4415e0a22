"""Per-caller rate limits (Flask-Limiter) and the request-size limits.

One budget per API key (per client IP when auth is off) shared by every view
marked :func:`rate_limited`; a batch costs one unit per article so that it is
not a way around the limit. Counters live in ``MISINFO_RATE_LIMIT_STORAGE_URI``:
``memory://`` (per worker process, the default) or ``redis://...`` to share them
between workers and hosts. A breach answers 429 with ``Retry-After``
(see :mod:`service.errors`).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits.storage import MemoryStorage

from .auth import current_principal
from .settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger(__name__)


def rate_limited(cost: Callable[[], int] | None = None) -> Callable[[F], F]:
    """Mark a view as drawing from the caller's budget; ``cost`` prices one call (default 1)."""

    def decorator(view: F) -> F:
        view.rate_limit_cost = cost or (lambda: 1)  # type: ignore[attr-defined]
        return view

    return decorator


def _current_view() -> Any:
    return current_app.view_functions.get(request.endpoint or "")


def _exempt() -> bool:
    return not hasattr(_current_view(), "rate_limit_cost")


def _cost() -> int:
    cost_fn = getattr(_current_view(), "rate_limit_cost", None)
    if cost_fn is None:
        return 1
    try:
        return max(1, int(cost_fn()))
    except Exception:  # noqa: BLE001 - a bad body is the view's to report, not the limiter's
        return 1


def rate_limit_key() -> str:
    """The budget a request draws from: its API key, else its client address."""
    settings: Settings = current_app.extensions["misinfo"]["settings"]
    principal = current_principal() if settings.auth else None
    if principal is not None:
        return f"key:{principal.name}"
    return f"ip:{request.remote_addr or 'unknown'}"


class LazyMemoryStorage(MemoryStorage):
    """limits' in-memory storage without its expiry thread.

    The stock MemoryStorage starts a fresh ``threading.Timer`` after every write
    once the previous one has fired (10 ms later), i.e. about one thread per
    request under load, and each ``Thread.start`` waits for the new thread to be
    scheduled: milliseconds on a busy CPU. Counters already expire lazily on
    read (``get``); the timer only frees memory, so this class does that sweep
    inline, at most once per ``SWEEP_EVERY_S``.
    """

    STORAGE_SCHEME = ["misinfo-memory"]  # noqa: RUF012 - limits' registry API
    SWEEP_EVERY_S = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._sweep_lock = threading.Lock()
        self._next_sweep = time.monotonic() + self.SWEEP_EVERY_S

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the timer of the base class
        now = time.monotonic()
        if now < self._next_sweep or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + self.SWEEP_EVERY_S
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        finally:
            self._sweep_lock.release()


def _storage_uri(configured: str) -> str:
    """``memory://`` means our thread-free memory storage; anything else goes to limits as is."""
    return "misinfo-memory://" if configured == "memory://" else configured


def init_limiter(app: Flask, settings: Settings) -> Limiter:
    """Create the app's limiter; body size is capped with Flask's MAX_CONTENT_LENGTH (413)."""
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    limiter = Limiter(
        key_func=rate_limit_key,
        application_limits=[settings.rate_limit],
        application_limits_exempt_when=_exempt,
        application_limits_cost=_cost,
        storage_uri=_storage_uri(settings.rate_limit_storage_uri),
        strategy="fixed-window",
        headers_enabled=False,  # Retry-After is set on 429 only, by service.errors
        swallow_errors=True,  # a broken Redis must not stop scoring: log and serve
        in_memory_fallback_enabled=settings.rate_limit_storage_uri != "memory://",
        key_prefix="misinfo",
        enabled=settings.rate_limit_enabled,
    )
    limiter.init_app(app)
    return limiter
