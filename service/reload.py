"""Hot reload of the model: load → verify → smoke test → swap, or refuse and keep serving.

A model artifact is a pickle, and unpickling runs code: only artifacts whose
sha256 matches the digest recorded beside them are loaded (``model.load_scorer``
checks it before unpickling, and refuses another scikit-learn or format
version). A candidate must then answer its own smoke test. Only then is it
swapped into the :class:`~service.scorer_holder.ScorerHolder`; requests already
running keep the scorer they fetched, new ones get the new one, none waits.

Across gunicorn workers (``preload_app = True``, see ``service/gunicorn.conf.py``)
the master is the single place where a model is loaded:

* ``kill -HUP <master>``: gunicorn re-reads its configuration and calls
  :func:`gunicorn_on_reload` in the master *before* it forks the new
  generation of workers. That loads and checks the artifact and swaps it into
  the master's preloaded app, so every new worker is forked with the new model
  (copy-on-write, no per-worker load). Gunicorn then retires the old workers
  gracefully: they stop accepting, finish their in-flight requests and exit,
  while the new ones already accept on the same sockets. No request is dropped
  and every worker ends up on the master's model. A bad artifact is refused in
  the master: the new workers are forked with the old model.
* ``POST /admin/reload`` in a worker checks the artifact first (so the caller
  gets a synchronous yes/no) and then sends SIGHUP to the master, which takes
  the path above. Outside gunicorn (tests, the dev server) it swaps in-process.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask

from model.errors import ArtifactError

if TYPE_CHECKING:
    from model import Scorer

    from .scorer_holder import ScorerHolder

log = logging.getLogger(__name__)

#: How long a reload waits for another one in the same process to finish.
RELOAD_LOCK_TIMEOUT_S = 120.0


class ReloadRefused(Exception):
    """The candidate artifact was not swapped in; the old model keeps serving."""

    def __init__(self, reason: str, message: str, *, path: str | None, serving: dict[str, str] | None) -> None:
        super().__init__(message)
        self.reason = reason  # artifact_integrity | artifact_version | artifact_invalid | smoke_test | busy
        self.message = message
        self.path = path
        self.serving = serving


@dataclass(frozen=True)
class ReloadResult:
    """What a successful check (and, unless only checked, swap) did."""

    trigger: str
    path: str | None
    model: dict[str, str]
    previous: dict[str, str] | None
    swapped: bool
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ident(scorer: Scorer | None) -> dict[str, str] | None:
    return None if scorer is None else {"name": scorer.name, "version": scorer.version}


def _state(app: Flask) -> dict[str, Any]:
    return app.extensions.setdefault("misinfo", {})


def artifact_path(app: Flask) -> str | None:
    """The configured artifact (``MISINFO_MODEL_PATH``); None means the bundled one.

    Deliberately not taken from the HTTP request: whoever chooses the path
    chooses code that runs in the service.
    """
    settings = _state(app).get("settings")
    return getattr(settings, "model_path", None)


def _reason(exc: BaseException) -> str:
    from model.errors import ArtifactIntegrityError, ArtifactVersionError

    if isinstance(exc, ArtifactIntegrityError):
        return "artifact_integrity"
    if isinstance(exc, ArtifactVersionError):
        return "artifact_version"
    return "artifact_invalid"


def load_candidate(path: str | None, *, warm: bool = False) -> Scorer:
    """Load and check an artifact without touching what is served.

    Raises :class:`model.errors.ArtifactError` (sha256 mismatch, wrong
    versions, corrupt file, failed smoke test) for anything unfit to serve.
    ``warm`` builds the lazy parts (the language detector) the way start-up
    does; it must happen where the model will be forked from (the gunicorn
    master), never only in a worker: lingua's thread pool does not survive a
    fork, so a detector first built in a forked child deadlocks it.
    """
    from model import load_scorer

    scorer = load_scorer(path) if path else load_scorer()
    if not getattr(scorer, "version", None) or not getattr(scorer, "name", None):
        raise ArtifactError("artifact has no model name or version in its card")
    scorer.smoke_test()
    if warm:
        from . import warm_up

        warm_up(scorer)
    return scorer


def _count(app: Flask, trigger: str, outcome: str) -> None:
    metrics = _state(app).get("metrics")
    if metrics is not None:
        metrics.reloads.labels(trigger=trigger, outcome=outcome).inc()


def reload_model(app: Flask, *, trigger: str, swap: bool = True, path: str | None = None) -> ReloadResult:
    """Check the configured artifact and (if ``swap``) install it in ``app``'s holder.

    Raises :class:`ReloadRefused` with a clear log line when the artifact is
    unfit; the holder is then untouched.
    """
    state = _state(app)
    holder: ScorerHolder = state["scorer"]
    lock: threading.Lock = state.setdefault("reload_lock", threading.Lock())
    path = path if path is not None else artifact_path(app)
    shown = path or "<bundled model/artifacts>"
    serving = _ident(holder.peek())
    if not lock.acquire(timeout=RELOAD_LOCK_TIMEOUT_S):
        raise ReloadRefused("busy", "another reload is still running", path=path, serving=serving)
    try:
        started = time.perf_counter()
        try:
            candidate = load_candidate(path, warm=swap)
        except Exception as exc:  # anything unpickling or the smoke test raises means "unfit"
            reason = _reason(exc) if isinstance(exc, ArtifactError) else "artifact_invalid"
            _count(app, trigger, "refused")
            log.error(
                "model reload REFUSED (%s) from %s: %s: %s; still serving %s",
                reason, shown, type(exc).__name__, exc, serving,
                extra={"event": "model_reload_refused", "trigger": trigger, "reason": reason,
                       "artifact": shown, "serving": serving},
                exc_info=not isinstance(exc, ArtifactError),
            )
            raise ReloadRefused(reason, f"{type(exc).__name__}: {exc}", path=path, serving=serving) from exc
        previous = holder.swap(candidate) if swap else holder.peek()
        if swap:
            metrics = state.get("metrics")
            if metrics is not None:
                metrics.set_model(candidate, previous)
        seconds = time.perf_counter() - started
        result = ReloadResult(trigger, path, _ident(candidate) or {}, _ident(previous), swap, round(seconds, 3))
        _count(app, trigger, "swapped" if swap else "checked")
        log.info(
            "model %s %s %s from %s (was %s, %.2f s)",
            candidate.name, candidate.version, "swapped in" if swap else "checked", shown, result.previous, seconds,
            extra={"event": "model_reloaded" if swap else "model_checked", "trigger": trigger, "artifact": shown,
                   "model": result.model, "previous": result.previous},
        )
        return result
    finally:
        lock.release()


# --------------------------------------------------------------------------- gunicorn


def gunicorn_master_pid(app: Flask) -> int | None:
    """The gunicorn master of this worker, if it still is our parent."""
    pid = _state(app).get("gunicorn_master_pid")
    if pid and os.getppid() == pid:
        return int(pid)
    return None


def _app_of(wsgi: Any) -> Flask | None:
    """The Flask app inside whatever gunicorn holds (middleware may wrap it)."""
    for _ in range(5):
        if isinstance(wsgi, Flask):
            return wsgi
        wsgi = getattr(wsgi, "app", None)
    return None


def gunicorn_post_worker_init(worker: Any) -> None:
    """gunicorn hook (worker): remember the master so /admin/reload can signal it."""
    app = _app_of(getattr(worker, "wsgi", None))
    if app is not None:
        _state(app)["gunicorn_master_pid"] = worker.ppid


def gunicorn_on_reload(arbiter: Any) -> None:
    """gunicorn hook (master, on SIGHUP, before forking new workers): reload the preloaded model."""
    app = _app_of(getattr(arbiter.app, "callable", None))
    if app is None:
        log.error(
            "SIGHUP: no preloaded app in the gunicorn master (preload_app is off); "
            "new workers will load the artifact themselves without a prior check",
            extra={"event": "model_reload_refused", "trigger": "sighup", "reason": "no_preload"},
        )
        return
    try:
        reload_model(app, trigger="sighup")
    except ReloadRefused:
        pass  # logged by reload_model; new workers fork with the old model


def signal_master(app: Flask) -> bool:
    """Ask the gunicorn master to reload (SIGHUP); False when not under gunicorn."""
    pid = gunicorn_master_pid(app)
    if pid is None:
        return False
    os.kill(pid, signal.SIGHUP)
    return True


# --------------------------------------------------------------------------- single process


def install_sighup_handler(app: Flask) -> Any:
    """Reload on SIGHUP in a single-process server (not gunicorn, which owns SIGHUP).

    The handler only starts a thread: loading a model inside a signal handler
    would block the interrupted request and could deadlock on the reload lock.
    Returns the previous handler. Must be called from the main thread.
    """

    def reload_in_background() -> None:
        try:
            reload_model(app, trigger="sighup")
        except ReloadRefused:
            pass  # logged

    def handler(signum: int, frame: Any) -> None:
        threading.Thread(target=reload_in_background, name="misinfo-sighup-reload", daemon=True).start()

    return signal.signal(signal.SIGHUP, handler)
