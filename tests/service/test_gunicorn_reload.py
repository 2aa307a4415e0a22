"""Hot reload across gunicorn workers, under load: SIGHUP to the master and POST /admin/reload.

Each test starts gunicorn (2 workers, preload) on a free loopback port with the
tiny test model saved as a checked artifact, hammers /score from client threads
(bounded in time and count) and swaps artifacts underneath. Zero failed requests
is the bar: a reload must never drop one.
"""
from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")]


def _metrics(http: Callable[..., Any], base: str) -> str:
    status, _, body = http(base, "GET", "/metrics")
    assert status == 200
    return body.decode()


def _all_serve(hammer: Any, version: str, wait_for: Callable[..., Any]) -> None:
    """Wait until every response of a fresh window reports ``version`` (all workers switched)."""

    def settled() -> bool:
        start = time.monotonic()
        hammer.wait_for(20)
        return hammer.versions_since(start) == {version}

    wait_for(settled, timeout=40, interval=0.2)


def test_sighup_swaps_every_worker_without_dropping_requests(
    tmp_path: Path, write_artifact: Callable[..., Path], gunicorn_server: Callable[..., Any],
    hammer: Callable[..., Any], wait_for: Callable[..., Any], http: Callable[..., Any],
) -> None:
    model_dir = write_artifact(tmp_path / "model", "v1")
    server = gunicorn_server(workers=2, MISINFO_MODEL_PATH=str(model_dir))
    first_generation = set(server.workers())
    with hammer(server.base, threads=4, max_seconds=50) as load:
        load.wait_for(20)
        assert load.versions_since(0) == {"v1"}

        # good artifact: every worker ends up on v2
        write_artifact(model_dir, "v2")
        server.proc.send_signal(signal.SIGHUP)
        _all_serve(load, "v2", wait_for)
        wait_for(lambda: not (set(server.workers()) & first_generation) and len(server.workers()) == 2, 30)
        second_generation = set(server.workers())

        # tampered artifact: refused in the master, workers recycled on the old model
        write_artifact(model_dir, "v3", tamper=True)
        server.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "REFUSED" in server.log(), 30)
        wait_for(lambda: not (set(server.workers()) & second_generation) and len(server.workers()) == 2, 30)
        mark = time.monotonic()
        load.wait_for(20)
        assert load.versions_since(mark) == {"v2"}
    assert load.count() > 60
    assert load.failures() == []
    lines = [json.loads(line) for line in server.log().splitlines() if line.strip()]  # every line is JSON
    assert all("request_id" in line and "level" in line for line in lines)
    assert sum("Hang up" in line["message"] for line in lines) == 2  # gunicorn's own lines too, after a SIGHUP
    refusal = next(line for line in lines if "REFUSED" in line["message"])
    assert refusal["level"] == "ERROR" and refusal["reason"] == "artifact_integrity"
    assert "v3" not in json.dumps(refusal["serving"]) and refusal["serving"]["version"] == "v2"
    metrics = _metrics(http, server.base)
    assert 'version="v2"} 1.0' in metrics.split("misinfo_model_info", 1)[1].split("# HELP", 1)[0]
    assert 'misinfo_model_reloads_total{outcome="swapped",trigger="sighup"} 1.0' in metrics
    assert 'misinfo_model_reloads_total{outcome="refused",trigger="sighup"} 1.0' in metrics


def test_admin_reload_reaches_every_worker_without_dropping_requests(
    tmp_path: Path, write_artifact: Callable[..., Path], gunicorn_server: Callable[..., Any],
    hammer: Callable[..., Any], wait_for: Callable[..., Any], http: Callable[..., Any],
) -> None:
    model_dir = write_artifact(tmp_path / "model", "v1")
    server = gunicorn_server(workers=2, MISINFO_MODEL_PATH=str(model_dir))
    first_generation = set(server.workers())
    with hammer(server.base, threads=4, max_seconds=50) as load:
        load.wait_for(20)

        # a bad artifact is refused synchronously; nothing is restarted
        write_artifact(model_dir, "v2-bad", tamper=True)
        status, _, body = http(server.base, "POST", "/admin/reload", {})
        assert status == 409 and json.loads(body)["error"]["details"]["reason"] == "artifact_integrity"
        assert set(server.workers()) == first_generation

        # a good one is checked in the worker, then the master reloads every worker
        write_artifact(model_dir, "v2")
        status, _, body = http(server.base, "POST", "/admin/reload", {})
        assert status == 202, body
        answer = json.loads(body)
        assert answer["status"] == "scheduled" and answer["scope"] == "all-workers"
        assert answer["model"]["version"] == "v2" and answer["previous"]["version"] == "v1"
        _all_serve(load, "v2", wait_for)
        wait_for(lambda: not (set(server.workers()) & first_generation) and len(server.workers()) == 2, 30)
    assert load.count() > 40
    assert load.failures() == []
