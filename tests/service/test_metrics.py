"""Prometheus metrics, JSON logs and the request id (service/observability.py), in one process."""
from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.observability import Metrics, configure_logging, metrics_of, record_score


def samples(client: Any) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """GET /metrics parsed: (sample name, labels) → value."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    out = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(table: dict, sample: str, **labels: str) -> float:
    return table.get((sample, frozenset(labels.items())), 0.0)


def test_each_app_has_its_own_registry(make_app: Any) -> None:
    """Two apps in one process do not share (or refuse) metric families."""
    first, second = make_app(), make_app()
    first.test_client().get("/health")
    assert metrics_of(first).registry is not metrics_of(second).registry
    count = value(samples(first.test_client()), "misinfo_http_requests_total",
                  endpoint="meta.health", method="GET", status="200")
    assert count == 1.0
    assert value(samples(second.test_client()), "misinfo_http_requests_total",
                 endpoint="meta.health", method="GET", status="200") == 0.0


@pytest.mark.parametrize(
    ("method", "path", "endpoint", "status"),
    [
        ("GET", "/health", "meta.health", "200"),
        ("GET", "/no/such/path", "unmatched", "404"),
        ("DELETE", "/score", "unmatched", "405"),
        ("POST", "/score", "scoring.score", "415"),
    ],
)
def test_requests_counted_per_endpoint_and_status(client: Any, method: str, path: str, endpoint: str,
                                                  status: str) -> None:
    for _ in range(3):
        assert str(client.open(path, method=method).status_code) == status
    table = samples(client)
    labels = {"endpoint": endpoint, "method": method, "status": status}
    assert value(table, "misinfo_http_requests_total", **labels) == 3.0
    assert value(table, "misinfo_http_request_duration_seconds_count", **labels) == 3.0
    assert value(table, "misinfo_http_request_duration_seconds_bucket", le="+Inf", **labels) == 3.0


def test_unknown_paths_do_not_grow_label_sets(client: Any) -> None:
    """A scanner's random paths must not create a time series each."""
    for n in range(20):
        client.get(f"/probe-{n}")
    names = [key for key in samples(client) if key[0] == "misinfo_http_requests_total"]
    assert all(dict(labels)["endpoint"] in {"unmatched"} for _, labels in names)


def test_model_version_is_a_label(client: Any, scorer: Any) -> None:
    table = samples(client)
    assert value(table, "misinfo_model_info", name=scorer.name, version=scorer.version) == 1.0


def test_record_score_counts_paragraphs_flags_and_time(app: Any, scorer: Any) -> None:
    from model import Article

    result = scorer.score(Article(title="A title", paragraphs=["First paragraph here.", "Second paragraph here."]))
    with app.app_context():
        record_score(result, 0.123)
    table = samples(app.test_client())
    v = scorer.version
    assert value(table, "misinfo_scoring_duration_seconds_count", model_version=v) == 1.0
    assert value(table, "misinfo_scoring_duration_seconds_sum", model_version=v) == pytest.approx(0.123)
    by_kind = {p.kind for p in result.paragraphs}
    assert sum(value(table, "misinfo_paragraphs_scored_total", kind=k, model_version=v) for k in by_kind) == len(
        result.paragraphs
    )
    fired: dict[str, int] = {}
    for paragraph in result.paragraphs:
        for hit in paragraph.signals:
            fired[hit.name] = fired.get(hit.name, 0) + 1
    for name, n in fired.items():
        assert value(table, "misinfo_signal_flags_total", signal=name, model_version=v) == n


def test_record_score_outside_an_app_is_a_no_op(scorer: Any) -> None:
    from flask import Flask

    from model import Article

    bare = Flask("bare")
    with bare.app_context():
        record_score(scorer.score(Article(title="Only a title")), 0.01)  # must not raise


def test_queue_depth_read_at_scrape_time(app: Any) -> None:
    depth = {"n": 7}
    app.extensions["misinfo"]["queue_depth"] = lambda: depth["n"]
    client = app.test_client()
    assert value(samples(client), "misinfo_review_queue_depth") == 7.0
    depth["n"] = 3
    assert value(samples(client), "misinfo_review_queue_depth") == 3.0


def test_broken_queue_depth_does_not_break_metrics(app: Any) -> None:
    def broken() -> int:
        raise RuntimeError("database down")

    app.extensions["misinfo"]["queue_depth"] = broken
    assert app.test_client().get("/metrics").status_code == 200


def test_metrics_names_are_documented() -> None:
    """Every family has help text (the README's metrics list is built from the same names)."""
    m = Metrics.create()
    for family in m.registry.collect():
        assert family.documentation, family.name


