"""Hot reload in one process: POST /admin/reload and the SIGHUP handler, also under concurrent /score."""
from __future__ import annotations

import json
import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from service.reload import ReloadRefused, install_sighup_handler, reload_model

ARTICLE = {"title": "Council meets", "paragraphs": ["The council met on Monday.", "Sources say taxes may rise."]}


def served_version(client: Any) -> str:
    response = client.post("/score", json=ARTICLE)
    assert response.status_code == 200, response.get_data(as_text=True)
    return str(response.get_json()["model"]["version"])


@pytest.fixture
def model_dir(tmp_path: Path, write_artifact: Callable[..., Path]) -> Path:
    """The configured artifact directory, holding version v1."""
    return write_artifact(tmp_path / "model", "v1")


@pytest.fixture
def reload_app(make_app: Callable[..., Any], model_dir: Path) -> Any:
    from model import load_scorer

    return make_app(model=load_scorer(model_dir), model_path=str(model_dir))


def _tamper(model_dir: Path, write: Callable[..., Path]) -> None:
    write(model_dir, "v-bad", tamper=True)


def _wrong_sklearn(model_dir: Path, write: Callable[..., Path]) -> None:
    write(model_dir, "v-old-sklearn")
    card_path = model_dir / "card.json"
    card = json.loads(card_path.read_text())
    card["versions"]["scikit-learn"] = "0.24.2"  # the card is not covered by the sha256: the version check is
    card_path.write_text(json.dumps(card))


def _missing(model_dir: Path, write: Callable[..., Path]) -> None:
    (model_dir / "card.json").unlink()


def _not_a_pickle(model_dir: Path, write: Callable[..., Path]) -> None:
    """A file whose sha256 the card does record, but which is not a model (a signed mistake)."""
    from model.artifact import sha256_of

    write(model_dir, "v-junk")
    card_path = model_dir / "card.json"
    card = json.loads(card_path.read_text())
    artifact = model_dir / card["artifact"]
    artifact.write_bytes(b"definitely not a joblib file")
    card["artifact_sha256"] = sha256_of(artifact)
    card_path.write_text(json.dumps(card))


BREAKERS: dict[str, tuple[Callable[[Path, Callable[..., Path]], None], str]] = {
    "tampered": (_tamper, "artifact_integrity"),
    "other-sklearn": (_wrong_sklearn, "artifact_version"),
    "missing-card": (_missing, "artifact_invalid"),
    "not-a-pickle": (_not_a_pickle, "artifact_invalid"),
}


def test_admin_reload_swaps_the_model(reload_app: Any, model_dir: Path, write_artifact: Callable[..., Path]) -> None:
    client = reload_app.test_client()
    assert served_version(client) == "v1"
    write_artifact(model_dir, "v2")
    response = client.post("/admin/reload")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "reloaded" and body["scope"] == "process"
    assert body["model"]["version"] == "v2" and body["previous"]["version"] == "v1"
    assert served_version(client) == "v2"
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'misinfo_model_reloads_total{outcome="swapped",trigger="admin"} 1.0' in metrics
    assert 'version="v2"} 1.0' in metrics and 'version="v1"} 0.0' in metrics


def test_dry_run_checks_without_swapping(reload_app: Any, model_dir: Path,
                                         write_artifact: Callable[..., Path]) -> None:
    client = reload_app.test_client()
    write_artifact(model_dir, "v2")
    response = client.post("/admin/reload", json={"dry_run": True})
    assert response.status_code == 200
    assert response.get_json()["status"] == "checked"
    assert response.get_json()["model"]["version"] == "v2"
    assert served_version(client) == "v1"


