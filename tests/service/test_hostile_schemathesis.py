"""schemathesis against the generated OpenAPI document, on a live server over loopback.

The app (tiny test model, auth off, a throwaway review database) is served by
werkzeug's threaded server on a free 127.0.0.1 port; schemathesis' CLI fetches
/openapi.json and sends a bounded number of generated requests per operation.
The bar: zero server errors and zero responses that contradict the document
(status codes, content types, headers and bodies).
"""
from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_headers_conformance,response_schema_conformance"
)
#: Examples per operation and phase: enough to reach every field, bounded for CI.
MAX_EXAMPLES = 15


@pytest.fixture
def live_server(make_app: Callable[..., Any], tmp_path: Path, write_artifact: Callable[..., Path],
                scorer: Any) -> Iterator[str]:
    model_dir = write_artifact(tmp_path / "model", scorer.version)  # /admin/reload reloads this one
    app = make_app(
        model_path=str(model_dir),
        database_url=f"sqlite:///{tmp_path / 'review.db'}",
        spool_dir=str(tmp_path / "spool"),
        rate_limit_enabled=False,
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


#: Operation groups (OpenAPI tags) run separately, so a finding names its owner.
GROUPS = [
    pytest.param(("scoring", "meta", "ops"), id="scoring-meta-ops"),
    pytest.param(
        ("review", "moderate"),
        id="review-moderate",
        # Findings handed to the owner (moderator review) when this test was written; the marker
        # is not strict so the group turns green as soon as they are fixed -- then delete it.
        marks=pytest.mark.xfail(
            reason="open findings: ids beyond SQLite's 64-bit integers give 500 on /review/items/{id}, "
            "/review/items/{id}/verdict and /review/audit?item=; /moderate documents neither its 400 "
            "(CSRF) nor its 404 answers",
            strict=False,
        ),
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize("tags", GROUPS)
def test_openapi_document_holds_under_schemathesis(live_server: str, tmp_path: Path, tags: tuple[str, ...]) -> None:
    pytest.importorskip("schemathesis", reason="schemathesis is in the [test] extra")
    cmd = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{live_server}/openapi.json",
        "--checks", CHECKS,
        "--max-examples", str(MAX_EXAMPLES),
        "--phases", "coverage,fuzzing",
        "--workers", "1",
        "--request-timeout", "30",
        "--max-time", "30",
        "--suppress-health-check", "all",
        "--seed", "20261121",
        "--no-color",
    ]
    for tag in tags:
        cmd += ["--include-tag", tag]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    assert "passed" in output and "failed" not in output, output[-3000:]
