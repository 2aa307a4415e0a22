"""The review store: one engine, its sessions, and the schema brought up lazily.

Lazily, because the database may be down when the service starts: /score must
still come up and answer, and the spool holds the writes until it is back.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from .db import make_engine, migrate, session_factory

log = logging.getLogger(__name__)


class StorageUnavailableError(RuntimeError):
    """The review database cannot be opened (path unusable, server absent, ...)."""


class ReviewStore:
    """Engine + session factory for the review tables; migrates on first use."""

    def __init__(self, url: str, *, timeout: float = 2.0, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine if engine is not None else make_engine(url, timeout=timeout)
        self._sessions = session_factory(self.engine)
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def ensure_schema(self) -> None:
        """Run pending migrations once per process; raises if the database is unreachable."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if not self._schema_ready:
                try:
                    migrate(self.engine)
                except OSError as exc:  # e.g. the SQLite directory cannot be created
                    raise StorageUnavailableError(f"review database unavailable: {exc}") from exc
                self._schema_ready = True

    def try_ensure_schema(self) -> bool:
        try:
            self.ensure_schema()
        except Exception as exc:  # noqa: BLE001 - the database may be down at start-up: say so and go on
            log.warning("review database not ready yet (%s: %s); writes will be spooled", type(exc).__name__, exc)
            return False
        return True

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on any error."""
        self.ensure_schema()
        with self._sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def read_session(self) -> Iterator[Session]:
        self.ensure_schema()
        with self._sessions() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
