"""Fixtures of the service tests."""
from __future__ import annotations

# --- review storage fixtures (owner: moderator review) ---------------------------------------
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from model.types import ArticleResult, Evidence, ParagraphResult, SignalHit

POSTGRES_ENV = "MISINFO_TEST_POSTGRES_URL"


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def review_db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """An empty review database: a fresh SQLite file, and PostgreSQL when the URL is given."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'review.db'}"
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL storage tests need {POSTGRES_ENV} (set by .ci/setup.d/20-postgres.sh)")
    _reset_postgres(url)
    return url


@pytest.fixture
def review_store(review_db_url: str) -> Iterator[Any]:
    from service.storage import ReviewStore

    store = ReviewStore(review_db_url)
    store.ensure_schema()
    yield store
    store.dispose()


ParagraphSpec = tuple[str, bool, Sequence[tuple[str, str]]]  # (text, flagged, [(signal, evidence text)])


def build_result(
    paragraphs: Sequence[ParagraphSpec],
    *,
    version: str = "1",
    language: str = "en",
    risk: float = 0.8,
) -> ArticleResult:
    """A hand-made ArticleResult, so storage tests need no trained model."""
    results = []
    for index, (text, flagged, signals) in enumerate(paragraphs):
        hits = []
        for name, span in signals:
            start = text.find(span)
            assert start >= 0, f"{span!r} not in {text!r}"
            hits.append(SignalHit(name, 0.9, [Evidence(start, start + len(span), span, f"{name}:{language}:test")]))
        results.append(
            ParagraphResult(
                index=index,
                text=text,
                start=None,
                end=None,
                kind="body",
                risk=risk if flagged else 0.1,
                flagged=flagged,
                signals=hits,
                scores={h.name: h.score for h in hits},
                explanation=f"explanation of paragraph {index}",
            )
        )
    return ArticleResult(
        language=language,
        risk=risk,
        level="high",
        flagged=any(p.flagged for p in results),
        signals={},
        explanation="article explanation",
        headline=None,
        paragraphs=results,
        model_name="test-model",
        model_version=version,
    )


@pytest.fixture
def make_result() -> Callable[..., ArticleResult]:
    return build_result


#: A small synthetic article (written for the tests; no seed text): paragraphs 1 and 3 flagged.
SAMPLE_PARAGRAPHS: list[ParagraphSpec] = [
    ("The city council met on Monday to discuss the budget.", False, []),
    ("Sources say the mayor may resign next week.", True, [("vague_attribution", "Sources say"), ("hedging", "may")]),
    ("The mayor told reporters the budget was balanced, according to a statement.", False,
     [("attributed", "according to a statement")]),
    ("SHOCKING: the deficit could triple, insiders claim.", True,
     [("sensational", "SHOCKING"), ("hedging", "could")]),
    ("Read more: subscribe to our newsletter.", False, []),
]


@pytest.fixture
def sample_paragraphs() -> list[ParagraphSpec]:
    return list(SAMPLE_PARAGRAPHS)


#: Test keys of the review tests (made up here): name → (raw key, role).
REVIEW_KEYS: dict[str, tuple[str, str]] = {
    "ed": ("review-test-scorer-key", "scorer"),
    "mia": ("review-test-moderator-key", "moderator"),
}


@pytest.fixture
def review_app(tmp_path: Any) -> Any:
    """An app with auth on and a fresh SQLite review store; no model (the queue API needs none)."""
    from service import create_app
    from service.settings import ApiKey, Settings, hash_key

    keys = tuple(ApiKey(name=name, digest=hash_key(raw), role=role) for name, (raw, role) in REVIEW_KEYS.items())
    settings = Settings.from_env(
        {},
        auth=True,
        api_keys=keys,
        model_required=False,
        model_path=str(tmp_path / "no-model"),
        database_url=f"sqlite:///{tmp_path / 'review.db'}",
        spool_dir=str(tmp_path / "spool"),
        rate_limit="100000/minute",
    )
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    app.extensions["misinfo"]["review_sink"].close()


@pytest.fixture
def review_headers() -> Callable[[str], dict[str, str]]:
    """``review_headers("mia")`` → the Authorization header of that review test key."""
    return lambda name: {"Authorization": f"Bearer {REVIEW_KEYS[name][0]}"}
# --- end review storage fixtures ------------------------------------------------------------


# --- API fixtures (owner: REST API) ------------------------------------------------------------
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

#: Raw test keys per role (made up for the tests; the service only ever sees their hashes).
API_KEYS: dict[str, str] = {
    "test-scorer-key": "scorer",
    "test-moderator-key": "moderator",
    "test-admin-key": "admin",
}


@pytest.fixture
def make_app(scorer: Any, tmp_path: Any) -> Callable[..., Flask]:
    """Build an app on test settings (no environment), with the tiny ``scorer`` unless given one.

    ``make_app(auth=True, rate_limit="2/minute")`` — any Settings field as a keyword.
    """
    from service import create_app
    from service.settings import Settings

    def _make(*, model: Any = scorer, **overrides: Any) -> Flask:
        values: dict[str, Any] = {
            "auth": False,
            "rate_limit": "100000/minute",
            # review storage in the test's own directory, never ./var of the checkout
            "database_url": f"sqlite:///{tmp_path / 'review.db'}",
            "spool_dir": str(tmp_path / "spool"),
            **overrides,
        }
        app = create_app(Settings.from_env({}, **values), scorer=model)
        app.config["TESTING"] = True
        return app

    return _make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """Auth off, generous rate limit: for contract tests."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth_app(make_app: Callable[..., Flask]) -> Flask:
    """Auth on with one key per role (see API_KEYS)."""
    return make_app(auth=True, api_keys=dict(API_KEYS))


