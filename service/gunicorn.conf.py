"""gunicorn settings: ``gunicorn -c service/gunicorn.conf.py 'service:create_app()'``.

Read by gunicorn only. Variables of the app itself are ``MISINFO_*`` and read by
service.settings; the few here (bind address, workers, timeout) are prefixed
the same way so ops have one namespace.
"""
import json
import multiprocessing
import os
import tempfile
import time

from gunicorn import glogging


def _fresh_metrics_dir():
    """Prometheus multiprocess mode (service/observability.py): each process writes its
    counters to files in PROMETHEUS_MULTIPROC_DIR and /metrics adds them up. Set here,
    before the preloaded app imports prometheus_client; emptied once per master (stale
    files of an earlier run would add up), not when SIGHUP re-reads this file."""
    if os.environ.get("MISINFO_METRICS_DIR_OWNER") == str(os.getpid()):
        return
    directory = os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), f"misinfo-metrics-{os.getpid()}")
    )
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.unlink(os.path.join(directory, name))
    os.environ["MISINFO_METRICS_DIR_OWNER"] = str(os.getpid())


_fresh_metrics_dir()

# Where to listen. Loopback by default; a container sets MISINFO_BIND=0.0.0.0:8000.
bind = os.environ.get("MISINFO_BIND", "127.0.0.1:8000")

# Scoring is CPU-bound Python: one process per core is the throughput optimum
# (more processes only add context switches; threads would share one GIL).
workers = int(os.environ.get("MISINFO_WORKERS", multiprocessing.cpu_count()))
worker_class = "sync"

# One BLAS/OpenMP/rayon (lingua) thread per worker: the processes already fill the
# cores, and OpenBLAS's default pool (one spinning thread per core, in every worker)
# halved the throughput in bench/api_throughput.py. Set here, before the preloaded
# app imports numpy; an explicit environment value wins.
for _pool in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(_pool, "1")

# gunicorn ≥ 24 opens a control socket at one per-user path: two instances on a host
# (tests, benchmarks, blue/green) would fight over it, and nothing here uses it.
control_socket_disable = True

# Load the model once in the master before forking: workers share its memory
# copy-on-write, start instantly, and a broken artifact stops the start-up
# instead of crash-looping the workers.
preload_app = True

# A request that takes longer than this is a bug or an attack: the worker is killed
# and replaced. Scoring a 1 MB page takes well under a second.
timeout = int(os.environ.get("MISINFO_TIMEOUT", "30"))
graceful_timeout = 30
# Sync workers close the connection after each response; keepalive only matters for other worker classes.
keepalive = 5

# Recycle workers now and then to bound memory growth (jitter avoids all restarting together).
# max_requests = 10000
# max_requests_jitter = 1000

# Request-line and header limits (the body limit is MISINFO_MAX_BODY_BYTES, enforced by the app).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# Logs to stdout/stderr (the container or systemd collects them). Access log: one JSON
# object per line, written by JsonAccessLogger below so that quotes in a path or a
# user agent cannot break the JSON. MISINFO_ACCESS_LOG=off disables it (benchmarks).
accesslog = None if os.environ.get("MISINFO_ACCESS_LOG", "on").lower() in {"off", "0", "false", "no"} else "-"


class JsonAccessLogger(glogging.Logger):
    """gunicorn's logger with a JSON access line (time, client, request, status, size, ms, request id)."""

    def setup(self, cfg):
        """Also give gunicorn's own lines (boot, worker exits, timeouts) the JSON shape; gunicorn
        rebuilds these handlers at start and on every SIGHUP, hence here."""
        super().setup(cfg)
        from service.observability import json_gunicorn_error_log

        json_gunicorn_error_log()

    def access(self, resp, req, environ, request_time):  # noqa: D102 - gunicorn's hook
        if not self.access_log_enabled:
            return
        request_id = ""
        for name, value in getattr(resp, "headers", None) or ():
            if name.lower() == "x-request-id":
                request_id = value
        record = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "remote": environ.get("REMOTE_ADDR"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "status": getattr(resp, "status_code", None),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "request_id": request_id,
            "user_agent": environ.get("HTTP_USER_AGENT"),
        }
        self.access_log.info(json.dumps(record, ensure_ascii=False))


logger_class = JsonAccessLogger
errorlog = "-"
loglevel = os.environ.get("MISINFO_LOG_LEVEL", "info").lower()

# Behind a proxy that sets X-Forwarded-For, list its address here so rate limits see the client.
# forwarded_allow_ips = "10.0.0.1"


# --- hooks (owner: production readiness; service/reload.py, service/observability.py) ---
def on_reload(server):
    """Master, on SIGHUP, before forking new workers: check and swap in the model artifact."""
    from service.reload import gunicorn_on_reload

    gunicorn_on_reload(server)


def post_worker_init(worker):
    """Worker: remember the master, which POST /admin/reload signals."""
    from service.reload import gunicorn_post_worker_init

    gunicorn_post_worker_init(worker)


def child_exit(server, worker):
    """Master: drop a dead worker's live gauges from /metrics."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
