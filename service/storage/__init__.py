"""Storage of the moderator review loop: queue tables, migrations, repository, durable spool.

``service/`` code uses this package; ``model/`` and ``training/`` never do.
"""
from __future__ import annotations

from .db import make_engine, migrate
from .sink import ReviewSink
from .spool import DurableSpool
from .store import ReviewStore, StorageUnavailableError

__all__ = ["DurableSpool", "ReviewSink", "ReviewStore", "StorageUnavailableError", "make_engine", "migrate"]
