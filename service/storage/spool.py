"""Durable local spool: review writes that the database could not take right now.

Records are JSON lines appended to segment files in a spool directory, each
append flushed and fsync'd before /score answers, so a crash after the answer
loses nothing. A drain (run by :class:`~service.storage.sink.ReviewSink`'s
background thread) replays closed segments into the database and deletes a
segment only once every record in it has landed. Replays are idempotent
(the queue upserts by article and paragraph), so a segment that failed half
way is simply replayed whole.

Several gunicorn workers may share one spool directory: a process appends
only to its own segments (its pid is in the name) and drains its own
segments and those of processes that no longer exist, holding an exclusive
``flock`` on a segment while draining it.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

SUFFIX = ".jsonl"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DurableSpool:
    """Append-only JSONL segments in ``directory``; see the module docstring."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)  # created on the first append: most processes never spool
        self._lock = threading.Lock()
        self._handle: IO[str] | None = None
        self._seq = 0

    # -- writing --

    def _segment_name(self) -> str:
        self._seq += 1
        # time first so that names sort in write order across processes
        return f"{time.time_ns():020d}-{os.getpid()}-{self._seq:06d}{SUFFIX}"

    def append(self, record: dict[str, Any]) -> None:
        """Write one record durably (flushed and fsync'd) before returning."""
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            if self._handle is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                # kept open across appends (closed by _rotate), hence no context manager
                self._handle = open(self.directory / self._segment_name(), "a", encoding="utf-8")  # noqa: SIM115
                _fsync_dir(self.directory)
            self._handle.write(line)
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def _rotate(self) -> None:
        """Close the segment being written so the drain can take it (caller holds the lock)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    # -- reading --

    def segments(self) -> list[Path]:
        return sorted(self.directory.glob(f"*{SUFFIX}"))

    def _drainable(self) -> list[Path]:
        mine = os.getpid()
        result = []
        for path in self.segments():
            try:
                owner = int(path.name.split("-")[1])
            except (IndexError, ValueError):
                owner = -1  # not our naming: treat as orphaned
            if owner == mine or owner < 0 or not _pid_alive(owner):
                result.append(path)
        return result

    def pending(self) -> int:
        """How many records wait in segments this process may drain."""
        count = 0
        for path in self._drainable():
            try:
                with open(path, encoding="utf-8") as handle:
                    count += sum(1 for line in handle if line.strip())
            except FileNotFoundError:
                continue
        return count

    def has_pending(self) -> bool:
        return bool(self._drainable())

    @staticmethod
    def _records(handle: IO[str], path: Path) -> Iterator[dict[str, Any]]:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                # Only a torn last line after a crash mid-write can look like this; its
                # /score call never answered, so the client did not get a promise for it.
                log.error("spool %s line %d is not JSON; skipped", path.name, number)

    def drain(self, apply: Callable[[dict[str, Any]], object]) -> int:
        """Replay every drainable segment through ``apply``; return records applied.

        Stops at the first failure (the database is still down) and leaves the
        segment in place; the exception propagates to the caller's retry loop.
        """
        with self._lock:
            self._rotate()
            # Snapshot under the lock: segments opened after this belong to the next drain.
            paths = self._drainable()
        applied = 0
        for path in paths:
            try:
                handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed by the `with handle` below
            except FileNotFoundError:  # another process drained it meanwhile
                continue
            with handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                if not path.exists():
                    continue
                for record in self._records(handle, path):
                    apply(record)
                    applied += 1
                path.unlink()
                _fsync_dir(self.directory)
        return applied

    def close(self) -> None:
        with self._lock:
            self._rotate()
