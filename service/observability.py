"""What an operator sees: Prometheus metrics, JSON logs and the request id.

:func:`init_app` gives each app its own :class:`~prometheus_client.CollectorRegistry`
(tests build many apps in one process; a global registry would refuse the second
one). Under gunicorn every worker is a process of its own, so the counters live
in ``PROMETHEUS_MULTIPROC_DIR`` (set by ``service/gunicorn.conf.py`` before
anything imports prometheus_client) and ``/metrics`` aggregates the files of all
workers.

Every log line is one JSON object carrying the request id of the request that
caused it (``null`` outside a request). The id itself is assigned by the app
factory (``g.request_id``: the caller's ``X-Request-ID`` when well formed,
generated otherwise, and echoed in ``X-Request-ID``); this module only reads it.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    request,
)
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from pythonjsonlogger.json import JsonFormatter

from .openapi import doc
from .scorer_holder import ScorerHolder

if TYPE_CHECKING:
    from model import ArticleResult, Scorer

log = logging.getLogger(__name__)

#: Latency buckets (seconds): scoring a long article takes ~0.1-1 s on one core;
#: health checks take well under a millisecond.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: Paragraphs per article: the seeds have 20-60; the limit is MISINFO_MAX_PARAGRAPHS.
PARAGRAPH_BUCKETS = (1, 5, 10, 20, 50, 100, 200, 500, 1000)

#: Label used for requests that matched no route (keeps label cardinality bounded:
#: a scanner hitting random paths must not create a time series per path).
UNMATCHED = "unmatched"


@dataclass(frozen=True)
class Metrics:
    """The app's metric families, all registered in :attr:`registry`."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    scoring_seconds: Histogram
    paragraphs: Counter
    article_paragraphs: Histogram
    flags: Counter
    model_info: Gauge
    reloads: Counter
    queue_depth: Gauge

    @classmethod
    def create(cls) -> Metrics:
        registry = CollectorRegistry(auto_describe=True)
        return cls(
            registry=registry,
            requests=Counter(
                "misinfo_http_requests", "HTTP requests answered, by endpoint, method and status.",
                ["endpoint", "method", "status"], registry=registry,
            ),
            latency=Histogram(
                "misinfo_http_request_duration_seconds", "Time to answer an HTTP request.",
                ["endpoint", "method", "status"], buckets=LATENCY_BUCKETS, registry=registry,
            ),
            scoring_seconds=Histogram(
                "misinfo_scoring_duration_seconds", "Time the model spent scoring one article.",
                ["model_version"], buckets=LATENCY_BUCKETS, registry=registry,
            ),
            paragraphs=Counter(
                "misinfo_paragraphs_scored", "Paragraphs scored, by the kind the model gave them.",
                ["kind", "model_version"], registry=registry,
            ),
            article_paragraphs=Histogram(
                "misinfo_article_paragraphs", "Paragraphs per scored article.",
                buckets=PARAGRAPH_BUCKETS, registry=registry,
            ),
            flags=Counter(
                "misinfo_signal_flags", "Signals raised, per signal (paragraph signals, clickbait, flagged articles).",
                ["signal", "model_version"], registry=registry,
            ),
            model_info=Gauge(
                "misinfo_model_info", "The model being served (value 1) by name and version.",
                ["name", "version"], registry=registry, multiprocess_mode="livemax",
            ),
            reloads=Counter(
                "misinfo_model_reloads", "Hot-reload attempts by trigger and outcome.",
                ["trigger", "outcome"], registry=registry,
            ),
            queue_depth=Gauge(
                "misinfo_review_queue_depth", "Flagged paragraphs waiting for a moderator's verdict (read at scrape time).",
                registry=registry, multiprocess_mode="livemostrecent",
            ),
        )

    def set_model(self, scorer: Scorer | None, previous: Scorer | None = None) -> None:
        """Point ``misinfo_model_info`` at the model now served."""
        if previous is not None and (previous.name, previous.version) != _ident(scorer):
            self.model_info.labels(name=previous.name, version=previous.version).set(0)
        if scorer is not None:
            self.model_info.labels(name=scorer.name, version=scorer.version).set(1)


