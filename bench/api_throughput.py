"""/score under gunicorn vs a bare Flask echo of the same payload, on loopback.

    /work/venv/bin/python bench/api_throughput.py [--requests 400] [--seconds 20]

Starts gunicorn twice, one after the other, with service/gunicorn.conf.py and the
same environment: the real app (``service:create_app()``, shipped model, auth
and rate limit off, access log off) and ``bench/echo_app.py``. For each it
measures

1. saturation: a closed loop of ``--concurrency`` client threads (default
   2 × workers) sending ``--requests`` requests (or for ``--seconds``): throughput,
   p50 and p99 latency;
2. half load: an open loop at half the saturation rate of the *service* for
   ``--half-seconds``, latency counted from the scheduled send time (so a
   stalled server cannot hide its queue): p50 and p99.

It prints both side by side and the throughput ratio service/echo (goal ≥ 70 %)
and the service's p99 at half its maximum rate (goal ≤ 25 ms). The payloads
are the seed articles from ../shared/seeds (headline + text), read at run
time; ``--payload headline`` sends only their headlines (an editor typing).
Everything stays on 127.0.0.1 and is bounded in count and time.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Self

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"


@dataclass
class Figures:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def load_payloads(kind: str) -> list[bytes]:
    paths = sorted(SEEDS.glob("*.txt"))
    if not paths:
        sys.exit(f"no seed articles at {SEEDS}")
    payloads = []
    for path in paths:
        headline, _, text = path.read_text(encoding="utf-8").partition("\n")
        article = {"title": headline.strip()} if kind == "headline" else {"title": headline.strip(), "text": text}
        payloads.append(json.dumps(article, ensure_ascii=False).encode())
    return payloads


def post(port: int, body: bytes) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/score", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def model_ms(payloads: list[bytes], model_path: str | None, rounds: int = 5) -> float:
    """Mean in-process ``Scorer.score`` time per payload: the floor under any HTTP layer."""
    sys.path.insert(0, str(REPO))
    from model import Article, load_scorer

    scorer = load_scorer(model_path) if model_path else load_scorer()
    articles = [Article(**json.loads(p)) for p in payloads]
    for article in articles:
        scorer.score(article)
    start = time.perf_counter()
    for _ in range(rounds):
        for article in articles:
            scorer.score(article)
    return (time.perf_counter() - start) / (rounds * len(articles)) * 1e3


def saturate(port: int, payloads: list[bytes], concurrency: int, count: int, max_seconds: float) -> Figures:
    """Closed loop: every thread sends its next request as soon as the previous answered."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(count))
    deadline = time.perf_counter() + max_seconds

    def worker() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            t0 = time.perf_counter()
            try:
                ok = post(port, payloads[i % len(payloads)]) == 200
            except OSError:
                ok = False
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                errors += not ok

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    return Figures(len(latencies), errors, seconds, percentile(latencies, 0.5) * 1e3, percentile(latencies, 0.99) * 1e3)


def open_loop(port: int, payloads: list[bytes], rate: float, seconds: float, pool: int) -> Figures:
    """Requests at a fixed rate; latency from the scheduled time, so queueing counts."""
    total = max(1, int(rate * seconds))
    interval = 1.0 / rate
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def send(i: int, scheduled: float) -> None:
        nonlocal errors
        try:
            ok = post(port, payloads[i % len(payloads)]) == 200
        except OSError:
            ok = False
        with lock:
            latencies.append(time.perf_counter() - scheduled)
            errors += not ok

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=pool) as executor:
        for i in range(total):
            scheduled = start + i * interval
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            executor.submit(send, i, scheduled)
    elapsed = time.perf_counter() - start
    return Figures(len(latencies), errors, elapsed, percentile(latencies, 0.5) * 1e3, percentile(latencies, 0.99) * 1e3)


class Server:
    """gunicorn on a free loopback port, with the service's config file."""

    def __init__(self, app: str, workers: int, extra_env: dict[str, str]) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("MISINFO_")}
        env.update(
            MISINFO_BIND=f"127.0.0.1:{self.port}",
            MISINFO_WORKERS=str(workers),
            MISINFO_ACCESS_LOG="off",
            MISINFO_AUTH="off",
            MISINFO_RATE_LIMIT_ENABLED="off",
            MISINFO_LOG_LEVEL="warning",
            **extra_env,
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "service/gunicorn.conf.py", app],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def __enter__(self) -> Self:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn exited: {self.process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/ready")
                if conn.getresponse().status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        sys.exit("gunicorn did not become ready in 120 s")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", default="service:create_app()", help="the service's gunicorn app")
    parser.add_argument("--echo-app", default="bench.echo_app:create_app()")
    parser.add_argument("--model-path", default=None, help="MISINFO_MODEL_PATH (default: the bundled model)")
    parser.add_argument("--payload", choices=("article", "headline"), default="article")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--concurrency", type=int, default=None, help="client threads (default 2 × workers)")
    parser.add_argument("--requests", type=int, default=400, help="requests per saturation run")
    parser.add_argument("--seconds", type=float, default=20.0, help="time cap per saturation run")
    parser.add_argument("--half-seconds", type=float, default=10.0, help="duration of the half-load run")
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    concurrency = args.concurrency or 2 * args.workers
    payloads = load_payloads(args.payload)
    sizes = [len(p) for p in payloads]

    load_before = os.getloadavg()[0]
    floor_ms = model_ms(payloads, args.model_path)
    results: dict[str, tuple[Figures, Figures]] = {}
    service_rate = 0.0
    for label, app in (("service", args.app), ("echo", args.echo_app)):
        extra = {"MISINFO_MODEL_PATH": args.model_path} if args.model_path else {}
        with Server(app, args.workers, extra) as server:
            saturate(server.port, payloads, concurrency, args.warmup, 30)
            full = saturate(server.port, payloads, concurrency, args.requests, args.seconds)
            if label == "service":
                service_rate = full.rps
            half = open_loop(server.port, payloads, max(1.0, service_rate / 2), args.half_seconds, 4 * concurrency)
            results[label] = (full, half)

    print(
        f"payload: {args.payload} ({len(payloads)} seeds, {min(sizes)}-{max(sizes)} bytes), gunicorn "
        f"{args.workers} sync workers, {concurrency} client threads, {os.cpu_count()} CPUs shared with the client"
    )
    print(
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after; "
        f"model.score alone (in-process): {floor_ms:.2f} ms per payload"
    )
    print(f"{'':8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} | at {service_rate / 2:.0f} req/s: {'p50 ms':>7} {'p99 ms':>7}")
    for label, (full, half) in results.items():
        print(
            f"{label:8} {full.rps:8.1f} {full.p50_ms:8.2f} {full.p99_ms:8.2f} {full.errors + half.errors:7d} |"
            f"{'':15} {half.p50_ms:7.2f} {half.p99_ms:7.2f}"
        )
    service, echo = results["service"][0], results["echo"][0]
    ratio = service.rps / echo.rps if echo.rps else float("nan")
    print(f"throughput ratio service/echo: {ratio:.1%} (goal >= 70%)")
    print(f"service p99 at half its max rate: {results['service'][1].p99_ms:.2f} ms (goal <= 25 ms)")


if __name__ == "__main__":
    main()