# --------------------------------------------------------------------------- request id and logs


def test_request_id_round_trip(client: Any) -> None:
    response = client.get("/health", headers={"X-Request-ID": "cms-42.abc"})
    assert response.headers["X-Request-ID"] == "cms-42.abc"


@pytest.mark.parametrize("bad", ["", "has space", "x" * 300, "quote\"inside", "semi;colon"])
def test_malformed_request_id_replaced(client: Any, bad: str) -> None:
    response = client.get("/health", headers={"X-Request-ID": bad})
    rid = response.headers["X-Request-ID"]
    assert rid and rid != bad and len(rid) <= 128


def test_every_log_line_is_json_with_the_request_id(app: Any) -> None:
    stream = io.StringIO()
    handler = configure_logging("INFO", stream=stream)
    try:
        @app.get("/_log_probe")
        def _probe() -> str:
            logging.getLogger("service.probe").warning("inside the request")
            return "ok"

        app.test_client().get("/_log_probe", headers={"X-Request-ID": "trace-1"})
        logging.getLogger("service.probe").warning("outside any request")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    inside = [r for r in lines if r["message"] == "inside the request"]
    outside = [r for r in lines if r["message"] == "outside any request"]
    assert inside and inside[0]["request_id"] == "trace-1"
    assert inside[0]["level"] == "WARNING" and inside[0]["logger"] == "service.probe"
    assert outside and outside[0]["request_id"] is None
    assert all("request_id" in r and "time" in r for r in lines)


def test_configure_logging_is_idempotent() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        configure_logging("INFO")
        configure_logging("INFO")
        ours = [h for h in root.handlers if h.get_name() == "misinfo-json"]
        assert len(ours) == 1
    finally:
        for h in list(root.handlers):
            if h not in before:
                root.removeHandler(h)


def test_queue_depth_defaults_to_the_review_store(make_app: Any, tmp_path: Any, make_result: Any,
                                                  sample_paragraphs: Any) -> None:
    """Without a callback, the gauge counts the review store's pending paragraphs."""
    app = make_app(database_url=f"sqlite:///{tmp_path / 'review.db'}", spool_dir=str(tmp_path / "spool"))
    client = app.test_client()
    assert value(samples(client), "misinfo_review_queue_depth") == 0.0
    result = make_result(sample_paragraphs)
    status = app.extensions["misinfo"]["review_sink"]({"title": "t", "id": "a-1", "url": None}, result)
    assert status["stored"] > 0, status
    assert value(samples(client), "misinfo_review_queue_depth") == float(status["stored"])


def test_scoring_over_http_is_measured(client: Any, scorer: Any) -> None:
    """The views' scorer is timed: one /score is one scoring observation with its paragraphs and flags."""
    paragraphs = ["Sources say the mayor may resign next week.", "The council met on Monday, the mayor said."]
    response = client.post("/score", json={"title": "Shocking news?", "paragraphs": paragraphs})
    assert response.status_code == 200
    body = response.get_json()
    table = samples(client)
    v = scorer.version
    assert value(table, "misinfo_scoring_duration_seconds_count", model_version=v) == 1.0
    assert value(table, "misinfo_scoring_duration_seconds_sum", model_version=v) > 0.0
    kinds = {p["kind"] for p in body["paragraphs"]}
    assert sum(value(table, "misinfo_paragraphs_scored_total", kind=k, model_version=v) for k in kinds) == 2.0
    for name in {s["name"] for p in body["paragraphs"] for s in p["signals"]}:
        fired = sum(1 for p in body["paragraphs"] for s in p["signals"] if s["name"] == name)
        assert value(table, "misinfo_signal_flags_total", signal=name, model_version=v) == fired


def test_batch_scoring_counts_each_article(client: Any, scorer: Any) -> None:
    article = {"title": "t", "paragraphs": ["One paragraph here."]}
    assert client.post("/score/batch", json={"articles": [article, article, article]}).status_code == 200
    assert value(samples(client), "misinfo_scoring_duration_seconds_count", model_version=scorer.version) == 3.0


def test_instrumented_holder_still_swaps_plain_scorers(app: Any, scorer: Any) -> None:
    from service.observability import InstrumentedHolder

    holder = app.extensions["misinfo"]["scorer"]
    assert isinstance(holder, InstrumentedHolder)
    assert holder.peek() is scorer
    assert holder.get().version == scorer.version and holder.get().name == scorer.name
    assert holder.swap(None) is scorer
    holder.swap(scorer)
