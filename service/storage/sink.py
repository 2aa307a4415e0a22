"""The review sink that /score calls: write flagged paragraphs now, or spool them.

``sink(request_payload, article_result)`` returns a small dict that /score puts
in its response. When the database is down or locked the write goes to the
durable spool, the answer says ``"deferred": true``, and a background thread
retries with exponential backoff until every spooled record has landed.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

from model.types import ArticleResult

from .repository import build_submission, enqueue
from .spool import DurableSpool
from .store import ReviewStore

log = logging.getLogger(__name__)

#: First retry delay after a failed drain, and the ceiling the doubling stops at (seconds).
#: Short enough that a moderator sees spooled items soon after the database returns,
#: long enough not to hammer a database that is restarting.
RETRY_INITIAL = 0.5
RETRY_MAX = 30.0


class ReviewSink:
    """Callable ``(payload, ArticleResult) -> {"flagged", "stored", "deferred", ...}``."""

    def __init__(
        self,
        store: ReviewStore,
        spool: DurableSpool,
        *,
        retry_initial: float = RETRY_INITIAL,
        retry_max: float = RETRY_MAX,
    ) -> None:
        self.store = store
        self.spool = spool
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._thread_pid: int | None = None
        self._start_lock = threading.Lock()

    # -- the write path --

    def write(self, submission: Mapping[str, Any]) -> dict[str, int]:
        """Store one submission now (raises if the database cannot take it)."""
        with self.store.session() as session:
            return enqueue(session, submission).as_dict()

    def __call__(self, payload: Mapping[str, Any], result: ArticleResult) -> dict[str, Any]:
        submission = build_submission(payload, result)
        flagged = len(submission["flagged"])
        if not flagged:
            return {"flagged": 0, "stored": 0, "deferred": False}
        self.ensure_started()
        # While older records wait in the spool, newer ones queue behind them so they land in order.
        if not self.spool.has_pending():
            try:
                outcome = self.write(submission)
            except Exception as exc:  # noqa: BLE001 - down, locked, timed out, whatever: never lose the write
                log.warning("review write deferred to spool (%s: %s)", type(exc).__name__, exc)
            else:
                return {
                    "flagged": flagged,
                    "stored": outcome["created"] + outcome["updated"],
                    "duplicates": outcome["unchanged"] + outcome["already_decided"],
                    "deferred": False,
                }
        self.spool.append(submission)
        self._wake.set()
        return {"flagged": flagged, "stored": 0, "duplicates": 0, "deferred": True}

    # -- the drain thread --

    def drain_once(self) -> int:
        """Replay the spool into the database once; raises while the database is unavailable."""
        return self.spool.drain(self.write)

    def ensure_started(self) -> None:
        """Start the drain thread in this process (again after a fork: threads don't survive it)."""
        if self._thread is not None and self._thread.is_alive() and self._thread_pid == os.getpid():
            return
        with self._start_lock:
            if self._thread is not None and self._thread.is_alive() and self._thread_pid == os.getpid():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="review-spool-drain", daemon=True)
            self._thread_pid = os.getpid()
            self._thread.start()

    def _run(self) -> None:
        delay = self.retry_initial
        while not self._stop.is_set():
            if not self.spool.has_pending():
                self._wake.wait(timeout=self.retry_max)
                self._wake.clear()
                continue
            try:
                applied = self.drain_once()
            except Exception as exc:  # noqa: BLE001 - keep retrying until the database takes it
                log.info("spool drain failed (%s); retrying in %.1fs", type(exc).__name__, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, self.retry_max)
                continue
            if applied:
                log.info("spool drained: %d review records landed", applied)
            delay = self.retry_initial

    def close(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread_pid == os.getpid():
            self._thread.join(timeout)
        self.spool.close()
