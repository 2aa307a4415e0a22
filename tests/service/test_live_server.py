"""The real thing: gunicorn with service/gunicorn.conf.py on a free loopback port, the shipped
model, and the four seed articles scored over HTTP."""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO.parent / "shared" / "seeds"
ARTIFACTS = REPO / "model" / "artifacts"
START_TIMEOUT_S = 90

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(port: int, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str], Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        return response.status, dict(response.getheaders()), json.loads(raw) if raw else None
    finally:
        conn.close()


def _seed_articles() -> list[tuple[str, str, str]]:
    """(name, headline, body text) of each seed: the first line is the headline."""
    if not SEEDS.is_dir() or not list(SEEDS.glob("*.txt")):
        pytest.skip(f"seed articles not found at {SEEDS} (../shared/seeds beside the repository)")
    seeds = []
    for path in sorted(SEEDS.glob("*.txt")):
        headline, _, text = path.read_text(encoding="utf-8").partition("\n")
        seeds.append((path.stem, headline.strip(), text))
    return seeds


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    if not any(p.is_file() and not p.name.startswith(".") for p in ARTIFACTS.glob("*")):
        pytest.skip("model/artifacts/ holds no model yet: the live test needs the shipped artifact")
    port = _free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MISINFO_")},
        "MISINFO_AUTH": "off",
        "MISINFO_BIND": f"127.0.0.1:{port}",
        "MISINFO_WORKERS": "1",
        "MISINFO_DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('db') / 'misinfo.sqlite3'}",
        "MISINFO_SPOOL_DIR": str(tmp_path_factory.mktemp("spool")),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "service/gunicorn.conf.py", "service:create_app()"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if _request(port, "GET", "/ready")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn not ready after {START_TIMEOUT_S}s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_seeds_are_scored_over_http(server: int) -> None:
    risks = {}
    for name, headline, text in _seed_articles():
        status, headers, body = _request(server, "POST", "/score", {"title": headline, "text": text, "id": name})
        assert status == 200, body
        assert headers["X-Request-ID"] == body["request_id"]
        assert body["id"] == name
        assert body["headline"]["text"] == headline
        assert body["article"]["level"] in ("low", "medium", "high")
        assert len(body["paragraphs"]) >= 3
        for index, paragraph in enumerate(body["paragraphs"]):
            assert paragraph["index"] == index
            assert text[paragraph["start"] : paragraph["end"]] == paragraph["text"]
            for signal in paragraph["signals"]:
                for evidence in signal["evidence"]:
                    assert paragraph["text"][evidence["start"] : evidence["end"]] == evidence["text"]
        risks[name] = body["article"]["risk"]
    assert len(risks) == 4


def test_batch_and_errors_over_http(server: int) -> None:
    status, _, body = _request(server, "POST", "/score/batch", {"articles": [{"title": "Harga BBM naik"}, {"text": " "}]})
    assert status == 200
    assert "article" in body["results"][0] and body["results"][1]["error"]["status"] == 422
    status, _, body = _request(server, "GET", "/nowhere")
    assert status == 404 and body["error"]["code"] == "not_found"
    status, _, body = _request(server, "GET", "/model")
    assert status == 200 and body["name"] and body["version"]