@pytest.mark.parametrize("breaker", sorted(BREAKERS))
def test_bad_artifact_is_refused_and_old_model_keeps_serving(
    breaker: str, reload_app: Any, model_dir: Path, write_artifact: Callable[..., Path],
    caplog: pytest.LogCaptureFixture, error_shape: Callable[..., dict[str, Any]],
) -> None:
    breaks, reason = BREAKERS[breaker]
    client = reload_app.test_client()
    breaks(model_dir, write_artifact)
    with caplog.at_level(logging.ERROR, logger="service.reload"):
        response = client.post("/admin/reload")
    error = error_shape(response, 409, "artifact_refused")
    assert error["details"]["reason"] == reason
    assert error["details"]["serving"]["version"] == "v1"
    refusals = [r for r in caplog.records if "REFUSED" in r.getMessage()]
    assert len(refusals) == 1 and refusals[0].levelno == logging.ERROR
    assert str(model_dir) in refusals[0].getMessage() and "v1" in refusals[0].getMessage()
    assert served_version(client) == "v1"
    assert 'misinfo_model_reloads_total{outcome="refused",trigger="admin"} 1.0' in client.get("/metrics").get_data(
        as_text=True
    )


def test_failing_smoke_test_is_refused(reload_app: Any, model_dir: Path, write_artifact: Callable[..., Path],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from model import ArtifactError, Scorer

    def broken(self: Any) -> None:
        raise ArtifactError("smoke test failed for id: malformed result")

    write_artifact(model_dir, "v2")
    monkeypatch.setattr(Scorer, "smoke_test", broken)
    with pytest.raises(ReloadRefused) as refused:
        reload_model(reload_app, trigger="admin")
    assert "smoke test" in refused.value.message
    monkeypatch.undo()
    assert served_version(reload_app.test_client()) == "v1"


@pytest.mark.parametrize(
    ("role", "status"), [(None, 401), ("scorer", 403), ("moderator", 403), ("admin", 200)]
)
def test_reload_needs_the_admin_role(make_app: Callable[..., Any], model_dir: Path, role: str | None,
                                     status: int) -> None:
    from model import load_scorer

    keys = {f"ops-test-{r}-key": r for r in ("scorer", "moderator", "admin")}
    app = make_app(model=load_scorer(model_dir), model_path=str(model_dir), auth=True, api_keys=keys)
    headers = {"Authorization": f"Bearer ops-test-{role}-key"} if role else {}
    assert app.test_client().post("/admin/reload", headers=headers).status_code == status


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"dry_run": true, "path": "/tmp/evil"}', 422),  # the artifact path is configuration, not input
        (b'{"dry_run": "maybe"}', 422),
        (b"[1, 2]", 422),
        (b"{not json", 400),
        (b"", 200),
    ],
)
def test_reload_body_is_validated(reload_app: Any, body: bytes, status: int) -> None:
    response = reload_app.test_client().post("/admin/reload", data=body, content_type="application/json")
    assert response.status_code == status, response.get_data(as_text=True)


def test_reload_under_concurrent_requests(reload_app: Any, model_dir: Path,
                                          write_artifact: Callable[..., Path]) -> None:
    """Threads hammer /score while good and bad artifacts are reloaded: no request fails."""
    stop = threading.Event()
    outcomes: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def client_loop() -> None:
        client = reload_app.test_client()
        for _ in range(2000):  # bounded
            if stop.is_set():
                return
            response = client.post("/score", json=ARTICLE)
            version = response.get_json()["model"]["version"] if response.status_code == 200 else None
            with lock:
                outcomes.append((response.status_code, version))

    threads = [threading.Thread(target=client_loop) for _ in range(4)]
    for t in threads:
        t.start()
    admin = reload_app.test_client()
    statuses = []
    try:
        for version, tamper in (("v2", False), ("v3-bad", True), ("v3", False)):
            write_artifact(model_dir, version, tamper=tamper)
            statuses.append(admin.post("/admin/reload").status_code)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert statuses == [200, 409, 200]
    assert outcomes, "the clients sent nothing"
    assert [o for o in outcomes if o[0] != 200] == []
    assert {v for _, v in outcomes} <= {"v1", "v2", "v3"}
    assert served_version(admin) == "v3"


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="SIGHUP is POSIX only")
def test_sighup_handler_reloads_in_a_single_process(reload_app: Any, model_dir: Path,
                                                    write_artifact: Callable[..., Path],
                                                    wait_for: Callable[..., Any]) -> None:
    write_artifact(model_dir, "v2")
    previous = install_sighup_handler(reload_app)
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        holder = reload_app.extensions["misinfo"]["scorer"]
        wait_for(lambda: holder.peek().version == "v2", timeout=30)
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert served_version(reload_app.test_client()) == "v2"
