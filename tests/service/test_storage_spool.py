"""No review write is lost: the durable spool, its replay, and the sink when the database goes away."""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from service.storage import DurableSpool, ReviewSink, ReviewStore
from service.storage import repository as repo
from service.storage.models import QueueItem
from tests.service.conftest import POSTGRES_ENV, _reset_postgres, build_result


def _article(n: int, flagged: int = 2):
    """Article number n: ``flagged`` flagged paragraphs out of flagged + 1."""
    paragraphs = [(f"Article {n} opens calmly.", False, [])]
    paragraphs += [(f"Sources say article {n} part {k} may matter.", True, [("hedging", "may")]) for k in range(flagged)]
    return build_result(paragraphs)


def _item_count(store: ReviewStore) -> int:
    with store.read_session() as session:
        return session.scalar(select(func.count()).select_from(QueueItem))


def _keys(store: ReviewStore) -> list[tuple[str, int]]:
    with store.read_session() as session:
        items = repo.list_items(session, limit=200).items
        return sorted((i.article.key, i.paragraph_index) for i in items)


def _wait(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


# --- the spool on its own --------------------------------------------------------------------


def test_append_is_durable_and_drain_replays_then_deletes(tmp_path):
    spool = DurableSpool(tmp_path / "spool")
    for n in range(3):
        spool.append({"n": n})
    assert spool.pending() == 3
    seen = []
    assert spool.drain(seen.append) == 3
    assert [r["n"] for r in seen] == [0, 1, 2]
    assert spool.segments() == [] and spool.pending() == 0


def test_a_failed_drain_keeps_the_segment_for_the_next_try(tmp_path):
    spool = DurableSpool(tmp_path)
    spool.append({"n": 1})
    spool.append({"n": 2})

    def broken(record):
        raise ConnectionError("database down")

    with pytest.raises(ConnectionError):
        spool.drain(broken)
    assert spool.pending() == 2
    seen = []
    spool.drain(seen.append)
    assert [r["n"] for r in seen] == [1, 2]


def test_a_torn_last_line_is_skipped_not_fatal(tmp_path):
    spool = DurableSpool(tmp_path)
    spool.append({"n": 1})
    spool.close()
    segment = spool.segments()[0]
    with open(segment, "a") as handle:
        handle.write('{"n": 2, "trunc')
    seen = []
    assert spool.drain(seen.append) == 1
    assert seen == [{"n": 1}]


def test_segments_of_a_live_process_are_left_to_it(tmp_path):
    spool = DurableSpool(tmp_path)
    other = subprocess.Popen(["sleep", "30"])
    dead = subprocess.Popen(["true"])
    dead.wait()
    try:
        (tmp_path / f"{1:020d}-{other.pid}-000001.jsonl").write_text(json.dumps({"owner": "live"}) + "\n")
        (tmp_path / f"{2:020d}-{dead.pid}-000001.jsonl").write_text(json.dumps({"owner": "dead"}) + "\n")
        seen = []
        spool.drain(seen.append)
        assert seen == [{"owner": "dead"}]
        assert len(spool.segments()) == 1
    finally:
        other.kill()
        other.wait()


def test_replaying_a_spool_twice_stores_each_paragraph_once(review_store, tmp_path):
    spool = DurableSpool(tmp_path / "spool")
    for n in range(3):
        spool.append(repo.build_submission({"id": f"a-{n}"}, _article(n)))
    spool.close()
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(spool.segments()[0].read_bytes())
    sink = ReviewSink(review_store, spool)
    assert sink.drain_once() == 3
    (tmp_path / "spool" / f"{0:020d}-{os.getpid()}-999999.jsonl").write_bytes(copy.read_bytes())
    assert sink.drain_once() == 3
    assert _item_count(review_store) == 6


# --- the sink when the database is locked or gone --------------------------------------------


def test_sink_writes_directly_when_the_database_is_up(review_store, tmp_path):
    sink = ReviewSink(review_store, DurableSpool(tmp_path / "spool"))
    try:
        first = sink({"id": "a-1"}, _article(1))
        again = sink({"id": "a-1"}, _article(1))
        nothing = sink({}, build_result([("Calm.", False, [])]))
    finally:
        sink.close()
    assert first == {"flagged": 2, "stored": 2, "duplicates": 0, "deferred": False}
    assert again == {"flagged": 2, "stored": 0, "duplicates": 2, "deferred": False}
    assert nothing == {"flagged": 0, "stored": 0, "deferred": False}
    assert _item_count(review_store) == 2


def test_locked_sqlite_defers_to_the_spool_and_every_paragraph_lands_once(tmp_path):
    path = tmp_path / "review.db"
    store = ReviewStore(f"sqlite:///{path}", timeout=0.2)
    store.ensure_schema()
    sink = ReviewSink(store, DurableSpool(tmp_path / "spool"), retry_initial=0.1, retry_max=0.5)
    locker = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    try:
        assert sink({"id": "before"}, _article(0))["deferred"] is False
        locker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        answers = [sink({"id": f"locked-{n}"}, _article(n)) for n in range(1, 6)]
        assert all(a["deferred"] and a["flagged"] == 2 for a in answers)
        time.sleep(0.5)  # the drain thread retries against the lock meanwhile
        assert sink.spool.pending() == 5
        locker.execute("ROLLBACK")
        assert _wait(lambda: sink.spool.pending() == 0)
        assert _wait(lambda: _item_count(store) == 12)
        assert len(set(_keys(store))) == 12
    finally:
        locker.close()
        sink.close()
        store.dispose()


class _TcpProxy:
    """A loopback TCP forwarder that can be killed (dropping every connection) and restarted."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def kill(self) -> None:
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def test_postgres_killed_mid_stream_then_back_loses_nothing(tmp_path):
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"the PostgreSQL outage test needs {POSTGRES_ENV} (set by .ci/setup.d/20-postgres.sh)")
    _reset_postgres(url)
    real = make_url(url)
    proxy = _TcpProxy((real.host or "127.0.0.1", real.port or 5432))
    proxy.start()
    proxied = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    store = ReviewStore(proxied, timeout=1)
    sink = ReviewSink(store, DurableSpool(tmp_path / "spool"), retry_initial=0.1, retry_max=0.5)
    checker = ReviewStore(url)
    try:
        answers = [sink({"id": f"a-{n}"}, _article(n)) for n in range(3)]  # migrates on first write
        assert not any(a["deferred"] for a in answers)
        proxy.kill()  # the database goes away with connections open
        answers = [sink({"id": f"a-{n}"}, _article(n)) for n in range(3, 8)]
        assert all(a["deferred"] for a in answers)
        assert _item_count(checker) == 6
        time.sleep(1.0)  # retries fail meanwhile
        proxy.start()  # same port
        assert _wait(lambda: sink.spool.pending() == 0)
        assert _item_count(checker) == 16
        assert _keys(checker) == sorted((f"id:a-{n}", k) for n in range(8) for k in (1, 2))
        assert sink({"id": "a-9"}, _article(9))["deferred"] is False  # back to direct writes
    finally:
        sink.close()
        store.dispose()
        checker.dispose()
        proxy.kill()


def test_database_down_at_start_up_still_defers_and_lands_later(tmp_path):
    """The schema can't be created while the database is absent: the spool waits for it."""
    blocker = tmp_path / "db-dir"
    blocker.write_text("a file where the database's directory should be")
    store = ReviewStore(f"sqlite:///{blocker}/review.db", timeout=0.2)
    assert store.try_ensure_schema() is False
    sink = ReviewSink(store, DurableSpool(tmp_path / "spool"), retry_initial=0.1, retry_max=0.3)
    try:
        assert sink({"id": "early"}, _article(1))["deferred"] is True
        blocker.unlink()
        blocker.mkdir(exist_ok=True)  # the drain thread may get there first: it creates the directory itself
        assert _wait(lambda: sink.spool.pending() == 0)
        assert _item_count(store) == 2
    finally:
        sink.close()
        store.dispose()
