"""Faults and aggregation across real gunicorn workers: a worker killed mid-load, metrics of all workers."""
from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")]


def test_killed_worker_is_replaced_and_only_in_flight_requests_fail(
    tmp_path: Path, write_artifact: Callable[..., Path], gunicorn_server: Callable[..., Any],
    hammer: Callable[..., Any], wait_for: Callable[..., Any], http: Callable[..., Any],
) -> None:
    model_dir = write_artifact(tmp_path / "model", "v1")
    server = gunicorn_server(workers=2, MISINFO_MODEL_PATH=str(model_dir))
    victim, survivor = server.workers()
    with hammer(server.base, threads=4, max_seconds=40) as load:
        load.wait_for(30)
        with load.lock:
            in_flight_at_kill = load.in_flight
            done_before = len(load.outcomes)
        os.kill(victim, signal.SIGKILL)
        replacement = wait_for(lambda: [p for p in server.workers() if p not in (victim, survivor)], 30)[0]
        load.wait_for(60)
    failures = load.failures()
    assert load.count() > done_before + 50
    # only requests the dead worker was holding can fail, and at most one per client thread in flight
    assert len(failures) <= max(in_flight_at_kill, 1), failures

    # the replacement really serves: with the survivor stopped, every request must go to it
    os.kill(survivor, signal.SIGSTOP)
    try:
        statuses = [http(server.base, "POST", "/score", load.ARTICLE, timeout=20)[0] for _ in range(5)]
    finally:
        os.kill(survivor, signal.SIGCONT)
    assert statuses == [200] * 5
    assert os.path.exists(f"/proc/{replacement}")
    assert server.proc.poll() is None  # the master lives on


def _counter(text: str, metric: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == metric and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def test_metrics_add_up_across_workers(
    tmp_path: Path, write_artifact: Callable[..., Path], gunicorn_server: Callable[..., Any],
    http: Callable[..., Any], scorer: Any,
) -> None:
    """Each worker counts in its own file; /metrics (served by either) reports the sum."""
    model_dir = write_artifact(tmp_path / "model", "v1")
    server = gunicorn_server(workers=2, MISINFO_MODEL_PATH=str(model_dir))
    n = 30
    for _ in range(n):
        assert http(server.base, "GET", "/health")[0] == 200
    files = {f.name for f in (server.tmp / "metrics").iterdir()}
    assert any(str(pid) in name for pid in server.workers() for name in files)
    readings = []
    for _ in range(4):  # scrape a few times: sync workers alternate, each must see the total
        status, headers, body = http(server.base, "GET", "/metrics")
        assert status == 200 and headers["content-type"].startswith("text/plain")
        readings.append(_counter(body.decode(), "misinfo_http_requests_total",
                                 endpoint="meta.health", method="GET", status="200"))
        time.sleep(0.05)
    assert readings == [float(n)] * 4
    text = http(server.base, "GET", "/metrics")[2].decode()
    assert _counter(text, "misinfo_model_info", name=scorer.name, version="v1") == 1.0
