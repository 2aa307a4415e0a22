"""The loaded model, shared by every request of a worker and swappable at run time.

Views call :meth:`ScorerHolder.get` once per request and keep the scorer they
got, so a hot reload (:meth:`ScorerHolder.swap`) never mixes two models in one
response.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # model/__init__ is imported lazily: service start-up stays cheap
    from model import Scorer


class ModelUnavailableError(RuntimeError):
    """No model is loaded (yet): the service answers 503 until one is."""


class ScorerHolder:
    """Thread-safe box around the current scorer."""

    def __init__(self, scorer: Scorer | None = None) -> None:
        self._lock = threading.Lock()
        self._scorer = scorer

    def get(self) -> Scorer:
        """The current scorer; raises ModelUnavailableError when none is loaded."""
        scorer = self._scorer  # a single attribute read is atomic under the GIL
        if scorer is None:
            raise ModelUnavailableError("no model is loaded")
        return scorer

    def peek(self) -> Scorer | None:
        """The current scorer or None (for readiness checks)."""
        return self._scorer

    @property
    def ready(self) -> bool:
        return self._scorer is not None

    def swap(self, new_scorer: Scorer | None) -> Scorer | None:
        """Install ``new_scorer`` and return the previous one (hot reload)."""
        with self._lock:
            old, self._scorer = self._scorer, new_scorer
        return old
