"""Soak benchmark: find the service's maximum throughput, then hold 80 % of it.

Prints the figures the README's deployment section quotes: requests, errors,
p50/p99 latency and the resident memory (RSS, from /proc) of the gunicorn
master and workers at the start and the end of the soak. The goal is zero
errors and less than 10 % RSS growth over two minutes.

By default the script starts its own gunicorn (``service/gunicorn.conf.py``,
auth off, a throwaway database) on a free loopback port, so that it knows the
worker pids. ``--url`` and ``--master-pid`` point it at a running server
instead. Traffic only ever goes to a loopback address, every loop is bounded
in time and count, and the script stops by itself.

    python bench/soak.py                       # 15 s probe + 120 s soak
    python bench/soak.py --probe 5 --soak 20   # quick look

Payloads: the seed articles in ../shared/seeds/ when present (read at run
time, never copied), otherwise synthetic paragraphs.
"""
from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"

#: Upper bound on requests of one phase, whatever the rate: the loops always end.
MAX_REQUESTS_PER_PHASE = 200_000
#: A request slower than this counts as an error (the client gives up).
CLIENT_TIMEOUT_S = 30.0


@dataclass
class Tally:
    """Outcomes of one phase, filled by many client threads."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)

    def fail(self, why: str) -> None:
        with self.lock:
            self.errors[why] = self.errors.get(why, 0) + 1

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def payloads() -> list[bytes]:
    """Request bodies for POST /score: the seeds if available, else synthetic text."""
    bodies = []
    if SEEDS.is_dir():
        for path in sorted(SEEDS.glob("*.txt")):
            lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
            if lines:
                bodies.append({"title": lines[0], "paragraphs": lines[1:60], "language": "auto"})
    if not bodies:
        words = ["laporan", "menyebut", "pemerintah", "mungkin", "akan", "mengumumkan", "kebijakan", "baru", "pekan", "depan"]
        for n in range(4):
            paras = [" ".join(words[(i + n) % len(words):] + words[: (i + n) % len(words)]) + "." for i in range(20)]
            bodies.append({"title": f"Synthetic article {n}", "paragraphs": paras, "language": "id"})
    return [json.dumps(b).encode("utf-8") for b in bodies]


def check_loopback(host: str) -> None:
    """Refuse any target that is not this machine."""
    try:
        addr = ipaddress.ip_address(socket.gethostbyname(host))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"cannot resolve {host!r}: {exc}") from exc
    if not addr.is_loopback:
        raise SystemExit(f"refusing to load {host} ({addr}): loopback addresses only")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB, from /proc (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    """Direct children of a process (gunicorn's workers of its master)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def memory_snapshot(master: int) -> dict[int, int]:
    return {pid: rss_kib(pid) for pid in [master, *children(master)]}


@contextmanager
def own_server(workers: int) -> Iterator[tuple[str, int]]:
    """Start gunicorn on a free loopback port; yields (base url, master pid)."""
    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="misinfo-soak-"))
    env = dict(os.environ)
    env.update(
        MISINFO_AUTH="off",
        MISINFO_RATE_LIMIT_ENABLED="off",
        MISINFO_DATABASE_URL=f"sqlite:///{tmp / 'soak.sqlite3'}",
        MISINFO_SPOOL_DIR=str(tmp / "spool"),
        MISINFO_LOG_LEVEL="WARNING",
        MISINFO_ACCESS_LOG="off",
        PROMETHEUS_MULTIPROC_DIR=str(tmp / "prom"),
    )
    cmd = [
        sys.executable, "-m", "gunicorn", "-c", str(ROOT / "service" / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "service:create_app()",
    ]
    log = open(tmp / "gunicorn.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {proc.returncode}; see {tmp / 'gunicorn.log'}")
            try:
                status, _ = request(base, "GET", "/health", None, 2.0)
                if status == 200 and len(children(proc.pid)) >= workers:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        else:
            raise SystemExit("gunicorn did not become healthy within 120 s")
        yield base, proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def request(base: str, method: str, path: str, body: bytes | None, timeout: float,
            headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One request on a fresh connection (what a CMS plugin without pooling does)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout)
    try:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def one(base: str, body: bytes, tally: Tally, headers: dict[str, str]) -> None:
    start = time.perf_counter()
    try:
        status, _ = request(base, "POST", "/score", body, CLIENT_TIMEOUT_S, headers)
    except OSError as exc:
        tally.fail(type(exc).__name__)
        return
    if status == 200:
        tally.ok(time.perf_counter() - start)
    else:
        tally.fail(f"HTTP {status}")


def closed_loop(base: str, bodies: list[bytes], concurrency: int, seconds: float,
                headers: dict[str, str]) -> Tally:
    """Every client sends its next request as soon as the last one answers: the ceiling."""
    tally = Tally()
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        i = n
        while time.monotonic() < stop and tally.requests < MAX_REQUESTS_PER_PHASE:
            one(base, bodies[i % len(bodies)], tally, headers)
            i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return tally


def open_loop(base: str, bodies: list[bytes], rate: float, seconds: float, max_in_flight: int,
              headers: dict[str, str]) -> Tally:
    """Requests start on a fixed schedule regardless of answers (no coordinated omission).

    A request that cannot start because ``max_in_flight`` are pending counts as an
    error ("client saturated"): the server fell behind the offered rate.
    """
    tally = Tally()
    slots = threading.BoundedSemaphore(max_in_flight)
    interval = 1.0 / rate
    total = min(int(rate * seconds), MAX_REQUESTS_PER_PHASE)
    started = time.monotonic()
    workers: list[threading.Thread] = []

    def run(body: bytes) -> None:
        try:
            one(base, body, tally, headers)
        finally:
            slots.release()

    for i in range(total):
        delay = started + i * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if not slots.acquire(timeout=CLIENT_TIMEOUT_S):
            tally.fail("client saturated")
            continue
        t = threading.Thread(target=run, args=(bodies[i % len(bodies)],), daemon=True)
        t.start()
        workers.append(t)
        if len(workers) > 4 * max_in_flight:
            workers = [w for w in workers if w.is_alive()]
    for t in workers:
        t.join(timeout=CLIENT_TIMEOUT_S + 1)
    return tally


def report(name: str, tally: Tally, seconds: float) -> None:
    print(
        f"{name}: {tally.requests} requests in {seconds:.1f} s "
        f"({tally.requests / seconds:.1f} req/s), errors {sum(tally.errors.values())} {tally.errors or ''}, "
        f"p50 {tally.percentile(0.50) * 1000:.1f} ms, p99 {tally.percentile(0.99) * 1000:.1f} ms"
    )


def soak(base: str, master: int, args: argparse.Namespace) -> int:
    headers = {}
    if args.api_key:
        headers["Authorization"] = f"Bearer {args.api_key}"
    bodies = payloads()
    print(f"target {base}, master pid {master}, {len(bodies)} payloads, "
          f"{'seed articles' if SEEDS.is_dir() else 'synthetic articles'}")
    # warm-up: first requests pay lazy imports and caches
    closed_loop(base, bodies, 2, 3.0, headers)

    t0 = time.monotonic()
    probe = closed_loop(base, bodies, args.concurrency, args.probe, headers)
    probe_s = time.monotonic() - t0
    report("probe (closed loop)", probe, probe_s)
    max_rps = len(probe.latencies) / probe_s
    if max_rps <= 0:
        print("no successful request during the probe; giving up")
        return 1
    rate = args.fraction * max_rps
    print(f"max throughput {max_rps:.1f} req/s -> soak at {args.fraction:.0%} = {rate:.1f} req/s for {args.soak:.0f} s")

    before = memory_snapshot(master)
    t0 = time.monotonic()
    result = open_loop(base, bodies, rate, args.soak, args.concurrency * 4, headers)
    soak_s = time.monotonic() - t0
    after = memory_snapshot(master)
    report("soak (open loop)", result, soak_s)

    print("RSS (KiB)     start       end    growth")
    rows = sorted(set(before) | set(after))
    for pid in rows:
        b, a = before.get(pid, 0), after.get(pid, 0)
        role = "master" if pid == master else "worker"
        growth = f"{(a - b) / b:+.1%}" if b and a else ("new" if a else "gone")
        print(f"{role:6} {pid:>7} {b:>8} {a:>9} {growth:>9}")
    worker_before = sum(v for k, v in before.items() if k != master and k in after)
    worker_after = sum(v for k, v in after.items() if k != master and k in before)
    if worker_before:
        print(f"workers total: {worker_before} -> {worker_after} KiB ({(worker_after - worker_before) / worker_before:+.1%})")
    errors = sum(result.errors.values())
    return 0 if errors == 0 else 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="running server (loopback only); default: start gunicorn here")
    parser.add_argument("--master-pid", type=int, help="gunicorn master pid of --url, for RSS figures")
    parser.add_argument("--api-key", help="sent as Authorization: Bearer when the server has auth on")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8, help="client threads of the probe")
    parser.add_argument("--probe", type=float, default=15.0, help="seconds of the throughput probe")
    parser.add_argument("--soak", type=float, default=120.0, help="seconds of the soak")
    parser.add_argument("--fraction", type=float, default=0.8, help="share of max throughput to soak at")
    args = parser.parse_args(argv)
    if not 0 < args.fraction <= 1:
        parser.error("--fraction must be in (0, 1]")
    if args.probe > 600 or args.soak > 3600:
        parser.error("phases are bounded: --probe <= 600, --soak <= 3600")
    if args.url:
        check_loopback(urlsplit(args.url).hostname or "")
        return soak(args.url.rstrip("/"), args.master_pid or 0, args)
    with own_server(args.workers) as (base, master):
        return soak(base, master, args)


if __name__ == "__main__":
    sys.exit(main())