@pytest.fixture
def auth_client(auth_app: Flask) -> FlaskClient:
    return auth_app.test_client()


def _bearer(role: str) -> dict[str, str]:
    key = next(k for k, r in API_KEYS.items() if r == role)
    return {"Authorization": f"Bearer {key}"}


def _assert_error_shape(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The house error envelope, as JSON, with the given status (and code)."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    if code is not None:
        assert error["code"] == code, error
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "<html" not in text.lower()
    return error


@pytest.fixture
def bearer() -> Callable[[str], dict[str, str]]:
    """``bearer("moderator")`` → the Authorization header of that role's test key."""
    return _bearer


@pytest.fixture
def error_shape() -> Callable[..., dict[str, Any]]:
    """``error_shape(response, 422, "validation_error")`` asserts the house error envelope."""
    return _assert_error_shape
# --- end API fixtures ----------------------------------------------------------------------------


# --- ops fixtures (owner: production readiness) ------------------------------------------------
import copy
import http.client as _http_client
import json as _json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import ClassVar, Self

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def http_call(base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
              timeout: float = 15.0) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh loopback connection: (status, headers, body)."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    conn = _http_client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        data = body if isinstance(body, bytes) or body is None else _json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@pytest.fixture
def write_artifact(scorer: Any) -> Callable[..., Path]:
    """``write_artifact(model_dir, version, tamper=False)``: the tiny test model saved as a checked artifact."""
    from model import save_scorer

    def write(model_dir: Path, version: str, *, tamper: bool = False) -> Path:
        clone = copy.copy(scorer)
        clone.version = version
        card = save_scorer(clone, model_dir)
        if tamper:  # one flipped byte: the sha256 in the card no longer matches
            artifact = Path(model_dir) / card["artifact"]
            data = bytearray(artifact.read_bytes())
            data[len(data) // 2] ^= 0xFF
            artifact.write_bytes(bytes(data))
        return Path(model_dir)

    return write


class GunicornServer:
    """``gunicorn -c service/gunicorn.conf.py 'service:create_app()'`` on a free loopback port."""

    def __init__(self, tmp: Path, workers: int = 2, **env: str) -> None:
        self.tmp = tmp
        self.n_workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "gunicorn.log"
        base_env = {k: v for k, v in os.environ.items()
                    if not k.startswith("MISINFO_") and k.lower() != "prometheus_multiproc_dir"}
        base_env.update(
            MISINFO_AUTH="off",
            MISINFO_RATE_LIMIT_ENABLED="off",
            MISINFO_DATABASE_URL=f"sqlite:///{tmp / 'review.sqlite3'}",
            MISINFO_SPOOL_DIR=str(tmp / "spool"),
            MISINFO_BIND=f"127.0.0.1:{self.port}",
            MISINFO_WORKERS=str(workers),
            MISINFO_ACCESS_LOG="off",
            PROMETHEUS_MULTIPROC_DIR=str(tmp / "metrics"),
        )
        base_env.update(env)
        self.env = base_env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> GunicornServer:
        log = open(self.log_path, "wb")  # noqa: SIM115 - the child keeps it
        cmd = [sys.executable, "-m", "gunicorn", "-c", str(REPO_ROOT / "service" / "gunicorn.conf.py"),
               "service:create_app()"]
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

        def up() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            try:
                return http_call(self.base, "GET", "/ready", timeout=2)[0] == 200 and len(self.workers()) == self.n_workers
            except OSError:
                return False

        wait_until(up, timeout, 0.2)
        return self

    @property
    def master(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def workers(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.master}/task/{self.master}/children").read_text()
        except OSError:
            return []
        return sorted(int(p) for p in text.split())

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)  # quick shutdown: the test is over
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def gunicorn_server(tmp_path: Path) -> Iterator[Callable[..., GunicornServer]]:
    """``gunicorn_server(workers=2, MISINFO_MODEL_PATH=...)`` starts one; all are stopped afterwards."""
    servers: list[GunicornServer] = []

    def start(workers: int = 2, **env: str) -> GunicornServer:
        server = GunicornServer(tmp_path / f"gunicorn{len(servers)}", workers, **env)
        server.tmp.mkdir()
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


class Hammer:
    """Client threads POSTing /score in a loop, bounded by count and time; records every outcome."""

    ARTICLE: ClassVar[dict[str, Any]] = {"title": "Council meets", "paragraphs": ["The council met on Monday.", "Sources say taxes may rise."]}

    def __init__(self, base: str, threads: int = 4, max_seconds: float = 50.0, max_requests: int = 20_000) -> None:
        self.base = base
        self.n_threads = threads
        self.deadline = time.monotonic() + max_seconds
        self.max_requests = max_requests
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.outcomes: list[tuple[float, int | str, str | None]] = []  # (finished at, status or error, model version)
        self.in_flight = 0
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        while not self.stop_event.is_set() and time.monotonic() < self.deadline:
            with self.lock:
                if len(self.outcomes) + self.in_flight >= self.max_requests:
                    return
                self.in_flight += 1
            outcome: tuple[int | str, str | None]
            try:
                status, _, body = http_call(self.base, "POST", "/score", self.ARTICLE, timeout=20)
                version = _json.loads(body)["model"]["version"] if status == 200 else None
                outcome = (status, version)
            except (OSError, ValueError, KeyError) as exc:
                outcome = (type(exc).__name__, None)
            with self.lock:
                self.in_flight -= 1
                self.outcomes.append((time.monotonic(), *outcome))

    def __enter__(self) -> Self:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=30)

    def count(self) -> int:
        with self.lock:
            return len(self.outcomes)

    def failures(self) -> list[tuple[float, int | str, str | None]]:
        with self.lock:
            return [o for o in self.outcomes if o[1] != 200]

    def versions_since(self, t: float) -> set[str | None]:
        with self.lock:
            return {o[2] for o in self.outcomes if o[0] >= t}

    def wait_for(self, n: int, timeout: float = 30.0) -> None:
        start = self.count()
        wait_until(lambda: self.count() >= start + n, timeout, 0.05)


@pytest.fixture
def hammer() -> Callable[..., Hammer]:
    return Hammer


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    """``wait_for(predicate, timeout)``: poll until truthy, fail after the timeout."""
    return wait_until


@pytest.fixture
def http() -> Callable[..., tuple[int, dict[str, str], bytes]]:
    """``http(base, method, path, body=None, headers=None)`` on a fresh loopback connection."""
    return http_call
# --- end ops fixtures ---------------------------------------------------------------------------