def _ident(scorer: Scorer | None) -> tuple[str, str] | None:
    return None if scorer is None else (scorer.name, scorer.version)


def multiprocess_dir() -> str | None:
    """The directory shared by gunicorn workers, or None in a single process."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


# --------------------------------------------------------------------------- request id


def current_request_id() -> str | None:
    """The id of the request being handled, None outside a request."""
    if not has_request_context():
        return None
    return g.get("request_id")


# --------------------------------------------------------------------------- logging


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request id (None outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


#: Marks the handler :func:`configure_logging` installs, so that it replaces
#: rather than duplicates it when tests create many apps.
_HANDLER_NAME = "misinfo-json"


def json_formatter() -> JsonFormatter:
    """One JSON object per line: time, level, logger, message, request id, extras."""
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(process)d",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


def configure_logging(level: str = "INFO", stream: Any = None) -> logging.Handler:
    """Route the root logger (and so Flask's, werkzeug's, ours) to one JSON handler on stderr.

    Logging is process-wide by nature; this is idempotent so that each app
    built in a test process replaces the handler instead of adding another.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(json_formatter())
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level)
    json_gunicorn_error_log()
    return handler


def json_gunicorn_error_log() -> None:
    """Give gunicorn's own lines (boot, worker exits, timeouts) the same JSON shape.

    gunicorn builds the handlers of ``gunicorn.error`` itself (and again on
    every SIGHUP), so their formatter is replaced after it did; its access
    lines are JSON already (``service/gunicorn.conf.py``).
    """
    for handler in logging.getLogger("gunicorn.error").handlers:
        handler.setFormatter(json_formatter())
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())


# --------------------------------------------------------------------------- hooks


def metrics_of(app: Flask | None = None) -> Metrics | None:
    """The app's metrics (None when observability is not initialised)."""
    app = app or current_app
    return app.extensions.get("misinfo", {}).get("metrics")


def record_score(result: ArticleResult, seconds: float, app: Flask | None = None) -> None:
    """Count one scored article: time, paragraphs per kind, flags per signal.

    :class:`InstrumentedHolder` calls this for every ``score`` of a scorer
    handed out by the app's holder; cheap (a few counter increments) and never
    raises into the request.
    """
    metrics = metrics_of(app)
    if metrics is not None:
        _record(metrics, result, seconds)


def _record(metrics: Metrics, result: ArticleResult, seconds: float) -> None:
    try:
        version = result.model_version
        metrics.scoring_seconds.labels(model_version=version).observe(seconds)
        metrics.article_paragraphs.observe(len(result.paragraphs))
        kinds: dict[str, int] = {}
        fired: dict[str, int] = {}
        for paragraph in result.paragraphs:
            kinds[paragraph.kind] = kinds.get(paragraph.kind, 0) + 1
            for hit in paragraph.signals:
                fired[hit.name] = fired.get(hit.name, 0) + 1
        if result.headline is not None and result.headline.flagged:
            fired["clickbait"] = fired.get("clickbait", 0) + 1
        if result.flagged:
            fired["article_flagged"] = fired.get("article_flagged", 0) + 1
        for kind, n in kinds.items():
            metrics.paragraphs.labels(kind=kind, model_version=version).inc(n)
        for name, n in fired.items():
            metrics.flags.labels(signal=name, model_version=version).inc(n)
    except Exception:  # metrics must never fail a scoring request
        log.exception("could not record scoring metrics")


class _TimedScorer:
    """The scorer as the views get it: ``score`` is timed and counted, the rest passes through."""

    __slots__ = ("_metrics", "_scorer")

    def __init__(self, scorer: Scorer, metrics: Metrics) -> None:
        self._scorer = scorer
        self._metrics = metrics

    def score(self, *args: Any, **kwargs: Any) -> ArticleResult:
        started = time.perf_counter()
        result = self._scorer.score(*args, **kwargs)
        _record(self._metrics, result, time.perf_counter() - started)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._scorer, name)


