"""Per-key rate limits with Retry-After, body size and the limits' scope."""
from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from flask import Flask

ARTICLE = {"title": "Harga BBM naik"}


def test_each_key_has_its_own_budget(make_app: Callable[..., Flask]) -> None:
    client = make_app(auth=True, api_keys={"key-one": "scorer", "key-two": "scorer"}, rate_limit="2/minute").test_client()
    one, two = ({"Authorization": f"Bearer {k}"} for k in ("key-one", "key-two"))
    assert [client.post("/score", json=ARTICLE, headers=one).status_code for _ in range(3)] == [200, 200, 429]
    assert client.post("/score", json=ARTICLE, headers=two).status_code == 200


def test_meta_endpoints_are_not_rate_limited(make_app: Callable[..., Flask]) -> None:
    client = make_app(rate_limit="1/minute").test_client()
    assert client.post("/score", json=ARTICLE).status_code == 200
    assert {client.get("/health").status_code for _ in range(5)} == {200}
    assert client.get("/ready").status_code == 200


def test_rate_limit_can_be_switched_off(make_app: Callable[..., Flask]) -> None:
    client = make_app(rate_limit="1/minute", rate_limit_enabled=False).test_client()
    assert {client.post("/score", json=ARTICLE).status_code for _ in range(3)} == {200}


def test_default_body_limit_is_one_megabyte(
    make_app: Callable[..., Flask], error_shape: Callable[..., dict[str, Any]]
) -> None:
    client = make_app().test_client()
    response = client.post("/score", json={"text": "a" * 1_000_100})
    error = error_shape(response, 413, "payload_too_large")
    assert error["details"]["max_body_bytes"] == 1_000_000
    assert client.post("/score", json={"title": "t", "text": "kata " * 1000}).status_code == 200


def test_a_chunked_body_over_the_limit_is_413_not_truncated(
    make_app: Callable[..., Flask], error_shape: Callable[..., dict[str, Any]]
) -> None:
    """gunicorn passes chunked bodies without Content-Length; werkzeug would cut them at the limit."""
    import io

    app = make_app(max_body_bytes=1000)
    small = b'{"title": "Harga BBM naik"}'
    big = b'{"title": "Harga BBM naik", "text": "' + b"a" * 2000 + b'"}'
    client = app.test_client()
    for body, status in ((small, 200), (big, 413)):
        response = client.post(
            "/score",
            content_type="application/json",
            environ_overrides={"wsgi.input_terminated": True, "wsgi.input": io.BytesIO(body)},
            headers={"Transfer-Encoding": "chunked"},
        )
        assert response.status_code == status, response.get_json()
    error_shape(response, 413, "payload_too_large")


def test_the_memory_storage_spawns_no_thread_per_request(make_app: Callable[..., Flask]) -> None:
    """limits' stock MemoryStorage starts a Timer thread after writes; ours sweeps inline."""
    import threading

    from service.limits import LazyMemoryStorage

    app = make_app(rate_limit="1000/minute")
    limiter = app.extensions["misinfo"]["limiter"]
    assert isinstance(limiter.storage, LazyMemoryStorage)
    client = app.test_client()
    client.post("/score", json=ARTICLE)
    before = {t.ident for t in threading.enumerate()}
    for _ in range(5):
        assert client.post("/score", json=ARTICLE).status_code == 200
    assert {t.ident for t in threading.enumerate()} - before == set()
    assert limiter.storage.get(next(iter(limiter.storage.storage))) == 6  # it still counts


def test_expired_counters_are_swept(monkeypatch: Any) -> None:
    from service.limits import LazyMemoryStorage

    storage = LazyMemoryStorage()
    storage.incr("k", expiry=0.01)
    assert storage.get("k") == 1
    monkeypatch.setattr(storage, "_next_sweep", 0.0)
    import time

    time.sleep(0.02)
    storage.incr("other", expiry=60)  # a write triggers the sweep
    assert "k" not in storage.storage and storage.get("other") == 1


def test_an_unreachable_redis_does_not_stop_scoring(make_app: Callable[..., Flask]) -> None:
    """Counters fall back to memory when the configured Redis is down (swallow + fallback)."""
    with socket.socket() as sock:  # a loopback port with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = make_app(rate_limit="2/minute", rate_limit_storage_uri=f"redis://127.0.0.1:{port}/0").test_client()
    statuses = [client.post("/score", json=ARTICLE).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # still limited, by the in-memory fallback
