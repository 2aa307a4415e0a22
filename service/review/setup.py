"""Start-up of the review loop: the store, the spool and the sink /score calls.

Registered in ``service.INIT_HOOKS``; runs once per app (in the gunicorn master
with ``preload_app``), so it opens no connection that a forked worker would share.
"""
from __future__ import annotations

import logging

from flask import Flask

from ..settings import Settings
from ..storage import DurableSpool, ReviewSink, ReviewStore

log = logging.getLogger(__name__)


def init_review(app: Flask, settings: Settings) -> None:
    """Build the review store and sink and hand them to the app."""
    store = ReviewStore(settings.database_url, timeout=settings.database_timeout)
    if store.try_ensure_schema():
        log.info("review storage ready at %s", store.engine.url.render_as_string(hide_password=True))
    store.engine.dispose()  # no pooled connection may cross gunicorn's fork
    sink = ReviewSink(store, DurableSpool(settings.spool_dir))
    ext = app.extensions["misinfo"]
    ext["review_store"] = store
    ext["review_sink"] = sink
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)  # a moderator's shift, not an hour

    @app.before_request
    def _drain_in_this_process() -> None:
        # Threads do not survive fork: each worker starts its own drain thread on first request,
        # which also replays segments a crashed predecessor left behind.
        sink.ensure_started()