class InstrumentedHolder(ScorerHolder):
    """A :class:`ScorerHolder` whose ``get()`` hands out timed scorers.

    So every scoring call of every view is measured without the views knowing
    about metrics; ``peek``/``swap`` still deal in the plain scorer (hot
    reload swaps plain scorers, and they are wrapped on the way out).
    """

    def __init__(self, scorer: Scorer | None, metrics: Metrics) -> None:
        super().__init__(scorer)
        self._metrics = metrics

    def get(self) -> Scorer:
        return _TimedScorer(super().get(), self._metrics)  # type: ignore[return-value]


def _before_request() -> None:
    g.request_started = time.perf_counter()


def _after_request(response: Response) -> Response:
    started = g.get("request_started")
    elapsed = time.perf_counter() - started if started is not None else 0.0
    endpoint = request.endpoint or UNMATCHED
    status = str(response.status_code)
    metrics = metrics_of()
    if metrics is not None and endpoint != "observability.metrics":
        metrics.requests.labels(endpoint=endpoint, method=request.method, status=status).inc()
        metrics.latency.labels(endpoint=endpoint, method=request.method, status=status).observe(elapsed)
    return response


def _pending_review_items(store: Any) -> int:
    """Paragraphs waiting for a verdict, read from the review store."""
    from .storage.repository import counts_by_status

    with store.read_session() as session:
        return int(counts_by_status(session).get("pending", 0))


def _queue_depth(app: Flask) -> int | None:
    """``queue_depth`` callback if one is set, else the review store's pending count."""
    state = app.extensions.get("misinfo", {})
    source: Callable[[], int] | None = state.get("queue_depth")
    if source is None and state.get("review_store") is not None:
        store = state["review_store"]
        source = lambda: _pending_review_items(store)
    if not callable(source):
        return None
    try:
        return int(source())
    except Exception:  # a broken queue must not take /metrics down
        log.warning("review queue depth unavailable", exc_info=True)
        return None


def _current_scorer(app: Flask) -> Scorer | None:
    holder = app.extensions.get("misinfo", {}).get("scorer")
    return holder.peek() if holder is not None else None


bp = Blueprint("observability", __name__)


@bp.get("/metrics")
@doc(summary="Prometheus metrics of the service (all gunicorn workers)", tags=["ops"],
     responses={200: "text/plain"})
def metrics() -> Response:
    """Prometheus text exposition of this app (or of all gunicorn workers)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    m = metrics_of(app)
    assert m is not None  # registered by init_app together with the metrics
    depth = _queue_depth(app)
    if depth is not None:
        m.queue_depth.set(depth)
    m.set_model(_current_scorer(app))
    directory = multiprocess_dir()
    if directory:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        body = generate_latest(registry)
    else:
        body = generate_latest(m.registry)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask, settings: Any = None) -> Metrics:
    """Install metrics and JSON logging on ``app``; returns the metrics."""
    state = app.extensions.setdefault("misinfo", {})
    settings = settings if settings is not None else state.get("settings")
    if getattr(settings, "log_json", True):
        configure_logging(getattr(settings, "log_level", "INFO"))
    metrics_obj = Metrics.create()
    state["metrics"] = metrics_obj
    state.setdefault("queue_depth", None)
    metrics_obj.set_model(_current_scorer(app))
    holder = state.get("scorer")
    if isinstance(holder, ScorerHolder) and not isinstance(holder, InstrumentedHolder):
        state["scorer"] = InstrumentedHolder(holder.peek(), metrics_obj)
    # first, so that the latency includes auth and rate limiting
    app.before_request_funcs.setdefault(None, []).insert(0, _before_request)
    app.after_request(_after_request)
    app.register_blueprint(bp)
    return metrics_obj
