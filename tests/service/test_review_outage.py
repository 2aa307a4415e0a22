"""/score keeps answering while the review database is locked; the spooled writes land afterwards."""
from __future__ import annotations

import sqlite3
import time

from sqlalchemy import func, select

from service.storage.models import QueueItem

#: Written for this test: risky on purpose so that the test model flags paragraphs.
ARTICLES = [
    ["Sources say the minister may have approved the deal in secret, reportedly for a large fee.",
     "SHOCKING: the deal may double fuel prices, sources say.",
     "The ministry published its annual report on Tuesday."],
    ["Experts believe the company could be hiding losses, according to unnamed sources.",
     "It is said that the regime will never admit it!"],
]


def _count(store) -> int:
    with store.read_session() as session:
        return session.scalar(select(func.count()).select_from(QueueItem))


def test_score_defers_while_locked_and_every_flagged_paragraph_lands_once(make_app, tmp_path):
    app = make_app(database_timeout=0.2)
    store = app.extensions["misinfo"]["review_store"]
    sink = app.extensions["misinfo"]["review_sink"]
    sink.retry_initial, sink.retry_max = 0.1, 0.5
    client = app.test_client()
    locker = sqlite3.connect(tmp_path / "review.db", timeout=0.1, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")  # the database is locked by someone else mid-stream
        flagged = 0
        for n, paragraphs in enumerate(ARTICLES * 2):  # each article twice: the replay must not double it
            response = client.post("/score", json={"id": f"a-{n % 2}", "paragraphs": paragraphs, "language": "en",
                                                   "options": {"review": True}})
            assert response.status_code == 200
            review = response.get_json()["review"]
            assert review["deferred"] is True and review["stored"] == 0
            assert review["flagged"] == sum(p["flagged"] for p in response.get_json()["paragraphs"])
            flagged += review["flagged"] if n < 2 else 0
        assert flagged >= 2, "the test model should flag some of these paragraphs"
        assert sink.spool.pending() == 4
        locker.execute("ROLLBACK")  # the database is back
        deadline = time.monotonic() + 30
        while sink.spool.pending() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sink.spool.pending() == 0
        assert _count(store) == flagged
        answer = client.post("/score", json={"id": "a-0", "paragraphs": ARTICLES[0], "language": "en",
                                             "options": {"review": True}}).get_json()["review"]
        assert answer["deferred"] is False and answer["stored"] == 0 and answer["duplicates"] == answer["flagged"]
    finally:
        locker.close()
        sink.close()
